"""Command line of the Z + jets generative surrogate: make the data set, train a generator
(resumable), generate events into the data set's HDF5 layout.

    numhep surrogate data zjets --events 30000
    numhep surrogate train zjets/train.h5 inn.pt --epochs 60 [--bayesian] [--no-magic]
    numhep surrogate generate inn.pt generated.h5 -n 100000

The same commands run as python -m numhep.torch.surrogate_cli data|train|generate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from numhep.events.zjets_dataset import ZJetsEvents, generate_zjets_dataset
from numhep.torch.event_generator import (
    GeneratorConfig,
    ZJetsGenerator,
    train_generator,
)

__all__ = ["main"]


def main(argv=None, prog: str = "python -m numhep.torch.surrogate_cli") -> int:
    """Run the surrogate command line (``numhep surrogate`` hands its arguments to it).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).
    prog : str, optional
        The command's name in usage lines and error messages.

    Returns
    -------
    int
        0 on success, 2 on a bad argument (argparse's convention).

    Examples
    --------
    >>> main(["generate", "--help"])  # doctest: +SKIP
    """
    p = argparse.ArgumentParser(prog=prog, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="write train.h5 and test.h5 (numhep LO + Pythia 8 + anti-kT jets)")
    d.add_argument("directory", type=Path)
    d.add_argument("--events", type=int, default=30000, help="hard events over the three LO samples")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--quiet", action="store_true")
    t = sub.add_parser("train", help="train the INN chain; a killed training resumes from <model>.ckpt")
    t.add_argument("train", type=Path, help="training events (HDF5)")
    t.add_argument("model", type=Path, help="the trained generator's file")
    t.add_argument("--epochs", type=int, default=GeneratorConfig.epochs)
    t.add_argument("--batch-size", type=int, default=GeneratorConfig.batch_size)
    t.add_argument("--blocks", type=int, default=GeneratorConfig.blocks)
    t.add_argument("--bins", type=int, default=GeneratorConfig.bins)
    t.add_argument("--units", type=int, default=GeneratorConfig.units)
    t.add_argument("--bayesian", action="store_true", help="a Bayesian INN")
    t.add_argument("--no-magic", action="store_true", help="train without the magic transformation")
    t.add_argument("--whiten", action="store_true", help="the standard preprocessing (whitening)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--quiet", action="store_true")
    g = sub.add_parser("generate", help="generate events into an HDF5 file of the data set's layout")
    g.add_argument("model", type=Path)
    g.add_argument("output", type=Path)
    g.add_argument("-n", "--events", type=int, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--quiet", action="store_true")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)

    if args.command == "data":
        train, test = generate_zjets_dataset(args.directory, args.events, seed=args.seed, progress=not args.quiet)
        events = ZJetsEvents.load(train)
        print(f"{train} ({len(events)} events), {test}; jets {events.attrs['jet_counts']}")
    elif args.command == "train":
        config = GeneratorConfig(epochs=args.epochs, batch_size=args.batch_size, blocks=args.blocks, bins=args.bins,
                                 units=args.units, bayesian=args.bayesian, magic=not args.no_magic,
                                 whiten=args.whiten, seed=args.seed)
        gen, losses = train_generator(ZJetsEvents.load(args.train), config,
                                      checkpoint=args.model.with_name(args.model.name + ".ckpt"),
                                      progress=not args.quiet)
        gen.save(args.model)
        print(f"{args.model}: {len(losses)} steps, final loss {losses[-10:].mean():.4f}")
    else:
        if args.events < 1:
            p.error("--events must be positive")
        events = ZJetsGenerator.load(args.model).generate(args.events, seed=args.seed, progress=not args.quiet)
        events.save(args.output)
        print(f"{args.output}: {len(events)} events, mean weight {events.weight.mean():.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
