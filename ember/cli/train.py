"""`ember train`: the demo's engine. Trains a model on a dataset with SGD + momentum, evaluates every epoch,
checkpoints atomically every epoch and on Ctrl-C, resumes exactly (Note [exact resume] in _checkpoint.py),
and draws the loss/accuracy curves and a grid of predictions.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time

import ember
import ember.nn as nn
from ember.utils.data import DataLoader, Subset

from . import _report
from ._checkpoint import CHECKPOINT_NAME, load_checkpoint, rng_states, save_checkpoint, set_rng_states
from ._datasets import DATASETS, check_dataset_name, load_dataset
from ._errors import CLIError, require
from ._models import MODELS, build_model, check_model_name

# the demo's defaults: > 95% test accuracy on digits in well under a minute of 2-core CPU time
DEFAULTS = {"model": "lenet", "dataset": "digits", "epochs": 12, "batch_size": 32, "lr": 0.01, "momentum": 0.9,
            "seed": 0, "limit": None}
CONFIG_KEYS = ("model", "dataset", "batch_size", "lr", "momentum", "seed", "limit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `ember train` (None means: the default, or the checkpoint's value with --resume)."""
    p.add_argument("--model", help=f"network: {', '.join(MODELS)} (default lenet)")
    p.add_argument("--dataset", help=f"data: {', '.join(DATASETS)} (default digits)")
    p.add_argument("--epochs", type=_positive_int, help=f"total epochs (default {DEFAULTS['epochs']})")
    p.add_argument("--batch-size", type=_positive_int, help=f"batch size (default {DEFAULTS['batch_size']})")
    p.add_argument("--lr", type=_positive_float, help=f"SGD learning rate (default {DEFAULTS['lr']})")
    p.add_argument("--momentum", type=float, help=f"SGD momentum (default {DEFAULTS['momentum']})")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--limit", type=_positive_int, help="use only the first N train and N test images (quick runs)")
    p.add_argument("--workers", type=_non_negative_int, default=0, help="DataLoader worker processes (default 0)")
    p.add_argument("--threads", type=_positive_int, help="BLAS/compute threads (default: 1 for lenet and mlp, whose "
                   "small matrix products lose more to thread hand-offs than they gain; all cores for resnet18)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to train (default cpu)")
    p.add_argument("--data", default="data", help="folder of downloadable datasets (default ./data)")
    p.add_argument("--out", help="output folder (default runs/<dataset>-<model>)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--no-plots", action="store_true", help="skip the two PNGs")


