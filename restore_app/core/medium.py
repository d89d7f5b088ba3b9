"""What was scanned — a print, a negative or a slide — and what that says of damage.

The same speck of dust shows differently on each medium: on a scanned negative
shown as a positive it blocked the scanner's light and is *light*; on a slide
it is *dark*; on a print scratches, cracks and dust are light or dark. So on
film, proposed damage of the wrong polarity is picture, not damage
(:func:`keep_polarity`).

The medium is asked for (``--medium negative|slide|print``) or decided from the
scan (``auto``, :func:`decide`): a resolution of 1,500 dpi or more is film
(prints are scanned at 300–1,200 dpi, film at 2,400–4,000), and on film the
polarity most of the proposed specks share says negative or slide. Without a
resolution (none, or 72/96 dpi, which only say "unknown"), a scan is taken as
film only when nearly all of many specks share one polarity and little of what
is proposed is a print's own damage (cracks in the emulsion, paper losses).

Damage is seen at the scale the detector learned: a scan finer than
:data:`FINEST_DPI` for its medium is detected on a copy shrunk to it
(:func:`detection_scale`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: The media a person can name; ``auto`` lets the scan decide.
MEDIA = ("auto", "negative", "slide", "print")
FILM = ("negative", "slide")
#: Resolutions that only mean "unknown" (screen defaults written by software).
UNKNOWN_DPI = (72.0, 96.0)
#: A scan at least this fine is film when its medium is decided.
FILM_DPI = 1500.0
#: The finest resolution damage is looked for at, per medium: what the detector
#: learned (prints at small-print scales, film at 1,200–4,000 dpi).
FINEST_DPI = {"print": 600.0, "negative": 4000.0, "slide": 4000.0}
#: Probability (0–255) outlining candidate regions for the polarity decision:
#: below any sensitivity's threshold a person would use.
_OUTLINE = 32
#: Without a resolution: at least this many specks, and this share of one
#: polarity, make a scan film.
_MIN_SPECKS = 20
_ONE_POLARITY = 0.85
#: Largest region (pixels) counted as a speck in the vote.
_SPECK_AREA = 400
#: The largest share of proposed pixels that may be cracks and losses (a
#: print's damage) on a scan taken as film without a resolution: on the real
#: prints 15–75 % of what is proposed is, on a real negative scan 1 %.
_PRINT_DAMAGE = 0.05


@dataclass(frozen=True)
class MediumChoice:
    used: str  # "negative", "slide" or "print"
    asked: str  # what was asked: one of MEDIA
    why: str

    def as_record(self) -> dict[str, str]:
        return {"medium": self.used, "medium_asked": self.asked, "medium_why": self.why}


def known_dpi(dpi: tuple[float, float] | float | None) -> float | None:
    """The scan's resolution in dots per inch, or None where it says nothing."""
    if dpi is None:
        return None
    value = float(dpi[0] if isinstance(dpi, tuple | list) else dpi)
    if value <= 0 or any(abs(value - u) < 0.5 for u in UNKNOWN_DPI):
        return None
    return value


def detection_scale(medium: str, dpi: float | None) -> float:
    """The factor (≤ 1) a scan is shrunk by before detection."""
    if dpi is None or medium not in FINEST_DPI:
        return 1.0
    return min(1.0, FINEST_DPI[medium] / dpi)


def _gray(pixels: np.ndarray) -> np.ndarray:
    from restore_app.core.doubt import gray_of

    return gray_of(pixels)


def region_polarity(
    gray: np.ndarray, probability: np.ndarray, outline: int = _OUTLINE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(component labels, sign per component (+1 lighter than around, −1
    darker, index 0 unused), area per component) of the candidate regions."""
    cand = (probability >= outline).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    if n <= 1:
        return lab, np.zeros(n), stats[:, cv2.CC_STAT_AREA]
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    grown = cv2.dilate(lab.astype(np.float32), k).astype(np.int32)
    ring = (lab == 0) & (grown > 0)
    inside_sum = np.bincount(lab.ravel(), gray.ravel(), n)
    inside_n = np.maximum(np.bincount(lab.ravel(), minlength=n), 1)
    ring_sum = np.bincount(grown[ring], gray[ring], n)
    ring_n = np.maximum(np.bincount(grown[ring], minlength=n), 1)
    sign = np.sign(inside_sum / inside_n - ring_sum / ring_n)
    return lab, sign, stats[:, cv2.CC_STAT_AREA]


def decide(
    asked: str,
    pixels: np.ndarray,
    probability: np.ndarray,
    kinds: np.ndarray,
    dpi: float | None,
    threshold: int,
) -> MediumChoice:
    """The medium to use: the one asked for, or (``auto``) the scan's."""
    from restore_app.core.damage import kind

    if asked != "auto":
        return MediumChoice(asked, asked, "asked for")
    gray = _gray(pixels)
    lab, sign, area = region_polarity(gray, probability, threshold)
    specks = (area <= _SPECK_AREA) & (sign != 0)
    specks[0] = False
    n = int(specks.sum())
    light = float((sign[specks] > 0).mean()) if n else 0.5
    share = f"{light:.0%} of {n} proposed specks lighter than around them"
    if dpi is not None:
        if dpi < FILM_DPI:
            return MediumChoice("print", asked, f"{dpi:.0f} dpi: a print")
        used = "negative" if light >= 0.5 else "slide"
        return MediumChoice(used, asked, f"{dpi:.0f} dpi: film; {share}")
    flagged = probability >= threshold
    own = np.isin(kinds[flagged], [kind("crack").label, kind("loss").label])
    cracks = float(own.mean()) if own.size else 0.0
    if cracks > _PRINT_DAMAGE:
        why = f"no resolution; {cracks:.0%} of the proposal cracks and losses: a print"
        return MediumChoice("print", asked, why)
    if n >= _MIN_SPECKS and light >= _ONE_POLARITY:
        return MediumChoice("negative", asked, f"no resolution; {share}")
    if n >= _MIN_SPECKS and light <= 1 - _ONE_POLARITY:
        return MediumChoice("slide", asked, f"no resolution; {share}")
    return MediumChoice("print", asked, f"no resolution; {share}: a print")


def keep_polarity(
    pixels: np.ndarray, probability: np.ndarray, medium: str
) -> np.ndarray:
    """``probability`` with the regions of the wrong polarity for ``medium``
    cleared (on a negative dark regions, on a slide light ones); a print keeps
    every region."""
    if medium not in FILM:
        return probability
    lab, sign, _ = region_polarity(_gray(pixels), probability)
    wrong = sign < 0 if medium == "negative" else sign > 0
    wrong[0] = False
    out = probability.copy()
    out[wrong[lab]] = 0
    return out
