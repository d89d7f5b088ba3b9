"""A printable treatment report, from a treatment record: what was done to which
object, by whom and why, with the images, the masks and every operation.

Written with fpdf2 (pure Python, no Qt), so the command line and the window
make the same PDF.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restore_app.core.damage import DAMAGE_KINDS, PROTECT_RGB
from restore_app.core.image import read_image

#: Longest side of the images placed in the report, in pixels.
PREVIEW = 900
#: Colours of the operations' masks (what was repaired), none of them a damage
#: kind's or the protected region's; drawn as outlines, the kinds as fills.
OPERATION_COLOURS = (
    (255, 0, 200),
    (0, 255, 140),
    (140, 255, 255),
    (255, 170, 190),
)
#: How much of a damage layer's colour covers the picture under it.
FILL_ALPHA = 0.45


def to_display(px: np.ndarray) -> np.ndarray:
    """8-bit RGB of native pixels (uint8, uint16 or float; gray or RGB)."""
    if px.dtype == np.uint16:
        px = (px >> 8).astype(np.uint8)
    elif px.dtype != np.uint8:
        px = np.clip(px * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(px, 3, axis=2) if px.shape[2] == 1 else px


def _preview(path: Path) -> np.ndarray | None:
    """An 8-bit RGB preview of an image file, at most PREVIEW on its long side."""
    try:
        px = read_image(path).pixels
    except Exception:  # noqa: BLE001 - a missing image leaves a gap, not a failure
        return None
    rgb = to_display(px)
    h, w = rgb.shape[:2]
    f = min(1.0, PREVIEW / max(h, w))
    if f < 1.0:
        rgb = cv2.resize(
            rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA
        )
    return rgb


def _layer_kind(name: str) -> Any:
    """The damage kind a report mask stands for (``damage-crack``), or None
    for an operation's mask (``01-inpaint``)."""
    for k in DAMAGE_KINDS:
        if name == f"damage-{k.id}":
            return k
    return None


def _mask_colour(name: str, i: int) -> tuple[int, int, int]:
    k = _layer_kind(name)
    return k.colour if k is not None else OPERATION_COLOURS[i % len(OPERATION_COLOURS)]


def _outline(out: np.ndarray, m: np.ndarray, colour, width: int) -> np.ndarray:
    contours, _ = cv2.findContours(
        m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    out = np.ascontiguousarray(out)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in colour), width)
    return out


def _overlay(
    base: np.ndarray,
    masks: list[tuple[str, np.ndarray]],
    protected: list[np.ndarray] = (),
) -> np.ndarray:
    """The map: each damage kind a translucent fill in its colour (the damage
    stays visible under it), each operation's mask an outline, the protected
    region a thicker outline of its own colour."""
    out = (base.astype(np.float32) * 0.8).astype(np.uint8)
    size = (base.shape[1], base.shape[0])

    def fit(m: np.ndarray) -> np.ndarray:
        return cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0

    ops = []
    for i, (name, m) in enumerate(masks):
        colour = _mask_colour(name, i)
        m = fit(m)
        if _layer_kind(name) is None:
            ops.append((m, colour))
            continue
        tint = np.asarray(colour, np.float32)
        out[m] = (out[m] * (1 - FILL_ALPHA) + tint * FILL_ALPHA).astype(np.uint8)
    # An operation's outline is drawn a little outside its mask, so the kinds'
    # fills inside it stay in view.
    halo = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for m, colour in ops:
        out = _outline(out, cv2.dilate(m.astype(np.uint8), halo), colour, 1)
    for m in protected:
        # An outline, not a fill: the protected region is not damage.
        out = _outline(out, fit(m), PROTECT_RGB, 2)
    return out


