"""The colour restorer on photographs it never saw: a faded print comes back,
a photograph that is not faded stays as it is, and the curves it chose are the
record that replays it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from restore_app.models.color import ToneCurves, to_linear, to_srgb
from restore_app.models.engine import restore
from restore_app.training.fading import fade

DATA = Path(__file__).resolve().parents[1] / "data"
#: A fixed dark-storage fading (cyan lost, yellow stain, a little flare): not
#: one of the benchmark's seeded draws.
FADED = {"keep": [0.55, 0.92, 0.8], "stain": [0.02, 0.06, 0.16], "flare": 0.03,
         "jpeg": None}  # fmt: skip


def _photo(name: str) -> np.ndarray:
    bgr = cv2.imread(str(DATA / f"heldout_{name}.png"), cv2.IMREAD_COLOR)
    return bgr[..., ::-1].astype(np.float32) / 255.0


def _u8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())


def _color(pixels: np.ndarray, **kw):
    return restore(pixels, task="color", **kw)


def _gray_world(img: np.ndarray) -> np.ndarray:
    means = img.reshape(-1, 3).mean(axis=0)
    return np.clip(img * (means.mean() / means), 0, 1)


@pytest.mark.parametrize("name", ["coldripple", "twowings"])
def test_a_faded_print_comes_back_closer_than_gray_world(name) -> None:
    clean = _photo(name)
    faded = fade(clean, FADED)
    result = _color(_u8(faded))
    out = result.pixels.astype(np.float32) / 255.0
    before = _delta_e(faded, clean)
    assert _delta_e(out, clean) < 0.6 * before
    assert _delta_e(out, clean) < _delta_e(_gray_world(faded), clean)
    assert result.operation["params"]["strength"] == 1.0


@pytest.mark.parametrize("name", ["coldripple", "twowings"])
def test_a_photograph_that_is_not_faded_stays_as_it_is(name) -> None:
    clean = _photo(name)
    out = _color(_u8(clean)).pixels.astype(np.float32) / 255.0
    assert _delta_e(out, clean) < 1.5


def test_the_curves_are_monotone_and_replay_bit_for_bit() -> None:
    faded = _u8(fade(_photo("coldripple"), FADED))
    result = _color(faded)
    curves = ToneCurves.from_params(result.operation["params"]["curves"])
    table = curves.table()
    assert table.shape == (3, 65536)
    assert (np.diff(table, axis=1) >= 0).all()
    # Applied again from the record on a different-looking image: the
    # recorded curves are used as they are, not chosen again.
    again = _color(faded, recorded=result.operation["params"])
    assert np.array_equal(again.pixels, result.pixels)
    other = _u8(_photo("twowings"))
    replayed = _color(other, recorded=result.operation["params"])
    chosen = _color(other)
    assert not np.array_equal(replayed.pixels, chosen.pixels)


def test_sixteen_bits_stay_sixteen_bits_and_strength_scales_the_change() -> None:
    faded = fade(_photo("twowings"), FADED)
    u16 = np.clip(np.rint(faded * 65535), 0, 65535).astype(np.uint16)
    u16 = cv2.GaussianBlur(u16, (5, 5), 0)  # values between the 8-bit steps
    full = _color(u16)
    assert full.pixels.dtype == np.uint16
    assert len(np.unique(full.pixels[..., 1])) > 256
    half = _color(u16, strength=0.5)
    none = _color(u16, strength=0.0)
    assert np.array_equal(none.pixels, u16)
    d_full = np.abs(full.pixels.astype(float) - u16).mean()
    d_half = np.abs(half.pixels.astype(float) - u16).mean()
    assert 0.4 * d_full < d_half < 0.6 * d_full


def test_protected_pixels_keep_their_bits() -> None:
    faded = _u8(fade(_photo("coldripple"), FADED))
    protect = np.zeros(faded.shape[:2], bool)
    protect[40:90, 30:120] = True
    out = _color(faded, protect=protect).pixels
    assert np.array_equal(out[protect], faded[protect])
    assert not np.array_equal(out[~protect], faded[~protect])


def _sepia_print() -> tuple[np.ndarray, np.ndarray]:
    """(a yellowed, low-contrast black-and-white print, its neutral original)."""
    lin = to_linear(_photo("coldripple")) @ np.array([0.2126, 0.7152, 0.0722])
    density = -np.log10(np.maximum(lin, 1e-3))
    faded = density[..., None] * 0.7 + np.array([0.02, 0.08, 0.22])
    gray = to_srgb(np.repeat(lin[..., None], 3, axis=2)).astype(np.float32)
    return to_srgb(0.04 + 0.96 * 10.0**-faded).astype(np.float32), gray


def _chroma(img: np.ndarray) -> float:
    lab = rgb2lab(img)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def test_a_yellowed_monochrome_print_is_neutralised_or_keeps_its_tone() -> None:
    sepia, gray = _sepia_print()
    neutral = _color(_u8(sepia)).pixels.astype(np.float32) / 255.0
    assert _chroma(neutral) < 0.5 * _chroma(sepia)
    assert _delta_e(neutral, gray) < _delta_e(sepia, gray)
    toned = _color(_u8(sepia), options={"keep_tone": True})
    kept = toned.pixels.astype(np.float32) / 255.0
    assert toned.operation["params"]["keep_tone"] is True
    assert _chroma(kept) > 0.7 * _chroma(sepia)
    # Contrast restored: the tone's spread of lightness grows.
    assert rgb2lab(kept)[..., 0].std() > 1.1 * rgb2lab(sepia)[..., 0].std()


def test_a_gray_image_gets_one_contrast_curve() -> None:
    sepia, _ = _sepia_print()
    gray = _u8(sepia.mean(axis=2, keepdims=True))
    result = _color(gray, strength=1.0)
    curves = result.operation["params"]["curves"]
    assert all(len(v) == 1 for v in curves.values())
    assert result.pixels.shape == gray.shape
    assert result.pixels.std() > gray.std()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_table_look_up_gives_the_tiled_pixels(dtype) -> None:
    """8- and 16-bit images go through the curves as a table lookup, one
    pass over the image; it gives exactly what the tiled path gives."""
    from restore_app.models.engine import _filter, _look_up, _Run
    from restore_app.models.registry import get_restorer

    faded = fade(_photo("twowings"), FADED)
    top = np.iinfo(dtype).max
    pixels = np.clip(np.rint(faded * top), 0, top).astype(dtype)
    protect = np.zeros(pixels.shape[:2], bool)
    protect[:50, :70] = True
    restorer = get_restorer("color.curves")
    params = {**restorer.analyse(faded), "strength": 0.7}
    runs = [_Run(pixels, restorer, params, protect, None, None) for _ in range(2)]
    _look_up(runs[0], restorer.table(params), 0.7)
    _filter(runs[1], None, 64, 0.7)
    assert np.array_equal(runs[0].out, runs[1].out)
    assert not np.array_equal(runs[0].out, pixels)
