"""embedding, embedding_bag and one_hot against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.helpers import assert_same, make_array
from tests.nn._oracle import compare_modules, copy_module


def _weights(shape=(7, 3), dtype="float64", seed=0):
    a = make_array(shape, dtype, seed=seed)
    return ember.from_numpy(a.copy()).requires_grad_(True), torch.from_numpy(a.copy()).requires_grad_(True)


def _grad_out(shape, dtype, seed=5):
    g = np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(dtype)
    return ember.from_numpy(g.copy()), torch.from_numpy(g.copy())


# -- embedding ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("indices", [[1, 2, 1, 6], [[0, 3], [3, 3]], 4, [[[5]]]])
@pytest.mark.parametrize("padding_idx", [None, 3, -4])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_values_and_weight_grad(indices, padding_idx, scale_grad_by_freq, dtype):
    we, wt = _weights(dtype=dtype)
    ie, it = ember.tensor(indices), torch.tensor(indices)
    ye = F.embedding(ie, we, padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    yt = TF.embedding(it, wt, padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    assert_same(ye, yt)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    ge, gt = _grad_out(tuple(yt.shape), dtype)
    ye.backward(ge)
    yt.backward(gt)
    assert_same(we.grad, wt.grad)


def test_embedding_int32_indices_and_double_backward():
    we, wt = _weights()
    results = []
    for lib, mod, w in ((ember, F, we), (torch, TF, wt)):
        y = mod.embedding(lib.tensor([[1, 2], [2, 0]], dtype=lib.int32), w, padding_idx=0)
        (g,) = lib.autograd.grad((y ** 3).sum(), w, create_graph=True)
        results.append((g, lib.autograd.grad((g ** 2).sum(), w)[0]))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalises_rows_in_place(norm_type):
    we, wt = _weights(dtype="float32")
    idx = [[1, 2], [4, 1]]
    ye = F.embedding(ember.tensor(idx), we, max_norm=1.2, norm_type=norm_type)
    yt = TF.embedding(torch.tensor(idx), wt, max_norm=1.2, norm_type=norm_type)
    assert_same(ye, yt)
    assert_same(we, wt)  # looked-up rows scaled down, the others untouched
    ge, gt = _grad_out((2, 2, 3), "float32")
    ye.backward(ge)
    yt.backward(gt)
    assert_same(we.grad, wt.grad)


@pytest.mark.parametrize("call, exc", [
    (lambda m, x, w: m.embedding(x.tensor([0.0, 2.0]), w), RuntimeError),
    (lambda m, x, w: m.embedding(x.tensor([0, 7]), w), IndexError),
    (lambda m, x, w: m.embedding(x.tensor([0, -1]), w), IndexError),
    (lambda m, x, w: m.embedding(x.tensor([0, 1]), w, padding_idx=7), AssertionError),
    (lambda m, x, w: m.embedding(x.tensor([0, 1]), w, padding_idx=-8), AssertionError),
    (lambda m, x, w: m.embedding(x.tensor([0, 1]), w[0]), RuntimeError),
])
def test_embedding_errors(call, exc):
    we, wt = _weights()
    with pytest.raises(exc) as t_err:
        call(TF, torch, wt)
    with pytest.raises(exc) as e_err:
        call(F, ember, we)
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")


def test_embedding_sparse_not_implemented():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(ember.tensor([1]), ember.randn(3, 2), sparse=True)


# -- embedding_bag ------------------------------------------------------------------------------------------
BAGS = [  # (input, offsets, include_last_offset)
    ([1, 2, 4, 5, 4, 3, 2, 6], [0, 3, 3, 6], False),
    ([1, 2, 4, 5, 4, 3, 2, 6], [0, 2, 5, 8], True),
    ([0, 6, 6], [0], False),
    ([[1, 2, 3], [3, 3, 0]], None, False),
]


@pytest.mark.parametrize("bags", BAGS)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_bag(bags, mode, padding_idx, dtype):
    inp, off, last = bags
    we, wt = _weights(dtype=dtype)
    ye = F.embedding_bag(ember.tensor(inp), we, None if off is None else ember.tensor(off), mode=mode,
                         include_last_offset=last, padding_idx=padding_idx)
    yt = TF.embedding_bag(torch.tensor(inp), wt, None if off is None else torch.tensor(off), mode=mode,
                          include_last_offset=last, padding_idx=padding_idx)
    assert_same(ye, yt)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    ge, gt = _grad_out(tuple(yt.shape), dtype)
    ye.backward(ge)
    yt.backward(gt)
    assert_same(we.grad, wt.grad)


@pytest.mark.parametrize("bags", BAGS)
def test_embedding_bag_per_sample_weights(bags):
    inp, off, last = bags
    we, wt = _weights()
    p = make_array(np.shape(inp), "float64", seed=3)
    pe, pt = ember.from_numpy(p.copy()).requires_grad_(True), torch.from_numpy(p.copy()).requires_grad_(True)
    ye = F.embedding_bag(ember.tensor(inp), we, None if off is None else ember.tensor(off), mode="sum",
                         per_sample_weights=pe, include_last_offset=last, padding_idx=2)
    yt = TF.embedding_bag(torch.tensor(inp), wt, None if off is None else torch.tensor(off), mode="sum",
                          per_sample_weights=pt, include_last_offset=last, padding_idx=2)
    assert_same(ye, yt)
    ge, gt = _grad_out(tuple(yt.shape), "float64")
    ye.backward(ge)
    yt.backward(gt)
    assert_same(we.grad, wt.grad)
    assert_same(pe.grad, pt.grad)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_divides_by_index_frequency(mode):
    # PyTorch 2.13's CPU kernel divides by the wrong count when counts differ (pytorch/pytorch#190063);
    # the documented rule is checked by hand: d weight[k] = sum of k's shares / (occurrences of k)
    w = ember.ones(5, 2, requires_grad=True)
    F.embedding_bag(ember.tensor([1, 2, 1, 3]), w, ember.tensor([0, 2]), mode=mode,
                    scale_grad_by_freq=True).sum().backward()
    share = 0.5 if mode == "mean" else 1.0
    expected = np.array([0.0, 2 * share / 2, share, share, 0.0])[:, None].repeat(2, 1)
    np.testing.assert_allclose(w.grad.numpy(), expected)
    # where every index occurs equally often, PyTorch's kernel is right: compare with it
    we, wt = _weights()
    for lib, mod, wgt in ((ember, F, we), (torch, TF, wt)):
        mod.embedding_bag(lib.tensor([1, 2, 2, 1]), wgt, lib.tensor([0, 1]), mode=mode,
                          scale_grad_by_freq=True).sum().backward()
    assert_same(we.grad, wt.grad)


def test_embedding_bag_max_norm_and_double_backward():
    # PyTorch has no double backward for embedding_bag: the oracle is the same bags built from F.embedding
    we, wt = _weights()
    ye = F.embedding_bag(ember.tensor([1, 2, 4, 1]), we, ember.tensor([0, 2]), max_norm=1.0, mode="mean")
    rows = TF.embedding(torch.tensor([1, 2, 4, 1]), wt, max_norm=1.0)
    yt = torch.stack([rows[:2].mean(0), rows[2:].mean(0)])
    assert_same(ye, yt)
    assert_same(we, wt)
    results = []
    for lib, y, w in ((ember, ye, we), (torch, yt, wt)):
        (g,) = lib.autograd.grad((y ** 3).sum(), w, create_graph=True)
        results.append((g, lib.autograd.grad((g ** 2).sum(), w)[0]))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("call, exc", [
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([[0, 1], [2, 3]]), w, x.tensor([0])), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([1, 2])), RuntimeError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([0, 2]), mode="foo"), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([0, 2]), per_sample_weights=x.ones(3)),
     NotImplementedError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([0, 2]), mode="sum",
                                     per_sample_weights=x.ones(2)), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([0, 4])), RuntimeError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1, 2]), w, x.tensor([[0, 2]])), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([[[0, 1, 2]]]), w), ValueError),
    (lambda m, x, w: m.embedding_bag(x.tensor([0, 1]), w, x.tensor([0]), mode="max", scale_grad_by_freq=True),
     ValueError),
])
def test_embedding_bag_errors(call, exc):
    we, wt = _weights()
    with pytest.raises(exc) as t_err:
        call(TF, torch, wt)
    with pytest.raises(exc) as e_err:
        call(F, ember, we)
    # PyTorch appends "[ torch.LongTensor{} ]" to one message
    assert str(t_err.value).replace("torch.Size", "ember.Size").startswith(str(e_err.value))


# -- one_hot ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, num_classes", [([0, 2], -1), ([0, 2], 5), ([[1, 0], [3, 3]], -1), (2, 3),
                                                 ([], 3)])
def test_one_hot(values, num_classes):
    assert_same(F.one_hot(ember.tensor(values, dtype=ember.int64), num_classes),
                TF.one_hot(torch.tensor(values, dtype=torch.int64), num_classes))


@pytest.mark.parametrize("values, dtype, num_classes", [([0.0, 2.0], "float32", -1), ([0, 2], "int32", -1),
                                                        ([0, -2], "int64", -1), ([0, 2], "int64", 2),
                                                        ([], "int64", -1), ([0, 2], "int64", -2)])
def test_one_hot_errors(values, dtype, num_classes):
    with pytest.raises(RuntimeError) as t_err:
        TF.one_hot(torch.tensor(values, dtype=getattr(torch, dtype)), num_classes)
    with pytest.raises(RuntimeError) as e_err:
        F.one_hot(ember.tensor(values, dtype=getattr(ember, dtype)), num_classes)
    assert str(e_err.value) == str(t_err.value)


# -- modules --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [((10, 3), {"padding_idx": 0}), ((10, 3), {"max_norm": 1.0}),
                                          ((10, 3), {"padding_idx": -2, "max_norm": 2, "norm_type": 1,
                                                     "scale_grad_by_freq": True, "sparse": True}),
                                          ((10, 3), {})])
def test_embedding_module_repr_and_state(args, kwargs):
    tm, em = torch.nn.Embedding(*args, **kwargs), ember.nn.Embedding(*args, **kwargs)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict()) == ["weight"]
    assert em.padding_idx == tm.padding_idx


def test_embedding_module_default_init_zeroes_padding_row():
    ember.manual_seed(0)
    w = ember.nn.Embedding(2000, 8, padding_idx=3).weight.detach().numpy()
    assert not w[3].any()
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1.0) < 0.02  # N(0, 1) as PyTorch


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"max_norm": 1.5}, {"scale_grad_by_freq": True}])
def test_embedding_module_matches_torch(kwargs):
    tm, em = torch.nn.Embedding(6, 4, **kwargs), ember.nn.Embedding(6, 4, **kwargs)
    copy_module(tm, em)
    compare_modules(tm, em, np.array([[1, 2, 2], [5, 0, 2]]))
    assert_same(em.weight, tm.weight)  # max_norm rewrote the same rows


def test_embedding_from_pretrained():
    a = make_array((4, 3), "float32")
    for freeze in (True, False):
        te, ee = torch.from_numpy(a.copy()), ember.from_numpy(a.copy())
        tm = torch.nn.Embedding.from_pretrained(te, freeze=freeze, padding_idx=1)
        em = ember.nn.Embedding.from_pretrained(ee, freeze=freeze, padding_idx=1)
        assert em.weight.requires_grad == tm.weight.requires_grad == (not freeze)
        assert repr(em) == repr(tm)
        assert_same(em(ember.tensor([1, 3])), tm(torch.tensor([1, 3])))
        ee[0, 0] = 100.0  # the weight shares the given tensor's memory, as in PyTorch
        assert em.weight[0, 0].item() == 100.0
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        ember.nn.Embedding.from_pretrained(ember.randn(4))
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        ember.nn.Embedding(5, 3, _weight=ember.randn(4, 3))
    for bad in (5, -6):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            ember.nn.Embedding(5, 3, padding_idx=bad)


@pytest.mark.parametrize("kwargs", [{}, {"mode": "sum", "padding_idx": 1, "max_norm": 1.0, "include_last_offset": True},
                                    {"mode": "max"}, {"norm_type": 1.0, "max_norm": 0.5}])
def test_embedding_bag_module(kwargs):
    tm, em = torch.nn.EmbeddingBag(6, 3, **kwargs), ember.nn.EmbeddingBag(6, 3, **kwargs)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    copy_module(tm, em)
    compare_modules(tm, em, np.array([[1, 2, 2], [5, 0, 2]]))
    offsets = [0, 1, 4] if not kwargs.get("include_last_offset") else [0, 1, 4, 5]
    ye = em(ember.tensor([1, 2, 2, 5, 0]), ember.tensor(offsets))
    yt = tm(torch.tensor([1, 2, 2, 5, 0]), torch.tensor(offsets))
    assert_same(ye, yt)


def test_embedding_bag_module_per_sample_weights_and_from_pretrained():
    a = make_array((5, 2), "float64")
    tm = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(a.copy()), freeze=False, mode="sum")
    em = ember.nn.EmbeddingBag.from_pretrained(ember.from_numpy(a.copy()), freeze=False, mode="sum")
    assert repr(em) == repr(tm) and em.weight.requires_grad
    p = make_array((4,), "float64", seed=2)
    ye = em(ember.tensor([1, 2, 3, 1]), ember.tensor([0, 2]), ember.from_numpy(p.copy()))
    yt = tm(torch.tensor([1, 2, 3, 1]), torch.tensor([0, 2]), torch.from_numpy(p.copy()))
    assert_same(ye, yt)
    assert not ember.nn.EmbeddingBag.from_pretrained(ember.from_numpy(a.copy())).weight.requires_grad
