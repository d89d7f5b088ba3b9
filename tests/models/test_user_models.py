"""Adding, downloading and removing user models, with tiny real checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch
from download_server import publish, serve_folder
from safetensors.torch import save_file

from restore_app.core.errors import ModelError
from restore_app.models import downloads
from restore_app.models.registry import get_restorer, list_restorers
from restore_app.models.user_models import (
    ModelExistsError,
    TaskNeededError,
    add_model,
    remove_model,
    slug,
    user_model_id,
)


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(folder))
    monkeypatch.delenv(downloads.BASE_ENV, raising=False)
    return folder


def tiny_nafnet(seed: int = 0) -> torch.nn.Module:
    from spandrel.architectures.NAFNet import NAFNet

    torch.manual_seed(seed)
    return NAFNet(width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1])


def tiny_drunet() -> torch.nn.Module:
    from spandrel.architectures.DRUNet import DRUNet

    torch.manual_seed(1)
    return DRUNet(in_nc=4, out_nc=3, nc=[8, 16, 32, 64], nb=2)


def save_safetensors(net: torch.nn.Module, path: Path) -> Path:
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def save_pth(net: torch.nn.Module, path: Path) -> Path:
    torch.save(net.state_dict(), path)
    return path


def spandrel_output(net: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    """What spandrel itself makes of ``image`` (float32 (H, W, 3) RGB, [0, 1])."""
    from spandrel import ModelLoader

    desc = ModelLoader().load_from_state_dict(net.state_dict()).eval()
    x = torch.from_numpy(image.transpose(2, 0, 1).copy())[None]
    with torch.inference_mode():
        y = desc(x).clamp(0, 1)
    return y[0].numpy().transpose(1, 2, 0)


def image(h: int = 32, w: int = 40) -> np.ndarray:
    return np.random.default_rng(3).random((h, w, 3), dtype=np.float32)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- adding --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_a_nafnet_checkpoint_round_trips(tmp_path, models_dir, suffix) -> None:
    net = tiny_nafnet()
    source = tmp_path / f"Tiny NAFNet{suffix}"
    (save_safetensors if suffix == ".safetensors" else save_pth)(net, source)
    before = source.read_bytes()

    info = add_model(source, task="denoise", name="My denoiser")

    assert info.id == "user.tiny-nafnet" and info.source == "user"
    assert info.task == "denoise" and info.name == "My denoiser"
    assert [i.id for i in list_restorers("denoise") if i.source == "user"] == [info.id]
    assert source.read_bytes() == before, "the source file is never written"
    # A pickled .pth is stored as safetensors: later loads never touch pickle.
    assert files_in(models_dir) == ["tiny-nafnet.json", "tiny-nafnet.safetensors"]
    card = json.loads((models_dir / "tiny-nafnet.json").read_text())
    stored = models_dir / card["weights"]
    assert card["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert card["architecture"] == "spandrel"
    assert card["spandrel_architecture"] == "NAFNet"
    assert card["source_file"] == source.name
    assert card["parameters"] == sum(p.numel() for p in net.parameters())
    assert card["score"] is None and card["reach"] == 32

    restorer = get_restorer(info.id)
    img = image()
    out = restorer.process(img, None, {"strength": 1.0})
    np.testing.assert_allclose(out, spandrel_output(net, img), atol=1e-5)
    assert np.abs(out - img).mean() > 0.01, "a random network changes the image"


def test_a_drunet_can_be_added_as_a_deblurrer(tmp_path) -> None:
    net = tiny_drunet()
    info = add_model(
        save_safetensors(net, tmp_path / "drunet.safetensors"), task="deblur"
    )
    assert info.card is not None
    assert (info.id, info.task, info.card.spandrel_architecture) == (
        "user.drunet",
        "deblur",
        "DRUNet",
    )
    img = image(30, 37)  # not a multiple of DRUNet's 8: the restorer pads
    out = get_restorer(info.id).process(img, None, {"strength": 1.0})
    assert out.shape == img.shape
    padded = np.pad(img, ((0, 2), (0, 3), (0, 0)), mode="reflect")
    np.testing.assert_allclose(out, spandrel_output(net, padded)[:30, :37], atol=1e-4)


def test_a_restoration_model_needs_its_task(tmp_path, models_dir) -> None:
    path = save_safetensors(tiny_nafnet(), tmp_path / "naf.safetensors")
    with pytest.raises(TaskNeededError) as err:
        add_model(path)
    assert str(err.value) == (
        "naf.safetensors: spandrel calls it a restoration model: say --task denoise "
        "or --task deblur"
    )
    with pytest.raises(ModelError, match="cannot inpaint"):
        add_model(path, task="inpaint")
    with pytest.raises(ModelError, match="unknown task 'sharpen'"):
        add_model(path, task="sharpen")
    assert files_in(models_dir) == []


def test_an_upscaler_is_refused(tmp_path, models_dir) -> None:
    from spandrel.architectures.Compact import Compact

    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=2)
    path = save_safetensors(net, tmp_path / "x2.safetensors")
    with pytest.raises(ModelError) as err:
        add_model(path, task="denoise")
    assert "upscaler" in str(err.value) and "×2" in str(err.value)
    assert "\n" not in str(err.value)
    assert files_in(models_dir) == []


def test_a_malicious_pickle_is_refused_without_running_it(tmp_path, models_dir) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {shlex.quote(str(marker))}",))

    path = tmp_path / "evil.pth"
    torch.save({"head.weight": torch.zeros(3), "x": Payload()}, path)

    with pytest.raises(ModelError) as err:
        add_model(path, task="denoise")
    assert str(err.value) == (
        "evil.pth: cannot be loaded safely: it contains pickled code, which is never "
        "run (save it as safetensors)"
    )
    assert not marker.exists()
    assert files_in(models_dir) == []
    # The file really is armed: an unsafe load would have run the payload.
    torch.load(path, weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("suffix", [".pth", ".safetensors", ".pt"])
def test_random_bytes_are_refused(tmp_path, models_dir, suffix) -> None:
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelError, match=f"noise{suffix}: cannot be loaded safely"):
        add_model(path, task="denoise")
    assert files_in(models_dir) == []


def test_unknown_architectures_and_file_types_are_refused(tmp_path) -> None:
    odd = tmp_path / "odd.safetensors"
    save_file({"foo.weight": torch.zeros(4, 4)}, str(odd))
    with pytest.raises(ModelError, match="not an architecture spandrel knows"):
        add_model(odd, task="denoise")
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\0" * 16)
    with pytest.raises(ModelError, match="unsupported model file type '.onnx'"):
        add_model(onnx, task="denoise")
    with pytest.raises(ModelError, match="no such model file"):
        add_model(tmp_path / "missing.pth", task="denoise")


def test_an_existing_model_is_replaced_only_when_asked(tmp_path, models_dir) -> None:
    path = save_safetensors(tiny_nafnet(0), tmp_path / "naf.safetensors")
    add_model(path, task="denoise")
    first = get_restorer("user.naf")
    with pytest.raises(ModelExistsError, match="'user.naf' already exists"):
        add_model(path, task="deblur")
    save_safetensors(tiny_nafnet(1), path)
    info = add_model(path, task="deblur", overwrite=True)
    assert info.task == "deblur"
    assert get_restorer("user.naf") is not first, "the old network is forgotten"
    assert files_in(models_dir) == ["naf.json", "naf.safetensors"]


def test_remove_model(tmp_path, models_dir) -> None:
    add_model(save_pth(tiny_nafnet(), tmp_path / "naf.pth"), task="denoise")
    remove_model("user.naf")
    assert files_in(models_dir) == []
    assert "user.naf" not in {i.id for i in list_restorers()}
    with pytest.raises(ModelError, match="no user model 'user.naf'"):
        remove_model("user.naf")
    with pytest.raises(ModelError, match="built in and cannot be removed"):
        remove_model("denoise.nlm")


def test_ids_are_slugs_of_the_file_name() -> None:
    assert slug("My Best_Model v2!") == "my-best-model-v2"
    assert slug("???") == "model"
    assert user_model_id("/x/Big LaMa.pt") == "user.big-lama"
    assert user_model_id("scores.pth") == "user.scores-model"


# -- TorchScript inpainting --------------------------------------------------------


class GrayFill(torch.nn.Module):
    """Fills the mask with mid-gray: ``image`` (N, 3, H, W), ``mask`` (N, 1, H, W)."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image * (1 - mask) + 0.5 * mask


