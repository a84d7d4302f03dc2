"""`ember train` / `ember eval`: the tutorial CNN against PyTorch's, resume equivalence, Ctrl-C, checkpoints."""

from __future__ import annotations

import os
import pickle
import re
import signal

import numpy as np
import pytest
import torch

import ember
from ember.cli import _checkpoint, train
from ember.cli.__main__ import main
from ember.cli._models import LeNet
from tests.helpers import assert_same
from tests.nn._oracle import copy_module

QUICK = ["--limit", "96", "--batch-size", "32", "--no-plots"]


class TorchNet(torch.nn.Module):
    """The PyTorch tutorial's CNN, written with torch as the tutorial does."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5)
        self.pool = torch.nn.MaxPool2d(2, 2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def _weights(path: str) -> dict:
    return {k: v.numpy().copy() for k, v in ember.load(path)["model"].items()}


def test_train_steps_match_pytorch():
    """Three of the engine's SGD-momentum steps on the tutorial CNN equal PyTorch's, weight for weight."""
    torch.manual_seed(0)
    t_net, e_net = TorchNet(), LeNet(1, 10)
    copy_module(t_net, e_net)
    t_opt = torch.optim.SGD(t_net.parameters(), lr=0.01, momentum=0.9)
    e_opt = ember.optim.SGD(e_net.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((8, 1, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, 8)
        t_opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(t_net(torch.tensor(x)), torch.tensor(y))
        t_loss.backward()
        t_opt.step()
        e_loss = train._train_step(e_net, ember.nn.CrossEntropyLoss(), e_opt, ember.tensor(x), ember.tensor(y))
        assert e_loss == pytest.approx(t_loss.item(), rel=1e-5)
    for name, p in t_net.named_parameters():
        assert_same(dict(e_net.named_parameters())[name], p, atol=1e-5, rtol=1e-4)


def test_train_writes_checkpoint_and_eval_reads_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--out", out, *QUICK]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    final_bar = captured.err.replace("\r", "\n").strip().splitlines()[-1]  # tqdm's last redraw
    assert re.search(r"epoch 1/1: 100%.*96/96 .*img/s, loss=\d\.\d{4}\]", final_bar), final_bar
    state = ember.load(os.path.join(out, "checkpoint.pt"))
    assert state["epoch"] == 1 and state["batch"] == 0
    assert state["config"]["model"] == "lenet" and state["config"]["dataset"] == "digits"
    assert set(state["optimizer"]) == {"state", "param_groups"}
    assert len(state["optimizer"]["state"]) == 10  # a momentum buffer per parameter
    assert "overall accuracy:" in printed and f"output folder: {out}" in printed
    overall = [line for line in printed.splitlines() if line.startswith("overall accuracy")][0]
    assert main(["eval", os.path.join(out, "checkpoint.pt")]) == 0
    assert overall in capsys.readouterr().out  # eval reproduces train's final accuracy


def test_checkpoint_loads_in_pytorch(tmp_path):
    """The checkpoint is PyTorch's format: torch.load reads it and the weights fit the tutorial CNN."""
    out = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--out", out, *QUICK]) == 0
    state = torch.load(os.path.join(out, "checkpoint.pt"), weights_only=True)
    net = TorchNet()
    net.load_state_dict(state["model"])
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    opt.load_state_dict(state["optimizer"])


