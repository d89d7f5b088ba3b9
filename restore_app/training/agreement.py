"""How closely a model's GPU output matches its CPU output, and how fast each runs.

``python -m restore_app.training agreement --models DIR --data PHOTOS``
runs every model card in DIR through the engine on the held-out photos, once
on the CPU in float32 and once on CUDA (float16 where the model allows), and
writes the differences into each card under ``cpu_gpu_agreement``.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


def measure(models: Path, data: Path, side: int = 512) -> dict[str, dict]:
    os.environ["RESTORE_MODELS_DIR"] = str(models)
    import torch

    from restore_app.models.engine import restore
    from restore_app.models.registry import get_restorer, list_restorers
    from restore_app.training.data import load_rgb, split_photos
    from restore_app.training.degrade import mask_bank

    _, val = split_photos(data)
    img = load_rgb(val[0])
    h, w = img.shape[:2]
    img = np.ascontiguousarray(
        img[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2]
    )
    mask = mask_bank(1, side, 3)[0].astype(bool)
    results: dict[str, dict] = {}
    for info in list_restorers():
        if info.kind != "learned":
            continue
        kwargs = {"task": info.task, "restorer_id": info.id, "strength": 1.0}
        if info.task == "inpaint":
            kwargs["mask"] = mask
            del kwargs["strength"]
        outs, times = {}, {}
        for dev in ("cpu", "cuda"):
            restore(img, device=dev, **kwargs)  # warm-up: load, move, first kernels
            if dev == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            outs[dev] = restore(img, device=dev, **kwargs).pixels.astype(np.float64)
            if dev == "cuda":
                torch.cuda.synchronize()
            times[dev] = time.perf_counter() - t
        diff = np.abs(outs["cpu"] - outs["cuda"])
        mse = float(np.mean(diff**2))
        restorer = get_restorer(info.id)
        results[info.id] = {
            "image": f"{val[0].name}, central {side}×{side} crop, 8-bit",
            "gpu": torch.cuda.get_device_name(0),
            "gpu_precision": "float16" if restorer._half else "float32",
            "max_abs_diff_8bit": float(diff.max()),
            "mean_abs_diff_8bit": float(diff.mean()),
            "psnr_cpu_vs_gpu_db": float(10 * np.log10(255**2 / max(mse, 1e-12))),
            "seconds_cpu": round(times["cpu"], 3),
            "seconds_gpu": round(times["cuda"], 4),
        }
    return results


def write_into_cards(models: Path, results: dict[str, dict]) -> None:
    from restore_app.models.registry import read_cards

    for card in read_cards(models):
        if card.id in results:
            replace(card, cpu_gpu_agreement=results[card.id]).write()
