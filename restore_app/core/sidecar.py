"""Per-folder ".restore" sidecar: everything the app knows about each scan, saved often.

Layout (one folder per image, named after the image file)::

    <scans>/.restore/
        sidecar.json                  {"version": 1}
        thumbs/<name>.png             thumbnail, stale once the file is newer
        images/<name>/state.json      status, settings, operations, source size+mtime
        images/<name>/mask.png        working mask, 1-bit PNG (absent when empty)
        images/<name>/repaired.png    regions already repaired (the damage record)
        images/<name>/protect.png     "original — do not repair": never changed
        images/<name>/op-masks.npz    the masks applied operations used
        images/<name>/damage-KIND.png the damage map: one layer per kind marked
        images/<name>/journal.N.bin   mask edits not yet in the files above
        images/<name>/tiles.npz       applied results: the changed 64×64 pixel tiles
        images/<name>/proposal.png    a detector's damage probability, 8-bit (0-255)
        images/<name>/proposal-kinds.png   its likeliest damage kind per pixel
        images/<name>/rejected.png    proposed pixels the person erased in review
        set-aside/<time>/images/<name>/   work on a version of the scan that was
                                      replaced on disk, kept (never applied)

The originals are never written. When the scans' folder is read-only, or is
part of the application's own resources (the bundled samples), the same layout
lives under the user's data folder instead (:func:`sidecar_root`).
Every file is written atomically, so a crash leaves the previous save intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restore_app.core import journal
from restore_app.core.atomic import publish
from restore_app.core.layers import BY_NAME, LAYERS
from restore_app.core.naming import SIDECAR_DIRNAME
from restore_app.core.sidecar_location import data_sidecar_root, sidecar_root
from restore_app.core.sidecar_state import (
    ImageSnapshot,
    ImageState,
    SavedImage,
    read_op_masks,
    read_tiles,
    reason,
    validate_state,
)

SIDECAR_VERSION = 1


def existing_sidecar(folder: str | os.PathLike[str]) -> Sidecar | None:
    """The sidecar of ``folder`` if one was ever written, wherever it lives
    (beside the scans or in the user's data folder); None otherwise. Unlike
    :func:`sidecar_root` it creates nothing, so readers never write beside scans.
    """
    folder = Path(folder).resolve()
    beside = folder / SIDECAR_DIRNAME
    if (beside / "sidecar.json").is_file():
        return Sidecar(folder, root=beside)
    elsewhere = data_sidecar_root(folder)
    if (elsewhere / "sidecar.json").is_file():
        return Sidecar(folder, root=elsewhere)
    return None


def _atomic_write(path: Path, data: bytes) -> None:
    # Same folder temp + os.replace: readers see the old file or the new one.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        publish(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _encode_mask(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(
        ".png",
        mask.astype(np.uint8) * 255,
        [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 1],
    )
    if not ok:
        raise OSError("could not encode mask")
    return buf.tobytes()


def _decode_gray(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    arr = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if arr is None or arr.shape != shape:
        return None
    return arr


def _encode_gray(arr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError("could not encode a proposal")
    return buf.tobytes()


class Sidecar:
    """Reads and writes the sidecar of one folder of scans.

    Its contents are validated, not trusted: a damaged file is set aside
    (renamed ``.damaged``, never deleted), its name kept in :attr:`damaged`,
    and the rest of the sidecar is used, so every scan still opens.
    """

    def __init__(self, folder: str | os.PathLike[str], root: Path | None = None):
        self.folder = Path(folder).resolve()
        self.root = root if root is not None else sidecar_root(self.folder)
        #: damaged files set aside, as "RELATIVE-PATH (why)"
        self.damaged: list[str] = []

    def image_dir(self, name: str) -> Path:
        return self.root / "images" / name

    def thumbnail_path(self, name: str) -> Path:
        return self.root / "thumbs" / f"{name}.png"

    def _ensure_root(self) -> None:
        marker = self.root / "sidecar.json"
        if not marker.exists():
            _atomic_write(marker, json.dumps({"version": SIDECAR_VERSION}).encode())

    @staticmethod
    def source_stamp(path: Path) -> tuple[int, int]:
        st = path.stat()
        return st.st_size, st.st_mtime_ns

    def take_damaged(self) -> list[str]:
        """The files set aside since the last call (and forget them)."""
        out, self.damaged[:] = list(self.damaged), []
        return out

    def set_aside(self, path: Path, why: str) -> None:
        """Rename a damaged sidecar file ``NAME.damaged`` (never deleted: it may
        still be recovered by hand) and remember it for the window to say."""
        target = path.with_name(path.name + ".damaged")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.damaged{n}")
        try:
            os.replace(path, target)
        except OSError:
            return
        self.damaged.append(f"{target.relative_to(self.root)} ({why})")

    def set_work_aside(self, name: str, snapshot: ImageSnapshot) -> Path:
        """Move image ``name``'s saved work out of the way, with ``snapshot``
        (the rest of its work, unsaved so far) written over it, into
        ``set-aside/TIME/``: a sidecar of its own that is never applied to the
        scan but can be recovered by hand. Its folder is returned."""
        aside = self.root / "set-aside" / time.strftime("%Y%m%dT%H%M%S")
        n = 1
        while aside.exists():
            n += 1
            aside = aside.with_name(f"{aside.name.split('-')[0]}-{n}")
        kept = Sidecar(self.folder, aside)
        source = self.image_dir(name)
        target = kept.image_dir(name)
        target.parent.mkdir(parents=True)
        if source.exists():
            os.replace(source, target)
        kept.save(snapshot)
        return aside

    def load_state(self, name: str) -> ImageState | None:
        """The saved state of ``name``; a file that is not a valid state is set
        aside and None returned."""
        path = self.image_dir(name) / "state.json"
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            if path.is_dir():
                self.set_aside(path, "a folder where a file belongs")
            elif isinstance(exc, UnicodeDecodeError):
                self.set_aside(path, "not text")
            return None
        try:
            data = json.loads(text)
            return ImageState.from_dict(validate_state(data, name))
        except (ValueError, TypeError, RecursionError) as exc:
            self.set_aside(path, reason(exc))
            return None

    def is_current(self, state: ImageState, source: Path) -> bool:
        """True when the sidecar entry was made for the file as it is now."""
        try:
            size, mtime = self.source_stamp(source)
        except OSError:
            return False
        return state.source_size == size and state.source_mtime_ns == mtime

    def load(
        self, name: str, shape: tuple[int, ...], dtype: np.dtype
    ) -> SavedImage | None:
        """Everything saved for image ``name`` of ``shape`` (H, W, C); None if nothing.

        Entries made for a different version of the file (size or mtime differ)
        or a different image size are ignored rather than applied wrongly.
        """
        before = len(self.damaged)
        state = self.load_state(name)
        d = self.image_dir(name)
        if state is None and journal.segments(d):
            # Edits journaled before the image's first save (a crash right
            # after a stroke): they are its saved work.
            try:
                size, mtime = self.source_stamp(self.folder / name)
            except OSError:
                return None
            state = ImageState(name, size, mtime, int(shape[1]), int(shape[0]))
            state.status = "edited"
        if state is None:
            return None
        if not self.is_current(state, self.folder / name) or (
            (state.height, state.width) != tuple(shape[:2])
        ):
            return None
        d = self.image_dir(name)
        hw = (int(shape[0]), int(shape[1]))
        tiles = self._load_tiles(d / "tiles.npz", shape, dtype)
        proposal = None
        if state.proposal is not None:
            prob = self._load_gray(d / "proposal.png", hw)
            kinds = self._load_gray(d / "proposal-kinds.png", hw)
            if prob is not None and kinds is not None:
                proposal = (prob, kinds)
            else:
                state.proposal = None
        masks: dict[str, np.ndarray | None] = {
            layer.name: self._load_mask(d / layer.file, hw)
            for layer in LAYERS
            if proposal is not None or not layer.with_proposal
        }
        op_masks = self._load_op_masks(d / "op-masks.npz", hw)
        journaled_layers = {
            layer.name: masks.get(layer.name) for layer in LAYERS if layer.journaled
        }
        replayed, journaled, skipped = journal.replay(d, hw, journaled_layers)
        masks.update(replayed)
        for path, count in skipped.items():
            # Reported once, with the rest of what was set aside; the next
            # save replaces the segment.
            records = "record" if count == 1 else "records"
            self.damaged.append(
                f"{path.relative_to(self.root)} ({count} damaged {records} skipped)"
            )
        damaged = len(self.damaged) > before
        return SavedImage(
            state,
            {name: m for name, m in masks.items() if m is not None},
            tiles,
            proposal,
            damaged,
            op_masks,
            journaled,
        )

    def _load_gray(self, path: Path, hw: tuple[int, int]) -> np.ndarray | None:
        if not path.exists():
            return None
        arr = _decode_gray(path, hw) if path.is_file() else None
        if arr is None:
            self.set_aside(path, "not a PNG of the image's size")
        return arr

    def _load_mask(self, path: Path, hw: tuple[int, int]) -> np.ndarray | None:
        arr = self._load_gray(path, hw)
        return None if arr is None else arr > 127

    def _load_op_masks(
        self, path: Path, hw: tuple[int, int]
    ) -> dict[str, tuple[int, int, np.ndarray]]:
        masks, bad = read_op_masks(path, hw)
        if bad:
            self.set_aside(path, bad)
        return masks

    def _load_tiles(
        self, path: Path, shape: tuple[int, ...], dtype: np.dtype
    ) -> dict[tuple[int, int], np.ndarray]:
        tiles, bad = read_tiles(path, shape, dtype)
        if bad:
            self.set_aside(path, bad)
        return tiles

    def save(self, snapshot: ImageSnapshot) -> None:
        """Write one image's snapshot; parts that are None keep their saved files."""
        self._ensure_root()
        state = snapshot.state
        d = self.image_dir(state.name)
        d.mkdir(parents=True, exist_ok=True)
        for name, arr in snapshot.masks.items():
            path = d / BY_NAME[name].file
            if arr.any():
                _atomic_write(path, _encode_mask(arr))
            else:
                path.unlink(missing_ok=True)
        if snapshot.op_masks is not None:
            buf = io.BytesIO()
            np.savez_compressed(
                buf,
                **{
                    f"m_{mid}_{x0}_{y0}": crop
                    for mid, (x0, y0, crop) in snapshot.op_masks.items()
                },
            )
            _atomic_write(d / "op-masks.npz", buf.getvalue())
        if state.proposal is None:
            for part in ("proposal", "proposal-kinds"):
                (d / f"{part}.png").unlink(missing_ok=True)
            for layer in LAYERS:
                if layer.with_proposal:
                    (d / layer.file).unlink(missing_ok=True)
        elif snapshot.proposal is not None:
            prob, kinds = snapshot.proposal
            _atomic_write(d / "proposal.png", _encode_gray(prob))
            _atomic_write(d / "proposal-kinds.png", _encode_gray(kinds))
        if snapshot.tiles is not None:
            path = d / "tiles.npz"
            if snapshot.tiles:
                buf = io.BytesIO()
                np.savez(
                    buf, **{f"t_{ty}_{tx}": t for (ty, tx), t in snapshot.tiles.items()}
                )
                _atomic_write(path, buf.getvalue())
            else:
                path.unlink(missing_ok=True)
        state.saved_at = time.time()
        _atomic_write(d / "state.json", json.dumps(asdict(state), indent=1).encode())
        if snapshot.journal_upto is not None:
            journal.discard(d, snapshot.journal_upto)

    def save_proposal(
        self,
        source: Path,
        shape: tuple[int, int],
        proposal: tuple[np.ndarray, np.ndarray],
        meta: dict[str, Any],
    ) -> None:
        """Keep a damage proposal for review with the image's other saved work.

        ``proposal`` is (probability, kinds), uint8 (H, W) each; ``meta`` goes
        into the state (detector operation, its midpoint threshold). An untouched
        image becomes "proposed"; an earlier review's erasures are dropped.
        """
        name = source.name
        size, mtime = self.source_stamp(source)
        state = self.load_state(name)
        if state is None or not self.is_current(state, source):
            state = ImageState(name, size, mtime, int(shape[1]), int(shape[0]))
        state.proposal = dict(meta)
        if state.status == "untouched":
            state.status = "proposed"
        self.save(
            ImageSnapshot(
                state,
                {"rejected": np.zeros(shape[:2], bool)},
                proposal=proposal,
            )
        )

    def current_layer(self, source: Path, name: str) -> np.ndarray | None:
        """Layer ``name`` of ``source`` as the window opens it: its saved file
        with the journal's edits applied. None when the entry was not made for
        the file as it is now, or the layer is empty."""
        state = self.load_state(source.name)
        if state is None or not self.is_current(state, source):
            return None
        d = self.image_dir(source.name)
        hw = (state.height, state.width)
        layer = self._load_mask(d / BY_NAME[name].file, hw)
        if BY_NAME[name].journaled:
            layer = journal.replay(d, hw, {name: layer})[0][name]
        return layer if layer is not None and layer.any() else None

    def saved_mask(self, source: Path, part: str = "mask") -> Path | None:
        """The saved mask layer ``part`` ("mask", "protect") of ``source`` as a
        file, when the entry was made for the file as it is now; None
        otherwise or when it is empty. Edits still in the journal (a window
        killed right after a stroke) count, as when the window opens it: the
        layer with them applied is written beside as ``batch-FILE`` and that
        is returned; the window's own files are left to it."""
        d = self.image_dir(source.name)
        if not journal.segments(d):
            state = self.load_state(source.name)
            if state is None or not self.is_current(state, source):
                return None
            path = d / BY_NAME[part].file
            return path if path.is_file() else None
        layer = self.current_layer(source, part)
        if layer is None:
            return None
        return self.write_batch_mask(source, f"batch-{BY_NAME[part].file}", layer)

    def saved_proposal(
        self, source: Path
    ) -> tuple[Any, dict[str, Any], np.ndarray | None] | None:
        """The proposal saved for ``source`` (a DamageProposal), its review (the
        state's meta: sensitivity, kinds, kept regions, the detector's
        operation) and the pixels the person erased from it (None: none); None
        when there is no proposal for the file as it is now."""
        from restore_app.core.proposal import DamageProposal

        state = self.load_state(source.name)
        if (
            state is None
            or state.proposal is None
            or not self.is_current(state, source)
        ):
            return None
        d = self.image_dir(source.name)
        hw = (state.height, state.width)
        prob = _decode_gray(d / "proposal.png", hw)
        kinds = _decode_gray(d / "proposal-kinds.png", hw)
        if prob is None or kinds is None:
            return None
        meta = state.proposal
        proposal = DamageProposal(prob, kinds, float(meta.get("midpoint", 0.5)))
        return proposal, meta, self.current_layer(source, "rejected")

    def write_batch_mask(self, source: Path, file: str, mask: np.ndarray) -> Path:
        """Keep ``mask`` for a batch as ``FILE`` in ``source``'s folder of the
        sidecar (beside the window's own files, which it leaves alone)."""
        path = self.image_dir(source.name) / file
        _atomic_write(path, _encode_mask(mask))
        return path

    def statuses(self) -> dict[str, str]:
        """Status of every image with a sidecar entry, by file name."""
        out: dict[str, str] = {}
        images = self.root / "images"
        if not images.is_dir():
            return out
        for entry in images.iterdir():
            state = self.load_state(entry.name)
            if state is not None and self.is_current(state, self.folder / entry.name):
                out[entry.name] = state.status
        return out

    def read_thumbnail(self, name: str, source: Path) -> bytes | None:
        """Cached thumbnail PNG bytes, if made from the file as it is now."""
        path = self.thumbnail_path(name)
        try:
            if path.stat().st_mtime_ns < source.stat().st_mtime_ns:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def write_thumbnail(self, name: str, png: bytes) -> None:
        self._ensure_root()
        _atomic_write(self.thumbnail_path(name), png)
