"""Faded colour brought back: one smooth, monotone tone curve per channel.

A colour print's three dye layers fade at different rates (in the dark the
cyan goes first and the print turns red; in light the magenta and yellow go),
a yellow-brown stain builds up and the blacks turn milky. Fading scales the
optical density ``D = -log10(reflectance)`` of each layer; stain adds
density; flare and a milky surface add light. The curve of channel ``c``
undoes exactly that, in linear light ``x``::

    t = clip((x - black_c) / (white_c - black_c), 0, 1)
    y = gain_c * t ** gamma_c

``black`` takes the veil off, ``white_c`` the stain, and ``gamma_c`` (a
density scale) gives a faded dye layer its depth back. A small network
(:mod:`restore_app.models.archs.color_curves`) reads a reduced copy of the
whole print and chooses the curves; they are applied at full resolution
through a table, so nothing is invented — no texture, halo or banding — and
the treatment record holds them exactly, for ``replay`` to apply again.

With ``keep_tone`` one contrast curve serves every channel and each keeps its
share of the light: a sepia or selenium print keeps its tone and only its
contrast comes back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import ModelError
from restore_app.core.estimate import strength_for
from restore_app.models.base import Restorer, RestorerInfo
from restore_app.models.card import ModelCard

#: Table size: every 16-bit value has its own entry (8-bit values land exactly).
LUT_SIZE = 65536
#: Share of pixels (per cent) above a channel's white level, for the tone.
HIGHLIGHT_PERCENT = 0.2


def to_linear(srgb: np.ndarray) -> np.ndarray:
    a = np.asarray(srgb, np.float64)
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    a = np.clip(np.asarray(linear, np.float64), 0.0, 1.0)
    return np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)


@dataclass(frozen=True)
class ToneCurves:
    """Per-channel curves in linear light (see the module's formula)."""

    black: tuple[float, ...]
    white: tuple[float, ...]
    gamma: tuple[float, ...]
    gain: tuple[float, ...]

    def as_params(self) -> dict[str, list[float]]:
        return {
            "black": list(self.black),
            "white": list(self.white),
            "gamma": list(self.gamma),
            "gain": list(self.gain),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ToneCurves:
        try:
            fields = [
                tuple(float(v) for v in params[k])
                for k in ("black", "white", "gamma", "gain")
            ]
        except (KeyError, TypeError, ValueError):
            raise ModelError("the colour curves are missing or malformed") from None
        if len({len(f) for f in fields}) != 1:
            raise ModelError("the colour curves disagree on the number of channels")
        return cls(*fields)

    def keeping_tone(self, image: np.ndarray) -> ToneCurves:
        """One contrast curve for every channel of ``image`` (float32
        ``(h, w, C)``), each channel keeping its share of the light (its tone)."""
        lin = to_linear(image).reshape(-1, image.shape[2])
        highs = np.percentile(lin, 100 - HIGHLIGHT_PERCENT, axis=0)
        top = max(float(highs.max()), 1e-3)
        tone = [max(float(h) / top, 1e-3) for h in highs]
        black = float(np.mean(self.black))
        white = float(np.mean(self.white))
        gamma = float(np.mean(self.gamma))
        n = image.shape[2]
        return ToneCurves(
            tuple(black * t for t in tone),
            tuple(max(white, black + 1e-3) * t for t in tone),
            (gamma,) * n,
            tuple(tone) if n > 1 else (1.0,),
        )

    def table(self) -> np.ndarray:
        """float32 ``(C, LUT_SIZE)``: each channel's curve at ``i / 65535`` (sRGB)."""
        x = to_linear(np.arange(LUT_SIZE) / (LUT_SIZE - 1.0))
        rows = []
        for black, white, gamma, gain in zip(
            self.black, self.white, self.gamma, self.gain, strict=True
        ):
            t = np.clip((x - black) / max(white - black, 1e-6), 0.0, 1.0)
            rows.append(to_srgb(gain * t**gamma))
        return np.asarray(rows, np.float32)

    def apply(self, image: np.ndarray, table: np.ndarray | None = None) -> np.ndarray:
        """``image`` (float32 ``(H, W, C)``, [0, 1]) through the curves."""
        table = self.table() if table is None else table
        if table.shape[0] != image.shape[2]:
            raise ModelError(
                f"colour curves for {table.shape[0]} channels, image has "
                f"{image.shape[2]}"
            )
        index = np.rint(np.clip(image, 0.0, 1.0) * (LUT_SIZE - 1)).astype(np.int32)
        out = np.empty(image.shape, np.float32)
        for c in range(image.shape[2]):
            out[..., c] = table[c][index[..., c]]
        return out


def change_of(image: np.ndarray, curves: ToneCurves) -> float:
    """Mean CIELAB colour difference (ΔE 1976) that ``curves`` make to
    ``image`` (float32 ``(h, w, C)``, [0, 1] sRGB)."""
    import cv2

    def lab(x: np.ndarray) -> np.ndarray:
        rgb = np.repeat(x, 3, axis=2) if x.shape[2] == 1 else x
        return cv2.cvtColor(np.ascontiguousarray(rgb, np.float32), cv2.COLOR_RGB2Lab)

    after = curves.apply(image.astype(np.float32))
    return float(np.linalg.norm(lab(after) - lab(image), axis=2).mean())


class CurvesColor(Restorer):
    """Colour and tone restoration by curves a network chooses for the whole print.

    The network is small and runs on the CPU wherever the app runs (its
    answer is then the same on every machine); the curves are applied tile by
    tile as a table.
    """

    reach = 0
    whole_image_analysis = True

    def __init__(self, info: RestorerInfo) -> None:
        self.info = info
        self.card: ModelCard = info.required_card()
        self._net: Any = None
        self._lock = threading.Lock()
        self._tables: dict[ToneCurves, np.ndarray] = {}

    def _network(self) -> Any:
        from restore_app.models.loading import build_network

        with self._lock:
            if self._net is None:
                self._net = build_network(
                    self.card.weights_path, self.card.architecture, self.card.config
                )
            return self._net

    def curves(self, image: np.ndarray, keep_tone: bool = False) -> ToneCurves:
        """The curves for ``image`` (float32 ``(h, w, C)``, [0, 1], the whole
        picture reduced)."""
        import cv2
        import torch

        from restore_app.models.archs.color_curves import SIDE, split

        rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]
        small = cv2.resize(
            np.ascontiguousarray(rgb, np.float32),
            (SIDE, SIDE),
            interpolation=cv2.INTER_AREA,
        )
        x = torch.from_numpy(small).permute(2, 0, 1)[None].contiguous()
        with torch.inference_mode():
            black, white, gamma = (
                v[0].double().tolist() for v in split(self._network()(x))
            )
        n = image.shape[2]
        curves = ToneCurves((black[0],) * 3, tuple(white), tuple(gamma), (1.0,) * 3)
        if keep_tone or n == 1:
            return curves.keeping_tone(image)
        return curves

    def analyse(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        keep_tone = bool((options or {}).get("keep_tone", False))
        return {"curves": self.curves(image, keep_tone).as_params()}

    def estimate_strength(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> float:
        """How much of the curves to apply: by the card's ``change_strength``
        ramp, from how much they change ``image`` (mean CIELAB difference), so
        that the small corrections the network proposes for a photograph that
        is not faded are left out."""
        ramp = self.card.change_strength
        if ramp is None:
            return 1.0
        keep_tone = bool((options or {}).get("keep_tone", False))
        return strength_for(change_of(image, self.curves(image, keep_tone)), ramp)

    def table(self, params: dict[str, Any]) -> np.ndarray:
        curves = ToneCurves.from_params(params["curves"])
        table = self._tables.get(curves)
        if table is None:
            table = curves.table()
            self._tables = {curves: table}
        return table

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        curves = ToneCurves.from_params(params["curves"])
        return curves.apply(image, self.table(params))