class OneInput(torch.nn.Module):
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image


def script(module: torch.nn.Module, path: Path) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.script(module).save(str(path))
    return path


def test_a_torchscript_inpainter_is_added_and_runs(tmp_path, models_dir) -> None:
    path = script(GrayFill(), tmp_path / "gray-fill.pt")
    with pytest.raises(TaskNeededError, match="say --task inpaint"):
        add_model(path)
    with pytest.raises(ModelError, match="inpainting models"):
        add_model(path, task="denoise")
    info = add_model(path, task="inpaint")
    assert (info.id, info.task) == ("user.gray-fill", "inpaint")
    assert (models_dir / "gray-fill.pt").read_bytes() == path.read_bytes()
    assert info.card is not None and info.card.half is False

    img = image()
    mask = np.zeros(img.shape[:2], bool)
    mask[5:15, 8:20] = True
    out = get_restorer(info.id).process(img, mask, {"strength": 1.0})
    np.testing.assert_allclose(out[mask], 0.5, atol=1e-6)
    np.testing.assert_allclose(out[~mask], img[~mask], atol=1e-6)


def test_a_torchscript_model_without_a_mask_input_is_refused(
    tmp_path, models_dir
) -> None:
    path = script(OneInput(), tmp_path / "one.pt")
    with pytest.raises(ModelError, match="does not run as model\\(image, mask\\)"):
        add_model(path, task="inpaint")
    assert files_in(models_dir) == []


