"""``restore-app batch``: one tool over a folder, a progress bar and a summary."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from restore_app.cli.common import EXIT_FAILED, EXIT_OK, PROG, UsageError, options_of
from restore_app.cli.single import about


def _emit(event: dict) -> None:
    print(json.dumps(event, ensure_ascii=False), flush=True)


def item_entry(item, seconds: float) -> dict:
    """What a pipeline needs of one image: paths, outcome, checksums, time."""
    from restore_app.core.atomic import sha256_file
    from restore_app.core.record import RecordError, read_record, record_path

    out_sha = None
    if item.output is not None and item.status in ("done", "skipped"):
        try:
            out_sha = read_record(record_path(item.output)).output.sha256
        except RecordError:
            out_sha = None
    try:
        in_sha = sha256_file(item.source)
    except OSError:
        in_sha = None
    return {
        "input": str(item.source),
        "output": str(item.output) if item.output is not None else None,
        "status": item.status,
        "reason": item.reason or None,
        "warnings": list(item.warnings),
        "input_sha256": in_sha,
        "output_sha256": out_sha,
        "seconds": round(seconds, 3),
    }


class Manifest:
    """``--report FILE``: one JSON line per image, appended as the batch goes,
    so a pipeline can follow and audit a run (and a killed run keeps its lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, entry: dict) -> None:
        from restore_app.core.segments import append

        append(self.path, (json.dumps(entry, ensure_ascii=False) + "\n").encode())


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from restore_app.pipeline.detect import DetectSettings
    from restore_app.pipeline.folder import (
        BatchItem,
        BatchOptions,
        BatchUsageError,
        Step,
        run_batch,
    )

    if args.sidecar_masks and (args.masks or args.auto_masks or args.protect):
        raise UsageError(
            "--sidecar-masks takes masks and protect masks from the sidecar: "
            "not with --masks, --auto-masks or --protect"
        )
    options = options_of(args.op, args)
    lookups = {}
    if args.sidecar_masks:
        from restore_app.pipeline.files import sidecar_lookup

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
    json_progress = args.progress == "json"
    manifest = Manifest(Path(args.report)) if args.report else None
    clock = [time.monotonic()]

    def on_progress(done: int, total: int) -> None:
        if json_progress:
            _emit({"event": "progress", "done": done, "total": total})
            return
        if not bars:
            bars.append(tqdm(total=total, desc=args.op, unit="image", file=sys.stderr))
        bars[0].total = total
        bars[0].n = done
        bars[0].refresh()

    def on_item(item: BatchItem) -> None:
        now = time.monotonic()
        seconds, clock[0] = now - clock[0], now
        entry = item_entry(item, seconds)
        if manifest is not None:
            manifest.add(entry)
        if json_progress:
            _emit({"event": "item", **entry})
        for warning in item.warnings:
            note = f"{PROG}: warning: {item.source.name}: {warning}"
            tqdm.write(note, file=sys.stderr)
        if item.status == "failed":
            tqdm.write(f"{PROG}: failed: {item.source}: {item.reason}", file=sys.stderr)

    engine = None
    if args.engine == "ray":
        from restore_app.pipeline.cluster import ray_engine

        engine = ray_engine(args.address, args.workers, args.gpus_per_worker)
    elif args.address or args.workers or args.gpus_per_worker is not None:
        raise UsageError("--address, --workers and --gpus-per-worker need --engine ray")
    try:
        step = Step(
            task=args.op,
            restorer_id=args.model,
            strength=args.strength,
            options=options,
            detect=DetectSettings(
                args.detector, args.sensitivity, args.kinds, args.medium
            ),
            auto_masks=args.auto_masks,
            device=args.device,
            about={**about(args), "engine": args.engine},
        )
        report = run_batch(
            args.input_dir,
            args.output,
            BatchOptions(
                step,
                masks_dir=args.masks,
                protect_dir=args.protect,
                recursive=args.recursive,
                include_derivatives=args.include_derivatives,
                overwrite=args.overwrite,
                verify=args.verify,
                **lookups,
            ),
            engine=engine,
            on_item=on_item,
            on_progress=on_progress,
        )
    except BatchUsageError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        for bar in bars:
            bar.close()

    out = sys.stdout
    if json_progress:
        _emit(
            {
                "event": "summary",
                "done": len(report.done),
                "nothing_detected": len(report.nothing),
                "skipped": len(report.skipped),
                "failed": len(report.failed),
            }
        )
        return EXIT_FAILED if report.failed else EXIT_OK
    print(
        f"{len(report.done)} done, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed"
        + (f", {len(report.nothing)} with nothing detected" if report.nothing else ""),
        file=out,
    )
    for path, why in report.skipped:
        print(f"  skipped {path}: {why}", file=out)
    for path, why in report.failed:
        print(f"  failed  {path}: {why}", file=out)
    for path in report.nothing:
        print(f"  nothing detected in {path}: no output written", file=out)
    if report.total == 0:
        print(f"{PROG}: warning: no images found in {args.input_dir}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK
