"""Loading network weights without ever running pickled code.

Accepted: safetensors; PyTorch checkpoints read with ``weights_only=True`` (a
restricted unpickler that only rebuilds tensors and plain containers); and
TorchScript archives (such as big-lama.pt), which hold code as TorchScript, not
pickled Python. Anything else is refused with a one-line message.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

from restore_app.core.errors import ModelError

SAFE_SUFFIXES = (".safetensors", ".pt", ".pth", ".ckpt", ".bin")


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith("constants.pkl") for n in names) and any(
        "/code/" in n for n in names
    )


def read_state_dict(path: Path) -> Any:
    """The tensors in ``path`` as a state dict, or a TorchScript module.

    Raises ModelError for a file that is missing, malformed, or would need
    arbitrary code to load (a pickle with custom classes).
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    suffix = path.suffix.lower()
    if suffix not in SAFE_SUFFIXES:
        raise ModelError(
            f"{path.name}: unsupported model file type '{suffix}' "
            f"(use {', '.join(SAFE_SUFFIXES)})"
        )
    try:
        if suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        if _is_torchscript(path):
            with warnings.catch_warnings():
                # torch deprecates TorchScript loudly; the one-line contract of
                # the command line would drown in it.
                warnings.simplefilter("ignore", FutureWarning)
                return torch.jit.load(str(path), map_location="cpu")
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - any loader failure is the file's fault
        reason = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        text = str(exc)
        if "GLOBAL" in text or "Unsupported global" in text:
            reason = (
                "it contains pickled code, which is never run (save it as safetensors)"
            )
        elif "weights_only" in text or "WeightsUnpickler" in text:
            reason = "not a PyTorch checkpoint, or a damaged one"
        raise ModelError(f"{path.name}: cannot be loaded safely: {reason}") from None
    return _unwrap(data)


def _unwrap(data: Any) -> Any:
    """Common checkpoint wrappers: {"state_dict": ...}, {"params_ema": ...}, ..."""
    if isinstance(data, dict):
        for key in ("params_ema", "params", "state_dict", "model", "generator"):
            inner = data.get(key)
            if isinstance(inner, dict) and inner:
                return inner
    return data


def load_network(
    path: Path, architecture: str, config: dict[str, Any] | None
) -> tuple[Any, int, bool]:
    """A network in eval mode, its input size multiple, and whether fp16 is safe.

    ``architecture`` is a built-in one (``"NAFNet"``, ``"FFCInpaint"``) with its
    ``config``, or ``"spandrel"`` to let spandrel detect it from the weights.
    """
    state = read_state_dict(path)
    if architecture == "spandrel":
        return _spandrel(path, state)
    from restore_app.models.archs import build, size_multiple

    if not isinstance(state, dict):
        raise ModelError(f"{path.name}: expected a state dict of {architecture}")
    try:
        net = build(architecture, config or {})
        net.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (RuntimeError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(
            f"{path.name}: weights do not fit {architecture}: {first}"
        ) from None
    net.eval()
    return net, size_multiple(architecture, config or {}), architecture == "NAFNet"


def _spandrel(path: Path, state: Any) -> tuple[Any, int, bool]:
    import torch

    if isinstance(state, torch.jit.ScriptModule):
        # TorchScript exports (big-lama.pt) are called as model(image, mask).
        state.eval()
        return state, 8, False
    from spandrel import ModelLoader, UnsupportedModelError

    try:
        desc = ModelLoader().load_from_state_dict(state)
    except UnsupportedModelError:
        raise ModelError(f"{path.name}: not an architecture spandrel knows") from None
    except Exception as exc:  # noqa: BLE001
        first = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise ModelError(f"{path.name}: weights could not be loaded: {first}") from None
    desc.eval()
    return desc, int(desc.size_requirements.multiple_of or 1), bool(desc.supports_half)
