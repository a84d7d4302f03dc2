"""`ember eval CHECKPOINT`: test accuracy and the per-class table of a model saved by `ember train`."""

from __future__ import annotations

import argparse

import ember
from ember.utils.data import DataLoader, Subset

from . import _report
from ._checkpoint import load_checkpoint
from ._datasets import DATASETS, load_dataset
from ._errors import CLIError
from ._models import build_model


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `ember eval`."""
    p.add_argument("checkpoint", help="a checkpoint.pt written by `ember train`")
    p.add_argument("--dataset", help=f"evaluate on this dataset's test split ({', '.join(DATASETS)}; default: the "
                                     "one the model was trained on)")
    p.add_argument("--data", default="data", help="folder of downloadable datasets (default ./data)")
    p.add_argument("--batch-size", type=int, default=256, help="evaluation batch size (default 256)")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default 0)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"


def evaluate_checkpoint(args: argparse.Namespace) -> int:
    """Run `ember eval`; returns the exit code."""
    checkpoint = load_checkpoint(args.checkpoint)
    config = checkpoint["config"]
    data = load_dataset(args.dataset or config["dataset"], args.data)
    classes = checkpoint["classes"]
    if len(data.classes) != len(classes) or data.in_channels != checkpoint["in_channels"]:
        raise CLIError(f"the model in '{args.checkpoint}' was trained on {config['dataset']} "
                       f"({_count(len(classes), 'class')}, {_count(checkpoint['in_channels'], 'channel')}); "
                       f"{data.name} has {_count(len(data.classes), 'class')} and "
                       f"{_count(data.in_channels, 'channel')}")
    test_set = data.test
    if config.get("limit") and args.dataset is None:
        test_set = Subset(test_set, range(min(config["limit"], len(test_set))))
    model = build_model(config["model"], checkpoint["in_channels"], len(classes))
    model.load_state_dict(checkpoint["model"])
    loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False, num_workers=args.workers)
    result = _report.evaluate(model, loader, ember.device("cpu"), len(classes))
    print(f"{config['model']} from {args.checkpoint} (trained {checkpoint['epoch']} epochs on {config['dataset']}), "
          f"evaluated on {data.name}: {len(test_set)} test images, test loss {result['loss']:.4f}")
    print(_report.class_table(result, classes))
    return 0
