"""Two ways to fade a colour photograph, for measuring the colour restorer.

Both act on optical density, where fading acts: a print's three dye layers
(cyan, magenta, yellow) absorb the red, green and blue light, and the density
``D = -log10(reflectance)`` of each layer is proportional to the dye left in it.

- the project's own model (``restore_app.training.fading``), which the
  colour restorer is trained on: each layer keeps a share of its dye, a
  yellow-brown stain adds density mostly in the blue, flare lifts the blacks,
  and the scan is 8-bit, with or without JPEG.
- :func:`fade_crosstalk`, never trained on, follows the density-space
  description of Gschwind and Frey (Electronic imaging, a tool for the
  reconstruction of faded color photographs, J. Imaging Sci. Technol. 38(6),
  1994): real dyes absorb outside
  their own band, so the measured (integral) densities are a 3×3 mix of the
  analytical dye amounts; fading scales the analytical amounts, and the base
  yellows (minimum density rises, most in the blue). The mix spreads one dye's
  loss over all three channels, which no per-channel model undoes exactly. Its
  parameters were set from that description before the restorer was built
  and are never tuned on.

Both take and return float32 sRGB ``(H, W, 3)`` in [0, 1].
"""

from __future__ import annotations

import numpy as np

from restore_app.models.color import to_linear
from restore_app.training import fading
from restore_app.training.fading import FLOOR, scan

#: Integral density per unit of analytical dye (rows: red, green, blue
#: channel; columns: cyan, magenta, yellow dye), typical of chromogenic
#: prints: magenta absorbs much blue, cyan some green.
CROSSTALK = np.array(
    [
        [1.00, 0.12, 0.03],
        [0.22, 1.00, 0.12],
        [0.08, 0.38, 1.00],
    ]
)


def crosstalk_params(rng: np.random.Generator) -> dict:
    """One seeded draw of the crosstalk model: dye amounts left after years of
    dark storage (cyan least stable) or display (magenta least stable), as
    the published fading curves of chromogenic papers show them."""
    if rng.random() < 0.5:
        keep = [rng.uniform(0.45, 0.8), rng.uniform(0.8, 0.97), rng.uniform(0.65, 0.9)]
    else:
        keep = [rng.uniform(0.75, 0.95), rng.uniform(0.5, 0.8), rng.uniform(0.6, 0.85)]
    return {
        "keep": [float(k) for k in keep],
        "dmin_rise": float(rng.uniform(0.02, 0.2)),
        "jpeg": int(rng.integers(75, 95)) if rng.random() < 0.5 else None,
    }


def fade_crosstalk(image: np.ndarray, params: dict) -> np.ndarray:
    lin = np.maximum(to_linear(image), FLOOR)
    integral = -np.log10(lin)
    analytical = integral @ np.linalg.inv(CROSSTALK).T
    analytical = np.maximum(analytical, 0.0) * np.asarray(params["keep"])
    faded = analytical @ CROSSTALK.T
    faded = faded + params["dmin_rise"] * np.array([0.1, 0.35, 1.0])
    return scan(10.0**-faded, params["jpeg"])


FADINGS = {
    "project": (fading.draw, fading.fade),
    "crosstalk": (crosstalk_params, fade_crosstalk),
}
