"""Dates as records and XMP write them: ISO 8601 in UTC, ``2026-12-07T17:52:05Z``.

XMP takes ISO 8601 only with a colon in a time-zone offset (``+01:00``);
``+0100``, which C's ``%z`` writes, is refused by XMP validators.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_BARE_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def now() -> str:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def xmp_date(text: str) -> str:
    """``text`` (an ISO 8601 date and time) in the form XMP accepts: an
    offset without its colon (as steps saved by earlier releases have it)
    gains one, and UTC is written ``Z``."""
    fixed = _BARE_OFFSET.sub(r"\1:\2", text.strip())
    return fixed[:-6] + "Z" if fixed.endswith(("+00:00", "-00:00")) else fixed
