"""A painted mask grows over the rim of the damage it covers, as far as the rim
shows; the fill, its record and its replay use the grown mask."""

from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.rim import grow_to_rim


def crack(halo: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grainy print with a bright crack (3 px) in a lighter halo (2 px each
    side): (image, the crack's core, core and halo)."""
    rng = np.random.default_rng(0)
    img = np.full((120, 160, 3), 110, np.float32) + rng.normal(0, 3, (120, 160, 3))
    core = np.zeros((120, 160), np.uint8)
    cv2.line(core, (20, 60), (140, 62), 1, 3)
    rim = cv2.dilate(core, np.ones((5, 5))) > 0
    img[rim] += halo
    img[core > 0] = 230
    return np.clip(img, 0, 255).astype(np.uint8), core > 0, rim


def test_a_tight_mask_grows_over_the_rim_and_no_further():
    img, core, rim = crack()
    grown = grow_to_rim(img, core)
    assert grown[rim].mean() > 0.95
    assert grown.sum() <= rim.sum() * 1.15
    assert (grown & ~core).any()


def test_without_a_rim_and_into_protected_pixels_nothing_grows():
    img, core, rim = crack(halo=0)
    assert np.array_equal(grow_to_rim(img, core), core)
    img, core, rim = crack()
    protect = np.zeros_like(core)
    protect[:, :80] = True
    grown = grow_to_rim(img, core, protect)
    assert not (grown & protect & ~core).any()
    assert (grown[:, 80:] & ~core[:, 80:]).any()


def test_the_fill_records_the_grown_mask_and_replays_it_bit_for_bit(tmp_path):
    import json

    from restore_app.core.masks import read_mask, write_mask
    from restore_app.pipeline.files import restore_file
    from restore_app.pipeline.replay import replay

    img, core, rim = crack()
    src = tmp_path / "print.png"
    cv2.imwrite(str(src), img[..., ::-1])
    write_mask(core, tmp_path / "m.png")
    out = tmp_path / "out.png"
    restore_file(src, out, task="inpaint", mask=tmp_path / "m.png",
                 restorer_id="inpaint.telea", options={"cover_rim": True})  # fmt: skip
    record = json.loads((tmp_path / "out.png.json").read_text())
    (op,) = record["operations"]
    used = read_mask(tmp_path / "out.png.masks" / "01-inpaint.png", core.shape)
    assert op["params"]["cover_rim"] is True
    assert op["rim_pixels"] == int(used.sum() - core.sum()) > 0
    assert np.array_equal(used, grow_to_rim(img, core))
    # the halo is filled too: no ghost outline left standing
    filled = cv2.imread(str(out))[..., ::-1].astype(float).mean(-1)
    assert abs(filled[rim].mean() - filled[~rim].mean()) < 6
    again = tmp_path / "again.png"
    replay(tmp_path / "out.png.json", again)
    assert np.array_equal(cv2.imread(str(again)), cv2.imread(str(out)))