def test_resume_equals_uninterrupted_run(tmp_path):
    straight, split = str(tmp_path / "straight"), str(tmp_path / "split")
    assert main(["train", "--epochs", "2", "--out", straight, *QUICK]) == 0
    assert main(["train", "--epochs", "1", "--out", split, *QUICK]) == 0
    first = _weights(os.path.join(split, "checkpoint.pt"))
    assert main(["train", "--resume", "--epochs", "2", "--out", split]) == 0
    a, b = _weights(os.path.join(straight, "checkpoint.pt")), _weights(os.path.join(split, "checkpoint.pt"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert any(not np.array_equal(first[k], b[k]) for k in a)  # the resumed epoch did train


def test_ctrl_c_saves_checkpoint_and_resume_is_exact(tmp_path, monkeypatch, capsys):
    straight, split = str(tmp_path / "straight"), str(tmp_path / "split")
    assert main(["train", "--epochs", "2", "--out", straight, *QUICK]) == 0
    calls = {"n": 0}
    real_step = train._train_step

    def step_then_ctrl_c(*args):
        loss = real_step(*args)
        calls["n"] += 1
        if calls["n"] == 4:  # second batch of epoch 2
            signal.raise_signal(signal.SIGINT)
        return loss

    monkeypatch.setattr(train, "_train_step", step_then_ctrl_c)
    assert main(["train", "--epochs", "2", "--out", split, *QUICK]) == 130
    assert "interrupted in epoch 2 after batch 1" in capsys.readouterr().out
    saved = ember.load(os.path.join(split, "checkpoint.pt"))
    assert (saved["epoch"], saved["batch"]) == (1, 1)
    monkeypatch.setattr(train, "_train_step", real_step)
    assert main(["train", "--resume", "--out", split]) == 0
    a, b = _weights(os.path.join(straight, "checkpoint.pt")), _weights(os.path.join(split, "checkpoint.pt"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_failed_save_leaves_old_checkpoint_intact(tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    _checkpoint.save_checkpoint({"model": {"w": ember.ones(3)}, "config": {}}, path)
    before = open(path, "rb").read()
    with pytest.raises(pickle.PicklingError):
        _checkpoint.save_checkpoint({"model": {"w": ember.zeros(3)}, "config": {}, "bad": lambda: None}, path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["checkpoint.pt"]  # no temporary file left behind
    assert_same(ember.load(path)["model"]["w"], torch.ones(3))


def test_rng_states_roundtrip():
    import random

    ember.manual_seed(3)
    random.seed(3)
    np.random.seed(3)
    states = _checkpoint.rng_states()
    expected = (ember.rand(4).numpy(), random.random(), np.random.rand(2))
    _checkpoint.set_rng_states(states)
    np.testing.assert_array_equal(ember.rand(4).numpy(), expected[0])
    assert random.random() == expected[1]
    np.testing.assert_array_equal(np.random.rand(2), expected[2])


def test_other_models_and_resume_mismatch(tmp_path, capsys):
    out = str(tmp_path / "mlp")
    assert main(["train", "--model", "mlp", "--epochs", "1", "--out", out, *QUICK]) == 0
    assert ember.load(os.path.join(out, "checkpoint.pt"))["model"]["1.weight"].shape == (256, 1024)
    assert main(["train", "--resume", "--model", "lenet", "--out", out]) == 1
    assert "the checkpoint was trained with --model mlp" in capsys.readouterr().err


def test_workers_give_the_same_run(tmp_path):
    """Batches from worker processes are the batches of the main process: the same weights at the end."""
    main_only, workers = str(tmp_path / "w0"), str(tmp_path / "w2")
    assert main(["train", "--epochs", "1", "--out", main_only, *QUICK]) == 0
    assert main(["train", "--epochs", "1", "--workers", "2", "--out", workers, *QUICK]) == 0
    a, b = _weights(os.path.join(main_only, "checkpoint.pt")), _weights(os.path.join(workers, "checkpoint.pt"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_eval_on_an_incompatible_dataset(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--out", out, *QUICK]) == 0
    (tmp_path / "imgs" / "a").mkdir(parents=True)
    (tmp_path / "imgs" / "b").mkdir(parents=True)
    from PIL import Image

    for folder in ("a", "b"):
        for i in range(3):
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(tmp_path / "imgs" / folder / f"{i}.png")
    capsys.readouterr()
    assert main(["eval", os.path.join(out, "checkpoint.pt"), "--dataset", f"imagefolder:{tmp_path / 'imgs'}"]) == 1
    err = capsys.readouterr().err
    assert "was trained on digits (10 classes, 1 channel)" in err and "has 2 classes and 3 channels" in err
    assert err.count("\n") == 1
