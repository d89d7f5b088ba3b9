"""``restore-app models add|remove|download`` end to end, with tiny real checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import load, photo, save_mask, save_png, scratch_mask
from download_server import publish, serve_folder


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    # Child processes inherit it; in-process runs read it too.
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(folder))
    monkeypatch.delenv("RESTORE_DOWNLOAD_BASE", raising=False)
    return folder


def tiny_nafnet(path: Path) -> Path:
    """A randomly initialised spandrel NAFNet (5 k parameters) saved at ``path``."""
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.NAFNet import NAFNet

    torch.manual_seed(0)
    net = NAFNet(width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1])
    if path.suffix == ".safetensors":
        save_file(net.state_dict(), str(path))
    else:
        torch.save(net.state_dict(), path)
    return path


def test_add_list_run_and_remove_a_denoiser(cli, tmp_path, models_dir) -> None:
    ckpt = tiny_nafnet(tmp_path / "tiny_naf.pth")
    src = save_png(tmp_path / "img.png", photo())

    run = cli("models", "add", ckpt, "--task", "denoise", "--name", "Tiny")
    assert run.code == 0, run.err
    assert run.out.startswith("added user.tiny-naf: denoise, NAFNet")

    listed = {row.split()[0]: row.split()[1:] for row in cli("models").out.splitlines()}
    assert listed["user.tiny-naf"] == ["denoise", "learned", "user"]
    as_json = {d["id"]: d for d in json.loads(cli("models", "--json").out)}
    assert as_json["user.tiny-naf"]["source"] == "user"
    assert as_json["user.tiny-naf"]["name"] == "Tiny"

    run = cli("denoise", src, "-o", "out.png", "--model", "user.tiny-naf")
    assert run.code == 0, run.err
    out = load(tmp_path / "out.png")
    assert out.shape == photo().shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - photo().astype(int)).mean() > 2
    record = json.loads((tmp_path / "out.png.json").read_text())
    assert "user.tiny-naf" in json.dumps(record)

    again = cli("models", "add", ckpt, "--task", "denoise")
    assert again.code == 1 and len(again.err_lines) == 1
    assert "already exists" in again.err

    assert cli("models", "remove", "user.tiny-naf").code == 0
    assert sorted(p.name for p in models_dir.iterdir()) == []
    gone = cli("denoise", src, "-o", "out2.png", "--model", "user.tiny-naf")
    assert gone.code == 1 and "unknown model 'user.tiny-naf'" in gone.err


def test_refusals_are_one_line_and_write_nothing(tmp_path, capsys, models_dir) -> None:
    # In process: the same main() as the command, without a torch start-up per case.
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.ESRGAN import ESRGAN

    ckpt = tiny_nafnet(tmp_path / "naf.safetensors")
    upscaler = tmp_path / "x2.safetensors"
    save_file(
        ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=2).state_dict(),
        str(upscaler),
    )
    junk = tmp_path / "junk.pth"
    junk.write_bytes(os.urandom(2048))
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {shlex.quote(str(marker))}",))

    evil = tmp_path / "evil.pth"
    torch.save({"m_head.weight": torch.zeros(2), "x": Payload()}, evil)

    cases = {
        (ckpt,): "spandrel calls it a restoration model: say --task denoise or "
        "--task deblur",
        (upscaler, "--task", "denoise"): "ESRGAN ×2 is an upscaler",
        (junk, "--task", "denoise"): "junk.pth: cannot be loaded safely",
        (evil, "--task", "denoise"): "evil.pth: cannot be loaded safely: it contains "
        "pickled code, which is never run",
    }
    from restore_app.cli.main import main

    for args, message in cases.items():
        code = main(["models", "add", *map(str, args)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1, (args, err)
        assert len(err) == 1 and err[0].startswith("restore-app: error: "), err
        assert message in err[0], (args, err)
    assert not marker.exists(), "the pickle's payload must never run"
    assert not models_dir.exists() or not any(models_dir.iterdir())


def test_usage_errors_exit_2(cli, models_dir) -> None:
    for args in (["add"], ["add", "x.pth", "--task", "sharpen"], ["remove"]):
        run = cli("models", *args)
        assert run.code == 2, (args, run)
    run = cli("models", "remove", "denoise.nlm")
    assert run.code == 1 and "built in and cannot be removed" in run.err


def test_a_torchscript_inpainter_runs_from_the_cli(cli, tmp_path, models_dir) -> None:
    import torch

    class GrayFill(torch.nn.Module):
        def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return image * (1 - mask) + 0.5 * mask

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.script(GrayFill()).save(str(tmp_path / "gray-fill.pt"))
    src = save_png(tmp_path / "img.png", photo())
    mask = scratch_mask()
    save_mask(tmp_path / "mask.png", mask)

    run = cli("models", "add", "gray-fill.pt", "--task", "inpaint")
    assert run.code == 0, run.err
    run = cli(
        "inpaint",
        src,
        "--mask",
        "mask.png",
        "-o",
        "out.png",
        "--model",
        "user.gray-fill",
    )
    assert run.code == 0, run.err
    out = load(tmp_path / "out.png").astype(int)
    assert np.abs(out[mask] - 128).max() <= 1, "the masked pixels come from the model"
    assert np.array_equal(out[~mask], photo()[~mask])


# -- download, in process: the table entry is test data set with monkeypatch -------


@pytest.fixture
def served(tmp_path: Path, monkeypatch, models_dir):
    """A folder served on 127.0.0.1 for this test; RESTORE_DOWNLOAD_BASE names it."""
    root = tmp_path / "served"
    root.mkdir()
    with serve_folder(root) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        yield root


def test_download_adds_a_verified_model(served, monkeypatch, capsys, models_dir):
    from restore_app.cli.main import main

    path = tiny_nafnet(served / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    assert main(["models", "download", "tiny"]) == 0
    assert "added user.tiny-naf: denoise" in capsys.readouterr().out
    assert sorted(p.name for p in models_dir.iterdir()) == [
        "tiny-naf.json",
        "tiny-naf.safetensors",
    ]


def test_download_with_a_wrong_checksum_keeps_nothing(
    served, monkeypatch, capsys, models_dir
):
    from restore_app.cli.main import main

    path = tiny_nafnet(served / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(b"something else").hexdigest())
    assert main(["models", "download", "tiny"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checksum mismatch" in err[0], err
    assert not any(models_dir.iterdir())
    assert main(["models", "download", "no-such-model"]) == 1
    assert "unknown download 'no-such-model'" in capsys.readouterr().err
