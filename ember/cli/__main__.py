"""Entry point of the `ember` command (`python -m ember.cli ...`): train, eval, run, info."""

from __future__ import annotations

import argparse
import os
import sys

from ._errors import CLIError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `ember` and its four subcommands."""
    from . import eval as eval_cmd
    from . import run, train

    parser = argparse.ArgumentParser(prog="ember", description="ember: PyTorch's API on NumPy. Train the demo "
                                     "network, evaluate a checkpoint, run a PyTorch script, or show the setup.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train.add_arguments(sub.add_parser("train", help="train a network (the demo: `ember train`)",
                                       description="Train a network; with no options the demo: the tutorial CNN "
                                                   "on scikit-learn's handwritten digits."))
    eval_cmd.add_arguments(sub.add_parser("eval", help="accuracy and per-class table of a checkpoint"))
    run.add_arguments(sub.add_parser("run", help="run an unmodified PyTorch script on ember",
                                     description="Run SCRIPT with `import torch`/`torchvision` resolving to ember."))
    sub.add_parser("info", help="versions, BLAS, threads and CUDA")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse argv and run the command; returns the exit code (2: bad arguments, 1: a CLIError)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            from .train import train

            return train(args)
        if args.command == "eval":
            from .eval import evaluate_checkpoint

            return evaluate_checkpoint(args)
        if args.command == "info":
            from .info import info

            return info(args)
        from .run import run_script

        if not os.path.isfile(args.script):
            raise CLIError(f"no such script: '{args.script}'")
        run_script(args.script, args.args)
        return 0
    except CLIError as e:
        print(f"ember {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nember {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
