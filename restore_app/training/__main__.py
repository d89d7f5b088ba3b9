"""``python -m restore_app.training {train,export} ...``"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from restore_app.core.tasks import RESTORE_TASKS, Task


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m restore_app.training")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train (or continue training) one model")
    t.add_argument("--task", required=True, choices=[str(t) for t in Task])
    t.add_argument(
        "--data",
        required=True,
        type=Path,
        action="append",
        help="folder of clean photos (repeat for several)",
    )
    t.add_argument("--out", type=Path, default=Path(".runs"), help="checkpoints folder")
    t.add_argument("--minutes", type=float, default=60.0, help="wall time for this run")
    t.add_argument(
        "--total-minutes",
        type=float,
        default=None,
        help="length of the whole schedule across resumed runs",
    )
    t.add_argument(
        "--resume",
        default="auto",
        help="'auto' (the last checkpoint if any), 'no', or a .pt/.safetensors",
    )
    t.add_argument("--device", default="auto")
    t.add_argument("--batch", type=int, default=None)
    t.add_argument("--patch", type=int, default=None)
    t.add_argument("--checkpoint-minutes", type=float, default=3.0)
    t.add_argument("--lr", type=float, default=None, help="peak learning rate")
    t.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads (default: one core fewer than the machine has)",
    )
    t.add_argument(
        "--film-shapes",
        type=Path,
        default=None,
        help="the traced film damage shapes (detect; default: "
        ".data/film-damage-shapes/film-aa-shapes.json.gz)",
    )
    t.add_argument("--quick", action="store_true", help="a one-minute CPU run")
    t.add_argument(
        "--export",
        type=Path,
        default=None,
        help="after training, write weights and card into this folder",
    )
    e = sub.add_parser("export", help="write a checkpoint as fp16 safetensors + card")
    e.add_argument("--task", required=True, choices=[str(t) for t in Task])
    e.add_argument("--data", required=True, type=Path, action="append")
    e.add_argument("--out", type=Path, default=Path(".runs"))
    e.add_argument("--models", type=Path, required=True)
    a = sub.add_parser("train-all", help="train the three models side by side")
    a.add_argument("--data", required=True, type=Path, action="append")
    a.add_argument("--out", type=Path, default=Path(".runs"))
    a.add_argument("--minutes", type=float, required=True)
    a.add_argument("--total-minutes", type=float, default=None)
    a.add_argument("--device", default="auto")
    a.add_argument("--export", type=Path, default=None)
    g = sub.add_parser("agreement", help="CPU vs GPU output of exported models")
    g.add_argument("--models", type=Path, required=True)
    g.add_argument("--data", required=True, type=Path)
    g.add_argument("--json", type=Path, default=None)
    s = sub.add_parser(
        "strength", help="fit a denoiser's automatic strength into its card"
    )
    s.add_argument("--card", type=Path, required=True)
    s.add_argument("--data", required=True, type=Path, action="append")
    args = p.parse_args(argv)
    if args.cmd == "strength":
        from restore_app.training.strength import fit_into_card

        print(json.dumps(fit_into_card(args.card, args.data), indent=2))
        return 0
    if args.cmd == "train-all":
        return _train_all(args)
    if args.cmd == "agreement":
        from restore_app.training.agreement import measure, write_into_cards

        results = measure(args.models, args.data)
        write_into_cards(args.models, results)
        text = json.dumps(results, indent=2)
        if args.json:
            args.json.write_text(text)
        print(text)
        return 0

    import torch

    from restore_app.training.export import export, hardware
    from restore_app.training.train import Trainer

    if args.cmd == "train":
        device = args.device
        if args.quick:
            device = "cpu"
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cpu":
            # Training on the CPU runs niced, so the machine stays usable.
            os.nice(10)
            threads = args.threads or max(1, (os.cpu_count() or 2) - 1)
            torch.set_num_threads(threads)
        minutes = 1.0 if args.quick and args.minutes == 60.0 else args.minutes
        total = args.total_minutes or minutes
        if args.task == "detect":
            from restore_app.training import detector

            trainer = detector.DetectorTrainer(
                args.data,
                args.out,
                device,
                total_minutes=total,
                quick=args.quick,
                batch=args.batch,
                patch=args.patch,
                film_shapes=args.film_shapes,
                **({"lr": args.lr} if args.lr else {}),
            )

            def write(t, folder):
                return detector.export(t, folder)
        else:
            trainer = Trainer(
                args.task,
                args.data,
                args.out,
                device,
                total_minutes=total,
                quick=args.quick,
                batch=args.batch,
                patch=args.patch,
            )
            if args.lr:
                trainer.spec = dataclasses.replace(trainer.spec, lr=args.lr)

            def write(t, folder):
                return export(t, folder, "")

        if args.resume == "auto":
            if trainer.checkpoint_path.is_file():
                trainer.resume(trainer.checkpoint_path)
        elif args.resume != "no":
            trainer.resume(Path(args.resume))
        if hardware(device) not in trainer.hardware_used:
            trainer.hardware_used.append(hardware(device))
        print(
            f"{args.task}: training on {hardware(device)} from step {trainer.step}",
            flush=True,
        )
        trainer.run(
            minutes,
            checkpoint_minutes=args.checkpoint_minutes,
            log_every=10 if args.quick else 200,
            on_log=lambda s: print(s, flush=True),
        )
        if args.export:
            print(f"exported {write(trainer, args.export)}")
        return 0
    if args.task == "detect":
        from restore_app.training import detector

        dt = detector.DetectorTrainer(args.data, args.out, "cpu", total_minutes=1.0)
        dt.resume(dt.checkpoint_path)
        print(f"exported {detector.export(dt, args.models)}")
        return 0
    trainer = Trainer(args.task, args.data, args.out, "cpu", total_minutes=1.0)
    trainer.resume(trainer.checkpoint_path)
    print(f"exported {export(trainer, args.models, '')}")
    return 0


def _train_all(args: argparse.Namespace) -> int:
    """One process per model, side by side on one device; fails if any fails."""
    procs = []
    for task in map(str, RESTORE_TASKS):
        cmd = [
            sys.executable,
            "-m",
            "restore_app.training",
            "train",
            "--task",
            task,
            *(arg for folder in args.data for arg in ("--data", str(folder))),
            "--out",
            str(args.out),
            "--minutes",
            str(args.minutes),
            "--device",
            args.device,
        ]
        if args.total_minutes:
            cmd += ["--total-minutes", str(args.total_minutes)]
        if args.export:
            cmd += ["--export", str(args.export)]
        procs.append(subprocess.Popen(cmd))
    codes = [p.wait() for p in procs]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
