"""Network architectures of the built-in models.

NAFNet comes from spandrel, so the project's denoising and deblurring weights
also load in other tools that use spandrel; the inpainting network and the
damage detector and the colour restorer's curve network are our own.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def build(architecture: str, config: dict[str, Any]) -> nn.Module:
    """A freshly initialised network of ``architecture`` with ``config``."""
    if architecture == "NAFNet":
        from spandrel.architectures.NAFNet import NAFNet

        return NAFNet(**config)
    if architecture == "FFCInpaint":
        from restore_app.models.archs.ffc_inpaint import FFCInpaint

        return FFCInpaint(**config)
    if architecture == "DamageUNet":
        from restore_app.models.archs.damage_unet import DamageUNet

        return DamageUNet(**config)
    if architecture == "CurvesNet":
        from restore_app.models.archs.color_curves import CurvesNet

        return CurvesNet(**config)
    raise ValueError(f"unknown architecture {architecture}")


def size_multiple(architecture: str, config: dict[str, Any]) -> int:
    """Input sides must be multiples of this."""
    if architecture == "NAFNet":
        return 2 ** len(config.get("enc_blk_nums", []))
    if architecture == "DamageUNet":
        return 2 ** int(config.get("depth", 3))
    return 8


def takes_mask(architecture: str) -> bool:
    """Whether the network is called as ``net(image, mask)`` (inpainting)."""
    return architecture == "FFCInpaint"


def supports_half(architecture: str) -> bool:
    """Whether float16 keeps its output faithful (Fourier convolutions lose too
    much in it; the detector runs in bfloat16 instead)."""
    return architecture == "NAFNet"
