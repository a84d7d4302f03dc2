"""Tensor factories (tensor, legacy constructors, from_numpy, zeros/full/arange/linspace/..., *_like) vs PyTorch.

Most cases are one expression written against `lib`, evaluated once with `lib = ember` and once with
`lib = torch`: results must agree in dtype, shape and values, errors in type and message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember


def _outcome(expr: str, lib, names: dict):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", eval(expr, {"lib": lib, "np": np, **names})
    except Exception as e:  # noqa: BLE001 - the exception itself is what we compare
        return "error", e


def same_behaviour(expr: str, check_message: bool = True, exact: bool = True, **names) -> None:
    """expr gives the same result (tensor dtype/shape/values, or other value) or error under ember and torch."""
    (ek, ev), (tk, tv) = _outcome(expr, ember, names), _outcome(expr, torch, names)
    if tk == "error":
        assert ek == "error", f"torch raised {type(tv).__name__}: {tv}, ember returned {ev!r}"
        assert type(ev).__name__ == type(tv).__name__, f"ember raised {type(ev).__name__}: {ev}; torch {tv!r}"
        if check_message:
            assert str(ev) == str(tv).replace("torch", "ember")
        return
    assert ek == "ok", f"ember raised {type(ev).__name__}: {ev}; torch returned {tv!r}"
    if isinstance(tv, torch.Tensor):
        assert isinstance(ev, ember.Tensor), f"expected a tensor, got {ev!r}"
        assert str(ev.dtype) == str(tv.dtype).replace("torch", "ember")
        assert tuple(ev.shape) == tuple(tv.shape)
        a, b = ev.detach().numpy(), tv.detach().numpy()
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=2e-7, atol=1e-15)
    else:
        assert repr(ev) == repr(tv).replace("torch", "ember")


@pytest.fixture
def float64_default():
    """Run a test with float64 as the default dtype in both libraries."""
    old_e, old_t = ember.get_default_dtype(), torch.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    yield
    ember.set_default_dtype(old_e)
    torch.set_default_dtype(old_t)


# -- tensor(): dtype inference and storage ------------------------------------------------------------------
TENSOR_CASES = [
    "lib.tensor(3)", "lib.tensor(2.5)", "lib.tensor(True)", "lib.tensor([1, 2])", "lib.tensor([1.0, 2])",
    "lib.tensor([True, False])", "lib.tensor([1, 2.5, True])", "lib.tensor([True, 2])", "lib.tensor((1, 2))",
    "lib.tensor(range(3))", "lib.tensor([[1, 2], (3, 4)])", "lib.tensor([[[1], [2]], [[3], [4]]])",
    "lib.tensor([])", "lib.tensor([[]])", "lib.tensor([[], []])", "lib.tensor([[], [1]])", "lib.tensor(())",
    "lib.tensor(np.float64(1.5))", "lib.tensor(np.float32(1.5))", "lib.tensor(np.int32(3))",
    "lib.tensor(np.uint8(200))", "lib.tensor(np.bool_(True))", "lib.tensor([np.float64(1.5), 1.0])",
    "lib.tensor([np.int32(1), 2])", "lib.tensor([np.int8(1), True])", "lib.tensor([np.float16(1.5), 2.0])",
    "lib.tensor([np.float16(1.5), np.int64(2)])", "lib.tensor([np.bool_(True), 2.5])",
    "lib.tensor(np.array([1, 2], dtype=np.int16))", "lib.tensor(np.array([[1.5, 2]], dtype=np.float64))",
    "lib.tensor(np.array(3.5, dtype=np.float16))", "lib.tensor([np.array([1, 2]), np.array([3, 4])])",
    "lib.tensor([np.array([1, 2], dtype=np.int32), [3, 4]])", "lib.tensor(np.array([[1, 2], [3, 4]]).T)",
    "lib.tensor([lib.tensor(1), lib.tensor(2.5)])", "lib.tensor([lib.tensor(1.0), lib.tensor(2)])",
    "lib.tensor([lib.tensor([1]), lib.tensor([2])])", "lib.tensor([[lib.tensor([1.0])]])",
    "lib.tensor([lib.tensor(1, dtype=lib.int8), 300])",
    "lib.tensor([lib.tensor(1, dtype=lib.int8), lib.tensor(1, dtype=lib.uint8)])",
    "lib.tensor([lib.tensor(1, dtype=lib.float64), 1.0])", "lib.tensor(lib.tensor([1, 2]))",
    "lib.tensor(lib.tensor([1, 2]), dtype=lib.float16)",
    "lib.tensor([[1.5, 2], [3, 4]], dtype=lib.int64)", "lib.tensor([1, 2], dtype=lib.float64)",
    "lib.tensor([2, 0], dtype=lib.bool)", "lib.tensor([2.5, 0], dtype=lib.bool)", "lib.tensor([-1], dtype=lib.uint8)",
    "lib.tensor([-255], dtype=lib.uint8)", "lib.tensor(-1, dtype=lib.uint8)", "lib.tensor([1e40], dtype=lib.float32)",
    "lib.tensor([1e300], dtype=lib.float16)", "lib.tensor([2**63 - 1])", "lib.tensor([2**63], dtype=lib.float64)",
    "lib.tensor([2**70], dtype=lib.float32)", "lib.tensor([2**63], dtype=lib.bool)",
    "lib.tensor(np.array([300]), dtype=lib.uint8)", "lib.tensor([[1, 2], [3, 4]], dtype=lib.int8)",
    "lib.tensor([1, 2.0], dtype=lib.float16)", "lib.tensor([], dtype=lib.int64)",
]

TENSOR_ERRORS = [
    "lib.tensor([[1, 2], [3]])", "lib.tensor([[1, 2], [3, 4, 5]])", "lib.tensor([[[1], [2]], [[3], [4, 5]]])",
    "lib.tensor([[1], []])", "lib.tensor([[1, 2], 3])", "lib.tensor([1, [2, 3]])", "lib.tensor([1.0, [2, 3]])",
    "lib.tensor([True, [True]])", "lib.tensor([[1, 2], [3, [4]]])", "lib.tensor([1.5, [2]], dtype=lib.int64)",
    "lib.tensor([1, [2]], dtype=lib.float64)", "lib.tensor('ab')", "lib.tensor(b'ab')", "lib.tensor(['a'])",
    "lib.tensor([1, 'a'])", "lib.tensor([1, b'a'])", "lib.tensor(None)", "lib.tensor([1, None])",
    "lib.tensor([1, object()])", "lib.tensor({1: 2})", "lib.tensor(x for x in range(3))",
    "lib.tensor([np.array(1.0), np.array(2.0)])", "lib.tensor([lib.tensor([1.0, 2]), lib.tensor([3.0, 4])])",
    "lib.tensor([lib.tensor([1, 2])])", "lib.tensor([lib.tensor([True, False])])",
    "lib.tensor([lib.tensor(1.5)], dtype=lib.int8)", "lib.tensor([lib.tensor(300)], dtype=lib.int8)",
    "lib.tensor([2**63])", "lib.tensor([-2**63 - 1])", "lib.tensor([2**64])", "lib.tensor([1, 2**63])",
    "lib.tensor(2**63)", "lib.tensor([2**63], dtype=lib.uint8)", "lib.tensor([1.5, -1.5], dtype=lib.uint8)",
    "lib.tensor([300], dtype=lib.uint8)", "lib.tensor([-256], dtype=lib.uint8)", "lib.tensor([-0.5], dtype=lib.uint8)",
    "lib.tensor([255.9], dtype=lib.uint8)", "lib.tensor([-129], dtype=lib.int8)", "lib.tensor([127.5], dtype=lib.int8)",
    "lib.tensor([40000], dtype=lib.int16)", "lib.tensor(300, dtype=lib.uint8)", "lib.tensor(9.3e18, dtype=lib.int64)",
    "lib.tensor([float('nan'), float('inf')], dtype=lib.int64)", "lib.tensor(float('nan'), dtype=lib.int32)",
    "lib.tensor([1, 2], dtype=lib.int32, requires_grad=True)",
]


@pytest.mark.parametrize("expr", TENSOR_CASES)
def test_tensor_inference(expr):
    """tensor() infers torch's dtype and shape from nested data and stores the same values."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", TENSOR_ERRORS)
