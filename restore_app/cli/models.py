"""``restore-app models``: the restorers this installation can run, and adding more."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from restore_app.cli.common import EXIT_OK

if TYPE_CHECKING:
    from restore_app.models.base import RestorerInfo


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


def _describe(info: RestorerInfo) -> str:
    card = info.card
    arch = (card.spandrel_architecture if card else None) or ""
    params = card.parameters if card else None
    size = f", {params:,} parameters" if params is not None else ""
    return f"{info.id}: {info.task}, {arch}{size}"


def run_add(args: argparse.Namespace) -> int:
    from restore_app.models.user_models import add_model

    info = add_model(
        args.file, task=args.task, name=args.name, overwrite=args.overwrite
    )
    print(f"added {_describe(info)}")
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    from restore_app.models.user_models import remove_model

    remove_model(args.model_id)
    print(f"removed {args.model_id}")
    return EXIT_OK


def run_download(args: argparse.Namespace) -> int:
    from restore_app.models.downloads import download_model

    info = download_model(
        args.name, progress=sys.stderr.isatty(), overwrite=args.overwrite
    )
    print(f"added {_describe(info)}")
    return EXIT_OK
