"""Loading network weights without ever running pickled code.

Accepted: safetensors; PyTorch checkpoints read with ``weights_only=True`` (a
restricted unpickler that only rebuilds tensors and plain containers); and
TorchScript archives (such as big-lama.pt), which hold code as TorchScript, not
pickled Python. Anything else is refused with a one-line message. What loads is
a :class:`LoadedModel`: one way to call any of them.
"""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restore_app.core.errors import ModelError

if TYPE_CHECKING:
    import torch
    from spandrel import (
        ImageModelDescriptor,
        MaskedImageModelDescriptor,
        SizeRequirements,
    )
    from torch import Tensor

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


@dataclass
class LoadedModel:
    """A network ready to run, called one way whatever loaded it.

    ``descriptor`` is what spandrel made of weights it detected: its
    ``ImageModelDescriptor`` (``desc(image)``) or, for an inpainting model, its
    ``MaskedImageModelDescriptor`` (``desc(image, mask)``); it runs the model and
    states its size requirements and whether float16 is safe. Built-in
    architectures and TorchScript exports have none and run as ``module``.
    """

    #: the network (spandrel's ``desc.model`` for a spandrel model)
    module: Any
    #: the sides an input must have (``multiple_of``, ``minimum``, ``square``)
    size: SizeRequirements
    #: whether float16 keeps its output faithful
    supports_half: bool
    #: whether it is called with a mask of what to fill (inpainting)
    takes_mask: bool
    descriptor: ImageModelDescriptor | MaskedImageModelDescriptor | None = None
    #: inputs are laid out channels-last (set by :meth:`to`)
    channels_last: bool = False

    @classmethod
    def from_descriptor(
        cls, desc: ImageModelDescriptor | MaskedImageModelDescriptor
    ) -> LoadedModel:
        """A model spandrel loaded, run by its descriptor, as it states."""
        from spandrel import MaskedImageModelDescriptor

        return cls(
            module=desc.model,
            size=desc.size_requirements,
            supports_half=bool(desc.supports_half),
            takes_mask=isinstance(desc, MaskedImageModelDescriptor),
            descriptor=desc,
        )

    def to(
        self, device: str, dtype: torch.dtype, *, channels_last: bool = False
    ) -> None:
        """Move the weights to ``device`` as ``dtype``, optionally channels-last."""
        import torch

        if channels_last:
            self.module.to(device, dtype, memory_format=torch.channels_last)
        else:
            self.module.to(device, dtype)
        self.channels_last = channels_last

    def __call__(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        """The network's output for ``image`` ``(1, C, H, W)`` (and ``mask``
        ``(1, 1, H, W)``, 1 where to fill, for a model that takes one), of the
        image's size: inputs are padded to :attr:`size` and the output cropped."""
        import torch

        if (mask is not None) != self.takes_mask:
            needs = "needs a mask" if self.takes_mask else "takes no mask"
            raise ValueError(f"this model {needs}")
        h, w = image.shape[-2:]
        x = pad_to(image, self.size)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        run = self.descriptor if self.descriptor is not None else self.module
        y = run(x) if mask is None else run(x, pad_to(mask, self.size))
        return y[..., :h, :w]


def pad_to(x: Tensor, size: SizeRequirements) -> Tensor:
    """``x`` ``(N, C, H, W)`` padded at the right and bottom to meet ``size``.

    The picture is reflected, as it would go on; where either side is too short
    to reflect that far, both are replicated instead.
    """
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    pw, ph = size.get_padding(w, h)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def build_network(path: Path, architecture: str, config: dict[str, Any] | None):
    """The built-in ``architecture`` with ``config``, its weights read from
    ``path``, in eval mode (a torch module; spandrel is not needed)."""
    from restore_app.models import archs

    state = read_state_dict(path)
    if not isinstance(state, dict):
        raise ModelError(f"{path.name}: expected a state dict of {architecture}")
    try:
        net = archs.build(architecture, config or {})
        net.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (RuntimeError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(
            f"{path.name}: weights do not fit {architecture}: {first}"
        ) from None
    return net.eval()


def load_network(
    path: Path, architecture: str, config: dict[str, Any] | None
) -> LoadedModel:
    """The network in ``path``, in eval mode.

    ``architecture`` is a built-in one (``"NAFNet"``, ``"FFCInpaint"``,
    ``"DamageUNet"``) with its ``config``, or ``"spandrel"`` to let spandrel
    detect it from the weights (or a TorchScript inpainting export).
    """
    if architecture == "spandrel":
        return _spandrel(path, read_state_dict(path))
    from spandrel import SizeRequirements

    from restore_app.models import archs

    net = build_network(path, architecture, config)
    return LoadedModel(
        module=net,
        size=SizeRequirements(
            multiple_of=archs.size_multiple(architecture, config or {})
        ),
        supports_half=archs.supports_half(architecture),
        takes_mask=archs.takes_mask(architecture),
    )


def _spandrel(path: Path, state: Any) -> LoadedModel:
    import torch
    from spandrel import ModelLoader, SizeRequirements, UnsupportedModelError

    if isinstance(state, torch.jit.ScriptModule):
        # TorchScript exports (big-lama.pt) are inpainting models, called as
        # model(image, mask); LaMa's Fourier convolutions lose too much in fp16.
        state.eval()
        return LoadedModel(
            module=state,
            size=SizeRequirements(multiple_of=8),
            supports_half=False,
            takes_mask=True,
        )
    try:
        desc = ModelLoader().load_from_state_dict(state)
    except UnsupportedModelError:
        raise ModelError(f"{path.name}: not an architecture spandrel knows") from None
    except Exception as exc:  # noqa: BLE001
        first = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise ModelError(f"{path.name}: weights could not be loaded: {first}") from None
    return LoadedModel.from_descriptor(desc.eval())
