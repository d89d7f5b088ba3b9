"""The project's model of a faded colour print, for training and measuring the
colour restorer.

It acts on optical density, where fading acts: a print's three dye layers
(cyan, magenta, yellow) absorb the red, green and blue light, and the density
``D = -log10(reflectance)`` of each layer is proportional to the dye left in
it. Each layer keeps a share of its dye (dark storage: cyan goes first and the
print turns red-magenta; light: magenta and yellow go and it turns cyan or
green); a yellow-brown stain adds density, most in the blue; veiling flare or
a milky surface lifts the blacks; the scan is 8-bit, with or without JPEG.
Black-and-white prints yellow (a tone added to their density) and lose
contrast. Deliberate casts (light of another colour) scale linear light
instead, and are not fading.

Images are float32 sRGB ``(H, W, 3)`` in [0, 1].
"""

from __future__ import annotations

import cv2
import numpy as np

from restore_app.models.color import to_linear, to_srgb

#: Darkest reflectance a print holds (density 3).
FLOOR = 1e-3


def scan(linear: np.ndarray, jpeg_quality: int | None) -> np.ndarray:
    """Linear reflectance to what an 8-bit scan (optionally JPEG) gives back."""
    u8 = np.clip(np.rint(to_srgb(linear) * 255), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        quality = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(u8[..., ::-1]), quality)
        assert ok
        u8 = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return u8.astype(np.float32) / 255.0


def draw(rng: np.random.Generator) -> dict:
    """One draw of the fading of a colour print."""
    if rng.random() < 0.6:  # dark storage: cyan first, then yellow
        keep = [rng.uniform(0.35, 0.8), rng.uniform(0.75, 1.0), rng.uniform(0.6, 0.95)]
        kind = "dark"
    else:  # light: magenta and yellow
        keep = [rng.uniform(0.8, 1.0), rng.uniform(0.4, 0.85), rng.uniform(0.4, 0.85)]
        kind = "light"
    stain = rng.uniform(0.0, 0.25) * np.array([0.15, 0.45, 1.0])
    return {
        "kind": kind,
        "keep": [float(k) for k in keep],
        "stain": [float(s) for s in stain],
        "flare": float(rng.uniform(0.0, 0.06)),
        "jpeg": int(rng.integers(70, 95)) if rng.random() < 0.5 else None,
    }


def fade(image: np.ndarray, params: dict) -> np.ndarray:
    """``image`` as the print would look after the fading ``params`` (:func:`draw`)."""
    lin = np.maximum(to_linear(image), FLOOR)
    density = -np.log10(lin)
    faded = density * np.asarray(params["keep"]) + np.asarray(params["stain"])
    flare = params["flare"]
    out = flare + (1.0 - flare) * 10.0**-faded
    return scan(out, params["jpeg"])


def yellowed_monochrome(
    image: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(yellowed print, its neutral original): a black-and-white print made
    from ``image``, then toned yellow-brown and faded in contrast."""
    lin = to_linear(image) @ np.array([0.2126, 0.7152, 0.0722])
    gray = np.repeat(np.maximum(lin, FLOOR)[..., None], 3, axis=2)
    density = -np.log10(gray)
    keep = rng.uniform(0.5, 0.9)
    tone = rng.uniform(0.05, 0.35) * np.array([0.1, 0.4, 1.0])
    faded = density * keep * np.array([1.0, 1.0, 1.0 + rng.uniform(0, 0.2)]) + tone
    flare = rng.uniform(0.0, 0.06)
    out = flare + (1 - flare) * 10.0**-faded
    jpeg = int(rng.integers(70, 95)) if rng.random() < 0.5 else None
    return scan(out, jpeg), to_srgb(gray).astype(np.float32)


def light_cast(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` under light of another colour (a warm or cool cast that is
    meant, and must be kept)."""
    warm = rng.random() < 0.6
    strength = rng.uniform(0.1, 0.6)
    gains = np.array([1.0, 1 - 0.5 * strength, 1 - strength])
    if not warm:
        gains = gains[::-1]
    lin = to_linear(image) * gains
    return to_srgb(lin / max(1.0, float(lin.max()))).astype(np.float32)