class Forever(torch.nn.Module):
    """A forward that never returns."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        i = 0
        while i >= 0:
            i = i + 1
        return image


class Hungry(torch.nn.Module):
    """A forward that asks for far more memory than any photo needs (64 GiB)."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        big = torch.ones(1 << 34)
        return image + big[0]


def test_a_model_that_hangs_or_hoards_is_refused_in_time(
    tmp_path, models_dir, monkeypatch
) -> None:
    import time

    monkeypatch.setenv("RESTORE_MODEL_CHECK_SECONDS", "4")
    start = time.monotonic()
    with pytest.raises(ModelError, match="did not finish a test run .* within 4 s"):
        add_model(script(Forever(), tmp_path / "forever.pt"), task="inpaint")
    assert time.monotonic() - start < 20
    monkeypatch.setenv("RESTORE_MODEL_CHECK_SECONDS", "30")
    with pytest.raises(ModelError, match="does not run as model"):
        add_model(script(Hungry(), tmp_path / "hungry.pt"), task="inpaint")
    assert files_in(models_dir) == []


# -- downloads from a local server --------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, monkeypatch, models_dir):
    """A folder served on 127.0.0.1 for this test; RESTORE_DOWNLOAD_BASE names it."""
    root = tmp_path / "served"
    root.mkdir()
    with serve_folder(root) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        yield root


