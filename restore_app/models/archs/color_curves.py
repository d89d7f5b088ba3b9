"""A small network that reads a whole print and says how it faded.

It sees a reduced copy of the whole picture and answers with the parameters
of the per-channel tone curves of :mod:`restore_app.models.color` (the shared
black level, each channel's white level and density scale), so what it
decides is a global, monotone correction that cannot invent detail. It
starts from the identity: untrained, it changes nothing.

Array contract: ``forward(image)`` takes ``image`` (N, 3, SIDE, SIDE) float
sRGB in [0, 1] and returns (N, 7): ``black`` (N, 1), ``white`` (N, 3) and
``gamma`` (N, 3), in the order :func:`split` names them.
"""

from __future__ import annotations

import torch
from torch import nn

#: Side of the square copy of the picture the network reads.
SIDE = 96
#: Largest black level it may take off (linear light).
MAX_BLACK = 0.2
#: Density scale range: exp(±GAMMA_RANGE).
GAMMA_RANGE = 1.3


class CurvesNet(nn.Module):
    def __init__(self, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 6  # sRGB and optical density
        for out in (width, width, 2 * width, 2 * width, 4 * width):
            layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.GELU()]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Linear(2 * channels, 2 * width), nn.GELU(), nn.Linear(2 * width, 7)
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        density = -torch.log10(srgb_to_linear(image).clamp_min(1e-3)) / 3.0
        f = self.features(torch.cat([image, density], dim=1))
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        return self.head(pooled)


def split(raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The network's raw output as (black (N, 1), white (N, 3), gamma (N, 3));
    zeros give the identity curves."""
    black = MAX_BLACK * torch.sigmoid(raw[:, :1] - 6.0)
    white = black + (1.0 - black) * torch.sigmoid(raw[:, 1:4] + 6.0)
    gamma = torch.exp(GAMMA_RANGE * torch.tanh(raw[:, 4:7]))
    return black, white, gamma


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0.0, 1.0)
    return torch.where(
        x <= 0.0031308, x * 12.92, 1.055 * x.clamp_min(1e-8) ** (1 / 2.4) - 0.055
    )


def apply_curves(
    image: torch.Tensor, black: torch.Tensor, white: torch.Tensor, gamma: torch.Tensor
) -> torch.Tensor:
    """``image`` (N, 3, H, W) sRGB through the curves (as
    :class:`restore_app.models.color.ToneCurves` applies them), differentiably."""
    lin = srgb_to_linear(image)
    b = black[:, :, None, None]
    t = ((lin - b) / (white[:, :, None, None] - b)).clamp(1e-4, 1.0)
    return linear_to_srgb(t ** gamma[:, :, None, None])
