from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import Cancelled, MaskError, ModelError
from restore_app.models.base import Restorer, RestorerInfo, Task
from restore_app.models.engine import restore

DATA = Path(__file__).parents[1] / "data"


def _photo(dtype=np.uint8) -> np.ndarray:
    img = cv2.imread(str(DATA / "heldout_twowings.png"))[..., ::-1].copy()
    if dtype == np.uint16:
        # Full 16-bit content, not 8-bit values scaled up.
        rng = np.random.default_rng(0)
        return (img.astype(np.uint16) * 257 + rng.integers(0, 257, img.shape)).astype(
            np.uint16
        )
    return img


def _scratch_mask(shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.line(m, (5, 20), (180, 150), 1, 3)
    cv2.circle(m, (150, 40), 9, 1, -1)
    return m.astype(bool)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("restorer_id", ["inpaint.telea", "inpaint.ns", "inpaint.ffc"])
def test_inpaint_changes_only_masked_pixels(dtype, restorer_id) -> None:
    img = _photo(dtype)
    mask = _scratch_mask(img.shape[:2])
    res = restore(img, task="inpaint", restorer_id=restorer_id, mask=mask)
    assert res.pixels.dtype == dtype and res.pixels.shape == img.shape
    assert np.array_equal(res.pixels[~mask], img[~mask])
    assert not np.array_equal(res.pixels[mask], img[mask])
    assert res.operation["restorer"] == restorer_id


def test_sixteen_bit_is_processed_without_an_eight_bit_round_trip() -> None:
    img = _photo(np.uint16)
    res = restore(img, task="denoise", restorer_id="denoise.nlm", strength=1.0)
    # An 8-bit round trip would leave only multiples of 257.
    assert (res.pixels % 257 != 0).mean() > 0.5


def test_protect_mask_is_never_changed() -> None:
    img = _photo()
    mask = _scratch_mask(img.shape[:2])
    protect = np.zeros_like(mask)
    protect[:, :90] = True
    for task, rid, m in (
        ("inpaint", "inpaint.telea", mask),
        ("denoise", "denoise.nlm", None),
        ("deblur", "deblur.wiener", None),
    ):
        res = restore(
            img, task=task, restorer_id=rid, mask=m, protect=protect, strength=1.0
        )
        assert np.array_equal(res.pixels[protect], img[protect]), task


def test_mask_limited_denoise_leaves_outside_untouched() -> None:
    rng = np.random.default_rng(3)
    img = np.clip(_photo().astype(float) + rng.normal(0, 20, (192, 192, 3)), 0, 255)
    img = img.astype(np.uint8)
    mask = np.zeros((192, 192), bool)
    mask[40:140, 50:160] = True
    res = restore(
        img, task="denoise", restorer_id="denoise.nlm", mask=mask, strength=1.0
    )
    assert np.array_equal(res.pixels[~mask], img[~mask])
    assert not np.array_equal(res.pixels[60:120, 70:140], img[60:120, 70:140])


def test_strength_zero_changes_nothing() -> None:
    img = _photo()
    for task, rid in (("denoise", "denoise.nlm"), ("deblur", "deblur.wiener")):
        res = restore(img, task=task, restorer_id=rid, strength=0.0)
        assert np.array_equal(res.pixels, img)


def test_bad_inputs_are_clear_errors() -> None:
    img = _photo()
    with pytest.raises(MaskError, match="192×192"):
        restore(
            img,
            task="inpaint",
            restorer_id="inpaint.telea",
            mask=np.ones((10, 12), bool),
        )
    with pytest.raises(MaskError):
        restore(img, task="inpaint", restorer_id="inpaint.telea")
    with pytest.raises(ModelError, match="unknown model"):
        restore(img, task="denoise", restorer_id="no.such")
    with pytest.raises(ModelError, match="is for"):
        restore(img, task="denoise", restorer_id="inpaint.telea")
    with pytest.raises(ModelError, match="strength"):
        restore(img, task="denoise", restorer_id="denoise.nlm", strength=2.0)


def test_cancel_stops_between_tiles() -> None:
    img = np.zeros((600, 600, 3), np.uint8)
    token = CancelToken()
    seen = []

    def on_progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        restore(
            img,
            task="denoise",
            restorer_id="denoise.nlm",
            strength=1.0,
            tile_size=128,
            on_progress=on_progress,
            cancel=token,
        )
    assert max(seen) == 2


class _GreedyRestorer(Restorer):
    """Runs out of GPU memory on tiles larger than ``fits`` pixels a side."""

    uses_device = True
    reach = 4

    def __init__(self, fits: int, fail_everywhere: bool = False) -> None:
        self.info = RestorerInfo("test.greedy", Task.DENOISE, "Greedy", "learned")
        self.fits = fits
        self.fail_everywhere = fail_everywhere
        self.devices: list[str] = []
        self.tiles: list[int] = []
        self.device = ""

    def prepare(self, device: str) -> None:
        self.device = device
        self.devices.append(device)

    def process(self, image, mask, params, cancel=None):
        import torch

        self.tiles.append(max(image.shape[:2]))
        if self.device != "cpu" and (
            self.fail_everywhere or max(image.shape[:2]) > self.fits
        ):
            raise torch.cuda.OutOfMemoryError(
                "CUDA out of memory. Tried to allocate 2 GiB"
            )
        return 1.0 - image


@pytest.fixture
def greedy(monkeypatch):
    def install(r: Restorer) -> Restorer:
        # Pretend a GPU is there: the out-of-memory error is what is injected.
        monkeypatch.setattr(
            "restore_app.models.engine.resolve_device", lambda d: "cuda"
        )
        return r

    return install


def test_out_of_memory_retries_with_smaller_tiles(greedy) -> None:
    r = greedy(_GreedyRestorer(fits=256))
    img = np.full((700, 700, 1), 10, np.uint8)
    res = restore(img, task="denoise", restorer=r, strength=1.0, tile_size=1024)
    assert res.operation["device"] == "cuda"
    assert res.operation["tile_size"] <= 256
    assert (res.pixels == 245).all()


def test_out_of_memory_everywhere_falls_back_to_cpu(greedy) -> None:
    r = greedy(_GreedyRestorer(fits=0, fail_everywhere=True))
    img = np.full((300, 300, 1), 10, np.uint8)
    res = restore(img, task="denoise", restorer=r, strength=1.0, tile_size=512)
    assert res.operation["device"] == "cpu"
    assert r.devices[-1] == "cpu"
    assert (res.pixels == 245).all()


class _RecordingFill(Restorer):
    """Fills with gray and records the size of every crop it is given."""

    reach = 32

    def __init__(self) -> None:
        self.info = RestorerInfo("test.fill", Task.INPAINT, "Recording", "classical")
        self.crops: list[tuple[int, int]] = []

    def process(self, image, mask, params, cancel=None):
        self.crops.append(image.shape[:2])
        out = image.copy()
        out[mask] = 0.5
        return out


def test_inpaint_context_follows_the_width_of_the_hole() -> None:
    r = _RecordingFill()
    img = np.zeros((2400, 2400, 3), np.uint8)

    # A scratch 3 px wide across the scan: crops of at most 1024 px of it, with
    # only the restorer's reach around them.
    scratch = np.zeros(img.shape[:2], np.uint8)
    cv2.line(scratch, (0, 10), (2399, 2390), 1, 3)
    restore(img, task="inpaint", restorer=r, mask=scratch.astype(bool))
    assert len(r.crops) >= 3
    assert max(max(c) for c in r.crops) <= 1024 + 2 * r.reach

    # A blotch 120 px across: several times its radius of surroundings.
    r.crops.clear()
    blotch = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(blotch, (1200, 1200), 60, 1, -1)
    res = restore(img, task="inpaint", restorer=r, mask=blotch.astype(bool))
    assert len(r.crops) == 1 and min(r.crops[0]) >= 121 + 2 * 200
    assert (res.pixels[blotch.astype(bool)] == 128).all()


def test_an_automatic_strength_does_not_depend_on_what_ran_before() -> None:
    """A network's last bits differ between a process's first run and later
    ones (0.0699907 against 0.0699951 seen): the same image gets the same
    strength, and the same pixels, either way."""
    from restore_app.models.classical import NonLocalMeans

    class Drifting(NonLocalMeans):
        seen = iter((0.0699907, 0.0699951))

        def estimate_strength(self, image, options=None):
            return next(self.seen)

    img = np.random.default_rng(2).integers(0, 256, (64, 64, 3), np.uint8)
    drifting = Drifting()
    first = restore(img, task="denoise", restorer=drifting)
    later = restore(img, task="denoise", restorer=drifting)
    assert first.operation["params"] == later.operation["params"]
    assert np.array_equal(first.pixels, later.pixels)


def test_one_memory_fallback_for_restorers_and_detectors() -> None:
    """Halving the tile down to MIN_TILE, then the CPU: the same for both."""
    import torch

    from restore_app.models.device import MIN_TILE, with_memory_fallback

    tried = []

    def work(device: str, tile: int) -> str:
        tried.append((device, tile))
        if device != "cpu":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return "done"

    assert with_memory_fallback(work, "cuda", 1024) == ("done", "cpu", MIN_TILE)
    assert tried == [("cuda", 1024), ("cuda", 512), ("cuda", 256), ("cuda", 128),
                     ("cpu", 128)]  # fmt: skip

    def broken(device: str, tile: int) -> str:
        raise ValueError("not a memory problem")

    with pytest.raises(ValueError):
        with_memory_fallback(broken, "cuda", 512)
