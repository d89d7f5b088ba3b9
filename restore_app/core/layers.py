"""The mask layers of an image's work, listed once.

Each layer is a bool (H, W) array of the document, a 1-bit PNG in the image's
sidecar folder, journaled as it is painted or not, and heard by the views
through one of the document's signals. The document, the sidecar, the
journal, autosave and export loop over :data:`LAYERS`: a new layer is one
line here.

Besides its layers a document saves three parts with storage of their own
(:data:`OTHER_PARTS`): its pixels (the changed 64² tiles), a damage proposal
under review (probability and kinds, 8-bit) and the masks its operations used
(crops); and its state (JSON).
"""

from __future__ import annotations

from dataclasses import dataclass

from restore_app.core.damage import DAMAGE_KINDS, layer_name


@dataclass(frozen=True)
class Layer:
    #: the document's name for it ("mask", "damage:crack")
    name: str
    #: its file in the image's sidecar folder
    file: str
    #: its one-byte code in the edit journal; None: not painted, not journaled
    journal_code: int | None
    #: the document's signal that tells the views it changed
    signal: str
    #: kept only while a damage proposal is under review
    with_proposal: bool = False
    #: made the first time it is painted (the damage map's kinds)
    on_demand: bool = False
    #: its name among the masks an export writes beside its result (None:
    #: not exported; an operation's own mask is written with the operation)
    exported: str | None = None
    #: what its pixels hold (every layer is a mask: True where it applies)
    dtype: str = "bool"

    @property
    def journaled(self) -> bool:
        return self.journal_code is not None


LAYERS: tuple[Layer, ...] = (
    Layer("mask", "mask.png", 1, "mask_changed"),
    Layer("repaired", "repaired.png", None, "repaired_changed"),
    Layer("protect", "protect.png", 2, "protect_changed", exported="protect"),
    Layer("rejected", "rejected.png", 3, "proposal_changed", with_proposal=True),
    *(
        Layer(
            layer_name(k.id),
            f"damage-{k.id}.png",
            16 + k.label,
            "damage_changed",
            on_demand=True,
            exported=f"damage-{k.id}",
        )
        for k in DAMAGE_KINDS
    ),
)
BY_NAME: dict[str, Layer] = {layer.name: layer for layer in LAYERS}
#: What else a document saves, each its own way.
OTHER_PARTS = ("pixels", "proposal", "op_masks", "state")
