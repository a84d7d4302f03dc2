"""`ember run`: unmodified PyTorch scripts on ember through the import hook, checked against PyTorch itself."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

import ember
from ember.cli.run import AliasModule, ember_name, torch_aliases
from tests.vision.test_datasets import make_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "tests", "cli", "scripts")


def ember_run(script: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "ember.cli", "run", os.path.join(SCRIPTS, script), *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def torch_run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, script), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?|-?\d+", text)]


@pytest.mark.parametrize("torch_name, expected", [
    ("torch", "ember"), ("torch.nn", "ember.nn"), ("torch.nn.functional", "ember.nn.functional"),
    ("torch.utils.data", "ember.utils.data"), ("torch.optim.lr_scheduler", "ember.optim.lr_scheduler"),
    ("torchvision", "ember.vision"), ("torchvision.transforms", "ember.vision.transforms"),
    ("torchvision.models", "ember.vision.models"), ("torchaudio", None), ("torch_geometric", None), ("numpy", None),
])
def test_names(torch_name, expected):
    assert ember_name(torch_name) == expected


def test_hook_resolves_and_leaves_no_trace():
    real_torch = sys.modules["torch"]
    meta_path = list(sys.meta_path)
    with torch_aliases():
        import torch as t  # noqa: F811 (the alias, inside the hook)
        import torch.nn as nn
        import torch.nn.functional as F
        import torchvision
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader
        from torchvision import transforms

        assert isinstance(t, AliasModule) and t.__name__ == "torch"
        assert t.Tensor is ember.Tensor and nn.Module is ember.nn.Module and F.relu is ember.nn.functional.relu
        assert DataLoader is ember.utils.data.DataLoader and StepLR is ember.optim.lr_scheduler.StepLR
        assert transforms.ToTensor is ember.vision.transforms.ToTensor
        assert torchvision.models.resnet18 is ember.vision.models.resnet18
        assert t.nn is nn and t.nn.functional is F  # attribute access and import give the same alias
        assert isinstance(t.tensor([1.0]), ember.Tensor)
        with pytest.raises(AttributeError, match=r"^ember.nn has no attribute 'Transformerish' \(the script asked "
                                                 r"for torch.nn.Transformerish\)$"):
            nn.Transformerish  # noqa: B018
        with pytest.raises(ModuleNotFoundError, match="ember has no module 'ember.distributed'"):
            import torch.distributed.rpc  # noqa: F401
    assert sys.modules["torch"] is real_torch and sys.meta_path == meta_path
    assert not any(isinstance(m, AliasModule) for m in sys.modules.values())
    assert not isinstance(ember.nn, AliasModule)


def test_setting_a_flag_reaches_ember():
    before = ember.backends.cudnn.benchmark
    try:
        with torch_aliases():
            import torch as t

            t.backends.cudnn.benchmark = not before
        assert ember.backends.cudnn.benchmark is (not before)
    finally:
        ember.backends.cudnn.benchmark = before


def _torch_transforms() -> types.ModuleType:
    """torchvision's ToTensor and Normalize written out in torch, for running train_loop.py on PyTorch here."""
    tv, tf = types.ModuleType("torchvision"), types.ModuleType("torchvision.transforms")
    tf.Compose = lambda fs: (lambda x: [x := f(x) for f in fs][-1])
    tf.ToTensor = lambda: (lambda a: torch.from_numpy(a.transpose(2, 0, 1).astype(np.float32) / 255))
    tf.Normalize = lambda m, s: (lambda x: (x - torch.tensor(m).view(-1, 1, 1)) / torch.tensor(s).view(-1, 1, 1))
    tv.transforms = tf
    return tv


def test_training_loop_matches_pytorch(monkeypatch, capsys):
    ours = ember_run("train_loop.py", "3")
    assert ours.returncode == 0, ours.stderr
    tv = _torch_transforms()
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.transforms", tv.transforms)
    monkeypatch.setattr(sys, "argv", ["train_loop.py", "3"])
    runpy.run_path(os.path.join(SCRIPTS, "train_loop.py"), run_name="__main__")
    theirs = capsys.readouterr().out
    assert len(ours.stdout.splitlines()) == 4
    np.testing.assert_allclose(numbers(ours.stdout), numbers(theirs), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("script", ["custom_function.py", "save_load.py"])
def test_script_matches_pytorch(script, tmp_path):
    args = [str(tmp_path)] if script == "save_load.py" else []
    ours, theirs = ember_run(script, *args), torch_run(script, *args)
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr + theirs.stderr
    assert [line.split()[0] for line in ours.stdout.splitlines()] == [line.split()[0] for line in
                                                                      theirs.stdout.splitlines()]
    np.testing.assert_allclose(numbers(ours.stdout), numbers(theirs.stdout), rtol=1e-7, atol=1e-9)
    if script == "save_load.py":  # the file ember wrote is PyTorch's format
        state = torch.load(tmp_path / "model.pt", weights_only=True)
        assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_missing_attribute_is_named():
    result = ember_run("missing_attr.py")
    assert result.returncode == 1
    assert result.stdout == "before 3.0\n"
    assert result.stderr.strip().splitlines()[-1] == (
        "AttributeError: ember has no attribute 'definitely_not_a_torch_function' "
        "(the script asked for torch.definitely_not_a_torch_function)")


def test_mnist_example_end_to_end(tmp_path):
    """The official MNIST example's shape (argparse, use_cuda/mps, kwargs dicts, Adadelta + StepLR) on idx files."""
    make_mnist(tmp_path / "data", n_train=12, n_test=6)
    work = tmp_path / "work"
    work.mkdir()
    result = ember_run("mnist_example.py", "--epochs", "2", "--batch-size", "4", "--dry-run", "--save-model",
                       cwd=str(work))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Train Epoch:") == 2 and result.stdout.count("Test set: Average loss") == 2
    assert "Accuracy:" in result.stdout and "/6 (" in result.stdout
    state = torch.load(work / "mnist_cnn.pt", weights_only=True)
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,), "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
        "fc1.weight": (128, 9216), "fc1.bias": (128,), "fc2.weight": (10, 128), "fc2.bias": (10,)}


def test_argv_name_and_exit_code(tmp_path):
    script = tmp_path / "argv.py"
    script.write_text("import sys, torch\nprint(__name__, sys.argv[1:], torch.__name__)\nsys.exit(3)\n")
    result = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script), "a", "--b", "-c"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 3
    assert result.stdout == "__main__ ['a', '--b', '-c'] torch\n"
