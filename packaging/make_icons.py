"""Draw the application icon as SVG and as PNGs at the usual theme sizes.

One list of shapes in a 512-unit square feeds both outputs, so the vector and
the bitmaps cannot drift apart. The PNGs are drawn 4x larger and downscaled,
which is what gives them smooth edges (Pillow's drawing is not antialiased).

    python packaging/make_icons.py        # rewrites packaging/icons and resources/icons
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
NAME = "restore-app"
ROOT = Path(__file__).resolve().parents[1]

# A tile, a photo print on it, a landscape in the print; a crack runs through the
# left half of the picture and ends in a spark where it has been healed.
TILE = "#1d4e5c"
PRINT = "#f6efdf"
SKY = "#e2b56a"
SUN = "#fbe6ad"
FAR_HILL = "#a86b35"
NEAR_HILL = "#5d3a1e"
CRACK = "#f6efdf"
SPARK = "#ffd25e"


def _spark(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """A four-pointed star: long points on the axes, a narrow waist between."""
    points = []
    for i in range(8):
        angle = math.pi / 4 * i - math.pi / 2
        radius = r if i % 2 == 0 else r * 0.28
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


SHAPES: list[tuple[str, dict]] = [
    ("rrect", {"box": (24, 24, 488, 488), "r": 96, "fill": TILE}),
    ("rrect", {"box": (92, 100, 420, 420), "r": 14, "fill": PRINT}),
    ("rect", {"box": (118, 126, 394, 352), "fill": SKY}),
    ("circle", {"c": (318, 196), "r": 38, "fill": SUN}),
    (
        "poly",
        {
            "points": [(118, 300), (196, 232), (262, 282), (330, 226), (394, 270)]
            + [(394, 352), (118, 352)],
            "fill": FAR_HILL,
        },
    ),
    (
        "poly",
        {
            "points": [(118, 322), (210, 286), (300, 318), (394, 300)]
            + [(394, 352), (118, 352)],
            "fill": NEAR_HILL,
        },
    ),
    (
        "line",
        {
            "points": [(126, 140), (160, 196), (146, 236), (188, 280), (176, 318)]
            + [(226, 344)],
            "width": 11,
            "fill": CRACK,
        },
    ),
    ("poly", {"points": _spark(262, 236, 44), "fill": SPARK}),
]


def svg() -> str:
    """The icon as an SVG document (512 x 512 user units)."""
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" '
        'viewBox="0 0 512 512">'
    ]
    for kind, s in SHAPES:
        if kind in ("rrect", "rect"):
            x0, y0, x1, y1 = s["box"]
            r = s.get("r", 0)
            parts.append(
                f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
                f'rx="{r}" fill="{s["fill"]}"/>'
            )
        elif kind == "circle":
            (cx, cy), r = s["c"], s["r"]
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{s["fill"]}"/>')
        elif kind == "poly":
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in s["points"])
            parts.append(f'<polygon points="{pts}" fill="{s["fill"]}"/>')
        elif kind == "line":
            pts = " ".join(f"{x},{y}" for x, y in s["points"])
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{s["fill"]}" '
                f'stroke-width="{s["width"]}" stroke-linecap="round" '
                'stroke-linejoin="round"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png(size: int) -> Image.Image:
    """The icon as an RGBA image of ``size`` x ``size`` pixels."""
    scale = size * 4 / 512
    big = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)

    def pt(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * scale, p[1] * scale)

    for kind, s in SHAPES:
        if kind in ("rrect", "rect"):
            box = [c * scale for c in s["box"]]
            draw.rounded_rectangle(box, radius=s.get("r", 0) * scale, fill=s["fill"])
        elif kind == "circle":
            (cx, cy), r = pt(s["c"]), s["r"] * scale
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=s["fill"])
        elif kind == "poly":
            draw.polygon([pt(p) for p in s["points"]], fill=s["fill"])
        elif kind == "line":
            width = max(1, round(s["width"] * scale))
            points = [pt(p) for p in s["points"]]
            draw.line(points, fill=s["fill"], width=width, joint="curve")
            for x, y in (points[0], points[-1]):  # round caps, as in the SVG
                draw.ellipse(
                    (x - width / 2, y - width / 2, x + width / 2, y + width / 2),
                    fill=s["fill"],
                )
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    hicolor = ROOT / "packaging" / "icons" / "hicolor"
    flat = ROOT / "resources" / "icons"
    flat.mkdir(parents=True, exist_ok=True)
    text = svg()
    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    (scalable / f"{NAME}.svg").write_text(text, encoding="utf-8")
    (flat / f"{NAME}.svg").write_text(text, encoding="utf-8")
    for size in SIZES:
        image = png(size)
        folder = hicolor / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"{NAME}.png", optimize=True)
        image.save(flat / f"{NAME}-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
