"""Reviewing a detector's damage proposal on a document: the sensitivity and
kinds chosen, regions dropped, doubtful regions kept, and accepting it into
the working mask or the damage map, each one undo step."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from restore_app.app.commands import AcceptProposal, DeltaCommand, KeepRegion
from restore_app.core.damage import DAMAGE_KINDS, layer_name
from restore_app.core.doubt import RegionReview, review_regions, with_kept
from restore_app.core.history import TileRecorder
from restore_app.core.masks import mask_bounds
from restore_app.core.proposal import DamageProposal, review_kinds


class ProposalReview:
    """The review part of :class:`restore_app.app.document.Document` (its
    proposal, review, rejected layer, undo stack and events)."""

    def begin_review(
        self, proposal: DamageProposal, review: dict[str, Any] | None = None
    ) -> None:
        """Show ``proposal`` for review; nothing is repaired until it is accepted."""
        if proposal.shape != self.mask.shape:
            raise ValueError("the proposal does not fit the image")
        self.proposal = proposal
        self.review = {
            "sensitivity": proposal.default_sensitivity,
            "kinds": [k.id for k in DAMAGE_KINDS],
            **(review or {}),
        }
        self.dirty.add("proposal")
        self.notify("proposal", None)
        self.notify("state", None)

    def propose(
        self, proposal: DamageProposal, keep_review: dict[str, Any] | None = None
    ) -> None:
        """Start reviewing a fresh detection (earlier erasures are forgotten,
        unless ``keep_review`` carries a review of the same image on)."""
        if keep_review is None:
            self.rejected[:] = False
            self.dirty.add("rejected")
        self.begin_review(proposal, keep_review)

    def end_review(self, clear_rejected: bool = True) -> None:
        """Drop the proposal (after accepting it, or to dismiss it)."""
        if self.proposal is None:
            return
        self.proposal = None
        self.review = {}
        if clear_rejected:
            self.rejected[:] = False
        self.dirty.add("rejected")
        self.notify("proposal", None)
        self.notify("state", None)

    def set_review(
        self, sensitivity: float | None = None, kinds: list[str] | None = None
    ) -> None:
        """Change the sensitivity or the kinds shown, without detecting again."""
        if self.proposal is None:
            return
        if sensitivity is not None:
            self.review["sensitivity"] = float(sensitivity)
        if kinds is not None:
            self.review["kinds"] = [k.id for k in review_kinds(kinds)]
        self.notify("proposal", None)
        self.notify("state", None)

    def proposed_labels(
        self, x0: int = 0, y0: int = 0, x1: int | None = None, y1: int | None = None
    ) -> np.ndarray:
        """uint8 labels of what the review would accept in a box (0 elsewhere)."""
        x1 = self.width if x1 is None else x1
        y1 = self.height if y1 is None else y1
        if self.proposal is None:
            return np.zeros((y1 - y0, x1 - x0), np.uint8)
        crop = DamageProposal(
            self.proposal.probability[y0:y1, x0:x1],
            self.proposal.kinds[y0:y1, x0:x1],
            self.proposal.midpoint,  # sensitivity 0.5 is the detector's own cut
        )
        kinds = review_kinds(self.review.get("kinds"))
        labels = crop.labels(self.review["sensitivity"], kinds)
        labels[self.rejected[y0:y1, x0:x1]] = 0
        return labels

    def _split(self) -> RegionReview:
        """The proposal under review split into what may be accepted and what
        is doubtful (:mod:`restore_app.core.doubt`), the kept regions among the
        accepted; computed once per change of the review."""
        review = self.review
        key = (self.revision_of_review, review.get("sensitivity"),
               tuple(review.get("kinds") or ()), str(review.get("kept")))  # fmt: skip
        if self._split_cache is not None and self._split_cache[0] == key:
            return self._split_cache[1]
        assert self.proposal is not None
        labels = self.proposed_labels()
        split = with_kept(
            review_regions(self.pixels, labels, self.proposal.operation.get("guards")),
            self.review.get("kept"),
        )
        self._split_cache = (key, split)
        return split

    def doubtful(
        self, x0: int = 0, y0: int = 0, x1: int | None = None, y1: int | None = None
    ) -> np.ndarray:
        """bool: the proposed regions left for the person to decide, in a box."""
        x1 = self.width if x1 is None else x1
        y1 = self.height if y1 is None else y1
        if self.proposal is None:
            return np.zeros((y1 - y0, x1 - x0), bool)
        return self._split().doubtful[y0:y1, x0:x1]

    def accepted_labels(self) -> np.ndarray:
        """uint8 labels of what Accept takes: the proposal without its doubtful
        regions (those the person kept are taken)."""
        if self.proposal is None:
            return np.zeros((self.height, self.width), np.uint8)
        labels = self.proposed_labels()
        labels[self._split().doubtful] = 0
        return labels

    def toggle_region(self, x: int, y: int, reach: int = 3) -> Any:
        """Drop the proposed region under (x, y) whole, or restore it if it was
        dropped; keep a doubtful one, or leave it again. One undo step; None
        where no proposed region is within ``reach`` pixels."""
        if self.proposal is None:
            return None
        crop = DamageProposal(
            self.proposal.probability, self.proposal.kinds, self.proposal.midpoint
        )
        every = crop.mask(self.review["sensitivity"],
                          review_kinds(self.review.get("kinds")))  # fmt: skip
        y0, y1 = max(0, y - reach), min(self.height, y + reach + 1)
        x0, x1 = max(0, x - reach), min(self.width, x + reach + 1)
        near = np.argwhere(every[y0:y1, x0:x1])
        if not len(near):
            return None
        d = (near[:, 0] + y0 - y) ** 2 + (near[:, 1] + x0 - x) ** 2
        py, px = (int(v) for v in near[int(d.argmin())] + (y0, x0))
        n, comp = cv2.connectedComponents(every.astype(np.uint8), connectivity=8)
        region = comp == comp[py, px]
        split = self._split()
        point = [px, py]
        kept = [p for p in self.review.get("kept", []) if region[p[1], p[0]]]
        if split.doubtful[py, px] or kept:
            cmd: Any = KeepRegion(self, kept[0] if kept else point, not kept)
        else:
            dropped = bool(self.rejected[py, px])
            new = self.rejected & ~region if dropped else self.rejected | region
            parts = self._mask_parts(new, "rejected")
            if not parts:
                return None
            text = "Restore a proposed region" if dropped else "Drop a proposed region"
            cmd = DeltaCommand(self, text, parts)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        return cmd

    def accept_into_damage_map(self) -> DeltaCommand | None:
        """Add the reviewed proposal to the damage map, each kind to its layer, as
        one undo step (the working mask is not touched)."""
        if self.proposal is None:
            return None
        labels = self.accepted_labels()
        parts = []
        for k in DAMAGE_KINDS:
            hit = labels == k.label
            if hit.any():
                name = layer_name(k.id)
                parts += self._mask_parts(self.array(name) | hit, name)
        if not parts:
            return None
        cmd = DeltaCommand(self, "Damage map from the proposal", parts)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        for name, delta in parts:
            self.notify(name, delta.bounds())
        return cmd

    def mask_from_damage_map(self, kinds: list[str]) -> DeltaCommand | None:
        """Add the damage-map layers of ``kinds`` to the working mask (one undo
        step): what a run will repair. The layers stay, as documentation."""
        union = self.mask.copy()
        for kid in kinds:
            layer = self.damage.get(kid)
            if layer is not None:
                union |= layer
        return self.set_mask(union, "Mask from the damage map")

    def accept_proposal(self) -> DeltaCommand | None:
        """Add the reviewed proposal to the working mask, as one undo step."""
        if self.proposal is None:
            return None
        parts = self._mask_parts(self.mask | (self.accepted_labels() > 0))
        # The review's erasures end with it (and come back on undo).
        rec = TileRecorder(self.rejected)
        box = mask_bounds(self.rejected)
        if box is not None:
            rec.touch(*box)
            self.rejected[:] = False
            parts.append(("rejected", rec.finish()))
        cmd = AcceptProposal(self, parts)
        self.undo_stack.push(cmd)
        self.last_command = cmd
        for name, delta in parts:
            self.notify(name, delta.bounds())
        return cmd
