"""Classical restorers: no weights, no torch, available everywhere.

They are the floor every learned model is measured against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from restore_app.core.cancel import CancelToken
from restore_app.core.estimate import estimate_blur_sigma, estimate_noise_sigma
from restore_app.models.base import Detector, Restorer, RestorerInfo, Task

_U16 = 65535.0


def _channels(image: np.ndarray) -> list[np.ndarray]:
    return [np.ascontiguousarray(image[..., c]) for c in range(image.shape[2])]


def opencv_inpaint(
    image: np.ndarray, mask: np.ndarray, radius: float = 5, method: str = "ns"
) -> np.ndarray:
    """``image`` (float32 (H, W, C), [0, 1]) with ``mask`` (bool (H, W)) filled by
    OpenCV's Navier–Stokes (``"ns"``) or fast-marching (``"telea"``) inpainting.

    OpenCV inpaints 16-bit images one channel at a time; its float32 path
    returns values far out of range (seen with Telea in OpenCV 5.0), and 16
    bits keep every 8- and 16-bit input exact.
    """
    flag = cv2.INPAINT_NS if method == "ns" else cv2.INPAINT_TELEA
    m = mask.astype(np.uint8)
    u16 = np.clip(np.rint(image * _U16), 0, _U16).astype(np.uint16)
    out = [cv2.inpaint(ch, m, radius, flag) for ch in _channels(u16)]
    return np.stack(out, axis=2).astype(np.float32) / _U16


class OpenCVInpaint(Restorer):
    """Fast marching (Telea) or Navier–Stokes inpainting from OpenCV."""

    reach = 24

    def __init__(self, method: str, grain: bool = False) -> None:
        self._method = method
        self.grain = grain
        if method == "telea" and grain:
            self.info = RestorerInfo(
                id="inpaint.telea-grain",
                task=Task.INPAINT,
                name="Fast fill with grain (Telea)",
                kind="classical",
                description="OpenCV fast-marching inpainting, then the grain "
                "around the fill continued into it; the heal brush's fill.",
            )
        elif method == "telea":
            self.info = RestorerInfo(
                id="inpaint.telea",
                task=Task.INPAINT,
                name="Fast fill (Telea)",
                kind="classical",
                description="OpenCV fast-marching inpainting; instant on dust and "
                "hairlines, smears larger losses.",
            )
        elif method == "ns":
            self.info = RestorerInfo(
                id="inpaint.ns",
                task=Task.INPAINT,
                name="Fluid fill (Navier–Stokes)",
                kind="classical",
                description="OpenCV Navier–Stokes inpainting; continues edges "
                "into small losses.",
            )
        else:
            raise ValueError(method)

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Fill ``mask`` (bool (H, W), True = fill) in ``image`` (float32 (H, W, C))."""
        if mask is None or not mask.any():
            return image
        radius = float(params.get("radius", 5))
        return opencv_inpaint(image, mask, radius, self._method)


