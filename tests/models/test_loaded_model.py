"""A loaded model is called one way: spandrel's keep their descriptor, and the
built-in networks give the pixels they gave when each caller padded by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from spandrel import (
    ImageModelDescriptor,
    MaskedImageModelDescriptor,
    ModelLoader,
    SizeRequirements,
)

from restore_app.models.learned import follow_tone
from restore_app.models.loading import LoadedModel, load_network, pad_to
from restore_app.models.registry import get_restorer, list_restorers

CARDS = {i.id: i.card for i in list_restorers() if i.card is not None}


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]


def _by_hand(net: torch.nn.Module, multiple: int, x, m=None) -> torch.Tensor:
    """What LearnedRestorer did before LoadedModel: pad, call by task, crop."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    mode = "reflect" if ph < h and pw < w else "replicate"
    with torch.inference_mode():
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
        y = net(x) if m is None else net(x, F.pad(m, (0, pw, 0, ph), mode=mode))
        return y[..., :h, :w].float().clamp_(0, 1)


def test_a_spandrel_model_keeps_its_descriptor(tmp_path: Path) -> None:
    from spandrel.architectures.DRUNet import DRUNet

    torch.manual_seed(1)
    net = DRUNet(in_nc=4, out_nc=3, nc=[8, 16, 32, 64], nb=2)
    path = tmp_path / "drunet.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))

    loaded = load_network(path, "spandrel", None)
    desc = loaded.descriptor
    assert isinstance(desc, ImageModelDescriptor)
    assert desc.architecture.id == "DRUNet"
    assert loaded.module is desc.model and not loaded.module.training
    assert loaded.size is desc.size_requirements and loaded.size.multiple_of == 8
    assert loaded.supports_half == desc.supports_half
    assert not loaded.takes_mask
    x = _tensor(_image(21, 30))  # not a multiple of 8: padded, then cropped
    with torch.inference_mode():
        out = loaded(x)
    assert out.shape == x.shape
    # The descriptor runs it (DRUNet's call adds its noise-level channel).
    reference = ModelLoader().load_from_state_dict(net.state_dict()).eval()
    assert torch.equal(out, _by_hand(reference, 8, x))
    with pytest.raises(ValueError, match="takes no mask"):
        loaded(x, torch.zeros(1, 1, 21, 30))


class _Fill(torch.nn.Module):
    """A tiny inpainter: the masked pixels take the mean of the known ones."""

    def __init__(self) -> None:
        super().__init__()
        self.gain = torch.nn.Parameter(torch.ones(1))

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        known = (image * (1 - mask)).sum((2, 3), keepdim=True) / (1 - mask).sum()
        return image * (1 - mask) + self.gain * known * mask


def test_a_spandrel_inpainter_is_called_with_its_mask_through_its_descriptor():
    from spandrel.architectures.LaMa import LaMaArch

    net = _Fill()
    desc = MaskedImageModelDescriptor(
        net,
        net.state_dict(),
        architecture=LaMaArch(),
        purpose="Inpainting",
        tags=[],
        supports_half=False,
        supports_bfloat16=True,
        input_channels=3,
        output_channels=3,
        size_requirements=SizeRequirements(minimum=16, multiple_of=8),
    )
    loaded = LoadedModel.from_descriptor(desc)
    assert loaded.descriptor is desc and loaded.takes_mask
    assert not loaded.supports_half and loaded.size.minimum == 16
    x = _tensor(_image(12, 19))  # below the minimum side: padded up to 16 × 24
    m = torch.zeros(1, 1, 12, 19)
    m[..., 3:7, 5:11] = 1
    with torch.inference_mode():
        out = loaded(x, m)
        assert out.shape == x.shape
        assert torch.allclose(out, desc(x, m))
    with pytest.raises(ValueError, match="needs a mask"):
        loaded(x)


@pytest.mark.parametrize(("h", "w"), [(37, 53), (64, 64), (5, 7), (20, 3)])
def test_padding_is_the_size_requirements(h: int, w: int) -> None:
    x = _tensor(_image(h, w))
    padded = pad_to(x, SizeRequirements(multiple_of=16))
    assert padded.shape[-2] % 16 == 0 and padded.shape[-1] % 16 == 0
    assert torch.equal(padded[..., :h, :w], x)
    ph, pw = (-h) % 16, (-w) % 16
    mode = "reflect" if ph < h and pw < w else "replicate"
    assert torch.equal(padded, F.pad(x, (0, pw, 0, ph), mode=mode))


@pytest.mark.parametrize(("h", "w"), [(37, 53), (64, 48)])
def test_built_in_inpainting_gives_the_pixels_of_the_call_by_task(h, w) -> None:
    card = CARDS["inpaint.ffc"]
    loaded = load_network(card.weights_path, card.architecture, card.config)
    assert loaded.takes_mask and loaded.descriptor is None
    assert not loaded.supports_half and loaded.size.multiple_of == 8
    image = _image(h, w, 1)
    mask = np.zeros((h, w), bool)
    mask[h // 3 : h // 2, w // 4 : w // 2] = True
    x, m = _tensor(image), torch.from_numpy(mask.astype(np.float32))[None, None]
    before = _by_hand(loaded.module, 8, x, m)
    with torch.inference_mode():
        assert torch.equal(loaded(x, m).float().clamp_(0, 1), before)
    expected = follow_tone(before[0].numpy().transpose(1, 2, 0), image, mask)
    out = get_restorer("inpaint.ffc").process(image, mask, {"strength": 1.0})
    assert np.array_equal(out, expected)
    # Without a mask there is nothing to fill.
    assert get_restorer("inpaint.ffc").process(image, None, {}) is image


@pytest.mark.parametrize("restorer_id", ["denoise.nafnet", "deblur.nafnet"])
@pytest.mark.parametrize(("h", "w"), [(37, 53), (5, 7)])
def test_built_in_restorers_give_the_pixels_of_the_call_by_task(
    restorer_id: str, h: int, w: int
) -> None:
    card = CARDS[restorer_id]
    loaded = load_network(card.weights_path, card.architecture, card.config)
    assert not loaded.takes_mask and loaded.descriptor is None
    assert loaded.supports_half and loaded.size.multiple_of == 16
    image = _image(h, w, 2)
    before = _by_hand(loaded.module, 16, _tensor(image))
    out = get_restorer(restorer_id).process(image, None, {"strength": 1.0})
    assert np.array_equal(out, before[0].numpy().transpose(1, 2, 0))
    gray = get_restorer(restorer_id).process(image[..., :1], None, {})
    by_hand = _by_hand(loaded.module, 16, _tensor(np.repeat(image[..., :1], 3, 2)))
    assert np.array_equal(gray[..., 0], by_hand[0].numpy().mean(axis=0))


def test_the_built_in_detector_runs_channels_last_through_the_same_call() -> None:
    card = CARDS["detect.unet"]
    loaded = load_network(card.weights_path, card.architecture, card.config)
    assert not loaded.takes_mask and loaded.size.multiple_of == 8
    loaded.to("cpu", torch.float32, channels_last=True)
    x = _tensor(_image(29, 45, 3))
    with torch.inference_mode():
        logits = loaded(x)
        padded = F.pad(x, (0, 3, 0, 3), mode="reflect")
        by_hand = loaded.module(padded.contiguous(memory_format=torch.channels_last))
    assert logits.shape == (1, len(card.kinds or ()) + 1, 29, 45)
    assert torch.equal(logits, by_hand[..., :29, :45])
