"""DamageUNet: a small U-Net that labels each pixel with a damage kind or none.

Input ``(N, 3, H, W)`` float in [0, 1] (gray prints repeated to three
channels), H and W multiples of 8; output ``(N, K + 1, H, W)`` logits, class 0
"no damage", class k the damage kind with label k. Full resolution keeps only
two narrow convolutions, so a 24 MP scan runs on a laptop CPU; the context that
tells a scratch from a wire comes from the three coarser levels.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DamageUNet(nn.Module):
    def __init__(
        self, classes: int = 5, width: int = 16, depth: int = 3, in_channels: int = 3
    ) -> None:
        super().__init__()
        chans = [width * 2**i for i in range(depth + 1)]
        self.stem = _block(in_channels, chans[0])
        self.down = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(chans[i], chans[i + 1], 2, stride=2),
                _block(chans[i + 1], chans[i + 1]),
            )
            for i in range(depth)
        )
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2)
            for i in reversed(range(depth))
        )
        self.fuse = nn.ModuleList(
            _block(2 * chans[i], chans[i]) for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(chans[0], classes, 1)
        self.multiple = 2**depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Centred input: a print's overall tone says nothing about its damage.
        x = x - 0.5
        skips = [self.stem(x)]
        for d in self.down:
            skips.append(d(skips[-1]))
        y = skips.pop()
        for up, fuse in zip(self.up, self.fuse, strict=True):
            skip = skips.pop()
            y = up(y)
            if y.shape[-2:] != skip.shape[-2:]:
                y = F.interpolate(y, size=skip.shape[-2:], mode="nearest")
            y = fuse(torch.cat([y, skip], 1))
        return self.head(y)
