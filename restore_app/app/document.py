"""One open image: its pixels, working mask, repaired-region record and undo stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from restore_app.app.commands import (
    DeltaCommand,
    MaskEdit,
)
from restore_app.app.review import ProposalReview
from restore_app.app.undo import UndoStack
from restore_app.core import dates
from restore_app.core.damage import DAMAGE_KINDS, kind, layer_kind
from restore_app.core.doubt import RegionReview
from restore_app.core.history import (
    TILE,
    OriginalTiles,
    TileDelta,
    TileRecorder,
    changed_tiles,
    tile_box,
)
from restore_app.core.layers import BY_NAME, LAYERS, OTHER_PARTS
from restore_app.core.pixels import Box
from restore_app.core.proposal import DamageProposal
from restore_app.core.sidecar_state import ImageSnapshot, ImageState, SavedImage

UNDO_LIMIT = 200


class Document(ProposalReview):
    """An image being worked on, with everything that is saved in its sidecar.

    ``pixels`` is the ImageDoc's (H, W, C) array, edited in place; ``mask`` is
    bool (H, W), True where a pixel is to be restored; ``repaired`` is bool
    (H, W), True where a fill already repaired the image (the damage record).
    """

    pixels_changed = Signal(object)  # Box | None
    mask_changed = Signal(object)
    repaired_changed = Signal(object)
    protect_changed = Signal(object)
    proposal_changed = Signal(object)  # Box | None
    #: a mask layer ("mask", "protect", "rejected", "damage:KIND") changed in a
    #: box (None: all)
    layer_edited = Signal(str, object)
    damage_changed = Signal(str, object)  # kind id, Box | None
    state_changed = Signal(object)  # the document

    def __init__(self, path: Path, image: Any) -> None:
        self.path = Path(path)
        self.image = image  # core.image.ImageDoc
        if not image.pixels.flags.writeable:
            # Decoders may hand out read-only buffers; edits happen in place.
            image.pixels = image.pixels.copy()
        self.pixels: np.ndarray = image.pixels
        h, w = self.pixels.shape[:2]
        # The mask layers (core.layers), bool (H, W) each: the working mask,
        # the repaired regions, the protected original, the proposal's
        # rejected pixels, and the damage map's kinds once first marked.
        self.layers: dict[str, np.ndarray] = {
            layer.name: np.zeros((h, w), dtype=layer.dtype)
            for layer in LAYERS
            if not layer.on_demand
        }
        # A detector's proposal under review (None: none), and the sensitivity
        # and kinds chosen.
        self.proposal: DamageProposal | None = None
        self.review: dict[str, Any] = {}
        # The masks operations used: id -> (x0, y0, bool crop), for exports.
        self.op_masks: dict[str, tuple[int, int, np.ndarray]] = {}
        self.originals = OriginalTiles(self.pixels.shape, self.pixels.dtype)
        self.undo_stack = UndoStack(UNDO_LIMIT)
        self.settings: dict[str, Any] = {}
        self.operations: list[dict[str, Any]] = []
        self.exports: list[str] = []
        self.status = "untouched"
        self.unexported = False
        # Digests of the changed tiles as last exported (None: never exported).
        self._exported: dict | None = None
        # What changed since the last sidecar save.
        self.dirty: set[str] = set()
        # The review's split into accepted and doubtful regions, with the
        # revision of what it depends on (see _split).
        self.revision_of_review = 0
        self._split_cache: tuple[Any, RegionReview] | None = None
        #: how often each 64² tile of the pixels was written: a job notes them
        #: when it starts, and its result lands only where nothing it read or
        #: writes has changed since (see app.jobs)
        self.pixel_tiles = np.zeros(
            (-(-self.height // TILE), -(-self.width // TILE)), np.uint32
        )
        self.view_state: dict[str, float] | None = None
        self.last_command: DeltaCommand | None = None  # Python side of the top step
        # The absolute number of the first step in the undo stack (steps are
        # numbered for the life of the image), and whether older ones were let go.
        self.history_base = 0
        self.history_dropped = False
        #: the history is being rebuilt from the sidecar: nothing new to log
        self.restoring = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def mask(self) -> np.ndarray:
        """The working mask: True where a pixel is to be restored."""
        return self.layers["mask"]

    @property
    def repaired(self) -> np.ndarray:
        """The damage record: True where a fill already repaired the image."""
        return self.layers["repaired"]

    @property
    def protect(self) -> np.ndarray:
        """ "Original — do not repair": no tool changes these pixels."""
        return self.layers["protect"]

    @property
    def rejected(self) -> np.ndarray:
        """The proposed pixels the person erased in review."""
        return self.layers["rejected"]

    @property
    def damage(self) -> dict[str, np.ndarray]:
        """The damage map's layers marked so far, by kind id; documents the
        damage whether or not it is repaired."""
        return {
            kid: layer
            for name, layer in self.layers.items()
            if (kid := layer_kind(name)) is not None
        }

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def array(self, name: str) -> np.ndarray:
        """An edited array by name ("pixels" or a layer of core.layers); a
        damage-map layer is made (empty) the first time it is asked for."""
        if name == "pixels":
            return self.pixels
        layer = self.layers.get(name)
        if layer is None:
            kid = layer_kind(name)
            if kid is not None:
                kind(kid)  # an unknown kind is an error, not a new layer
            if not BY_NAME[name].on_demand:
                raise KeyError(name)
            layer = self.layers[name] = np.zeros(self.mask.shape, BY_NAME[name].dtype)
        return layer

    def damage_labels(self) -> np.ndarray:
        """uint8 label image of the damage map (a later kind of the table wins
        where layers overlap; 0 where no kind is marked)."""
        labels = np.zeros(self.mask.shape, np.uint8)
        for k in DAMAGE_KINDS:
            layer = self.damage.get(k.id)
            if layer is not None:
                labels[layer] = k.label
        return labels

    def notify(self, name: str, box: Box | None) -> None:
        """Record that ``name`` changed in ``box`` and tell the views."""
        if name in ("proposal", "rejected", "pixels"):
            self.revision_of_review += 1
        if name == "pixels":
            self._count_pixel_write(box)
        self.dirty.add(name)
        if name in ("proposal", "rejected"):
            # A proposal is not an edit: the image is only "damage proposed".
            if self.status == "untouched":
                self.status = "proposed"
                self.dirty.add("state")
        elif name != "state" and self.status not in ("edited",):
            self.status = "edited"
            self.dirty.add("state")
        layer = BY_NAME.get(name)
        if layer is not None:
            if layer.journaled:
                self.layer_edited.emit(name, box)
            if layer.signal == "damage_changed":
                self.damage_changed.emit(layer_kind(name), box)
            else:
                getattr(self, layer.signal).emit(box)
        elif name == "proposal":
            self.proposal_changed.emit(box)
        elif name == "pixels":
            self.unexported = True
            self.pixels_changed.emit(box)
        self.state_changed.emit(self)

    def keep_settings(self, settings: dict[str, Any]) -> None:
        """Remember the tool settings the image was last worked with (saved
        with its work; not an edit)."""
        if self.settings != {**self.settings, **settings}:
            self.settings.update(settings)
            self.notify("state", None)

    def _count_pixel_write(self, box: Box | None) -> None:
        if box is None:
            self.pixel_tiles += 1
            return
        x0, y0, x1, y1 = box
        self.pixel_tiles[y0 // TILE : -(-y1 // TILE), x0 // TILE : -(-x1 // TILE)] += 1

    def pixels_changed_since(self, tiles: np.ndarray) -> np.ndarray:
        """Bool per 64² tile: written since ``tiles`` (an earlier copy of
        :attr:`pixel_tiles`)."""
        return self.pixel_tiles != tiles

    # -- edits ------------------------------------------------------------------------

    def keep_op_mask(self, origin: tuple[int, int], crop: np.ndarray) -> str:
        """Keep the mask (bool crop at ``origin``) an operation used; its id."""
        mask_id = str(len(self.op_masks) + 1)
        while mask_id in self.op_masks:
            mask_id = str(int(mask_id) + 1)
        self.op_masks[mask_id] = (int(origin[0]), int(origin[1]), crop.copy())
        self.dirty.add("op_masks")
        return mask_id

    def begin_mask_edit(self, layer: str = "mask") -> MaskEdit:
        return MaskEdit(self, layer)

    def commit_mask_edit(self, edit: MaskEdit, text: str) -> DeltaCommand | None:
        """Push the recorded mask edit (already made) as one undo step."""
        parts = edit.finish()
        if not parts:
            return None
        cmd = DeltaCommand(self, text, parts)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        for name, delta in parts:
            self.notify(name, delta.bounds())
        return cmd

    def _mask_parts(
        self, new_mask: np.ndarray, layer: str = "mask"
    ) -> list[tuple[str, TileDelta]]:
        target = self.array(layer)
        rec = TileRecorder(target)
        for ty, tx in changed_tiles(target, new_mask):
            x0, y0, x1, y1 = tile_box(target.shape, ty, tx)
            rec.touch(x0, y0, x1, y1)
            target[y0:y1, x0:x1] = new_mask[y0:y1, x0:x1]
        delta = rec.finish()
        return [(layer, delta)] if delta else []

    def set_mask(
        self, new_mask: np.ndarray, text: str, layer: str = "mask"
    ) -> DeltaCommand | None:
        """Replace a whole mask layer (bool (H, W)) as one undo step of changed
        tiles: the working mask, or the protect layer with ``layer="protect"``."""
        return self.set_layers({layer: new_mask}, text)

    def set_layers(
        self, changes: dict[str, np.ndarray], text: str
    ) -> DeltaCommand | None:
        """Replace whole mask layers (name -> bool (H, W)) as one undo step of
        changed tiles; None when nothing changed."""
        parts = []
        for layer, new_mask in changes.items():
            parts += self._mask_parts(new_mask, layer)
        if not parts:
            return None
        cmd = DeltaCommand(self, text, parts)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        for name, delta in parts:
            self.notify(name, delta.bounds())
        return cmd

    def apply_result(
        self,
        origin: tuple[int, int],
        result: np.ndarray,
        *,
        text: str,
        repaired: np.ndarray | None = None,
        clear_mask: bool = False,
        operation: dict[str, Any] | None = None,
    ) -> DeltaCommand | None:
        """Put a restored crop into the image as one undo step of changed tiles.

        ``result`` is (h, w, C) in the image's dtype, placed at ``origin``
        (x0, y0). ``repaired`` (bool (h, w), same crop) is added to the damage
        record; ``clear_mask`` empties the working mask in the same step.
        """
        x0, y0 = origin
        h, w = result.shape[:2]
        x1, y1 = x0 + w, y0 + h
        current = self.pixels[y0:y1, x0:x1]
        parts: list[tuple[str, TileDelta]] = []
        rec = TileRecorder(self.pixels)
        for ty, tx in changed_tiles(current, result):
            bx0, by0 = x0 + tx * TILE, y0 + ty * TILE
            bx1, by1 = min(x1, bx0 + TILE), min(y1, by0 + TILE)
            self.originals.preserve(self.pixels, bx0, by0, bx1, by1)
            rec.touch(bx0, by0, bx1, by1)
            self.pixels[by0:by1, bx0:bx1] = result[
                by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0
            ]
        delta = rec.finish()
        if delta:
            parts.append(("pixels", delta))
        if repaired is not None and repaired.any():
            rrec = TileRecorder(self.repaired)
            rrec.touch(x0, y0, x1, y1)
            self.repaired[y0:y1, x0:x1] |= repaired
            rdelta = rrec.finish()
            if rdelta:
                parts.append(("repaired", rdelta))
        if clear_mask and self.mask.any():
            mrec = TileRecorder(self.mask)
            ys, xs = (
                np.nonzero(self.mask.any(axis=1))[0],
                np.nonzero(self.mask.any(axis=0))[0],
            )
            mrec.touch(int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)
            self.mask[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1] = False
            parts.append(("mask", mrec.finish()))
        if not parts:
            return None
        if operation is not None:
            operation = {**operation, "time": dates.now()}
        cmd = DeltaCommand(self, text, parts, operation)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        for name, d in parts:
            self.notify(name, d.bounds())
        self.notify("state", None)
        return cmd

    def original_region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return self.originals.region(self.pixels, x0, y0, x1, y1)

    # -- sidecar ----------------------------------------------------------------------

    def restore_saved(self, saved: SavedImage) -> None:
        """Bring back what the sidecar held: mask, record, changed tiles, state."""
        self.op_masks = dict(saved.op_masks)
        for (ty, tx), tile in saved.tiles.items():
            x0, y0, x1, y1 = tile_box(self.pixels.shape, ty, tx)
            self.originals.preserve(self.pixels, x0, y0, x1, y1)
            self.pixels[y0:y1, x0:x1] = tile
        st = saved.state
        if saved.proposal is not None and st.proposal is not None:
            prob, kinds = saved.proposal
            meta = dict(st.proposal)
            self.proposal = DamageProposal(
                prob,
                kinds,
                float(meta.get("midpoint", 0.5)),
                dict(meta.get("operation", {})),
            )
            self.review = {
                "sensitivity": float(
                    meta.get("sensitivity", self.proposal.default_sensitivity)
                ),
                "kinds": list(meta.get("kinds", [k.id for k in DAMAGE_KINDS])),
                "kept": [list(p) for p in meta.get("kept", [])],
            }
        for name, saved_layer in saved.masks.items():
            if BY_NAME[name].with_proposal and self.proposal is None:
                continue  # the review it belonged to has ended
            self.array(name)[:] = saved_layer
        self.settings = dict(st.settings)
        self.operations = list(st.operations)
        self.exports = list(st.exports)
        self.status = st.status
        self.unexported = bool(saved.tiles) and st.status != "exported"
        self.dirty.clear()
        if saved.damaged:
            # What survived of a damaged entry is written again, whole.
            self.dirty |= set(self.layers) | set(OTHER_PARTS)
        if saved.journaled:
            # Edits replayed from the journal go into the mask files.
            self.dirty |= {n for n in self.layers if BY_NAME[n].journaled}
            self.dirty.add("state")
        if st.status == "exported":
            self._exported = self._changed_digest()

    def _changed_digest(self) -> dict:
        import hashlib

        out = {}
        for key in self.originals.changed(self.pixels):
            x0, y0, x1, y1 = tile_box(self.pixels.shape, *key)
            tile = np.ascontiguousarray(self.pixels[y0:y1, x0:x1])
            out[key] = hashlib.sha256(tile.tobytes()).digest()
        return out

    def mark_exported(self) -> None:
        """The pixels as they are now have been written out."""
        self.unexported = False
        self._exported = self._changed_digest()

    def has_unexported_changes(self) -> bool:
        """Whether the pixels differ from the last export, or from the scan when
        nothing was exported; an edit that was undone is no change."""
        if not self.unexported:
            return False
        changed = self._changed_digest()
        return changed != (self._exported or {})

    def rebuild_history(self, history) -> None:
        """Put the steps of an earlier session back on the undo stack, the
        image being as they left it: ``history.index`` of them applied."""
        if not history.steps:
            self.history_dropped = history.dropped
            return
        keep_ops, keep_dirty = list(self.operations), set(self.dirty)
        keep_status, keep_unexported = self.status, self.unexported
        self.restoring = True
        try:
            for step in history.steps:
                cmd = DeltaCommand(self, step.text, step.parts, step.operation)
                cmd.logged_number = step.number
                self.undo_stack.push(cmd)  # already applied: push does not redo it
            # Steps past the position are redo steps: their 'before' is now.
            self.undo_stack.set_index(history.index)
        finally:
            self.restoring = False
        self.operations, self.dirty = keep_ops, keep_dirty
        self.status, self.unexported = keep_status, keep_unexported
        self.history_base = history.steps[0].number
        self.history_dropped = history.dropped
        self.undo_stack.set_clean()

    def proposal_meta(self) -> dict[str, Any] | None:
        """What the sidecar keeps of the review besides its arrays."""
        if self.proposal is None:
            return None
        return {
            "operation": dict(self.proposal.operation),
            "midpoint": self.proposal.midpoint,
            **self.review,
        }

    def snapshot(self, stamp: tuple[int, int], whole: bool = False) -> ImageSnapshot:
        """Copies of what changed since the last save (``whole``: of all the
        work), for a background writer."""
        if whole:
            self.dirty |= set(self.layers) | set(OTHER_PARTS)
        size, mtime = stamp
        state = ImageState(
            name=self.name,
            source_size=size,
            source_mtime_ns=mtime,
            width=self.width,
            height=self.height,
            status=self.status,
            settings=dict(self.settings),
            operations=[dict(op) for op in self.operations],
            exports=list(self.exports),
            proposal=self.proposal_meta(),
        )
        snap = ImageSnapshot(state)
        if "proposal" in self.dirty:
            if self.proposal is not None:
                snap.proposal = (self.proposal.probability, self.proposal.kinds)
            self.dirty.add("rejected")  # a new review starts with none erased
        snap.masks = {
            name: layer.copy()
            for name, layer in self.layers.items()
            if name in self.dirty
        }
        if "op_masks" in self.dirty:
            snap.op_masks = dict(self.op_masks)
        if "pixels" in self.dirty:
            tiles = {}
            for key in self.originals.changed(self.pixels):
                x0, y0, x1, y1 = tile_box(self.pixels.shape, *key)
                tiles[key] = self.pixels[y0:y1, x0:x1].copy()
            snap.tiles = tiles
        self.dirty.clear()
        return snap