def _params_text(params: dict[str, Any]) -> str:
    """Parameters as a person reads them: ``strength 0.60; sigma 0.0123``,
    numbers to four significant digits, lists and tables spelled out."""

    def text(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, list | tuple):
            return "(" + ", ".join(text(v) for v in value) + ")"
        if isinstance(value, dict):
            return "; ".join(f"{k} {text(v)}" for k, v in value.items())
        return str(value)

    return "; ".join(f"{k} {text(v)}" for k, v in params.items())


def _stated(recorded: str | None, reported: str | None) -> str:
    """A report row from the record's value and the one stated when reporting."""
    if reported and reported != recorded:
        later = f"{reported} (stated when reporting)"
        return f"{recorded}; {later}" if recorded else later
    return recorded or "(not given)"


#: How many of the largest repaired regions the report shows at 100 %.
CROPS = 3
#: The least and the largest side (px) of a crop around a repaired region: at
#: 100 %, two before/after pairs fit across a page.
CROP_SIDE = 96
CROP_MAX = 160


def _scan_text(source: Path) -> str:
    """The scan's size, bit depth and resolution, as a conservator files them."""
    try:
        doc = read_image(source)
    except Exception:  # noqa: BLE001 - a report is written whatever is missing
        return "not readable now"
    h, w = doc.pixels.shape[:2]
    bits = doc.pixels.dtype.itemsize * 8
    channels = {1: "gray", 3: "RGB"}.get(doc.pixels.shape[2], "")
    dpi = doc.meta.dpi
    res = f"{dpi[0]:.0f} dpi" if dpi else "no resolution recorded"
    size = f", {w * 25.4 / dpi[0]:.1f} × {h * 25.4 / dpi[1]:.1f} mm" if dpi else ""
    return f"{w} × {h} px, {bits}-bit {channels}, {res}{size}"


