"""Progress bars on stderr, so stdout stays clean for results."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def tile_bar(
    label: str, *, enabled: bool | None = None
) -> Iterator[Callable[[int, int], None]]:
    """An ``on_progress(done, total)`` callable drawing a bar until the block ends.

    ``enabled=None`` shows it only on a terminal: a log file gets no bar noise.
    """
    from tqdm import tqdm

    disable = (not sys.stderr.isatty()) if enabled is None else not enabled
    bar = tqdm(
        total=0, desc=label, unit="tile", file=sys.stderr, disable=disable, leave=False
    )

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
