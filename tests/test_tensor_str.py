"""ember._tensor_str must print tensors exactly like PyTorch's repr (with 'torch.' spelled 'ember.')."""

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

try:
    from ember import _tensor_str as ts
except ImportError:  # the package may not be importable while it is being assembled
    _path = pathlib.Path(__file__).resolve().parents[1] / "ember" / "_tensor_str.py"
    _spec = importlib.util.spec_from_file_location("_ember_tensor_str", _path)
    ts = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(ts)


class FakeDType:
    def __init__(self, name: str) -> None:
        self.name = name
        np_dtype = np.dtype(name)
        self.is_floating_point = np_dtype.kind == "f"
        self.itemsize = np_dtype.itemsize

    def __str__(self) -> str:
        return "ember." + self.name


class FakeDevice:
    def __init__(self, spec: str = "cpu") -> None:
        self.type, _, index = spec.partition(":")
        self.index = int(index) if index else None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


class FakeGradFn:
    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class FakeTensor:
    def __init__(self, data, requires_grad=False, grad_fn=None, device="cpu") -> None:
        self._data = data
        self.dtype = FakeDType(data.dtype.name)
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None
        self.device = FakeDevice(device)


@pytest.fixture(autouse=True)
def restore_print_options():
    yield
    ts.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def set_both(**kwargs) -> None:
    ts.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def fake_of(t: torch.Tensor) -> FakeTensor:
    grad_fn = None if t.grad_fn is None else FakeGradFn(type(t.grad_fn).__name__)
    return FakeTensor(t.detach().numpy().copy(), t.requires_grad, grad_fn)


def expected(t: torch.Tensor) -> str:
    return repr(t).replace("torch.", "ember.")


def check_array(arr: np.ndarray, **kwargs) -> None:
    """Compare printing the (possibly non-contiguous) array with torch's repr of a copy."""
    want = expected(torch.from_numpy(np.array(arr)))
    default = str(torch.get_default_dtype()).removeprefix("torch.")
    assert ts.format_tensor(FakeTensor(arr), default_dtype_name=default, **kwargs) == want


def check(t: torch.Tensor) -> None:
    default = str(torch.get_default_dtype()).removeprefix("torch.")
    assert ts.format_tensor(fake_of(t), default_dtype_name=default) == expected(t)


NAN, INF = math.nan, math.inf
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
FLOAT_CASES = [
    [1.0, 2.0], [1.5, -2.25, 3.0], [0.0, 0.0], [-0.0, 1.0], [0.1, 0.25, -0.3], [1e-5, 1.0], [1.0, 1001.0],
    [1.5, 1e8], [123456789.0], [1e-10, 1e10], [NAN, 1.0], [INF, -INF, 2.5], [NAN, INF], [NAN], [-0.0],
    [3.0], [1e-4, 0.5], [0.00012, 0.1], [1000.0, 1.0], [65504.0, -1.0], [2.0**60, 1.0], [1e300, 1e-300],
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_each_dtype(dtype):
    values = np.array([[0, 1, 5], [3, 127, 2]])
    check_array(values.astype(dtype))
    check_array(np.array(7).astype(dtype))
    check_array(np.array([]).astype(dtype))
    check_array(np.zeros((0, 3)).astype(dtype))
    check_array(np.zeros((2, 0, 3)).astype(dtype))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("values", FLOAT_CASES, ids=str)
def test_float_values(dtype, values):
    with np.errstate(over="ignore"):
        check_array(np.array(values, dtype=dtype))
        check_array(np.array(values, dtype=dtype).reshape(-1, 1))


@pytest.mark.parametrize("value", [3.0, -0.0, 0.5, 1e-8, 1e9, NAN, -INF, 123.456])
def test_zero_dim_float(value):
    check_array(np.array(value, dtype=np.float32))
    check_array(np.array(value, dtype=np.float64))


def test_integers_and_bool():
    check_array(np.array([-128, 0, 127], dtype=np.int8))
    check_array(np.array([0, 255], dtype=np.uint8))
    check_array(np.array([2**62, -(2**63)], dtype=np.int64))
    check_array(np.array([[True, False], [False, True]]))


@pytest.mark.parametrize("shape", [(2000,), (100, 100), (20, 20, 20), (2, 3, 200), (7, 1, 1000)])
def test_summarised(shape):
    arr = np.arange(math.prod(shape)).reshape(shape)
    check_array(arr)
    check_array(arr.astype(np.float32) / 7)
    check_array(arr.astype(np.float64) * 1e6)


def test_long_rows_wrap():
    check_array(np.arange(100, dtype=np.float32) / 3)
    check_array(np.arange(60).reshape(2, 30))
    check_array(np.linspace(-1e6, 1e-3, 40).reshape(2, 2, 10))
    set_both(linewidth=30)
    check_array(np.arange(30, dtype=np.float64).reshape(3, 10) / 7)
    set_both(linewidth=3)
    check_array(np.arange(5))


def test_non_contiguous():
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 3
    check_array(arr.transpose(2, 0, 1))
    check_array(arr[:, ::2, ::-1])
    check_array(np.arange(4000.0).reshape(40, 100).T[::3])


def test_autograd_suffixes():
    leaf = torch.tensor([1.0, 2.0], requires_grad=True)
    check(leaf)
    check(leaf + 1)
    check((leaf * 2).sum())
    check(torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) * 3)
    check(torch.arange(100.0, requires_grad=True).reshape(4, 25).exp())
    check(torch.arange(3000.0, requires_grad=True).reshape(30, 100) / 7)


