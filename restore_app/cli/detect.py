"""``restore-app detect IMAGE -o MASK``: find the damage, write it as a mask."""

from __future__ import annotations

import argparse
from pathlib import Path

from restore_app.cli.common import EXIT_OK, UsageError
from restore_app.cli.progress import tile_bar
from restore_app.cli.single import about


def run(args: argparse.Namespace) -> int:
    from restore_app.pipeline.detect import DetectSettings, detect_file

    source, output = Path(args.image), Path(args.output)
    if output.suffix.lower() != ".png":
        raise UsageError(
            f"cannot write {output.suffix or 'a file without extension'}: "
            "a damage mask is written as .png"
        )
    if source.exists() and output.exists() and source.resolve() == output.resolve():
        raise UsageError(
            "the output must not be the source image: masters are never written"
        )
    with tile_bar("detect") as on_progress:
        detect_file(
            source,
            output,
            settings=DetectSettings(
                args.detector, args.sensitivity, args.kinds, args.medium
            ),
            protect=args.protect,
            layers_dir=args.layers,
            overwrite=args.overwrite,
            device=args.device,
            on_progress=on_progress,
            about=about(args),
        )
    print(output)
    return EXIT_OK
