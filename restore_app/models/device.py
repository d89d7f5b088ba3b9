"""Choosing the torch device, and keeping one CPU core for the interface."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from restore_app.core.errors import ModelError
from restore_app.core.tasks import DEVICES

T = TypeVar("T")
#: The smallest tile the out-of-memory fallback tries before moving to the CPU.
MIN_TILE = 128

_threads_set = False


def _limit_cpu_threads() -> None:
    """Let torch use one core fewer than the machine has, so the UI keeps one."""
    global _threads_set
    if _threads_set:
        return
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    _threads_set = True


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU; a forced one must exist."""
    if device not in DEVICES:
        raise ModelError(
            f"unknown device '{device}' (choose from {', '.join(DEVICES)})"
        )
    import torch

    _limit_cpu_threads()
    cuda = torch.cuda.is_available()
    mps = (
        bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    )
    if device == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if device == "cuda" and not cuda:
        raise ModelError("--device cuda was asked for, but no CUDA GPU is available")
    if device == "mps" and not mps:
        raise ModelError("--device mps was asked for, but Apple MPS is not available")
    return device


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a GPU out-of-memory error from any torch backend."""
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX)."""
    import torch

    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((check and check()) or (amx and amx()))


def empty_device_cache(dev: str) -> None:
    """Hand what torch keeps cached on ``dev`` back to the device."""
    import torch

    if dev == "cuda":
        torch.cuda.empty_cache()
    elif dev == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def with_memory_fallback(
    work: Callable[[str, int], T], device: str, tile: int
) -> tuple[T, str, int]:
    """``work(device, tile)``; when the device runs out of memory its cache is
    emptied and the work tried again on tiles half the size, down to
    :data:`MIN_TILE`, then on the CPU. (result, device, tile) that worked."""
    while True:
        try:
            return work(device, tile), device, tile
        except Exception as exc:
            if device == "cpu" or not is_out_of_memory(exc):
                raise
            empty_device_cache(device)
            if tile // 2 >= MIN_TILE:
                tile //= 2
            else:
                device = "cpu"