def test_tensor_errors(expr):
    """Ragged, ill-typed and out-of-range data raise torch's exception type and message."""
    same_behaviour(expr)


def test_tensor_requires_grad_and_copy():
    """tensor() copies its input and honours requires_grad for floats."""
    src = ember.ones(3)
    t = ember.tensor(src, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    t.detach()[0] = 5.0
    assert src.tolist() == [1.0, 1.0, 1.0]
    arr = np.zeros(2)
    e = ember.tensor(arr)
    arr[0] = 1.0
    assert e.tolist() == [0.0, 0.0]


def test_default_dtype_float64(float64_default):
    """With float64 as default, factories and inference follow it in both libraries."""
    for expr in ["lib.tensor([1.5])", "lib.tensor([1, 2.5])", "lib.zeros(2)", "lib.ones(1)", "lib.full((2,), 1.5)",
                 "lib.arange(0.5, 2)", "lib.linspace(0, 1, 3)", "lib.logspace(0, 1, 3)", "lib.Tensor([1, 2])",
                 "lib.tensor([np.float16(1), 1.0])", "lib.tensor([1, 2]) / 2", "lib.tensor([1, 2]) * 0.5",
                 "lib.FloatTensor([1])", "lib.empty(2).dtype", "lib.rand(2).dtype", "lib.eye(2)"]:
        same_behaviour(expr)


def test_set_default_dtype_rejects_ints():
    """Only floating dtypes may be the default: TypeError with torch's message."""
    same_behaviour("lib.set_default_dtype(lib.int64)")
    same_behaviour("lib.set_default_dtype(lib.bool)")
    assert ember.get_default_dtype() is ember.float32


# -- legacy constructors ------------------------------------------------------------------------------------
LEGACY_CASES = [
    "lib.Tensor(2, 3).shape", "lib.Tensor(2, 3).dtype", "lib.Tensor([1, 2])", "lib.Tensor([True, False])",
    "lib.Tensor()", "lib.Tensor(0)", "lib.Tensor(2, 0).shape", "lib.Tensor(lib.Size([2, 3])).shape",
    "lib.Tensor((2, 3))", "lib.Tensor(range(3))", "lib.Tensor([])", "lib.Tensor([[]]).shape",
    "lib.Tensor(np.int64(3)).shape", "lib.Tensor(np.array([1, 2]))", "lib.Tensor(lib.tensor([1, 2]))",
    "lib.Tensor(2, 3, device='cpu').shape", "lib.Tensor([1, 2], device='cpu')",
    "lib.FloatTensor(2, 3).dtype", "lib.FloatTensor([1, 2])", "lib.LongTensor([1.7, 2])", "lib.DoubleTensor([1, 2])",
    "lib.IntTensor([1, 2])", "lib.ByteTensor([1, 2])", "lib.ByteTensor([-1])", "lib.BoolTensor([1, 0])",
    "lib.HalfTensor([1, 2])", "lib.ShortTensor([1, 2])", "lib.CharTensor([1, 2])", "lib.LongTensor()",
    "lib.LongTensor(3).shape", "lib.BoolTensor(2).shape", "lib.FloatTensor(lib.Size([2, 2])).shape",
    "lib.FloatTensor(lib.tensor([1.0, 2]))", "lib.LongTensor(np.array([1.5, 2]))",
    "lib.FloatTensor.dtype", "lib.LongTensor.dtype", "lib.FloatTensor.is_cuda",
]
LEGACY_ERRORS = [
    "lib.Tensor([[1, 2], [3]])", "lib.Tensor(2, 3.0)", "lib.Tensor(-1)", "lib.Tensor(None)", "lib.Tensor(True)",
    "lib.Tensor(2.5)", "lib.Tensor('a')", "lib.Tensor(2, (3,))", "lib.IntTensor([300000000000])",
    "lib.ByteTensor([300])", "lib.FloatTensor(lib.tensor([1, 2]))", "lib.LongTensor(lib.tensor([1.0, 2]))",
]


@pytest.mark.parametrize("expr", LEGACY_CASES)
def test_legacy_constructors(expr):
    """ember.Tensor(...) and FloatTensor/LongTensor/... build what torch's legacy constructors build."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", LEGACY_ERRORS)
def test_legacy_constructor_errors(expr):
    """Bad legacy-constructor arguments raise torch's exception type and message."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", ["lib.Tensor([1, 2], dtype=lib.float64)", "lib.Tensor(foo=1)"])
def test_legacy_constructor_rejects_keywords(expr):
    """Keywords other than device= are rejected with a TypeError (torch's message lists its overloads)."""
    same_behaviour(expr, check_message=False)


def test_legacy_tensor_aliases_its_argument():
    """ember.Tensor(t) shares memory with t, as torch.Tensor(t) does."""
    t = ember.zeros(3)
    alias = ember.Tensor(t)
    alias[0] = 7.0
    assert t[0].item() == 7.0


@pytest.mark.parametrize("expr", [
    "isinstance(lib.tensor([1.0]), lib.FloatTensor)", "isinstance(lib.tensor([1.0]), lib.DoubleTensor)",
    "isinstance(lib.tensor([1]), lib.LongTensor)", "isinstance(lib.tensor([1], dtype=lib.int32), lib.IntTensor)",
    "isinstance(lib.tensor([True]), lib.BoolTensor)", "isinstance(lib.tensor([1.0]), lib.Tensor)",
    "isinstance(lib.FloatTensor([1.0]), lib.Tensor)", "type(lib.FloatTensor([1.0])) is lib.Tensor",
    "issubclass(lib.FloatTensor, lib.Tensor)", "isinstance(1, lib.FloatTensor)",
    "isinstance(lib.Tensor(), lib.FloatTensor)",
    "isinstance(lib.zeros(1, dtype=lib.float64), lib.FloatTensor)", "lib.FloatTensor.__name__",
])
def test_legacy_isinstance(expr):
    """isinstance against legacy type classes asks about the dtype, as in torch."""
    same_behaviour(expr)


# -- NumPy interop --------------------------------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    """Writes through the array show in the tensor and vice versa; dtype and shape are kept."""
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.dtype is ember.int32 and t.shape == (2, 3)
    a[0, 1] = 100
    assert t[0, 1].item() == 100
    t[1, 2] = -5
    assert a[1, 2] == -5
    t.add_(1)
    assert a[0, 0] == 1
    strided = np.zeros((4, 6))[::2, ::3]
    s = ember.from_numpy(strided)
    assert s.stride() == torch.from_numpy(strided).stride()


@pytest.mark.parametrize("np_dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                      "uint8", "bool"])
def test_from_numpy_dtypes(np_dtype):
    """Every supported NumPy dtype maps to the dtype torch picks."""
    a = np.ones(3, dtype=np_dtype)
    assert str(ember.from_numpy(a).dtype) == str(torch.from_numpy(a).dtype).replace("torch", "ember")


@pytest.mark.parametrize("expr", ["lib.from_numpy(np.array(['a']))", "lib.from_numpy(np.array([1], dtype=object))"])
def test_from_numpy_unsupported(expr):
    """Unsupported arrays raise TypeError naming the NumPy type (ember's list of supported types is shorter)."""
    (_, e), (_, t) = _outcome(expr, ember, {}), _outcome(expr, torch, {})
    assert type(e) is type(t) is TypeError
    assert str(e).split(". ")[0] == str(t).split(". ")[0]


@pytest.mark.parametrize("np_dtype", ["complex64", "uint16", "uint32", "uint64"])
def test_from_numpy_types_ember_lacks(np_dtype):
    """Types torch has but ember does not raise a TypeError that names them."""
    with pytest.raises(TypeError, match=f"can't convert np.ndarray of type numpy.{np_dtype}"):
        ember.from_numpy(np.ones(2, dtype=np_dtype))
    with pytest.raises(TypeError, match=f"numpy.{np_dtype}"):
        ember.tensor(np.ones(2, dtype=np_dtype))


def test_from_numpy_errors():
    """Non-arrays, byte-swapped and read-only arrays behave as in torch."""
    same_behaviour("lib.from_numpy([1, 2])")
    same_behaviour("lib.from_numpy(np.arange(3, dtype='>i4'))")
    ro = np.arange(3.0)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        ember.from_numpy(ro)


def test_as_tensor_shares_when_possible():
    """as_tensor keeps memory for arrays/tensors of the right dtype and copies otherwise."""
    a = np.zeros(3, dtype=np.float32)
    t = ember.as_tensor(a)
    a[0] = 1
    assert t[0].item() == 1
    c = ember.as_tensor(a, dtype=ember.float64)
    a[1] = 2
    assert c.dtype is ember.float64 and c[1].item() == 0
    e = ember.ones(2)
    assert ember.as_tensor(e) is e
    assert ember.as_tensor(e, dtype=ember.float32) is e
    assert ember.as_tensor(e, dtype=ember.int64).dtype is ember.int64
    for expr in ["lib.as_tensor([1, 2.5])", "lib.as_tensor([[1], [2]], dtype=lib.int8)", "lib.as_tensor(3)",
                 "lib.asarray([1, 2])", "lib.asarray(np.ones(2, dtype=np.float64))"]:
        same_behaviour(expr)
    shared = ember.asarray(a)
    a[2] = 9
    assert shared[2].item() == 9
    copied = ember.asarray(a, copy=True)
    a[2] = 10
    assert copied[2].item() == 9


def test_numpy_shares_memory_and_requires_grad_error():
    """t.numpy() is a view of the tensor's memory; it refuses tensors that require grad, as torch does."""
    t = ember.zeros(3)
    n = t.numpy()
    n[0] = 4.0
    assert t[0].item() == 4.0
    t[1] = 2.0
    assert n[1] == 2.0
    same_behaviour("lib.ones(2, requires_grad=True).numpy()")
    assert ember.ones(2, requires_grad=True).numpy(force=True).tolist() == [1.0, 1.0]
    assert np.asarray(t).base is not None or np.shares_memory(np.asarray(t), n)
    np.testing.assert_array_equal(np.asarray(ember.tensor([[1, 2]])), np.asarray(torch.tensor([[1, 2]])))
    assert np.asarray(ember.tensor([1, 2]), dtype=np.float32).dtype == np.float32
    assert np.array(ember.tensor([1.5])).tolist() == [1.5]


# -- filled factories ---------------------------------------------------------------------------------------
FILLED_CASES = [
    "lib.zeros(2, 3)", "lib.zeros((2, 3))", "lib.zeros([2, 3])", "lib.zeros(lib.Size([2, 3]))", "lib.zeros(())",
    "lib.zeros([])", "lib.zeros(0)", "lib.zeros(2, 0, 3)", "lib.zeros(2, 3, dtype=lib.int32)", "lib.zeros(np.int64(2))",
    "lib.zeros(lib.tensor(2))", "lib.ones(2, dtype=lib.bool)", "lib.ones(2, 3, dtype=lib.float16)",
    "lib.ones(2, 3, requires_grad=True).requires_grad", "lib.empty(2, 3).shape", "lib.empty(2, 3).dtype",
    "lib.empty((2,), dtype=lib.int8).dtype", "lib.empty(0).shape", "lib.zeros(2, 3, 4).stride()",
    "lib.full((2,), 3)", "lib.full((2,), 1.5)", "lib.full((2,), True)", "lib.full((2,), np.float64(1.5))",
    "lib.full((2,), np.int32(1))", "lib.full((2,), lib.tensor(2))",
    "lib.full((2,), lib.tensor(2.5, dtype=lib.float64))",
    "lib.full([2, 2], 7, dtype=lib.float16)", "lib.full((), 3)", "lib.full((2,), -1, dtype=lib.uint8)",
    "lib.full((2,), 2.5, dtype=lib.bool)", "lib.full((2,), 1.5, dtype=lib.int64)",
    "lib.full((2, 3), 1, dtype=lib.float64)",
    "lib.full((2,), float('inf'))", "lib.full((2,), float('nan'), dtype=lib.float16)",
    "lib.eye(3)", "lib.eye(2, 3)", "lib.eye(3, 2, dtype=lib.int64)", "lib.eye(0)", "lib.eye(1, 0)",
    "lib.eye(2, dtype=lib.bool)", "lib.scalar_tensor(3)", "lib.scalar_tensor(True)",
    "lib.scalar_tensor(2.5, dtype=lib.float64)",
]
FILLED_ERRORS = [
    "lib.zeros(-1)", "lib.ones(-1)", "lib.ones(2, -1)", "lib.empty(-1)", "lib.full((-1,), 0)", "lib.zeros(2.5)",
    "lib.zeros((2, 2.5))", "lib.ones(2, 2.5)", "lib.zeros(True)", "lib.ones('a')", "lib.empty(2.5)", "lib.full(2, 3)",
    "lib.full((2,), 'a')", "lib.full((2,), None)", "lib.full((2,), 300, dtype=lib.uint8)",
    "lib.full((2,), 128, dtype=lib.int8)", "lib.full((2,), 2**31, dtype=lib.int32)",
    "lib.full((2,), 40000, dtype=lib.int16)", "lib.full((2,), 2**63)", "lib.full((2,), 1e300, dtype=lib.float16)",
    "lib.full((2,), 1e300, dtype=lib.float32)", "lib.full((2,), float('inf'), dtype=lib.int64)",
    "lib.full((2,), float('nan'), dtype=lib.int32)", "lib.eye(-1)", "lib.eye(2, -1)", "lib.eye(2.5)",
    "lib.ones(2, dtype=lib.int64, requires_grad=True)", "lib.empty(2, dtype=lib.int64, requires_grad=True)",
]


@pytest.mark.parametrize("expr", FILLED_CASES)
def test_filled_factories(expr):
    """zeros/ones/empty/full/eye/scalar_tensor: size forms, dtype inference from the fill value, values."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", FILLED_ERRORS)
def test_filled_factory_errors(expr):
    """Bad sizes, fill values that overflow, and int tensors requiring grad raise torch's errors."""
    same_behaviour(expr)


# -- ranges --------------------------------------------------------------------------------------------------
RANGE_CASES = [
    "lib.arange(5)", "lib.arange(1, 4)", "lib.arange(0, 1, 0.1)", "lib.arange(1, 2.5, 0.5)", "lib.arange(10, 0, -3)",
    "lib.arange(5.0)", "lib.arange(0, 5, 2.0)", "lib.arange(np.int64(3))", "lib.arange(lib.tensor(3))",
    "lib.arange(lib.tensor(3.0))", "lib.arange(0, 0)", "lib.arange(3, 3)", "lib.arange(5, dtype=lib.float64)",
    "lib.arange(0.5, 3, dtype=lib.int64)", "lib.arange(0.5, 3.7, 1.5, dtype=lib.int32)",
    "lib.arange(-2.5, 2.5, 0.5, dtype=lib.int16)", "lib.arange(-1.5, 2, 0.7)", "lib.arange(0, 1, 1 / 3)",
    "lib.arange(0, 0.3, 0.1)", "lib.arange(1, 1.3, 0.1)", "lib.arange(-5, 5, 0.25)",
    "lib.arange(0, 10, 3, dtype=lib.uint8)",
    "lib.arange(True)", "lib.arange(1e20, 1e20 + 10)", "lib.arange(0, 1, 0.25, dtype=lib.float16)",
    "lib.arange(-3, 3, 0.3, dtype=lib.float64)", "lib.arange(10, dtype=lib.uint8)",
    "lib.arange(0, 1, 0.5, dtype=lib.int32)",
    "lib.linspace(0, 1, 5)", "lib.linspace(0, 1, 1)", "lib.linspace(0, 1, 0)",
    "lib.linspace(-1, 1, 7, dtype=lib.float64)",
    "lib.linspace(0, 10, 4, dtype=lib.int64)", "lib.linspace(3, 3, 3)",
    "lib.linspace(lib.tensor(0.0), lib.tensor(1.0), 3)",
    "lib.linspace(10, 0, 6, dtype=lib.int32)", "lib.linspace(-5, 5, 7, dtype=lib.int8)", "lib.linspace(0, 1, 11)",
    "lib.linspace(-2.5, 7.25, 13, dtype=lib.float16)", "lib.linspace(0.5, 10.9, 5, dtype=lib.int64)",
    "lib.logspace(0, 2, 3)", "lib.logspace(0, 2, 3, base=2)", "lib.logspace(0, 1, 1)",
    "lib.logspace(0.825, 2, 1, dtype=lib.int64)",
    "lib.logspace(0, 1, 0)", "lib.logspace(0, 3, 4, dtype=lib.int64)", "lib.logspace(-2, 2, 5, dtype=lib.float64)",
    "lib.logspace(0, 3, 4, base=2, dtype=lib.int32)", "lib.logspace(-1, 1, 9, base=1.7)",
]
RANGE_ERRORS = [
    "lib.arange(0, 10, 0)", "lib.arange(0, -1, 1)", "lib.arange(5, 0)", "lib.arange(float('inf'))",
    "lib.arange(float('nan'))", "lib.arange(0, 1e30, 1e-5)", "lib.arange(3, dtype=lib.bool)", "lib.linspace(0, 10, -1)",
    "lib.linspace(0, 1, 3, dtype=lib.bool)", "lib.arange(0, 1, 0.5, dtype=lib.int64)",
]


@pytest.mark.parametrize("expr", RANGE_CASES)
def test_ranges(expr):
    """arange/linspace/logspace: dtype inference, lengths, and values (bit-identical except float arange).

    PyTorch's vectorised arange kernel rounds differently depending on the CPU's vector width, so float
    arange values are compared to within an ulp.
    """
    same_behaviour(expr, exact=not expr.startswith("lib.arange"))


@pytest.mark.parametrize("expr", RANGE_ERRORS)
def test_range_errors(expr):
    """Zero or inconsistent steps, non-finite bounds and bool dtypes raise torch's errors."""
    same_behaviour(expr)


def test_linspace_bad_steps():
    """A non-integer steps raises TypeError (torch's message lists every overload)."""
    same_behaviour("lib.linspace(0, 1, 2.5)", check_message=False)


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int64", "int32", "int16"])
def test_linspace_logspace_grids(name):
    """Random start/end/steps: values equal torch's exactly (float16 logspace within one ulp)."""
    rng = np.random.default_rng(7)
    e_dt, t_dt = getattr(ember, name), getattr(torch, name)
    for k in range(150):
        a, b = rng.uniform(-100, 100, 2)
        if k % 2:
            a, b = float(int(a)), float(int(b))
        n = int(rng.integers(0, 40))
        np.testing.assert_array_equal(ember.linspace(a, b, n, dtype=e_dt).numpy(),
                                      torch.linspace(a, b, n, dtype=t_dt).numpy())
        base = (10.0, 2.0, 1.7)[k % 3]
        got = ember.logspace(a / 40, b / 40, n, base=base, dtype=e_dt).numpy()
        want = torch.logspace(a / 40, b / 40, n, base=base, dtype=t_dt).numpy()
        if name == "float16":
            np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-3)
        else:
            np.testing.assert_array_equal(got, want)


def test_arange_lengths_match_torch():
    """Float steps give torch's element counts (ceil((end - start) / step) in double precision)."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        start = float(rng.uniform(-5, 5))
        step = float(rng.choice([0.1, 0.2, 0.3, 1 / 3, 0.7, 0.05, -0.1, -0.3]))
        end = start + step * int(rng.integers(0, 40)) + float(rng.choice([0.0, 1e-12, -1e-12]))
        e, t = ember.arange(start, end, step), torch.arange(start, end, step)
        assert e.shape == t.shape, (start, end, step)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)


def test_range_is_deprecated_and_inclusive():
    """ember.range includes its end point and warns, like torch.range."""
    with pytest.warns(UserWarning, match="deprecated"):
        e = ember.range(1, 4)
    with pytest.warns(UserWarning, match="deprecated"):
        t = torch.range(1, 4)
    assert e.tolist() == t.tolist() and str(e.dtype) == str(t.dtype).replace("torch", "ember")


# -- out= ------------------------------------------------------------------------------------------------------
OUT_CASES = [
    "lib.zeros(2, out=lib.ones(2, dtype=lib.int64))", "lib.ones(2, 2, out=lib.zeros(3))",
    "lib.arange(4, out=lib.zeros(1))",
    "lib.arange(4, out=lib.zeros(1, dtype=lib.int32))", "lib.arange(0.5, 2, out=lib.zeros(1, dtype=lib.int32))",
    "lib.linspace(0, 1, 3, out=lib.zeros(1, dtype=lib.float64))",
    "lib.full((2,), 2.5, out=lib.zeros(2, dtype=lib.int64))",
    "lib.eye(2, out=lib.zeros(1))", "lib.empty(2, out=lib.zeros(2, dtype=lib.int64)).dtype",
    "lib.logspace(0, 2, 3, out=lib.zeros(3, dtype=lib.float64))",
]
OUT_ERRORS = [
    "lib.full([2], 5, out=lib.zeros(2), dtype=lib.int64)",
    "lib.zeros(2, out=lib.zeros(2, dtype=lib.int64), dtype=lib.float32)",
]


@pytest.mark.parametrize("expr", OUT_CASES)
def test_factory_out(expr):
    """out= takes the out tensor's dtype, is resized to the result, and is what the call returns."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", OUT_ERRORS)
def test_factory_out_dtype_mismatch(expr):
    """An explicit dtype that differs from out's dtype is an error, as in torch."""
    same_behaviour(expr)


def test_factory_out_is_returned_and_written():
    """The out tensor itself is filled and returned."""
    out = ember.empty(0, dtype=ember.int64)
    r = ember.arange(3, out=out)
    assert r is out and out.tolist() == [0, 1, 2]
    z = ember.ones(2, 2)
    assert ember.zeros(2, 2, out=z) is z and z.sum().item() == 0


# -- *_like ---------------------------------------------------------------------------------------------------
LIKE_INPUTS = {
    "contig": "lib.ones(2, 3, dtype=lib.int32)", "transposed": "lib.ones(2, 3).T",
    "permuted": "lib.ones(2, 3, 4).permute(2, 0, 1)", "sliced": "lib.ones(4, 6)[::2, ::3]",
    "sliced_t": "lib.ones(4, 6)[::2, ::3].T", "expanded": "lib.ones(2).expand(3, 2)", "scalar": "lib.tensor(2.5)",
    "empty": "lib.ones(0, 3)", "column": "lib.ones(3, 1)",
}
# ember.Tensor.stride() reports NumPy's (0, 0) for an empty tensor where torch has (3, 1)
LAYOUT_INPUTS = {k: v for k, v in LIKE_INPUTS.items() if k != "empty"}


@pytest.mark.parametrize("fn", ["zeros_like(x{})", "ones_like(x{})", "empty_like(x{}).shape", "full_like(x, 7{})",
                                "full_like(x, 2.7{})", "rand_like(x.float(){}).shape", "randn_like(x.float(){}).dtype"])
@pytest.mark.parametrize("dtype", ["", ", dtype=lib.float64", ", dtype=lib.int8", ", dtype=lib.bool"])
def test_like_factories(fn, dtype):
    """*_like keep the input's shape and dtype unless overridden; values match torch for every input layout."""
    if "rand" in fn and ("int8" in dtype or "bool" in dtype):
        same_behaviour(f"lib.{fn.format(dtype)}".replace("x.float()", "lib.ones(2)"))
        return
    for src in LIKE_INPUTS.values():
        e = _outcome(f"lib.{fn.format(dtype)}", ember, {"x": eval(src, {"lib": ember})})
        t = _outcome(f"lib.{fn.format(dtype)}", torch, {"x": eval(src, {"lib": torch})})
        assert e[0] == t[0], (src, e, t)
        if isinstance(t[1], torch.Tensor):
            assert str(e[1].dtype) == str(t[1].dtype).replace("torch", "ember"), src
            assert e[1].tolist() == t[1].tolist(), src
        else:
            assert repr(e[1]) == repr(t[1]).replace("torch", "ember"), src


@pytest.mark.parametrize("src", list(LAYOUT_INPUTS.values()), ids=list(LAYOUT_INPUTS))
def test_like_factories_preserve_layout(src):
    """empty_like/zeros_like/clone keep a dense input's strides and lay out others as torch does."""
    for fn in ["lib.zeros_like(x).stride()", "lib.empty_like(x, dtype=lib.int64).stride()",
               "lib.full_like(x, 3).stride()", "x.clone().stride()", "x.contiguous().stride()",
               "lib.rand_like(x.float()).stride()"]:
        e = eval(fn, {"lib": ember, "x": eval(src, {"lib": ember})})
        t = eval(fn, {"lib": torch, "x": eval(src, {"lib": torch})})
        assert e == t, (fn, e, t)


@pytest.mark.parametrize("expr", [
    "lib.full_like(lib.ones(2, dtype=lib.uint8), 300)", "lib.full_like(lib.ones(2, dtype=lib.int8), 200)",
    "lib.full_like(lib.ones(2, dtype=lib.int8), 1.5)", "lib.full_like(lib.ones(2), 2, dtype=lib.bool)",
    "lib.ones_like(lib.ones(2, requires_grad=True)).requires_grad", "lib.zeros_like(lib.ones(2), requires_grad=True)",
    "lib.zeros_like(lib.ones(2, dtype=lib.int64), requires_grad=True)",
])
def test_like_factories_values_and_errors(expr):
    """full_like range checks, requires_grad handling."""
    same_behaviour(expr)
