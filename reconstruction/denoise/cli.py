"""``automat denoise IMAGE OUT.tif`` and ``automat denoise-train``.

    automat denoise IMAGE OUT.tif [--pixel-size 0.1] [--method moe] [--mode idpc]
    automat denoise-train [--out var/denoise/train] [--seed 0] [--steps-single N]
                          [--steps-moe N] [--threads N] [--device cpu|cuda]

``denoise`` writes a float32 TIFF of the same shape and pixel size (ImageJ calibration in
Å) and prints the noise estimate before and after as JSON; exit 1 with a one-line reason
on bad input. ``denoise-train`` is deterministic for a seed and resumes from
``OUT/checkpoint.pt``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reconstruction.settings import DEFAULT


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``denoise`` and ``denoise-train`` on the ``automat`` subparsers."""
    from reconstruction.denoise.types import METHODS

    p = sub.add_parser("denoise", help="denoise a micrograph into a float32 TIFF")
    p.add_argument("image", help="micrograph file (any supported format)")
    p.add_argument("out", help="output TIFF")
    p.add_argument("--pixel-size", type=float, default=None, help="[Å/px], overrides the file")
    p.add_argument("--method", default="moe", choices=list(METHODS))
    p.add_argument("--mode", default="idpc", choices=["idpc", "haadf", "abf"])
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.set_defaults(func=run_denoise, science=DEFAULT)

    t = sub.add_parser("denoise-train", help="train the mixture-of-experts denoiser")
    t.add_argument("--out", default="var/denoise/train", help="checkpoint and data folder")
    t.add_argument("--export", default=None, help="weights folder (default: the shipped one)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--steps-single", type=int, default=None)
    t.add_argument("--steps-moe", type=int, default=None)
    t.add_argument("--n-train", type=int, default=None, help="training structures")
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.set_defaults(func=run_train, science=DEFAULT)


def run_denoise(args: argparse.Namespace) -> int:
    from reconstruction.bench.build import write_calibrated_tiff
    from reconstruction.denoise import denoise
    from reconstruction.denoise.types import DenoiseError
    from reconstruction.io import read_micrograph
    from reconstruction.io.errors import IngestError

    prog = "automat denoise"
    try:
        micrograph = read_micrograph(Path(args.image), pixel_size_A=args.pixel_size)
        pixel = micrograph.calibration.pixel_size_A
        if pixel is None:
            raise DenoiseError(f"{args.image} carries no pixel size: pass --pixel-size in Å/px")
        result = denoise(
            micrograph.data,
            pixel_size_A=pixel,
            mode=args.mode,
            method=args.method,
            device=args.device,
            threads=args.science.torch_threads,
        )
    except (DenoiseError, IngestError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    write_calibrated_tiff(Path(args.out), result.image, pixel)
    json.dump({**result.as_dict(), "pixel_size_A": pixel}, sys.stdout, indent=2)
    print()
    return 0


def run_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reconstruction.denoise.train import TrainConfig, train

    config = TrainConfig(seed=args.seed)
    config = replace(config, data=replace(config.data, seed=args.seed))
    if args.steps_single is not None:
        config = replace(config, steps_single=args.steps_single)
    if args.steps_moe is not None:
        config = replace(config, steps_moe=args.steps_moe)
    if args.n_train is not None:
        config = replace(config, data=replace(config.data, n_train=args.n_train))

    def log(message: str) -> None:
        print(message, flush=True)

    train(
        config,
        Path(args.out),
        device=args.device,
        threads=args.threads or args.science.torch_threads,
        data_dir=args.science.shared_data_dir,
        export=Path(args.export) if args.export else None,
        log=log,
    )
    return 0
