"""``restore-app TASK IMAGE -o OUT`` (inpaint, denoise, deblur, color): one image,
one derivative."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restore_app.cli.common import EXIT_OK, PROG, UsageError, options_of
from restore_app.cli.progress import tile_bar


def about(args: argparse.Namespace) -> dict[str, str | None]:
    """What the record says of the object and the treatment, from the options."""
    return {
        "object_id": getattr(args, "object_id", None),
        "operator": getattr(args, "operator", None),
        "purpose": getattr(args, "purpose", None),
    }


def run(args: argparse.Namespace) -> int:
    from restore_app.core.formats import WRITE_EXTENSIONS
    from restore_app.pipeline.files import restore_file

    source, output = Path(args.image), Path(args.output)
    options = options_of(args.command, args)
    if output.suffix.lower() not in WRITE_EXTENSIONS:
        kinds = ", ".join(sorted(WRITE_EXTENSIONS))
        raise UsageError(
            f"cannot write {output.suffix or 'a file without extension'}: "
            f"the output's extension must be one of {kinds}"
        )
    if source.exists() and output.exists() and source.resolve() == output.resolve():
        raise UsageError(
            "the output must not be the source image: masters are never written"
        )

    with tile_bar(args.command) as on_progress:
        warnings = restore_file(
            source,
            output,
            task=args.command,
            mask=args.mask,
            protect=args.protect,
            restorer_id=args.model,
            strength=getattr(args, "strength", None),
            overwrite=args.overwrite,
            device=args.device,
            on_progress=on_progress,
            about=about(args),
            options=options,
        )
    for warning in warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    print(output)
    return EXIT_OK