def _largest_regions(
    masks: list[tuple[str, np.ndarray]], n: int
) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) around the ``n`` largest repaired regions (their
    middle, for a region larger than CROP_MAX), each CROP_SIDE to CROP_MAX
    across where the image allows."""
    union = np.zeros_like(masks[0][1])
    for _, m in masks:
        union |= m
    count, _, stats, _ = cv2.connectedComponentsWithStats(union.view(np.uint8), 8)
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:n] + 1
    h, w = union.shape
    boxes = []
    for i in order:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        cx, cy = x + bw // 2, y + bh // 2
        side_w = min(max(bw + 16, CROP_SIDE), CROP_MAX)
        side_h = min(max(bh + 16, CROP_SIDE), CROP_MAX)
        x0 = int(np.clip(cx - side_w // 2, 0, max(0, w - side_w)))
        y0 = int(np.clip(cy - side_h // 2, 0, max(0, h - side_h)))
        boxes.append((x0, y0, min(w, x0 + side_w), min(h, y0 + side_h)))
    return boxes


def _auto_mask_lines(auto: dict[str, Any]) -> list[str]:
    """What found an automatic mask, and what it left for a person."""
    lines = [
        f"mask found automatically by {auto.get('detector', '?')} (weights "
        f"SHA-256 {auto.get('weights_sha256') or '-'}), sensitivity "
        f"{auto.get('sensitivity')}, {auto.get('pixels_flagged', 0):,} pixels",
    ]
    if auto.get("medium"):
        lines.append(f"medium: {auto['medium']} ({auto.get('medium_why', '')})")
    left = auto.get("left_out") or []
    if left:
        why: dict[str, int] = {}
        for region in left:
            why[region.get("reason", "?")] = why.get(region.get("reason", "?"), 0) + 1
        said = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in why.items())
        lines.append(
            f"left for a person, not filled: {len(left)} regions "
            f"({auto.get('pixels_doubtful', 0):,} pixels): {said}"
        )
    return lines


def write_report(
    record_file: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    about: dict[str, str | None] | None = None,
) -> Path:
    """Write the report of ``record_file`` (an output's ``.json`` record) as a PDF.

    ``about`` (``object_id``, ``operator``, ``purpose``) is what the person
    states when reporting: it fills what the record leaves out, marked as
    stated then, and stands beside a different recorded value.
    """

    from fpdf import FPDF

    from restore_app.core.atomic import atomic_write_bytes
    from restore_app.core.masks import read_mask
    from restore_app.core.record import read_record

    record = read_record(record_file)
    source = Path(record.source.path or "")
    output = Path(record.output.path or "")
    before, after = _preview(source), _preview(output)

    class Report(FPDF):
        def normalize_text(self, text: str) -> str:
            # The core fonts hold Latin-1: other characters (a name in another
            # script) are shown as '?' rather than stopping the report.
            return super().normalize_text(
                text.encode("latin-1", "replace").decode("latin-1")
            )

    pdf = Report(unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Treatment report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    rows = [
        (label, _stated(record.about()[key], (about or {}).get(key)))
        for label, key in (
            ("Object", "object_id"),
            ("Operator", "operator"),
            ("Purpose", "purpose"),
        )
    ] + [
        ("Date", record.time),
        ("Scan", _scan_text(source)),
        ("Source", f"{source.name}  SHA-256 {record.source.sha256}"),
        ("Result", f"{output.name}  SHA-256 {record.output.sha256}"),
        ("Software", ", ".join(f"{k} {v}" for k, v in record.software.items())),
    ]
    for key, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(24, 5, key)
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    with tempfile.TemporaryDirectory() as tmp:

        def place(img: np.ndarray, name: str, x: float, w: float) -> None:
            path = os.path.join(tmp, name)
            cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            pdf.image(path, x=x, y=pdf.get_y(), w=w)

        if before is not None and after is not None:
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(0, 6, "Before and after", new_x="LMARGIN", new_y="NEXT")
            width = (pdf.w - 2 * pdf.l_margin - 4) / 2
            height = width * before.shape[0] / before.shape[1]
            place(before, "before.png", pdf.l_margin, width)
            place(after, "after.png", pdf.l_margin + width + 4, width)
            pdf.ln(height + 4)

        masks = []
        for entry in record.masks:
            path = Path(entry.path)
            if path.is_file() and before is not None:
                doc_shape = read_image(source).pixels.shape[:2]
                masks.append((entry.name, read_mask(path, doc_shape)))
        # The protect layer is the original, not damage: said apart.
        protected = [m for name, m in masks if name == "protect"]
        masks = [(name, m) for name, m in masks if name != "protect"]
        if masks and before is not None:
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(0, 6, "Damage map", new_x="LMARGIN", new_y="NEXT")
            # The map, its table and the protected line share one page: a
            # tall scan's map is made smaller rather than the table broken.
            table_h = 6 + 5 * len(masks) + 6 * len(protected) + 3
            room = pdf.h - pdf.b_margin - pdf.get_y() - table_h
            width = pdf.w - 2 * pdf.l_margin
            width = min(width, room * before.shape[1] / before.shape[0])
            height = width * before.shape[0] / before.shape[1]
            place(_overlay(before, masks, protected), "map.png", pdf.l_margin, width)
            pdf.ln(height + 3)
            from restore_app.core.masks import region_count

            dpi = read_image(source).meta.dpi
            mm2 = (25.4 / dpi[0]) * (25.4 / dpi[1]) if dpi else None
            total = masks[0][1].size
            pdf.set_font("Helvetica", "B", 9)
            area_head = "mm²" if mm2 else "mm² (no dpi)"
            heads = (
                ("", 6),
                ("mask", 55),
                ("pixels", 25),
                ("% of image", 25),
                ("regions", 20),
                (area_head, 25),
            )
            for head, w in heads:
                pdf.cell(w, 6, head, border="B")
            pdf.ln()
            pdf.set_font("Helvetica", size=9)
            for i, (name, m) in enumerate(masks):
                pdf.set_fill_color(*_mask_colour(name, i))
                pdf.cell(6, 5, "", fill=True)
                pdf.cell(55, 5, name)
                pdf.cell(25, 5, f"{int(m.sum()):,}")
                pdf.cell(25, 5, f"{100 * m.sum() / total:.2f}")
                pdf.cell(20, 5, str(region_count(m)))
                pdf.cell(25, 5, f"{m.sum() * mm2:.1f}" if mm2 else "-")
                pdf.ln()
            for m in protected:
                pdf.ln(1)
                pdf.cell(
                    0,
                    5,
                    f"Protected as original (outlined; never changed, not damage): "
                    f"{int(m.sum()):,} pixels, {100 * m.sum() / m.size:.2f} % of "
                    "the image",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )

            crops = _largest_regions(masks, CROPS)
            if crops and after is not None:
                pdf.ln(3)
                full_before = read_image(source).pixels
                full_after = read_image(output).pixels
                # 100 %: one scan pixel to one pixel of a 96 dpi screen; two
                # before/after pairs to a row, a row kept whole on its page.
                mm = 25.4 / 96
                row_h = max(y1 - y0 for _, y0, _, y1 in crops) * mm + 6
                if pdf.get_y() + 6 + row_h > pdf.h - pdf.b_margin:
                    pdf.add_page()
                pdf.set_font("Helvetica", "B", 11)
                pdf.cell(
                    0, 6, "The largest repairs at 100 %", new_x="LMARGIN", new_y="NEXT"
                )
                half = (pdf.w - 2 * pdf.l_margin) / 2
                for k, (x0, y0, x1, y1) in enumerate(crops):
                    col = k % 2
                    if col == 0 and k and pdf.get_y() + row_h > pdf.h - pdf.b_margin:
                        pdf.add_page()
                    top = pdf.get_y()
                    w, h = (x1 - x0) * mm, (y1 - y0) * mm
                    left = pdf.l_margin + col * half
                    for j, img in enumerate((full_before, full_after)):
                        crop = to_display(img[y0:y1, x0:x1])
                        place(crop, f"crop{k}{j}.png", left + j * (w + 2), w)
                    pdf.set_xy(left, top + h + 1)
                    pdf.set_font("Helvetica", size=7)
                    pdf.cell(half, 4, f"before | after: x {x0}-{x1}, y {y0}-{y1}")
                    if col == 1 or k == len(crops) - 1:
                        pdf.set_xy(pdf.l_margin, top + row_h)
                    else:
                        pdf.set_xy(pdf.l_margin, top)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Operations", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)
    for i, op in enumerate(record.operations, 1):
        pdf.set_font("Helvetica", "B", 9)
        who = op.get("restorer_name") or op.get("restorer", "")
        title = f"{i}. {op.get('task', '')}: {who}"
        if op.get("task") == "damage-record":
            title = f"{i}. Repaired area: {op.get('repaired_pixels', 0):,} pixels"
        pdf.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)
        for key in ("restorer", "weights_sha256", "params", "mask", "mask_sha256",
                    "rim_pixels", "protect_sha256", "device", "time"):  # fmt: skip
            if op.get(key) is not None:
                value = _params_text(op[key]) if key == "params" else op[key]
                pdf.multi_cell(
                    0, 4, f"   {key}: {value}", new_x="LMARGIN", new_y="NEXT"
                )
        auto = op.get("mask_proposed_automatically")
        if auto:
            for line in _auto_mask_lines(auto):
                pdf.multi_cell(
                    0, 4, f"   {line}", align="L", new_x="LMARGIN", new_y="NEXT"
                )
    if record.warnings:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, "Warnings", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)
        for w in record.warnings:
            pdf.multi_cell(0, 4, f"   {w}", new_x="LMARGIN", new_y="NEXT")
    target = Path(pdf_path)
    atomic_write_bytes(target, bytes(pdf.output()), overwrite=True)
    return target


def default_report_path(output: str | os.PathLike[str]) -> Path:
    """``OUT.report.pdf`` beside an output (whose record is ``OUT.json``)."""
    out = Path(output)
    return out.with_name(out.name + ".report.pdf")
