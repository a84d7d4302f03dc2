"""Our users' tensor and autograd snippets (../shared/seeds) run on ember with only the import changed."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import ember as torch
from ember.autograd import Variable


def test_basic_creation_and_add_out():
    x = torch.empty(5, 3)
    assert x.shape == (5, 3) and x.dtype is torch.float32
    assert torch.zeros(5, 3, dtype=torch.long).dtype is torch.int64
    assert torch.tensor([5, 4]).tolist() == [5, 4]
    x = torch.randn_like(x, dtype=torch.float)
    y = torch.rand(5, 3)
    result = torch.empty(5, 3)
    torch.add(x, y, out=result)
    np.testing.assert_allclose(result.numpy(), x.numpy() + y.numpy(), rtol=1e-6)
    y.add_(x)
    np.testing.assert_allclose(y.numpy(), result.numpy(), rtol=1e-6)


def test_inplace_copy_and_views():
    a = torch.tensor([1])
    b = torch.tensor([2])
    b.add_(a)
    assert b.item() == 3
    b.copy_(a)
    assert b.item() == 1
    x = torch.randn(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    assert (x.size(), y.size(), z.size()) == ((4, 4), (16,), (2, 8))
    x[0, 0] = 42.0
    assert y[0].item() == 42.0 and z[0, 0].item() == 42.0
    assert isinstance(torch.randn(1).item(), float)


def test_numpy_bridge_shares_memory():
    a = torch.ones(5)
    b = a.numpy()
    a.add_(1)
    assert b.tolist() == [2.0] * 5
    a = np.ones(5)
    b = torch.from_numpy(a)
    np.add(a, 1, out=a)
    assert b.tolist() == [2.0] * 5 and b.dtype is torch.float64


def test_device_snippet_runs_on_cpu():
    x = torch.tensor([10, 20, 30], dtype=torch.double)
    if torch.cuda.is_available():  # pragma: no cover - no GPU in CI
        raise AssertionError("this machine has no GPU")
    z = x.to("cpu", torch.double)
    assert z is x
    assert str(x.to(torch.float).dtype) == "ember.float32"


def test_tensor_vs_Tensor():
    t1 = torch.Tensor([1, 2])
    t2 = torch.tensor([1, 2])
    t3 = torch.tensor([1.0, 2.0])
    assert (t1.dtype, t1.type()) == (torch.float32, "ember.FloatTensor")
    assert (t2.dtype, t2.type()) == (torch.int64, "ember.LongTensor")
    assert (t3.dtype, t3.type()) == (torch.float32, "ember.FloatTensor")
    assert type(t1) is torch.Tensor
    assert torch.Tensor(5, 3).shape == (5, 3)


def compute():
    x = torch.tensor([[1, 2], [3, 4]], dtype=torch.double, requires_grad=True)
    y = 2 * x + 1
    z = y * y + 1
    out = z.mean()
    return {"x": x, "y": y, "z": z, "out": out}


def test_compute_backward_and_retain_grad():
    tensors = compute()
    tensors["out"].backward()
    assert tensors["x"].grad.tolist() == [[3.0, 5.0], [7.0, 9.0]]
    assert tensors["x"].is_leaf and not tensors["y"].is_leaf
    assert tensors["out"].grad_fn.name() == "MeanBackward0"
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert tensors["y"].grad is None
    tensors = compute()
    for _, tensor in tensors.items():
        tensor.retain_grad()
    tensors["out"].backward()
    assert tensors["out"].grad.item() == 1.0
    assert tensors["z"].grad.tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert tensors["y"].grad.tolist() == [[1.5, 2.5], [3.5, 4.5]]


def test_backward_with_float_gradients_on_double_output():
    tensors = compute()
    gradients = torch.tensor([[0.5, 1], [2, 4]], dtype=torch.float)
    tensors["z"].backward(gradients)
    assert tensors["x"].grad.tolist() == [[6.0, 20.0], [56.0, 144.0]]
    assert tensors["x"].grad.dtype is torch.float64


@pytest.mark.parametrize("lib", [torch, real_torch])
def test_norm_loop_vector_jacobian(lib):
    lib.manual_seed(0)
    x = lib.rand(3)
    x = (Variable if lib is torch else real_torch.autograd.Variable)(x, requires_grad=True)
    y = x * 2
    steps = 1
    while y.data.norm() < 1000:
        y = y * 2
        steps += 1
    gradients = lib.FloatTensor([0.1, 1.0, 0.0001])
    y.backward(gradients)
    np.testing.assert_allclose(x.grad.numpy(), np.array([0.1, 1.0, 0.0001]) * 2 ** steps, rtol=1e-6)


def test_no_grad_requires_grad_flags():
    x = torch.randn(3, requires_grad=True)
    assert x.requires_grad and (x ** 2).requires_grad
    with torch.no_grad():
        assert not (x ** 2).requires_grad
    a = torch.randn(2, 2)
    a = (a * 3) / (a - 1)
    assert not a.requires_grad
    a.requires_grad_(True)
    b = (a * a).sum()
    assert b.grad_fn.name() == "SumBackward0"


def test_variable_ones_mean():
    x = Variable(torch.ones(2, 2), requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"


def test_demo_two_layer_net_learns():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "two_layer_net.py"
    spec = importlib.util.spec_from_file_location("two_layer_net", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(steps=300) < 1.0
