"""Every program in examples/ runs with small sizes, and what it computes is checked (against PyTorch or maths)."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.helpers import assert_same

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so that pickling a class the example defines (torch.save(model)) finds it
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested():
    tested = {"tensors", "autograd", "lenet", "cifar10_classifier", "two_layer_net", "two_layer_nn", "two_layer_optim",
              "two_layer_module", "dynamic_net", "custom_function", "transfer_learning", "save_load"}
    assert {f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py")} == tested


def test_tensors():
    r = example("tensors").main()
    m = np.ones((4, 4))
    m[:, 1] = 0
    np.testing.assert_array_equal(r["matmul"], m @ m.T)
    np.testing.assert_array_equal(r["elementwise"], m * m)
    assert r["sum"] == 12.0
    np.testing.assert_array_equal(r["shared_numpy"], np.full(5, 2.0))  # the NumPy view saw add_(1)
    np.testing.assert_array_equal(r["shared_tensor"], np.full(5, 2.0))  # the tensor saw np.add(out=)


def test_autograd_matches_pytorch():
    r = example("autograd").main()
    w = torch.tensor(r["w"].numpy(), requires_grad=True)
    b = torch.tensor(r["b"].numpy(), requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.ones(5) @ w + b, torch.zeros(3))
    loss.backward()
    assert_same(r["w_grad"], w.grad, atol=1e-6, rtol=1e-5)
    assert_same(r["b_grad"], b.grad, atol=1e-6, rtol=1e-5)
    expected = 2 * (r["inp"].numpy() + 1)  # d/dx sum((x + 1)^2)
    np.testing.assert_allclose(r["first"].numpy(), expected)
    np.testing.assert_allclose(r["second"].numpy(), 2 * expected)


def test_lenet():
    r = example("lenet").main(quick=True)
    assert sum(p.numel() for p in r["net"].parameters()) == 61706  # 156 + 2416 + 48120 + 10164 + 850
    assert all(b < a for a, b in zip(r["losses"], r["losses"][1:]))


def test_cifar10_classifier_learns_generated_data():
    r = example("cifar10_classifier").main(quick=True)
    assert sum(r["total"].values()) == 200 and set(r["per_class"]) == set(example("cifar10_classifier").CLASSES)
    assert r["overall"] == pytest.approx(100 * sum(r["correct"].values()) / 200)
    assert r["overall"] > 40  # chance is 10 %


def test_two_layer_net():
    final = example("two_layer_net").main(steps=60)
    assert final < 1e6  # from about 3e7 at the first step (random 1000x100 and 100x10 weights)


@pytest.mark.parametrize("name", ["two_layer_nn", "two_layer_optim", "two_layer_module"])
def test_two_layer_variants_fit(name):
    losses = example(name).main(steps=150)
    assert losses[-1] < 0.05 * losses[0]


def test_nn_and_module_variants_agree():
    """nn.Sequential(Linear, ReLU, Linear) and the Module with clamp(min=0) are one function: same losses."""
    a = example("two_layer_nn").main(steps=20)
    b = example("two_layer_module").main(steps=20)
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_dynamic_net():
    losses, model = example("dynamic_net").main(steps=120)
    assert set(model.depths) == {0, 1, 2, 3} and len(model.depths) == 120
    assert np.mean(losses[-20:]) < 0.2 * losses[0]


def test_custom_function_matches_pytorch_fit():
    steps = 200
    r = example("custom_function").main(steps=steps)
    assert r["gradcheck"] is True
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    params = [torch.tensor(v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    for _ in range(steps):  # the same fit with PyTorch differentiating P3 itself
        a, b, c, d = params
        z = c + d * x
        loss = (a + b * 0.5 * (5 * z ** 3 - 3 * z) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 5e-6 * p.grad
                p.grad = None
    np.testing.assert_allclose(r["coefficients"], [p.item() for p in params], rtol=1e-3, atol=1e-5)


def test_transfer_learning():
    r = example("transfer_learning").main(quick=True, epochs=4)
    assert r["lr"] == pytest.approx(0.01 * 0.1 ** 2)  # StepLR(step_size=2, gamma=0.1) after 4 epochs
    train_acc = [acc for phase, _, acc in r["history"] if phase == "train"]
    val_acc = [acc for phase, _, acc in r["history"] if phase == "val"]
    assert len(train_acc) == len(val_acc) == 4 and train_acc[-1] >= 0.75
    assert r["best_acc"] == max(val_acc)
    assert r["model"].fc.out_features == 2


@pytest.mark.filterwarnings("ignore:ember.load with weights_only=False")  # the example shows that case on purpose
def test_save_load(tmp_path):
    r = example("save_load").main(out=str(tmp_path))
    assert r["same_output"] is True and r["continued"] == r["resumed"]
    for k, v in r["weights"].items():
        np.testing.assert_array_equal(v.numpy(), r["resumed_weights"][k].numpy())
    assert r["files"] == ["checkpoint.pt", "model.pt", "model_weights.pt"]
    state = torch.load(tmp_path / "model_weights.pt", weights_only=True)  # PyTorch reads ember's files
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 5 and list(checkpoint["optimizer_state_dict"]["state"]) == [0, 1, 2, 3]
    for k, v in state.items():  # both saved after the first five steps
        torch.testing.assert_close(checkpoint["model_state_dict"][k], v, rtol=0, atol=0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    net.load_state_dict({k.replace("fc1", "0").replace("fc2", "2"): v for k, v in state.items()})


@pytest.mark.parametrize("name", ["cifar10_classifier", "transfer_learning"])
def test_command_line_quick(name):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--quick", "--epochs", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
