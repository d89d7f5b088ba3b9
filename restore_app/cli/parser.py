"""The ``restore-app`` command line: every command and option, with its help.

Only argparse and plain tables are imported here, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse

from restore_app import __version__
from restore_app.cli.common import PROG, TASKS
from restore_app.core.medium import MEDIA
from restore_app.core.tasks import DEVICES


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _kinds(text: str) -> tuple[str, ...]:
    from restore_app.core.damage import parse_kinds

    try:
        return tuple(k.id for k in parse_kinds(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _size(text: str) -> str:
    from restore_app.core.image import parse_size

    try:
        parse_size(text)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f"not a size: {text!r} (write it as 8G, 512M or bytes)"
        ) from None
    return text


def _detect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--detector", metavar="ID", help="detector id (see 'restore-app models')"
    )
    p.add_argument(
        "--sensitivity",
        type=_strength,
        metavar="S",
        help="0..1: higher finds more and also flags more picture detail "
        "(default: the detector's own)",
    )
    p.add_argument(
        "--kinds",
        type=_kinds,
        metavar="K,...",
        default=(),
        help="damage kinds to find: scratch, dust, crack, loss (default: all)",
    )
    p.add_argument(
        "--medium",
        choices=MEDIA,
        default="auto",
        help="what was scanned: a negative (dust shows light), a slide (dust "
        "shows dark) or a print; auto decides from the scan (default)",
    )


def _common_options(*, suppress: bool) -> argparse.ArgumentParser:
    """--device, --overwrite, --debug, accepted before and after the command.

    The copy given to each subcommand defaults to SUPPRESS; otherwise its default
    would overwrite a value given before the command name.
    """
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("common options")

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group.add_argument(
        "--device",
        choices=DEVICES,
        default=default("auto"),
        help="where learned models run (default: auto = CUDA, then MPS, then CPU)",
    )
    group.add_argument(
        "--overwrite",
        action="store_true",
        default=default(False),
        help="replace output files that already exist",
    )
    group.add_argument(
        "--memory-budget",
        metavar="SIZE",
        type=_size,
        default=default(None),
        help="most memory one image may take to open and process, e.g. 8G "
        "(default: half the machine's memory)",
    )
    for flag, what in (
        ("--object-id", "the object's identifier in your collection"),
        ("--operator", "who made the treatment"),
        ("--purpose", "why: exhibition print, access copy, ..."),
    ):
        group.add_argument(
            flag, metavar="TEXT", default=default(None), help=f"{what}, for the record"
        )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show the full traceback when something fails",
    )
    return parent


def _add_single(sub: argparse._SubParsersAction, task: str, common) -> None:
    helps = {
        "inpaint": "fill the masked damage of one image",
        "denoise": "reduce noise and grain in one image",
        "deblur": "sharpen a blurred image by deconvolution",
        "color": "bring back faded, yellowed or colour-cast colour and tone",
    }
    p = sub.add_parser(
        task, parents=[common], help=helps[task], description=helps[task]
    )
    p.add_argument("image", metavar="IMAGE", help="the source image (never written)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="the output file; its extension picks the format",
    )
    if task == "inpaint":
        p.add_argument(
            "--mask",
            metavar="MASK",
            required=True,
            help="image whose bright pixels mark what to fill",
        )
    else:
        p.add_argument(
            "--strength",
            type=_strength,
            metavar="S",
            help="0 changes nothing, 1 is the full effect (default: estimated)",
        )
        p.add_argument(
            "--mask",
            metavar="MASK",
            help="limit the effect to the mask's bright pixels",
        )
    p.add_argument(
        "--protect",
        metavar="MASK",
        help="pixels bright in this mask are never changed (original imperfections)",
    )
    p.add_argument(
        "--model", metavar="ID", help="restorer id (see 'restore-app models')"
    )
    _keep_tone_option(p)
    p.set_defaults(command=task, handler="restore_app.cli.single:run")


def _keep_tone_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-tone",
        action="store_true",
        help="color: keep a print's tone (sepia, selenium) and restore only contrast",
    )
    p.add_argument(
        "--no-rim",
        action="store_true",
        help="inpaint: fill the mask as painted (by default it grows over the "
        "light or dark rim just outside a crack, as far as the rim shows)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(suppress=True)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Restore damaged photographs and scans. Without a command, starts the "
            "desktop application."
        ),
        parents=[_common_options(suppress=False)],
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.set_defaults(command=None, handler="restore_app.cli.gui:run", paths=[])
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser(
        "open",
        parents=[common],
        help="start the desktop application on files or a folder",
        description="start the desktop application on files or a folder",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(command="open", handler="restore_app.cli.gui:run")

    for task in TASKS:
        _add_single(sub, task, common)

    about = "find scratches, dust, cracks and losses; write them as a mask"
    p = sub.add_parser("detect", parents=[common], help=about, description=about)
    p.add_argument("image", metavar="IMAGE", help="the source image (never written)")
    p.add_argument(
        "-o",
        "--output",
        metavar="MASK",
        required=True,
        help="the mask to write (PNG, 255 where damage was found)",
    )
    _detect_options(p)
    p.add_argument(
        "--layers",
        metavar="DIR",
        help="also write one mask per kind and the label image into DIR",
    )
    p.add_argument(
        "--protect",
        metavar="MASK",
        help="pixels bright in this mask are never proposed",
    )
    p.set_defaults(command="detect", handler="restore_app.cli.detect:run")

    p = sub.add_parser(
        "batch",
        parents=[common],
        help="run one tool over every image of a folder",
        description=(
            "Run one tool over every image of INPUT_DIR, writing outputs with the same "
            "file names into OUTPUT_DIR. Existing outputs are skipped unless "
            "--overwrite, so a rerun resumes a stopped batch."
        ),
    )
    p.add_argument("input_dir", metavar="INPUT_DIR")
    p.add_argument("-o", "--output", metavar="OUTPUT_DIR", required=True)
    p.add_argument(
        "--op", choices=(*TASKS, "detect"), required=True, help="the tool to run"
    )
    p.add_argument(
        "--masks",
        metavar="MASK_DIR",
        help="masks named like the images (same stem, any extension); required for "
        "inpaint, optional for denoise, deblur and color",
    )
    p.add_argument(
        "--model", metavar="ID", help="restorer id (see 'restore-app models')"
    )
    p.add_argument(
        "--strength", type=_strength, metavar="S", help="0..1 (default: estimated)"
    )
    p.add_argument(
        "--protect",
        metavar="DIR",
        help="protect masks named like the images: their bright pixels never change",
    )
    _keep_tone_option(p)
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="ray: spread the images over a Ray cluster (needs restore-app[cluster])",
    )
    p.add_argument(
        "--address", metavar="ADDR", help="a running Ray cluster (default: start one)"
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="images in flight (default: per CPU or GPU)",
    )
    p.add_argument(
        "--gpus-per-worker",
        type=float,
        metavar="G",
        help="GPUs each worker takes (default: 1 where the cluster has GPUs, else 0)",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help="append one JSON line per image to FILE as the batch goes: input, "
        "output, status, reason, SHA-256s, seconds",
    )
    p.add_argument(
        "--progress",
        choices=("bar", "json"),
        default="bar",
        help="json: progress, each image and the summary as JSON lines on stdout",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="skip an existing output only when its SHA-256 matches its record "
        "(by default, its size)",
    )
    p.add_argument(
        "--sidecar-masks",
        action="store_true",
        help="take each image's mask and protect mask from the app's saved work "
        "(its .restore sidecar), wherever it lives",
    )
    p.add_argument(
        "--auto-masks",
        action="store_true",
        help="inpaint: find each image's damage and fill it (not with --masks); "
        "the proposed mask is kept beside each output",
    )
    _detect_options(p)
    p.add_argument(
        "--recursive",
        action="store_true",
        help="include subfolders (mirrored in OUTPUT_DIR)",
    )
    p.add_argument(
        "--include-derivatives",
        action="store_true",
        help="also restore outputs of Restore found among the images (files with "
        "a treatment record beside them), which are skipped by default",
    )
    p.set_defaults(command="batch", handler="restore_app.cli.batch:run")

    about = "check an output against its treatment record"
    p = sub.add_parser("verify", parents=[common], help=about, description=about)
    p.add_argument("output", metavar="OUTPUT")
    p.set_defaults(command="verify", handler="restore_app.cli.records:run_verify")
    about = "write a printable treatment report (PDF) of an output's record"
    p = sub.add_parser("report", parents=[common], help=about, description=about)
    p.add_argument("record", metavar="RECORD", help="an output's .json record")
    p.add_argument(
        "-o", "--output", metavar="FILE.pdf", help="default: OUT.report.pdf beside it"
    )
    p.set_defaults(command="report", handler="restore_app.cli.records:run_report")
    about = "make a derivative again from its record, source and masks"
    p = sub.add_parser("replay", parents=[common], help=about, description=about)
    p.add_argument("record", metavar="RECORD", help="an output's .json record")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="default: the recorded output's name with .replay before its extension",
    )
    p.set_defaults(command="replay", handler="restore_app.cli.records:run_replay")

    p = sub.add_parser(
        "models",
        parents=[common],
        help="list, add, remove or download restorers",
        description="One line per restorer: id, task, kind, source.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list instead")
    p.set_defaults(command="models", handler="restore_app.cli.models:run_list")
    # Later subcommands (adding or fetching models) hang off this; with none
    # given, `restore-app models` lists.
    models_sub = p.add_subparsers(title="model commands", metavar="MODEL_COMMAND")
    q = models_sub.add_parser(
        "list", parents=[common], help="list the restorers (default)"
    )
    q.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    q.set_defaults(handler="restore_app.cli.models:run_list")
    q = models_sub.add_parser(
        "add",
        parents=[common],
        help="add a checkpoint you have (any 1x architecture spandrel knows)",
        description=(
            "Check FILE and copy it into your model folder as 'user.<file name>'. "
            "It is loaded without running pickled code; upscalers are refused. "
            "--overwrite replaces a model of the same name."
        ),
    )
    q.add_argument(
        "file", metavar="FILE", help="safetensors, .pth/.pt/.ckpt, or TorchScript"
    )
    q.add_argument(
        "--task",
        # Colour restorers are curve networks of our own, not checkpoints.
        choices=tuple(t for t in TASKS if t != "color"),
        help="what it does; required where the file does not say (denoise or deblur)",
    )
    q.add_argument("--name", metavar="NAME", help="the name shown in lists")
    q.set_defaults(handler="restore_app.cli.models:run_add")
    q = models_sub.add_parser(
        "remove",
        parents=[common],
        help="delete a model you added",
        description="Delete a model you added (its card and weights).",
    )
    q.add_argument(
        "model_id", metavar="ID", help="a 'user.' id from 'restore-app models'"
    )
    q.set_defaults(handler="restore_app.cli.models:run_remove")
    q = models_sub.add_parser(
        "download",
        parents=[common],
        help="fetch a well-known public checkpoint (checksum verified)",
        description=(
            "Fetch a well-known public checkpoint, verify its SHA-256 and add it "
            "to your model folder. Known names: " + ", ".join(_known_downloads()) + "."
        ),
    )
    q.add_argument("name", metavar="NAME")
    q.set_defaults(handler="restore_app.cli.models:run_download")
    return parser


def _known_downloads() -> list[str]:
    # The download table is plain data; importing it loads no torch.
    from restore_app.models.downloads import KNOWN_MODELS

    return sorted(KNOWN_MODELS)
