"""``restore-app verify OUTPUT`` and ``restore-app replay RECORD``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restore_app.cli.common import EXIT_FAILED, EXIT_OK, PROG, UsageError


def run_verify(args: argparse.Namespace) -> int:
    from restore_app.core.record import record_path
    from restore_app.pipeline.replay import verify

    output = Path(args.output)
    if output.suffix == ".json" and not record_path(output).exists():
        # The record named instead of its output, as report and replay take it.
        output = output.with_suffix("")
    problems = verify(output)
    for line in problems:
        print(f"{PROG}: mismatch: {line}", file=sys.stderr)
    if problems:
        return EXIT_FAILED
    print(f"{output}: matches its record")
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    from restore_app.core.report import default_report_path, write_report

    record = Path(args.record)
    if not record.is_file():
        raise UsageError(f"no such record: {record}")
    out = (
        Path(args.output)
        if args.output
        else default_report_path(record.with_suffix(""))
    )
    if out.suffix.lower() != ".pdf":
        raise UsageError("the report is written as .pdf")
    from restore_app.cli.single import about

    print(write_report(record, out, about(args)))
    return EXIT_OK


def _default_output(record: Path) -> Path:
    """``OUT.json`` → ``OUT`` with ``.replay`` before its extension."""
    out = record.with_suffix("") if record.suffix == ".json" else record
    return out.with_name(f"{out.stem}.replay{out.suffix}")


def run_replay(args: argparse.Namespace) -> int:
    from restore_app.core.formats import WRITE_EXTENSIONS
    from restore_app.pipeline.replay import replay

    record = Path(args.record)
    output = Path(args.output) if args.output else _default_output(record)
    if output.suffix.lower() not in WRITE_EXTENSIONS:
        raise UsageError(f"cannot write {output.suffix or 'a file without extension'}")
    device = "cpu" if args.device == "auto" else args.device
    out, diff = replay(record, output, device=device, overwrite=args.overwrite)
    if diff is None:
        print(f"{out}: replayed (the recorded output is gone: nothing to compare)")
    elif diff == 0:
        # Pixels: the files differ at least in the time their XMP gives.
        print(f"{out}: replayed, pixels identical to the recorded output")
    else:
        print(
            f"{PROG}: mismatch: {out}: replayed, but its pixels differ from the "
            f"recorded output's by up to {diff:g}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK
