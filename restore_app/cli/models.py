"""``restore-app models``: the restorers this installation can run."""

from __future__ import annotations

import argparse
import json

from restore_app.cli.main import EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from restore_app.models.registry import list_restorers

    infos = list_restorers()
    if getattr(args, "json", False):
        print(json.dumps([info.as_dict() for info in infos], indent=2))
        return EXIT_OK
    rows = [(info.id, str(info.task), info.kind, info.source) for info in infos]
    widths = [max([len(r[i]) for r in rows], default=0) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[3]]))
    return EXIT_OK
