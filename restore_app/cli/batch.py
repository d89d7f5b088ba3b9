"""``restore-app batch``: one tool over a folder, a progress bar and a summary."""

from __future__ import annotations

import argparse
import sys

from restore_app.cli.main import EXIT_FAILED, EXIT_OK, PROG, UsageError
from restore_app.cli.single import about


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from restore_app.models.batch import (
        BatchItem,
        BatchUsageError,
        DetectSettings,
        run_batch,
    )

    if args.sidecar_masks and (args.masks or args.auto_masks or args.protect):
        raise UsageError(
            "--sidecar-masks takes masks and protect masks from the sidecar: "
            "not with --masks, --auto-masks or --protect"
        )
    lookups = {}
    if args.sidecar_masks:
        from restore_app.models.batch import sidecar_lookup

        lookups = {
            "mask_lookup": sidecar_lookup("mask"),
            "protect_lookup": sidecar_lookup("protect"),
        }
    detecting = args.op == "detect" or args.auto_masks
    if not detecting and (args.detector or args.sensitivity is not None or args.kinds):
        raise UsageError(
            "--detector, --sensitivity and --kinds need --op detect or --auto-masks"
        )

    # Made at the first progress call: run_batch checks the folders first, and a
    # usage error should stay one line, without an empty bar before it.
    bars: list[tqdm] = []

    def on_progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=args.op, unit="image", file=sys.stderr))
        bars[0].total = total
        bars[0].n = done
        bars[0].refresh()

    def on_item(item: BatchItem) -> None:
        for warning in item.warnings:
            note = f"{PROG}: warning: {item.source.name}: {warning}"
            tqdm.write(note, file=sys.stderr)
        if item.status == "failed":
            tqdm.write(f"{PROG}: failed: {item.source}: {item.reason}", file=sys.stderr)

    try:
        report = run_batch(
            args.input_dir,
            args.output,
            task=args.op,
            masks_dir=args.masks,
            restorer_id=args.model,
            strength=args.strength,
            recursive=args.recursive,
            protect_dir=args.protect,
            verify=args.verify,
            about=about(args),
            auto_masks=args.auto_masks,
            detect=DetectSettings(args.detector, args.sensitivity, args.kinds),
            **lookups,
            overwrite=args.overwrite,
            device=args.device,
            on_item=on_item,
            on_progress=on_progress,
        )
    except BatchUsageError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        for bar in bars:
            bar.close()

    out = sys.stdout
    print(
        f"{len(report.done)} done, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed",
        file=out,
    )
    for path, why in report.skipped:
        print(f"  skipped {path}: {why}", file=out)
    for path, why in report.failed:
        print(f"  failed  {path}: {why}", file=out)
    if report.total == 0:
        print(f"{PROG}: warning: no images found in {args.input_dir}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK
