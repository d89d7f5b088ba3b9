"""The one interface every restorer implements, classical or learned."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import ModelError
from restore_app.core.tasks import Task
from restore_app.models.card import ModelCard


@dataclass(frozen=True)
class RestorerInfo:
    """What a person and the registry need to know about a restorer.

    ``score`` is the restorer's measured quality on its task (its blind PSNR on
    the project's held-out photos; a detector's F1), a reported figure: the
    default restorer of a task is stated, not chosen by it (see
    :func:`restore_app.models.registry.default_restorer_id`). ``None`` when it
    was never measured. ``card`` is a learned model's card.
    """

    id: str
    task: Task
    name: str
    kind: str  # "classical" | "learned"
    source: str = "built-in"  # "built-in" | "user"
    score: float | None = None
    weights_sha256: str | None = None
    description: str = ""
    card: ModelCard | None = None

    def required_card(self) -> ModelCard:
        """The card of a learned model (a ModelError, in one line, without)."""
        if self.card is None:
            raise ModelError(f"{self.id}: a learned model needs its model card")
        return self.card

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": str(self.task),
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "score": self.score,
            "weights_sha256": self.weights_sha256,
        }


class Method(ABC):
    """What restorers and detectors share: their listing, the context a
    result depends on, and a device to load onto."""

    info: RestorerInfo
    #: pixels of context a result depends on around each output pixel; the
    #: engine overlaps tiles by at least this much.
    reach: int = 16
    #: learned methods need a torch device; classical ones ignore it.
    uses_device: bool = False

    @property
    def id(self) -> str:
        return self.info.id

    def prepare(self, device: str) -> None:  # noqa: B027 - optional hook
        """Load weights onto ``device`` ("cpu", "cuda", "mps"); cheap if done."""


class Restorer(Method):
    """A restoration method over float images.

    Image contract for every method: ``float32`` array of shape ``(H, W, C)``,
    C = 1 (gray) or 3 (RGB, in that order), values in ``[0, 1]``; masks are
    ``bool`` arrays of shape ``(H, W)``, True where a pixel is to be restored.
    The engine (:mod:`restore_app.models.engine`) converts native dtypes, tiles,
    crops, blends and applies protect masks; restorers only see float tiles.
    """

    #: a fill that continues the surrounding grain (:meth:`finish_fill`)
    grain: bool = False

    @property
    def task(self) -> Task:
        return self.info.task

    #: the engine measures :meth:`analyse` on a reduced copy of the whole image
    #: (a global correction such as colour) rather than a full-resolution
    #: centre crop (noise and blur, which a reduced copy would hide).
    whole_image_analysis: bool = False

    def analyse(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Parameters measured once on the image (float32 ``(H, W, C)``, [0, 1]).

        The engine passes them to every tile, so that tiles of one image are
        treated alike (a per-tile noise estimate would vary across the image).
        ``options`` are the task's own choices (``keep_tone`` for colour).
        """
        return {}

    def estimate_strength(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> float:
        """Strength in [0, 1] chosen from the degradation seen in ``image``."""
        return 1.0

    def table(self, params: dict[str, Any]) -> np.ndarray | None:
        """For a restorer whose output pixel depends on that pixel's value
        alone (a tone curve): float32 ``(C, 65536)``, the restored value of
        each channel at every 16-bit input value ``i / 65535``. The engine
        then looks 8- and 16-bit images up in it instead of tiling them.
        None (the default): the restorer works on neighbourhoods."""
        return None

    def finish_fill(
        self,
        filled: np.ndarray,
        image: np.ndarray,
        mask: np.ndarray,
        origin: tuple[int, int],
    ) -> np.ndarray:
        """A fill's last step, on the crop it filled (float32 ``(H, W, C)``)
        with the crop's surroundings ``image``, its ``mask`` and its top-left
        corner ``origin`` in the whole image: with :attr:`grain`, the
        surroundings' grain continued into the fill, drawn by position (tiling
        gives the same); ``filled`` as it is otherwise."""
        if not self.grain:
            return filled
        from restore_app.core.grain import continue_grain

        return continue_grain(filled, image, mask, origin)

    @abstractmethod
    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Restore one tile or crop; ``(H, W, C)`` float32 [0, 1] in and out.

        For inpainting ``mask`` is the region to fill inside this crop; for
        denoise and deblur it is None (the engine limits the effect to a mask).
        ``params`` holds at least ``strength`` (float in [0, 1]).
        """


#: The kinds a detector finds unless its card says otherwise, in class order.
DETECTED_KINDS = ("scratch", "dust", "crack", "loss")


class Detector(Method):
    """Scores each pixel of an image for every damage class.

    Image contract: float32 ``(H, W, C)``, C = 1 (gray) or 3 (RGB), in [0, 1].
    """

    #: pixels of context a score depends on; tiles overlap by at least this
    reach: int = 32
    #: whether it scores tiles (bounded memory) or needs the whole image
    tiled: bool = True
    #: the probability threshold chosen on the validation photos: what the
    #: default sensitivity (0.5) flags
    midpoint: float = 0.5
    #: pixels the proposal reaches past the threshold (see DamageProposal.grown)
    margin: int = 0

    #: the damage kinds it finds, in the order of its classes 1, 2, …
    kinds: tuple[str, ...] = DETECTED_KINDS

    @property
    def classes(self) -> int:
        return len(self.kinds) + 1

    @abstractmethod
    def scores(self, image: np.ndarray) -> np.ndarray:
        """float32 ``(H, W, classes)`` probabilities: "no damage", then each of
        :attr:`kinds` (summing to 1 per pixel)."""
