"""A small inpainting network with fast Fourier convolutions, in the style of LaMa.

Fast Fourier convolutions (Chi et al. 2020) give every layer a receptive field
as large as the image, which is what lets LaMa continue textures and lines
across a wide hole. This one keeps LaMa's shape — strided encoder, a stack of
FFC residual blocks at 1/8 resolution, transposed-convolution decoder — at a
size that runs on a laptop CPU.

With ``prefill=True`` the hole is first filled by OpenCV's Navier–Stokes
inpainting (on the CPU), a skip joins the full-resolution features to the
decoder, and the network predicts a correction of that fill, starting from
zero. Diffusion is hard to beat on hairlines and dust, where the fill only has
to carry the neighbours' values and edges a few pixels; the network then adds
what diffusion cannot (texture, structure across wider losses) rather than
having to learn thin-line interpolation through a 1/8-resolution bottleneck.

Array contract: ``forward(image, mask)`` takes ``image`` (N, 3, H, W) float in
[0, 1], RGB, and ``mask`` (N, 1, H, W) float, 1 where pixels are missing; H and
W must be multiples of 8. It returns the completed image (N, 3, H, W), equal to
``image`` outside the mask.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn


class FourierUnit(nn.Module):
    """A 1×1 convolution in the frequency domain (always computed in float32)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels * 2, channels * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(channels * 2)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        h, w = x.shape[-2:]
        with torch.autocast(device_type=x.device.type, enabled=False):
            ff = torch.fft.rfft2(x.float(), norm="ortho")
            ff = torch.cat([ff.real, ff.imag], dim=1)
            ff = self.act(self.bn(self.conv(ff)))
            re, im = ff.chunk(2, dim=1)
            out = torch.fft.irfft2(torch.complex(re, im), s=(h, w), norm="ortho")
        return out.to(dtype)


class SpectralTransform(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        mid = cout // 2
        self.conv1 = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(True)
        )
        self.fu = FourierUnit(mid)
        self.conv2 = nn.Conv2d(mid, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(x + self.fu(x))


class FFC(nn.Module):
    """A convolution split into a local (3×3) and a global (spectral) branch."""

    def __init__(self, channels: int, ratio_global: float = 0.75) -> None:
        super().__init__()
        self.cg = int(channels * ratio_global)
        self.cl = channels - self.cg
        cl, cg = self.cl, self.cg

        def conv(a: int, b: int) -> nn.Conv2d:
            return nn.Conv2d(a, b, 3, padding=1, padding_mode="reflect", bias=False)

        self.l2l, self.l2g, self.g2l = conv(cl, cl), conv(cl, cg), conv(cg, cl)
        self.g2g = SpectralTransform(cg, cg)
        self.bn_l, self.bn_g = nn.BatchNorm2d(cl), nn.BatchNorm2d(cg)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xl, xg = x[:, : self.cl], x[:, self.cl :]
        out_l = self.act(self.bn_l(self.l2l(xl) + self.g2l(xg)))
        out_g = self.act(self.bn_g(self.l2g(xl) + self.g2g(xg)))
        return torch.cat([out_l, out_g], dim=1)


class FFCResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.ffc1 = FFC(channels)
        self.ffc2 = FFC(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.ffc2(self.ffc1(x))


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            cin, cout, k, stride, padding=k // 2, padding_mode="reflect", bias=False
        ),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class FFCInpaint(nn.Module):
    """LaMa-style generator: 3 strided convs, FFC residual blocks, 3 up-convs."""

    multiple = 8

    def __init__(
        self,
        ngf: int = 32,
        max_channels: int = 192,
        n_blocks: int = 6,
        prefill: bool = False,
    ):
        super().__init__()
        self.config = {
            "ngf": ngf,
            "max_channels": max_channels,
            "n_blocks": n_blocks,
            "prefill": prefill,
        }
        self.prefill = prefill
        chans = [min(ngf * 2**i, max_channels) for i in range(4)]
        self.head = _conv_bn(4, chans[0], 7)
        self.down = nn.Sequential(
            *[_conv_bn(chans[i], chans[i + 1], 3, 2) for i in range(3)]
        )
        self.blocks = nn.Sequential(*[FFCResBlock(chans[3]) for _ in range(n_blocks)])
        ups = []
        for i in range(3, 0, -1):
            ups += [
                nn.ConvTranspose2d(chans[i], chans[i - 1], 3, 2, 1, 1, bias=False),
                nn.BatchNorm2d(chans[i - 1]),
                nn.ReLU(inplace=True),
            ]
        self.up = nn.Sequential(*ups)
        self.tail = nn.Conv2d(chans[0], 3, 7, padding=3, padding_mode="reflect")
        if prefill:
            # The correction starts at zero: an untrained network returns the
            # Navier–Stokes fill. Weights carried over from another configuration
            # leave the tail as it is here.
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)
            self.fresh_on_warm_start = ("tail.",)

    @staticmethod
    def navier_stokes_fill(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``image`` with ``mask`` filled by OpenCV's Navier–Stokes inpainting, one
        sample per thread (OpenCV releases the GIL), on the image's device."""
        from restore_app.models.classical import opencv_inpaint

        imgs = image.detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
        masks = mask.detach()[:, 0].cpu().numpy() > 0.5

        def one(i: int) -> np.ndarray:
            return opencv_inpaint(imgs[i], masks[i], 5, "ns")

        n = imgs.shape[0]
        if n == 1:
            filled = [one(0)]
        else:
            with ThreadPoolExecutor(max_workers=min(n, 6)) as pool:
                filled = list(pool.map(one, range(n)))
        out = torch.from_numpy(np.stack(filled)).permute(0, 3, 1, 2)
        return out.to(image.device, image.dtype)

    def forward(
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        fill: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``fill``: the Navier–Stokes fill of ``image``, when the caller has it."""
        known = image * (1 - mask)
        if not self.prefill:
            x = self.head(torch.cat([known, mask], dim=1))
            x = self.up(self.blocks(self.down(x)))
            pred = torch.sigmoid(self.tail(x))
            return known + pred * mask
        if fill is None:
            fill = self.navier_stokes_fill(image, mask)
        start = known + fill * mask
        h = self.head(torch.cat([start, mask], dim=1))
        x = self.up(self.blocks(self.down(h))) + h
        pred = start + self.tail(x)
        return known + pred.clamp(0, 1) * mask