def _number(text: str, kind: type, test, wanted: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got '{text}'") from None
    if not test(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
    return value


def _positive_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def _non_negative_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, "an integer >= 0")


def _positive_float(text: str) -> float:
    return _number(text, float, lambda v: v > 0, "a positive number")


def default_out(config: dict) -> str:
    """runs/<dataset>-<model>, with an ImageFolder's path reduced to its last component."""
    dataset = config["dataset"]
    if dataset.startswith("imagefolder:"):
        dataset = "imagefolder-" + (os.path.basename(os.path.normpath(dataset[12:])) or "data")
    return os.path.join("runs", f"{dataset}-{config['model']}")


def prepare_out(out: str) -> str:
    """Create the output folder and check it can be written, or fail with a one-line CLIError."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"output folder '{out}' is a file")
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise CLIError(f"output folder '{out}' is not writable: {e.strerror or e}") from None
    return out


def resolve_config(args: argparse.Namespace, checkpoint: dict | None) -> dict:
    """Options given on the command line, else the checkpoint's (with --resume), else the defaults."""
    config = dict(DEFAULTS)
    if checkpoint is not None:
        saved = checkpoint["config"]
        for key in CONFIG_KEYS:
            given = getattr(args, key)
            if given is not None and given != saved.get(key):
                flag = "--" + key.replace("_", "-")
                raise CLIError(f"--resume: the checkpoint was trained with {flag} {saved.get(key)}, not {given} "
                               f"(drop {flag} or train into a new --out)")
        config.update(saved)
    config.update({k: getattr(args, k) for k in (*CONFIG_KEYS, "epochs") if getattr(args, k) is not None})
    return config


class _StopRequest:
    """Turns the first Ctrl-C into a request to stop after the current batch (a second one stops at once)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _StopRequest:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        except ValueError:  # not the main thread: Ctrl-C stays a plain KeyboardInterrupt
            self._previous = None
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _train_step(model, criterion, optimizer, images, labels) -> float:
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def _progress(total: int, epoch: int, epochs: int):
    tqdm = require("tqdm", why="the progress bar").tqdm
    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="img", leave=True, dynamic_ncols=True,
                file=sys.stderr, mininterval=0.25)


def _device(name: str) -> ember.device:
    if name == "cuda" and not ember.cuda.is_available():
        raise CLIError("--device cuda: CUDA is not usable here (ember's GPU backend needs CuPy and an NVIDIA GPU)")
    return ember.device(name)


def train(args: argparse.Namespace) -> int:
    """Run `ember train` with parsed arguments; returns the exit code (130 after Ctrl-C)."""
    checkpoint = None
    if args.resume:
        if args.out is None and args.model is None and args.dataset is None:
            args.out = default_out(DEFAULTS)
        out = args.out or default_out({**DEFAULTS, **{k: v for k, v in vars(args).items() if v is not None}})
        checkpoint = load_checkpoint(os.path.join(out, CHECKPOINT_NAME))
    config = resolve_config(args, checkpoint)
    check_model_name(config["model"])
    check_dataset_name(config["dataset"])
    out = prepare_out(args.out or default_out(config))
    device = _device(args.device)
    if not args.no_plots:
        require("matplotlib", why="drawing the plots", hint=" (or pass --no-plots)")
    require("tqdm", why="the progress bar")
    threads = args.threads or (1 if config["model"] in ("lenet", "mlp") else None)
    if threads:
        ember.set_num_threads(threads)

    run = Run(config, args, device, out)
    if checkpoint is not None:
        run.restore(checkpoint)
    run.announce()
    with _StopRequest() as stop:
        while run.epoch < config["epochs"]:
            if not run.train_epoch(stop):
                print(f"\ninterrupted in epoch {run.epoch + 1} after batch {run.batch}: checkpoint saved to "
                      f"{run.checkpoint_path}; continue with: ember train --resume --out {out}")
                return 130
    run.finish(plots=not args.no_plots)
    return 0


class Run:
    """One training run: data, model, optimizer, progress, and the checkpoints that let it resume exactly."""

    def __init__(self, config: dict, args: argparse.Namespace, device: ember.device, out: str) -> None:
        self.config, self.device, self.out = config, device, out
        self.checkpoint_path = os.path.join(out, CHECKPOINT_NAME)
        ember.manual_seed(config["seed"])
        self.data = load_dataset(config["dataset"], args.data)
        self.train_set, self.test_set = self.data.train, self.data.test
        if config["limit"]:
            self.train_set = Subset(self.train_set, range(min(config["limit"], len(self.train_set))))
            self.test_set = Subset(self.test_set, range(min(config["limit"], len(self.test_set))))
        self.model = build_model(config["model"], self.data.in_channels, len(self.data.classes)).to(device)
        self.optimizer = ember.optim.SGD(self.model.parameters(), lr=config["lr"], momentum=config["momentum"])
        self.criterion = nn.CrossEntropyLoss()
        self.train_loader = DataLoader(self.train_set, batch_size=config["batch_size"], shuffle=True,
                                       num_workers=args.workers)
        self.test_loader = DataLoader(self.test_set, batch_size=256, shuffle=False, num_workers=args.workers)
        self.epoch, self.batch, self.history = 0, 0, []
        self._resume_rng: tuple[dict, dict] | None = None  # (epoch start, now) of an interrupted epoch
        self._running = (0.0, 0)  # loss sum and images seen so far in the current epoch

    def restore(self, checkpoint: dict) -> None:
        """Continue from a checkpoint (Note [exact resume])."""
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.epoch, self.batch, self.history = checkpoint["epoch"], checkpoint["batch"], list(checkpoint["history"])
        self._running = tuple(checkpoint["running"])
        if self.batch:
            self._resume_rng = (checkpoint["epoch_rng"], checkpoint["rng"])
        else:  # at an epoch boundary the saved state is the one the next epoch starts from
            set_rng_states(checkpoint["rng"])
        where = f"epoch {self.epoch + 1}, batch {self.batch}" if self.batch else f"the end of epoch {self.epoch}"
        print(f"resuming from {self.checkpoint_path} at {where}")

    def announce(self) -> None:
        """The one line saying what is trained on what."""
        c = self.config
        print(f"ember {ember.__version__}: training {c['model']} on {self.data.name} ({len(self.train_set)} train / "
              f"{len(self.test_set)} test images, {len(self.data.classes)} classes) for {c['epochs']} epochs on "
              f"{self.device}; SGD lr={c['lr']} momentum={c['momentum']}, batch size {c['batch_size']}, "
              f"seed {c['seed']}")

    def _state(self, epoch_rng: dict | None) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": self.epoch,
                "batch": self.batch, "running": list(self._running), "rng": rng_states(), "epoch_rng": epoch_rng,
                "history": self.history, "config": self.config, "classes": self.data.classes,
                "in_channels": self.data.in_channels}

    def _batches(self):
        """The epoch's batch iterator, advanced past the batches an interrupted run already trained."""
        if self._resume_rng is not None:
            set_rng_states(self._resume_rng[0])
        epoch_rng = rng_states()
        batches = iter(self.train_loader)  # draws the shuffle's seed from the RNG, as PyTorch's sampler does
        for _ in range(self.batch):
            next(batches)
        if self._resume_rng is not None:
            set_rng_states(self._resume_rng[1])
            self._resume_rng = None
        return batches, epoch_rng

    def train_epoch(self, stop: _StopRequest) -> bool:
        """Train (the rest of) one epoch, evaluate and checkpoint; False when Ctrl-C stopped it (checkpoint saved)."""
        start = time.perf_counter()
        batches, epoch_rng = self._batches()
        loss_sum, seen = self._running
        bar = _progress(len(self.train_set), self.epoch + 1, self.config["epochs"])
        bar.update(min(self.batch * self.config["batch_size"], len(self.train_set)))
        self.model.train()
        for images, labels in batches:
            images, labels = images.to(self.device), labels.to(self.device)
            loss_sum += _train_step(self.model, self.criterion, self.optimizer, images, labels) * len(labels)
            seen += len(labels)
            self.batch += 1
            bar.update(len(labels))
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
            if stop.requested:
                break
        bar.close()
        if stop.requested:
            del batches  # stops worker processes before the checkpoint is written
            self._running = (loss_sum, seen)
            save_checkpoint(self._state(epoch_rng), self.checkpoint_path)
            return False
        result = _report.evaluate(self.model, self.test_loader, self.device, len(self.data.classes))
        self.epoch, self.batch, self._running = self.epoch + 1, 0, (0.0, 0)
        self.history.append({"epoch": self.epoch, "train_loss": loss_sum / max(seen, 1), "test_loss": result["loss"],
                             "test_accuracy": result["accuracy"], "seconds": time.perf_counter() - start})
        print(f"epoch {self.epoch:2d}/{self.config['epochs']}  train loss {self.history[-1]['train_loss']:.4f}  "
              f"test loss {result['loss']:.4f}  test accuracy {100 * result['accuracy']:6.2f} %  "
              f"({self.history[-1]['seconds']:.1f} s)")
        save_checkpoint(self._state(None), self.checkpoint_path)
        return True

    def finish(self, plots: bool) -> None:
        """The per-class table, the two PNGs and the list of files written."""
        result = _report.evaluate(self.model, self.test_loader, self.device, len(self.data.classes))
        print()
        print(_report.class_table(result, self.data.classes))
        if plots and self.history:
            _report.plot_curves(self.history, os.path.join(self.out, "curves.png"))
            _report.plot_predictions(result, self.data.classes, os.path.join(self.out, "predictions.png"))
        print(f"\noutput folder: {self.out}")
        for path in _report.output_files(self.out):
            print(f"  {path}")