def test_download_verifies_and_adds(served, monkeypatch, models_dir) -> None:
    path = save_safetensors(tiny_nafnet(), served / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    seen: list[tuple[int, int]] = []
    info = downloads.download_model(
        "tiny", progress=False, on_progress=lambda d, t: seen.append((d, t))
    )
    assert (info.id, info.task, info.name) == (
        "user.tiny-naf",
        "denoise",
        "Tiny NAFNet",
    )
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert files_in(models_dir) == ["tiny-naf.json", "tiny-naf.safetensors"]
    with pytest.raises(ModelExistsError):
        downloads.download_model("tiny", progress=False)


def test_a_checksum_mismatch_leaves_nothing(served, monkeypatch, models_dir) -> None:
    path = save_safetensors(tiny_nafnet(), served / "tiny-naf.safetensors")
    publish(monkeypatch, path, "0" * 64)
    with pytest.raises(ModelError, match="checksum mismatch.*nothing was kept"):
        downloads.download_model("tiny", progress=False)
    assert files_in(models_dir) == []


def test_missing_files_and_unknown_names_fail_cleanly(
    served, monkeypatch, models_dir
) -> None:
    path = save_safetensors(tiny_nafnet(), served / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    path.unlink()
    with pytest.raises(ModelError, match="download failed: HTTP 404"):
        downloads.download_model("tiny", progress=False)
    assert files_in(models_dir) == []
    with pytest.raises(ModelError, match="unknown download 'nope' \\(known: big-lama"):
        downloads.download_model("nope")


def test_the_table_pins_https_sources_and_full_hashes() -> None:
    assert "big-lama" in downloads.KNOWN_MODELS
    for entry in downloads.KNOWN_MODELS.values():
        assert entry.url.startswith("https://") and entry.url.endswith(entry.file)
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0


def test_a_download_cut_off_resumes_where_it_stopped(tmp_path, monkeypatch, models_dir):
    root = tmp_path / "served"
    root.mkdir()
    path = save_safetensors(tiny_nafnet(), root / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    size = path.stat().st_size
    asked: list = []
    with serve_folder(root, cut_after=[size // 3], requests=asked) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        with pytest.raises(downloads.DownloadCutOff, match="try again to resume"):
            downloads.download_model("tiny", progress=False)
        entry = downloads.KNOWN_MODELS["tiny"]
        kept = downloads.partial_path(entry)
        assert kept.stat().st_size == size // 3
        seen: list[tuple[int, int]] = []
        info = downloads.download_model(
            "tiny", progress=False, on_progress=lambda d, t: seen.append((d, t))
        )
    assert info.id == "user.tiny-naf"
    # The second request asked for the rest only, naming the file it had.
    assert asked[1][0] == size // 3 and asked[1][1] == asked_etag(root)
    assert seen[0][0] > size // 3 and seen[-1] == (size, size)
    assert files_in(models_dir) == ["tiny-naf.json", "tiny-naf.safetensors"]


def test_a_file_changed_on_the_server_is_fetched_whole_again(
    tmp_path, monkeypatch, models_dir
):
    root = tmp_path / "served"
    root.mkdir()
    path = save_safetensors(tiny_nafnet(), root / "tiny-naf.safetensors")
    with serve_folder(root, cut_after=[1000]) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
        with pytest.raises(downloads.DownloadCutOff):
            downloads.download_model("tiny", progress=False)
        # Another release of the file, of the same size: its ETag differs, so
        # the kept bytes are not joined to it.
        save_safetensors(tiny_nafnet(seed=5), path)
        publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
        downloads.download_model("tiny", progress=False)
    assert files_in(models_dir) == ["tiny-naf.json", "tiny-naf.safetensors"]
    got = (models_dir / "tiny-naf.safetensors").read_bytes()
    assert (
        hashlib.sha256(got).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    )


def test_cancel_and_a_mismatch_leave_no_partial_file(tmp_path, monkeypatch, models_dir):
    from restore_app.core.cancel import CancelToken
    from restore_app.core.errors import Cancelled

    root = tmp_path / "served"
    root.mkdir()
    path = save_safetensors(tiny_nafnet(), root / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    with serve_folder(root, cut_after=[1000]) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        with pytest.raises(downloads.DownloadCutOff):
            downloads.download_model("tiny", progress=False)
        token = CancelToken()
        with pytest.raises(Cancelled):
            downloads.download_model(
                "tiny", progress=False, on_progress=lambda d, t: token.cancel(),
                cancel=token,
            )  # fmt: skip
        assert files_in(models_dir) == []
        publish(monkeypatch, path, "0" * 64)
        with pytest.raises(ModelError, match="checksum mismatch"):
            downloads.download_model("tiny", progress=False)
    assert files_in(models_dir) == []


def asked_etag(root: Path) -> str:
    """The ETag the test server gives the one file in ``root``."""
    (path,) = root.iterdir()
    return '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:20] + '"'