def test_suffix_wraps_to_new_line():
    check_array(np.arange(9, dtype=np.float64) * 1e7)
    check_array(np.arange(14, dtype=np.int16) * 1000)
    check(torch.arange(11.0, dtype=torch.float16, requires_grad=True) * 1e4)


def test_device_suffix():
    data = np.array([1.0, 2.0], dtype=np.float32)
    assert ts.format_tensor(FakeTensor(data, device="cuda:0")) == "tensor([1., 2.], device='cuda:0')"
    got = ts.format_tensor(FakeTensor(data.astype(np.float64), requires_grad=True, device="cuda:1"))
    assert got == "tensor([1., 2.], device='cuda:1', dtype=ember.float64, requires_grad=True)"
    got = ts.format_tensor(FakeTensor(np.zeros((0, 2), dtype=np.int64), device="cuda:0"))
    assert got == "tensor([], device='cuda:0', size=(0, 2), dtype=ember.int64)"


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    for dtype in ["float32", "float64", "int64"]:
        check_array(np.array([1.5, 2.0]).astype(dtype))
        check_array(np.zeros(0, dtype=dtype))


@pytest.mark.parametrize(
    "options",
    [
        dict(precision=2), dict(precision=8), dict(sci_mode=True), dict(sci_mode=False),
        dict(threshold=5, edgeitems=2), dict(threshold=5, edgeitems=0), dict(threshold=0, edgeitems=1),
        dict(profile="full"), dict(profile="short"), dict(profile="short", precision=6),
        dict(linewidth=120), dict(precision=0),
    ],
    ids=str,
)
def test_print_options(options):
    set_both(**options)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    check_array(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    check_array(np.array([0.123456789, -12.5, 1e-5, 0.0], dtype=np.float64))
    check_array(np.array([1.0, 1e5, NAN], dtype=np.float32))
    check_array(np.arange(12).reshape(3, 4))
    check_array(np.arange(2000, dtype=np.float32).reshape(10, 200) / 3)
    check_array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    check_array(np.array(2.5))


def test_printoptions_defaults_and_profiles():
    defaults = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    assert ts.get_printoptions() == defaults
    ts.set_printoptions(profile="full", sci_mode=True)
    assert ts.get_printoptions()["threshold"] == math.inf
    ts.set_printoptions(edgeitems=5)  # sci_mode is reset to None whenever it is not given
    assert ts.get_printoptions() == {**defaults, "threshold": math.inf, "edgeitems": 5}
    ts.set_printoptions(profile="no-such-profile")
    assert ts.get_printoptions()["edgeitems"] == 5
    with ts.printoptions(precision=1):
        assert ts.get_printoptions()["precision"] == 1
    assert ts.get_printoptions()["precision"] == 4


def test_prefix_and_indent():
    data = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    want = expected(torch.from_numpy(data.copy()))
    got = ts.format_tensor(FakeTensor(data), prefix="Parameter containing:\ntensor(")
    assert got == "Parameter containing:\n" + want
    got = ts.format_tensor(FakeTensor(data), prefix="Box(")
    assert got == want.replace("tensor(", "Box(").replace("\n       ", "\n    ")
    assert ts.format_tensor(FakeTensor(data), prefix="Box(", indent=7).startswith("Box([[")


@settings(max_examples=150, deadline=None)
@given(
    arr=hnp.arrays(
        dtype=np.float64,
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12),
        elements=st.one_of(st.floats(-1e9, 1e9), st.floats(-1e-3, 1e-3), st.integers(-2000, 2000).map(float),
                           st.floats(allow_nan=True, allow_infinity=True)),
    ),
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    precision=st.integers(0, 6),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_random_floats(arr, dtype, precision, sci_mode):
    set_both(precision=precision, sci_mode=sci_mode, threshold=200, edgeitems=2)
    with np.errstate(over="ignore"):
        check_array(arr.astype(dtype))
