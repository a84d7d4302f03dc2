"""Value-selecting reductions and sorting against PyTorch: max/min, amax/amin, argmax/argmin, aminmax,
sort, argsort, topk, median, nanmedian, kthvalue, mode, and the ember.return_types named tuples."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array

FLOATS = ["float32", "float64"]
INTS = ["int64", "int32", "uint8"]
# (shape, dim, keepdim) for ops taking one dim; random floats have no ties, so indices are unambiguous
DIM_CASES = [((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 4), -1, False), ((2, 3, 4), 1, True), ((5,), 0, False),
             ((), 0, False), ((), -1, True), ((0, 3), 1, False), ((3, 0, 2), -1, True)]
TIES = np.array([[2.0, 1, 2, 2, 1], [3, 3, 3, 3, 3], [0, -1, 5, 5, -1]])
NANS = np.array([[1.0, np.nan, 3, np.nan], [2, 5, 1, 0], [np.nan, np.nan, np.nan, np.nan]])


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else ember


# -- max, min, argmax, argmin -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,keepdim", DIM_CASES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim(name, shape, dim, keepdim, dtype):
    check_op(lambda x: getattr(x, name)(dim, keepdim), [shape], dtype=dtype)
    check_op(lambda x: getattr(_lib(x), name)(x, dim=dim, keepdim=keepdim), [shape], dtype=dtype, noncontig=True)


@pytest.mark.parametrize("dtype", FLOATS + INTS + ["bool"])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_full_and_integers(name, dtype):
    check_op(lambda x: getattr(x, name)(), [(3, 4)], dtype=dtype, low=-3, high=3)
    check_op(lambda x: getattr(x, name)(1), [(3, 4)], dtype=dtype, low=0, high=3)
    check_op(lambda x: getattr(x, name)(), [()], dtype=dtype)


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin", "amax", "amin", "median", "nanmedian", "mode"])
def test_ties_and_nan(name):
    check_op(lambda x: getattr(x, name)(1), arrays=[TIES])
    if name != "mode":  # PyTorch's mode of NaNs is unspecified, as is nanmedian's index in an all-NaN row
        check_op(lambda x: getattr(x, name)(1), arrays=[NANS[:2] if name == "nanmedian" else NANS])
    if name not in ("mode", "argmax", "argmin"):
        check_op(lambda x: getattr(x, name)(), arrays=[TIES])
        check_op(lambda x: getattr(x, name)(), arrays=[NANS])


def test_max_of_two_tensors_is_maximum():
    check_op(lambda x, y: x.max(y), [(2, 3), (3,)])
    check_op(lambda x, y: torch.min(x, other=y) if isinstance(x, torch.Tensor) else ember.min(x, other=y),
             [(2, 3), (2, 3)])
    assert ember.max(ember.ones(2, requires_grad=True), ember.zeros(2)).grad_fn.name() == "MaximumBackward0"


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("shape,dim,keepdim", DIM_CASES + [((3, 4), None, False), ((3, 4), None, True),
                                                          ((), None, False)])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, shape, dim, keepdim, dtype):
    check_op(lambda x: getattr(x, name)(dim, keepdim), [shape], dtype=dtype, low=-20, high=20)


def test_max_double_backward():
    a = make_array((3, 4), "float64")
    x, tx = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx,) = ember.autograd.grad(x.max(1).values.pow(2).sum(), x, create_graph=True)
    (tgx,) = torch.autograd.grad(tx.max(1).values.pow(2).sum(), tx, create_graph=True)
    assert_same(gx, tgx)
    assert_same(ember.autograd.grad(gx.sum(), x)[0], torch.autograd.grad(tgx.sum(), tx)[0])


# -- amax, amin, aminmax ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,keepdim", [((), False), (1, False), (-1, True), ((0, 2), False), ([2, 1], True),
                                         ((0, 1, 2), False)])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin(name, dim, keepdim, dtype):
    check_op(lambda x: getattr(x, name)(dim, keepdim), [(2, 3, 4)], dtype=dtype, noncontig=True)


@pytest.mark.parametrize("dtype", INTS + ["bool"])
def test_amax_amin_integers(dtype):
    check_op(lambda x: (x.amax(0), x.amin()), [(3, 4)], dtype=dtype, low=0, high=9)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}])
def test_aminmax(kwargs):
    def fn(x):
        # one stacked root: ember's engine mishandles two roots from one node (see the report)
        return _lib(x).stack(_lib(x).aminmax(x, **kwargs))

    check_op(fn, [(3, 4)])
    check_op(lambda x: _lib(x).aminmax(x, **kwargs), arrays=[TIES], grad=False)
    check_op(lambda x: _lib(x).stack(_lib(x).aminmax(x, **kwargs)), arrays=[TIES])
    check_op(lambda x: _lib(x).aminmax(x, **kwargs), [(3, 4)], dtype="int32", grad=False)


# -- sort, argsort, msort --------------------------------------------------------------------------------------
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((5,), 0), ((), 0), ((0, 3), 0),
                                       ((2, 0), -1)])
def test_sort(shape, dim, dtype, descending):
    check_op(lambda x: x.sort(dim, descending), [shape], dtype=dtype, noncontig=True)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("data", [TIES, NANS, np.array([[np.inf, -np.inf, 0.0, np.nan, -0.0, np.inf]])])
def test_sort_is_stable_with_ties_nan_and_inf(data, descending):
    check_op(lambda x: x.sort(descending=descending, stable=True), arrays=[data])
    check_op(lambda x: _lib(x).sort(x, dim=0, descending=descending), arrays=[data])
    check_op(lambda x: x.argsort(-1, descending), arrays=[data])


@pytest.mark.parametrize("dtype", INTS + ["bool", "int8"])
def test_sort_integers(dtype):
    check_op(lambda x: (x.sort(1), x.sort(0, descending=True), x.argsort(1, True)), [(4, 6)], dtype=dtype, low=0,
             high=3)


def test_argsort_and_msort():
    check_op(lambda x: _lib(x).argsort(x, dim=0, stable=True), [(3, 4)])
    check_op(lambda x: _lib(x).msort(x), [(3, 4)])
    check_op(lambda x: x.argsort(), [()])


# -- topk ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("shape,k,dim", [((3, 5), 2, -1), ((3, 5), 3, 0), ((3, 5), 0, 1), ((3, 5), 5, 1),
                                         ((2, 3, 4), 2, 1), ((6,), 6, 0), ((), 1, 0), ((0, 4), 2, 1)])
def test_topk(shape, k, dim, dtype, largest):
    # int64 draws from a wide range so that ties (whose order PyTorch leaves unspecified) are unlikely
    check_op(lambda x: x.topk(k, dim, largest), [shape], dtype=dtype, low=-10**6, high=10**6)


def test_topk_with_nan_and_keywords():
    data = np.array([[1.0, np.nan, 3, 0], [2, 5, 1, -1]])
    check_op(lambda x: x.topk(2), arrays=[data])
    check_op(lambda x: _lib(x).topk(x, k=2, dim=1, largest=False, sorted=True), arrays=[data])


def test_topk_unsorted_returns_the_same_set():
    a = make_array((4, 7), "float64")
    ev, ei = ember.tensor(a).topk(3, sorted=False)
    tv, ti = torch.tensor(a).topk(3, sorted=False)
    np.testing.assert_array_equal(np.sort(ev.numpy(), 1), np.sort(tv.numpy(), 1))
    np.testing.assert_array_equal(np.sort(ei.numpy(), 1), np.sort(ti.numpy(), 1))


# -- median, nanmedian, kthvalue, mode -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("shape,dim,keepdim", DIM_CASES)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_along_dim(name, shape, dim, keepdim, dtype):
    check_op(lambda x: getattr(x, name)(dim, keepdim), [shape], dtype=dtype, low=-10**6, high=10**6)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 3, 3), (), (1,)])
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_full_is_the_lower_median(name, shape):
    check_op(lambda x: getattr(x, name)(), [shape])
    check_op(lambda x: getattr(x, name)(), [shape], dtype="int32")


def test_median_of_empty_is_nan():
    check_op(lambda x: (x.median(), x.nanmedian()), [(0, 3)])


@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("shape,k,dim,keepdim", [((3, 5), 1, -1, False), ((3, 5), 5, 1, True), ((3, 5), 2, 0, False),
                                                 ((2, 3, 4), 3, 1, True), ((), 1, 0, False), ((0, 3), 2, 1, False)])
def test_kthvalue(shape, k, dim, keepdim, dtype):
    check_op(lambda x: x.kthvalue(k, dim, keepdim), [shape], dtype=dtype, low=-10**6, high=10**6)


def test_kthvalue_with_nan():
    check_op(lambda x: (x.kthvalue(2), x.kthvalue(4, 1)), arrays=[NANS[:2]])


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("dim,keepdim", [(-1, False), (0, True), (1, False)])
def test_mode(dim, keepdim, dtype):
    check_op(lambda x: x.mode(dim, keepdim), [(4, 7)], dtype=dtype, low=0, high=3)


def test_mode_picks_smallest_most_frequent_value_and_its_last_index():
    check_op(lambda x: x.mode(), arrays=[np.array([[3.0, 1, 3, 1, 2], [5, 5, 4, 4, 4], [7, 8, 9, 6, 0]])])
    check_op(lambda x: (x.mode(), x.mode(0)), [()])


@pytest.mark.parametrize("expr", ["x.max()", "x.max(1)[0]", "x.min()", "x.min(0)[0]", "x.amax(1)", "x.amin()",
                                  "x.sort()[0]", "x.topk(1)[0]", "x.median()", "x.median(1)[0]", "x.nanmedian()",
                                  "x.nanmedian(0)[0]", "x.kthvalue(1)[0]", "x.mode()[0]", "x.aminmax()[0]"])
def test_grad_fn_names(expr):
    e = eval(expr, {"x": ember.ones(2, 3, requires_grad=True)})
    t = eval(expr, {"x": torch.ones(2, 3, requires_grad=True)})
    assert e.grad_fn.name() == t.grad_fn.name()


def test_indices_do_not_require_grad():
    values, indices = ember.ones(2, 3, requires_grad=True).sort()
    assert values.requires_grad and not indices.requires_grad and indices.dtype == ember.int64


# -- errors ---------------------------------------------------------------------------------------------------
EMPTY = ember.zeros(0, 3)


@pytest.mark.parametrize("call,err,msg", [
    (lambda: EMPTY.max(), RuntimeError, "max\\(\\): Expected reduction dim to be specified for input.numel\\(\\) == 0. "
                                        "Specify the reduction dim with the 'dim' argument."),
    (lambda: EMPTY.min(-2), IndexError, "min\\(\\): Expected reduction dim 0 to have non-zero size."),
    (lambda: EMPTY.amax(), RuntimeError, "amax\\(\\): Expected reduction dim to be specified for input.numel"),
    (lambda: EMPTY.amin(-2), IndexError, "amin\\(\\): Expected reduction dim -2 to have non-zero size."),
    (lambda: EMPTY.argmax(), IndexError, "argmax\\(\\): Expected reduction dim to be specified for input.numel"),
    (lambda: EMPTY.argmin(0), IndexError, "argmin\\(\\): Expected reduction dim 0 to have non-zero size."),
    (lambda: ember.aminmax(EMPTY), RuntimeError, "aminmax\\(\\): cannot compute aminmax over an empty dimension"),
    (lambda: EMPTY.median(0), IndexError, "median\\(\\): Expected reduction dim 0 to have non-zero size."),
    (lambda: EMPTY.mode(0), IndexError, "mode\\(\\): Expected reduction dim 0 to have non-zero size."),
    (lambda: ember.ones(2, 3).topk(4), RuntimeError, "selected index k out of range"),
    (lambda: ember.ones(2, 3).topk(-1), RuntimeError, "selected index k out of range"),
    (lambda: ember.tensor(1.0).topk(2), RuntimeError, "selected index k out of range"),
    (lambda: ember.ones(2, 3).topk(1.5), TypeError, "topk\\(\\): argument 'k' \\(position 1\\) must be int, not float"),
    (lambda: ember.ones(2, dtype=ember.bool).topk(1), RuntimeError, "topk does not support bool dtypes"),
    (lambda: ember.ones(2, 3).kthvalue(4), RuntimeError, "kthvalue\\(\\): selected number k out of range for "
                                                          "dimension 1"),
    (lambda: ember.ones(2, 3).kthvalue(0, -2), RuntimeError, "selected number k out of range for dimension 0"),
    (lambda: ember.ones(2, dtype=ember.bool).argmax(), RuntimeError, "argmax\\(\\): does not support bool input"),
    (lambda: ember.ones(2, 3).sort(2), IndexError, "Dimension out of range \\(expected to be in range of \\[-2, 1\\]"),
    (lambda: ember.ones(2, 3).amax((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda: ember.ones(2, 3).max(5), IndexError, "Dimension out of range"),
])
def test_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_out_arguments():
    x = make_array((2, 3), "float32")
    e_vals, e_idx = ember.empty(0), ember.empty(0, dtype=ember.int64)
    t_vals, t_idx = torch.empty(0), torch.empty(0, dtype=torch.int64)
    ember.max(ember.tensor(x), 1, out=(e_vals, e_idx))
    torch.max(torch.tensor(x), 1, out=(t_vals, t_idx))
    assert_same((e_vals, e_idx), (t_vals, t_idx))
    e_vals, e_idx = ember.empty(0), ember.empty(0, dtype=ember.int64)
    t_vals, t_idx = torch.empty(0), torch.empty(0, dtype=torch.int64)
    ember.sort(ember.tensor(x), 0, out=(e_vals, e_idx))
    torch.sort(torch.tensor(x), 0, out=(t_vals, t_idx))
    assert_same((e_vals, e_idx), (t_vals, t_idx))
    e_out, t_out = ember.empty(0, dtype=ember.int64), torch.empty(0, dtype=torch.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.argmax(ember.tensor(x), 1, out=e_out)
        torch.argmax(torch.tensor(x), 1, out=t_out)
    assert_same(e_out, t_out)


# -- return types ---------------------------------------------------------------------------------------------
def test_return_type_repr_matches_pytorch():
    x = [[1.0, 3.0, 2.0], [4.0, 0.0, 4.0]]
    for call in [lambda m, t: m.max(t, 1), lambda m, t: m.sort(t), lambda m, t: m.aminmax(t),
                 lambda m, t: m.topk(t, 2), lambda m, t: m.kthvalue(t, 1)]:
        e, t = call(ember, ember.tensor(x)), call(torch, torch.tensor(x))
        assert repr(e) == repr(t).replace("torch.", "ember.")
        assert type(e).__name__ == type(t).__name__


def test_return_type_behaves_like_a_tuple():
    r = ember.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values and len(r) == 2
    assert isinstance(r, tuple) and type(r) is ember.return_types.max and r.n_fields == 2
    assert ember.return_types.aminmax((1, 2)).max == 2 and ember.return_types.sort([3, 4]) == (3, 4)
    again = pickle.loads(pickle.dumps(r))
    assert type(again) is ember.return_types.max and again.indices.tolist() == [1, 0]
    with pytest.raises(TypeError, match="ember.return_types.max\\(\\) takes a 2-sequence \\(1-sequence given\\)"):
        ember.return_types.max((1,))


@pytest.mark.parametrize("fn", [lambda x: x.sort(1).values ** 2, lambda x: x.amax(1) ** 2, lambda x: x.max() ** 2,
                                lambda x: x.median(0).values ** 2, lambda x: x.topk(2).values ** 2,
                                lambda x: x.kthvalue(2).values ** 2, lambda x: x.median() ** 2])
def test_double_backward(fn):
    a = make_array((3, 4), "float64")
    results = []
    for lib, x in ((ember, ember.tensor(a, requires_grad=True)), (torch, torch.tensor(a, requires_grad=True))):
        out = fn(x)
        w = lib.tensor(np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape)))
        (gx,) = lib.autograd.grad(out, x, w, create_graph=True)
        (ggx,) = lib.autograd.grad((gx * gx).sum(), x)
        results.append((gx, ggx))
    assert_same(results[0], results[1])
