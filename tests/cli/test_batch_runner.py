"""The batch runner the window shares with the CLI, called in process."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import photo, save_mask, save_png, scratch_mask
from PIL import Image

from restore_app.core.cancel import CancelToken
from restore_app.pipeline.folder import BatchOptions, BatchUsageError, Step, run_batch


def _scans(tmp_path, names):
    src = tmp_path / "scans"
    src.mkdir()
    for i, name in enumerate(names):
        if name.endswith(".bmp"):
            Image.fromarray(photo(seed=i)).save(src / name)
        else:
            save_png(src / name, photo(seed=i))
    return src


def test_cancel_stops_between_images_and_reports_what_was_done(tmp_path) -> None:
    src = _scans(tmp_path, ["a.png", "b.png", "c.png"])
    token = CancelToken()
    seen = []

    def on_item(item) -> None:
        seen.append(item.status)
        token.cancel()

    report = run_batch(
        src,
        tmp_path / "out",
        BatchOptions(Step("denoise", strength=0.5)),
        on_item=on_item,
        cancel=token,
    )
    assert report.cancelled
    assert seen == ["done"] and len(report.done) == 1
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a.png"]


def test_selected_files_with_masks_from_a_lookup(tmp_path) -> None:
    src = _scans(tmp_path, ["a.png", "b.png", "c.png"])
    keep = tmp_path / "window-masks"
    keep.mkdir()
    m = scratch_mask()
    save_mask(keep / "b-mask.png", m)
    progress = []
    report = run_batch(
        src,
        tmp_path / "out",
        BatchOptions(
            Step("inpaint", restorer_id="inpaint.ns"),
            mask_lookup=lambda p: keep / "b-mask.png" if p.name == "b.png" else None,
        ),
        files=[src / "b.png", src / "c.png"],
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert [p.name for p in report.done] == ["b.png"]
    assert [(p.name, why) for p, why in report.skipped] == [("c.png", "no mask")]
    assert progress[0] == (0, 2) and progress[-1] == (2, 2)
    out = np.asarray(Image.open(tmp_path / "out" / "b.png"))
    assert np.array_equal(out[~m], photo(seed=1)[~m])


def test_two_inputs_with_one_output_name(tmp_path) -> None:
    src = _scans(tmp_path, ["a.bmp", "a.png"])
    report = run_batch(
        src, tmp_path / "out", BatchOptions(Step("deblur", strength=0.5))
    )
    assert len(report.done) == 1
    ((path, why),) = report.failed
    assert "same output name" in why


def test_mask_folder_inside_the_input_is_not_restored(tmp_path) -> None:
    src = _scans(tmp_path, ["a.png"])
    (src / "masks").mkdir()
    save_mask(src / "masks" / "a.png", scratch_mask())
    options = BatchOptions(Step("inpaint"), masks_dir=src / "masks", recursive=True)
    report = run_batch(src, tmp_path / "out", options)
    assert [p.name for p in report.done] == ["a.png"] and not report.failed


@pytest.mark.parametrize("inside", [".", "sub/deeper"])
def test_output_in_the_input_is_refused_before_anything(tmp_path, inside) -> None:
    src = _scans(tmp_path, ["a.png"])
    with pytest.raises(BatchUsageError):
        run_batch(src, src / inside, BatchOptions(Step("denoise")))
    assert sorted(p.name for p in src.iterdir()) == ["a.png"]