def exemplar_inpaint(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` (float32 (H, W, C), [0, 1]) with ``mask`` (bool (H, W)) rebuilt
    from shifted copies of the picture around it (OpenCV's shift-map fill,
    He and Sun 2012), in 8-bit CIELab as the method expects.

    Only masked pixels change; a mask with nothing around it to copy from is
    filled by fast marching instead.
    """
    if mask.all():
        return opencv_inpaint(image, mask, 5, "telea")
    u8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    rgb = np.repeat(u8, 3, axis=2) if u8.shape[2] == 1 else u8
    lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2Lab)
    filled = np.zeros_like(lab)
    known = (~mask).astype(np.uint8)
    cv2.xphoto.inpaint(lab, known, filled, cv2.xphoto.INPAINT_SHIFTMAP)
    out = cv2.cvtColor(filled, cv2.COLOR_Lab2RGB).astype(np.float32) / 255.0
    if image.shape[2] == 1:
        out = out.mean(axis=2, keepdims=True)
    result = image.copy()
    result[mask] = out[mask]
    return result


class ExemplarInpaint(Restorer):
    """Fills a loss with texture copied from around it, as exemplar-based fills
    (Content-Aware Fill, Resynthesizer) do."""

    reach = 32

    def __init__(self) -> None:
        self.info = RestorerInfo(
            id="inpaint.exemplar",
            task=Task.INPAINT,
            name="Texture fill (exemplar)",
            kind="classical",
            description="OpenCV's shift-map fill: rebuilds a loss from patches "
            "of the picture around it, so foliage, fabric, grass and paper keep "
            "their grain; it may repeat structure where none fits, as on faces.",
        )

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Fill ``mask`` (bool (H, W), True = fill) in ``image`` (float32 (H, W, C))."""
        if mask is None or not mask.any():
            return image
        return exemplar_inpaint(image, mask)


class NonLocalMeans(Restorer):
    """Non-local means whose filtering strength follows the estimated noise."""

    reach = 16

    def __init__(self) -> None:
        self.info = RestorerInfo(
            id="denoise.nlm",
            task=Task.DENOISE,
            name="Non-local means",
            kind="classical",
            description="OpenCV non-local means at 16 bits; strength from the "
            "noise level measured in the image.",
        )

    def analyse(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return {"sigma": estimate_noise_sigma(image)}

    def estimate_strength(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> float:
        sigma = estimate_noise_sigma(image) * 255.0
        return float(np.clip(sigma / 3.0, 0.0, 1.0))

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Denoise ``image`` (float32 ``(H, W, C)``, [0, 1], RGB or gray)."""
        sigma = params.get("sigma")
        if sigma is None:
            sigma = estimate_noise_sigma(image)
        sigma = float(sigma)
        if sigma <= 0:
            return image
        # OpenCV's 16-bit path (L1 patch distance) keeps full precision; h is in
        # the image's units. The factor was tuned on natural photographs for
        # gains at both light (σ=5) and heavy (σ=50) noise.
        h = max(sigma * _U16 * 1.25, 1.0)
        big = sigma * 255 > 30
        template, search = (7, 21) if not big else (9, 25)
        u16 = np.clip(np.rint(image * _U16), 0, _U16).astype(np.uint16)
        den = cv2.fastNlMeansDenoising(
            u16,
            h=[h] * image.shape[2],
            templateWindowSize=template,
            searchWindowSize=search,
            normType=cv2.NORM_L1,
        )
        if den.ndim == 2:
            den = den[..., None]
        return den.astype(np.float32) / _U16


def gaussian_psf(sigma: float) -> np.ndarray:
    """Normalised 2-D Gaussian point spread function (float64, odd side)."""
    radius = max(int(np.ceil(3 * sigma)), 1)
    ax = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-(ax**2) / (2 * max(sigma, 1e-3) ** 2))
    k = np.outer(g, g)
    return k / k.sum()


def wiener_deconvolve(image: np.ndarray, psf: np.ndarray, nsr: float) -> np.ndarray:
    """Wiener deconvolution of ``image`` (float32 ``(H, W, C)``, [0, 1]) by ``psf``.

    ``nsr`` is the noise-to-signal power ratio used as regularisation: larger
    values suppress noise amplification and ringing. The image is mirrored
    before the FFT so that its borders do not ring.
    """
    h, w, c = image.shape
    pad = psf.shape[0]
    ext = np.pad(image.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)), "reflect")
    eh, ew = ext.shape[:2]
    kernel = np.zeros((eh, ew))
    kh, kw = psf.shape
    kernel[:kh, :kw] = psf
    kernel = np.roll(kernel, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    otf = np.fft.rfft2(kernel)
    # Regularise more at high frequencies (a Laplacian prior) than low ones.
    fy = np.fft.fftfreq(eh)[:, None]
    fx = np.fft.rfftfreq(ew)[None, :]
    lap = (2 * np.pi) ** 2 * (fx**2 + fy**2)
    filt = np.conj(otf) / (np.abs(otf) ** 2 + nsr * (1.0 + 40.0 * lap**2))
    out = np.empty_like(ext)
    for ch in range(c):
        out[..., ch] = np.fft.irfft2(np.fft.rfft2(ext[..., ch]) * filt, s=(eh, ew))
    return np.clip(out[pad : pad + h, pad : pad + w], 0.0, 1.0).astype(np.float32)


def richardson_lucy(image: np.ndarray, psf: np.ndarray, iterations: int) -> np.ndarray:
    """Richardson–Lucy deconvolution of ``image`` (float32 ``(H, W, C)``, [0, 1])."""
    pad = psf.shape[0]
    ext = np.pad(image.astype(np.float32), ((pad, pad), (pad, pad), (0, 0)), "reflect")
    est = ext.copy()
    psf32 = psf.astype(np.float32)
    flipped = psf32[::-1, ::-1]
    for _ in range(iterations):
        conv = cv2.filter2D(est, -1, psf32, borderType=cv2.BORDER_REFLECT)
        if conv.ndim == 2:
            conv = conv[..., None]
        ratio = ext / np.maximum(conv, 1e-6)
        corr = cv2.filter2D(ratio, -1, flipped, borderType=cv2.BORDER_REFLECT)
        if corr.ndim == 2:
            corr = corr[..., None]
        est = est * corr
    h, w = image.shape[:2]
    return np.clip(est[pad : pad + h, pad : pad + w], 0.0, 1.0)


class WienerDeblur(Restorer):
    """Wiener deconvolution of a Gaussian blur whose width is estimated."""

    reach = 32

    def __init__(self) -> None:
        self.info = RestorerInfo(
            id="deblur.wiener",
            task=Task.DEBLUR,
            name="Wiener deconvolution",
            kind="classical",
            description="Deconvolves a Gaussian blur estimated from the image's "
            "spectrum, regularised against the measured noise.",
        )

    def analyse(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        noise = estimate_noise_sigma(image)
        return {"noise_sigma": noise, "blur_sigma": estimate_blur_sigma(image, noise)}

    def estimate_strength(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> float:
        return float(np.clip(estimate_blur_sigma(image) / 1.0, 0.0, 1.0))

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Deblur ``image`` (float32 ``(H, W, C)``, [0, 1], RGB or gray)."""
        noise = params.get("noise_sigma")
        if noise is None:
            noise = estimate_noise_sigma(image)
        sigma = params.get("blur_sigma")
        if sigma is None:
            sigma = estimate_blur_sigma(image, noise)
        if sigma < 0.3:
            return image
        nsr = max(float(noise) ** 2 / 0.01, 1e-4)
        return wiener_deconvolve(image, gaussian_psf(float(sigma)), nsr)


def classical_restorers() -> list[Restorer]:
    return [
        OpenCVInpaint("telea"),
        OpenCVInpaint("telea", grain=True),
        OpenCVInpaint("ns"),
        ExemplarInpaint(),
        NonLocalMeans(),
        WienerDeblur(),
    ]


# --- the classical detector ---------------------------------------------------

#: Top-hat thresholds (8-bit levels) the classical detector grades its lines by;
#: the probability of a pixel is the share of them its line passes.
_TOPHAT_LEVELS = (8, 11, 14, 18, 24, 32)


def _gray8(image: np.ndarray) -> np.ndarray:
    rgb = image.shape[2] == 3
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if rgb else image[..., 0]
    return np.clip(np.rint(g * 255), 0, 255).astype(np.uint8)


def _elongated(binary: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (np.maximum(w, h) >= 8) & (stats[:, cv2.CC_STAT_AREA] < 0.6 * w * h)
    keep[0] = False
    return keep[labels]


def _edge_losses(gray: np.ndarray) -> np.ndarray:
    """Large bright areas touching the border: paper showing where the print tore."""
    bright = (gray > 200).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    at_edge = (x == 0) | (y == 0)
    at_edge |= x + stats[:, cv2.CC_STAT_WIDTH] == gray.shape[1]
    at_edge |= y + stats[:, cv2.CC_STAT_HEIGHT] == gray.shape[0]
    loss = at_edge & (stats[:, cv2.CC_STAT_AREA] > 150)
    loss[0] = False
    return loss[labels]


class ClassicalDetector(Detector):
    """Light cracks and scratches by a morphological top-hat; edge losses by tone.

    Cracks and scratches in old prints show the light paper base: thin lines
    brighter than their surroundings, kept when they are elongated rather than
    spots. It needs the whole image, since a loss is told by touching the edge.
    """

    tiled = False
    kinds = ("crack", "loss")
    #: lines passing the top-hat levels up to 18: the best F1 on the validation
    #: half (``benchmarks/detect.py --tune-classical``)
    midpoint = 0.6

    def __init__(self) -> None:
        self.info = RestorerInfo(
            id="detect.tophat",
            task=Task.DETECT,
            name="Light line finder (classical)",
            kind="classical",
            description="Morphological top-hat: light cracks and scratches, and "
            "bright losses at the edge of the print. Finds no dark damage.",
        )

    def scores(self, image: np.ndarray) -> np.ndarray:
        gray = _gray8(image)
        tophat = gray.astype(np.int16) - cv2.medianBlur(gray, 7).astype(np.int16)
        light = gray > 100
        line = np.zeros(gray.shape, np.float32)
        for level in _TOPHAT_LEVELS:
            line += _elongated(((tophat > level) & light).astype(np.uint8))
        line /= len(_TOPHAT_LEVELS)
        line = cv2.dilate(line, np.ones((3, 3), np.uint8))
        loss = _edge_losses(gray).astype(np.float32)
        loss = cv2.dilate(loss, np.ones((3, 3), np.uint8))
        out = np.zeros((*gray.shape, self.classes), np.float32)
        out[..., 1 + self.kinds.index("crack")] = line * (1 - loss)
        out[..., 1 + self.kinds.index("loss")] = loss
        out[..., 0] = 1 - out[..., 1:].sum(-1)
        return out


def classical_detectors() -> list[Detector]:
    return [ClassicalDetector()]
