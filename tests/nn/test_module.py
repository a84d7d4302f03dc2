"""nn.Module against torch.nn.Module: registration, traversal, modes, conversion, state_dict, repr, hooks."""

from __future__ import annotations

import copy
import pickle
import random
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same
from tests.nn._oracle import compare_modules, copy_module, run_both, same_error
from tests.nn.test_tutorial_models import basic_block, seed_lenet


def _net(lib):
    """A small model with a parameter, a buffer, a non-persistent buffer, nested children and no bias."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.register_buffer("count", lib.zeros(2, dtype=lib.int64))

        def forward(self, x):
            return self.fc(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(lib.ones(4))
            self.block = Block()
            self.register_buffer("running", lib.zeros(4))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.head = nn.Sequential(nn.Linear(4, 2, bias=False), nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity())

        def forward(self, x):
            return self.head(self.block(x) * self.scale)

    return Net()


def _names(pairs):
    return [name for name, _ in pairs]


# -- registration -----------------------------------------------------------------------------------


def test_registration_dicts():
    t, e = run_both(_net)
    for attr in ("_parameters", "_buffers", "_modules"):
        assert list(getattr(e, attr)) == list(getattr(t, attr)), attr
    assert e._non_persistent_buffers_set == t._non_persistent_buffers_set
    assert isinstance(e.scale, ember.nn.Parameter)
    assert e.block.count.dtype == ember.int64


def test_assign_none_and_reassign():
    def fn(lib):
        m = lib.nn.Linear(2, 3)
        m.bias = None
        m.extra = lib.nn.Parameter(lib.zeros(1))
        m.register_buffer("buf", lib.zeros(1))
        m.buf = None
        return (list(m._parameters.items()).__len__(), m.bias, list(m._parameters), list(m._modules),
                list(m._buffers), m.buf, _names(m.named_parameters()), list(m.state_dict()))

    t, e = run_both(fn)
    assert t[0] == e[0] and t[1] is None and e[1] is None and t[5] is None and e[5] is None
    assert t[2:5] == e[2:5] and t[6:] == e[6:]


def test_nn_buffer_assignment():
    def fn(lib):
        m = lib.nn.Module()
        m.a = lib.nn.Buffer(lib.ones(2))
        m.b = lib.nn.Buffer(lib.ones(2), persistent=False)
        m.a = lib.zeros(3)  # a plain tensor assigned to a buffer name stays a buffer
        return list(m._buffers), sorted(m._non_persistent_buffers_set), list(m.state_dict()), tuple(m.a.shape)

    t, e = run_both(fn)
    assert t == e


@pytest.mark.parametrize("case", [
    lambda lib: setattr(lib.nn.Linear(2, 3), "weight", lib.zeros(3, 2)),
    lambda lib: setattr(lib.nn.Linear(2, 3), "bias", 1.0),
    lambda lib: setattr(lib.nn.Linear(2, 3), "bias", lib.nn.Linear(1, 1)),
    lambda lib: setattr(lib.nn.Linear(2, 3), "bias", lib.zeros(3, dtype=lib.float64)),
    lambda lib: setattr(lib.nn.Sequential(lib.nn.Linear(1, 1)), "0", 3),
    lambda lib: _with_buffer(lib).__setattr__("buf", [1.0]),
    lambda lib: _uninit(lib).__setattr__("p", lib.nn.Parameter(lib.zeros(1))),
    lambda lib: _uninit(lib).__setattr__("m", lib.nn.Linear(1, 1)),
    lambda lib: _uninit(lib).register_buffer("b", lib.zeros(1)),
    lambda lib: _uninit(lib).register_parameter("b", None),
    lambda lib: lib.nn.Module().register_parameter("a.b", None),
    lambda lib: lib.nn.Module().register_parameter("", None),
    lambda lib: lib.nn.Module().register_parameter(3, None),
    lambda lib: lib.nn.Module().register_parameter("p", lib.zeros(1)),
    lambda lib: lib.nn.Module().register_parameter("train", None),
    lambda lib: lib.nn.Module().register_buffer("a.b", None),
    lambda lib: lib.nn.Module().register_buffer("", None),
    lambda lib: lib.nn.Module().register_buffer(1, None),
    lambda lib: lib.nn.Module().register_buffer("b", [1]),
    lambda lib: lib.nn.Module().register_buffer("train", None),
    lambda lib: lib.nn.Module().add_module("a.b", None),
    lambda lib: lib.nn.Module().add_module("", None),
    lambda lib: lib.nn.Module().add_module(1, None),
    lambda lib: lib.nn.Module().add_module("x", 3),
    lambda lib: lib.nn.Module().add_module("train", lib.nn.Linear(1, 1)),
    lambda lib: lib.nn.Module().register_module("x", "y"),
    lambda lib: lib.nn.Linear(2, 2).missing,
    lambda lib: lib.nn.Module().forward(1),
    lambda lib: lib.nn.Module(3),
    lambda lib: lib.nn.Module(3, 4),
    lambda lib: lib.nn.Module(x=3),
    lambda lib: lib.nn.Module().train("yes"),
])
def test_registration_errors(case):
    same_error(case)


def test_non_leaf_parameter_error():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2))
        q = p * 2
        q.__class__ = lib.nn.Parameter
        lib.nn.Module().register_parameter("q", q)

    same_error(fn)


def _with_buffer(lib):
    m = lib.nn.Module()
    m.register_buffer("buf", lib.zeros(1))
    return m


def _uninit(lib):
    class Early(lib.nn.Module):
        def __init__(self):
            pass

    return Early()


def test_delattr_and_dir():
    def fn(lib):
        m = _net(lib)
        del m.scale
        del m.running
        del m.head
        names = (_names(m.named_parameters()), _names(m.named_buffers()), _names(m.named_children()))
        d = dir(m)
        return names, "block" in d, "running" in d, "forward" in d

    t, e = run_both(fn)
    assert t == e


# -- lookup by path ---------------------------------------------------------------------------------


def test_get_submodule_parameter_buffer():
    t, e = run_both(_net)
    assert e.get_submodule("") is e
    assert e.get_submodule("block.fc") is e.block.fc
    assert e.get_submodule("head.0") is e.head[0]
    assert e.get_parameter("block.fc.weight") is e.block.fc.weight
    assert e.get_parameter("scale") is e.scale
    assert e.get_buffer("block.count") is e.block.count
    assert e.get_buffer("scratch") is e.scratch


@pytest.mark.parametrize("call", [
    lambda m: m.get_submodule("block.nope"),
    lambda m: m.get_submodule("scale"),
    lambda m: m.get_submodule("block.fc.weight.x"),
    lambda m: m.get_parameter("block.fc.nope"),
    lambda m: m.get_parameter("running"),
    lambda m: m.get_parameter("block"),
    lambda m: m.get_buffer("scale"),
    lambda m: m.get_buffer("nope.x"),
    lambda m: m.get_buffer("block.nope"),
])
def test_get_errors(call):
    same_error(lambda lib: call(_net(lib)))


# -- traversal --------------------------------------------------------------------------------------


def _shared(lib):
    """A model with a module registered twice and a parameter shared between two layers."""
    nn = lib.nn
    m = nn.Module()
    lin = nn.Linear(2, 2)
    m.a = lin
    m.b = nn.Sequential(nn.Linear(2, 2), lin)
    m.c = nn.Linear(2, 2)
    m.c.weight = m.b[0].weight
    m.register_buffer("buf", lib.zeros(1))
    m.b[0].register_buffer("buf2", lib.zeros(1))
    m.b[0].register_buffer("buf3", m.buf)
    return m


@pytest.mark.parametrize("builder", [_net, _shared])
@pytest.mark.parametrize("call", [
    lambda m: _names(m.named_parameters()),
    lambda m: _names(m.named_parameters(prefix="model")),
    lambda m: _names(m.named_parameters(recurse=False)),
    lambda m: _names(m.named_parameters(remove_duplicate=False)),
    lambda m: [tuple(p.shape) for p in m.parameters()],
    lambda m: [tuple(p.shape) for p in m.parameters(recurse=False)],
    lambda m: _names(m.named_buffers()),
    lambda m: _names(m.named_buffers(prefix="p", recurse=False)),
    lambda m: _names(m.named_buffers(remove_duplicate=False)),
    lambda m: [tuple(b.shape) for b in m.buffers()],
    lambda m: _names(m.named_children()),
    lambda m: [type(c).__name__ for c in m.children()],
    lambda m: _names(m.named_modules()),
    lambda m: _names(m.named_modules(prefix="root")),
    lambda m: _names(m.named_modules(remove_duplicate=False)),
    lambda m: [type(c).__name__ for c in m.modules()],
    lambda m: [type(c).__name__ for c in m.modules(remove_duplicate=False)],
    lambda m: list(m.state_dict()),
])
def test_traversal_order(builder, call):
    t, e = run_both(lambda lib: call(builder(lib)))
    assert e == t


def test_shared_parameter_identity():
    e = _shared(ember)
    params = list(e.parameters())
    assert len({id(p) for p in params}) == len(params)
    assert e.c.weight is e.b[0].weight


# -- modes and grads --------------------------------------------------------------------------------


def test_train_eval_propagation():
    def fn(lib):
        m = _net(lib)
        out = [[x.training for x in m.modules()]]
        assert m.eval() is m
        out.append([x.training for x in m.modules()])
        m.block.train()
        out.append([x.training for x in m.modules()])
        m.train(False)
        out.append([x.training for x in m.modules()])
        return out

    t, e = run_both(fn)
    assert t == e


def test_requires_grad_():
    def fn(lib):
        m = _net(lib)
        assert m.requires_grad_(False) is m
        a = [p.requires_grad for p in m.parameters()]
        m.block.requires_grad_()
        return a, [p.requires_grad for p in m.parameters()]

    t, e = run_both(fn)
    assert t == e


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    def fn(lib):
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Linear(2, 1))
        m(lib.ones(4, 3)).sum().backward()
        grads = [p.grad for p in m.parameters()]
        m.zero_grad(set_to_none=set_to_none)
        after = [p.grad for p in m.parameters()]
        same = [a is b for a, b in zip(grads, after)]
        return same, [None if g is None else (g.requires_grad, float(g.abs().sum())) for g in after]

    t, e = run_both(fn)
    assert t == e


def test_zero_grad_default_is_set_to_none():
    m = ember.nn.Linear(2, 2)
    m(ember.ones(1, 2)).sum().backward()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_apply_order():
    def fn(lib):
        m = _net(lib)
        seen = []
        assert m.apply(lambda x: seen.append(type(x).__name__)) is m
        return seen

    t, e = run_both(fn)
    assert t == e


# -- conversion -------------------------------------------------------------------------------------


@pytest.mark.parametrize("convert", [
    lambda m, lib: m.double(),
    lambda m, lib: m.double().float(),
    lambda m, lib: m.half(),
    lambda m, lib: m.to(lib.float64),
    lambda m, lib: m.to(dtype=lib.float64),
    lambda m, lib: m.to("cpu", lib.float64),
    lambda m, lib: m.to(lib.zeros(1, dtype=lib.float64)),
    lambda m, lib: m.to("cpu"),
    lambda m, lib: m.cpu(),
    lambda m, lib: m.type(lib.float64),
])
def test_dtype_conversion(convert):
    def fn(lib):
        m = _net(lib)
        w = m.block.fc.weight
        m(lib.ones(2, 3)).sum().backward()
        out = convert(m, lib)
        assert out is m
        assert m.block.fc.weight is w  # optimizers hold the Parameter object: it must survive
        return ([str(p.dtype).split(".")[1] for p in m.parameters()],
                [str(b.dtype).split(".")[1] for b in m.buffers()],
                [str(p.grad.dtype).split(".")[1] for p in m.parameters()],
                [type(p).__name__ for p in m.parameters()], [p.requires_grad for p in m.parameters()])

    t, e = run_both(fn)
    assert t == e


def test_converted_module_still_trains_with_held_parameters():
    m = ember.nn.Linear(2, 1)
    held = list(m.parameters())
    m.double()
    x = ember.ones(3, 2, dtype=ember.float64)
    m(x).sum().backward()
    assert all(p.grad is not None and p.grad.dtype == ember.float64 for p in held)


def test_to_int_dtype_raises():
    same_error(lambda lib: lib.nn.Linear(2, 2).to(lib.int32))


def test_type_to_int_raises_for_parameters():
    same_error(lambda lib: lib.nn.Linear(2, 2).type(lib.int64))


# -- state_dict -------------------------------------------------------------------------------------


def test_state_dict_layout():
    t_m, e_m = run_both(_net)
    copy_module(t_m, e_m)
    t, e = t_m.state_dict(), e_m.state_dict()
    assert type(e) is OrderedDict
    assert list(e) == list(t)
    assert [tuple(v.shape) for v in e.values()] == [tuple(v.shape) for v in t.values()]
    assert dict(e._metadata) == dict(t._metadata)
    for k in t:
        assert_same(e[k], t[k])
        assert not e[k].requires_grad and type(e[k]) is ember.Tensor


def test_state_dict_shares_memory_and_keep_vars():
    m = _net(ember)
    sd = m.state_dict()
    sd["block.fc.weight"][0, 0] = 42.0
    assert float(m.block.fc.weight[0, 0]) == 42.0
    kept = m.state_dict(keep_vars=True)
    assert kept["block.fc.weight"] is m.block.fc.weight
    assert kept["running"] is m.running
    t_kept = _net(torch).state_dict(keep_vars=True)
    assert [type(v).__name__ for v in kept.values()] == [type(v).__name__ for v in t_kept.values()]


def test_state_dict_prefix_and_destination():
    def fn(lib):
        m = _net(lib)
        dest = OrderedDict()
        out = m.state_dict(destination=dest, prefix="model.")
        return out is dest, list(dest)

    t, e = run_both(fn)
    assert t == e


def test_load_state_dict_roundtrip_from_torch():
    t_m, e_m = run_both(_net)
    sd = {k: ember.tensor(v.numpy()) for k, v in t_m.state_dict().items()}
    w = e_m.block.fc.weight
    result = e_m.load_state_dict(sd)
    assert repr(result) == repr(t_m.load_state_dict(t_m.state_dict())) == "<All keys matched successfully>"
    assert e_m.block.fc.weight is w
    for k, v in t_m.state_dict().items():
        assert_same(e_m.state_dict()[k], v)


def _sd(lib, m, drop=(), add=(), reshape=()):
    sd = OrderedDict(m.state_dict())
    for k in drop:
        del sd[k]
    for k in add:
        sd[k] = lib.zeros(1)
    for k in reshape:
        sd[k] = lib.zeros(7, 7)
    return sd


@pytest.mark.parametrize("kw", [
    dict(drop=["scale", "block.fc.bias"]),
    dict(add=["extra", "block.other", "head.5.weight"]),
    dict(drop=["running"], add=["zzz"]),
    dict(reshape=["block.fc.weight", "running"]),
    dict(reshape=["block.fc.weight"], add=["new"]),
])
def test_load_state_dict_strict_errors(kw):
    same_error(lambda lib: _net(lib).load_state_dict(_sd(lib, _net(lib), **kw)))


@pytest.mark.parametrize("kw", [
    dict(drop=["scale", "block.fc.bias"]),
    dict(add=["extra", "block.other"]),
    dict(drop=["running"], add=["zzz"]),
])
def test_load_state_dict_non_strict(kw):
    def fn(lib):
        m = _net(lib)
        r = m.load_state_dict(_sd(lib, _net(lib), **kw), strict=False)
        return r.missing_keys, r.unexpected_keys, repr(r)

    t, e = run_both(fn)
    assert t == e


def test_load_state_dict_non_strict_size_mismatch_still_raises():
    same_error(lambda lib: _net(lib).load_state_dict(_sd(lib, _net(lib), reshape=["scale"]), strict=False))


def test_load_state_dict_bad_type():
    same_error(lambda lib: _net(lib).load_state_dict([1, 2]))
    same_error(lambda lib: _net(lib).load_state_dict({**_net(lib).state_dict(), "scale": [1.0] * 4}))


def test_load_state_dict_assign():
    def fn(lib):
        m = _net(lib)
        w = m.block.fc.weight
        new = OrderedDict((k, v.clone() + 1) for k, v in m.state_dict().items())
        m.load_state_dict(new, assign=True)
        nw = m.block.fc.weight
        new_w = new["block.fc.weight"]
        return (nw is w, type(nw).__name__, nw.requires_grad, type(m.running).__name__,
                float((nw - new_w).abs().sum().detach()), nw.data_ptr() == new_w.data_ptr())

    t, e = run_both(fn)
    assert t == e


def test_load_state_dict_values_are_copied():
    m = ember.nn.Linear(2, 2)
    sd = OrderedDict((k, v.clone() * 0 + 3) for k, v in m.state_dict().items())
    m.load_state_dict(sd)
    sd["weight"][0, 0] = 9.0
    assert float(m.weight[0, 0]) == 3.0
    assert m.weight.requires_grad


def test_load_state_dict_0dim_from_1elem():
    def fn(lib):
        m = lib.nn.Module()
        m.register_buffer("n", lib.tensor(0.0))
        m.load_state_dict({"n": lib.tensor([5.0])})
        return float(m.n), tuple(m.n.shape)

    t, e = run_both(fn)
    assert t == e


# -- repr -------------------------------------------------------------------------------------------


def _repr_models(lib):
    nn = lib.nn

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)
            self.inner = nn.Sequential(nn.Linear(3, 3), nn.Identity())

        def extra_repr(self):
            return "alpha=1\nbeta=2"

    class OneLine(nn.Module):
        def extra_repr(self):
            return "k=3"

    class Empty(nn.Module):
        pass

    seq = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 3)), ("act", nn.Identity()), ("fc2", nn.Linear(3, 1))]))
    return [
        nn.Linear(3, 4), nn.Linear(3, 4, bias=False), nn.Bilinear(2, 3, 4), nn.Identity(), nn.Flatten(),
        nn.Unflatten(1, (2, 5)), Empty(), OneLine(), WithExtra(), seq,
        nn.Sequential(nn.Sequential(nn.Linear(1, 2), nn.Linear(2, 2)), nn.Linear(2, 2)),
        nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Linear(2, 3), nn.Linear(2, 3), nn.Identity()]),
        nn.ModuleList(), nn.ModuleList([nn.Linear(1, 1)]), nn.Sequential(),
        nn.Sequential(*[nn.Linear(2, 2) for _ in range(3)]),
        nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.Linear(1, 1)) for _ in range(2)]),
        nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ModuleList([nn.Identity(), nn.Identity()])}),
        nn.ModuleDict(),
        _with_param_containers(lib),
    ]


def _with_param_containers(lib):
    """A model holding a ParameterList, a ParameterDict and a child set to None."""
    nn = lib.nn
    m = nn.Module()
    m.plist = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), nn.Parameter(lib.ones(4, dtype=lib.float64))])
    m.pdict = nn.ParameterDict({"b": nn.Parameter(lib.ones(1))})
    m.register_module("gone", None)
    m.fc = nn.Linear(1, 1)
    return m


def test_repr_matches_torch():
    t, e = run_both(_repr_models)
    for tm, em in zip(t, e):
        assert repr(em) == repr(tm).replace("torch.", "ember.")
        assert str(em) == str(tm).replace("torch.", "ember.")


def test_lenet_repr_state_dict_and_numbers():
    t, e = run_both(lambda lib: seed_lenet(lib, kernel=5))
    assert repr(e) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    copy_module(t, e)
    compare_modules(t, e, np.random.default_rng(0).standard_normal((2, 1, 32, 32)).astype(np.float32),
                    atol=1e-5, rtol=1e-4)


def test_resnet_block_repr_and_state_dict():
    t, e = run_both(lambda lib: basic_block(lib, inplanes=4, planes=8, stride=2))
    assert repr(e) == repr(t)
    assert [(k, tuple(v.shape), str(v.dtype)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape), str(v.dtype).replace("torch", "ember")) for k, v in t.state_dict().items()]
    assert _names(e.named_buffers()) == _names(t.named_buffers())


# -- forward hooks ----------------------------------------------------------------------------------


def _hooked_run(lib, register):
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.arange(6.0).reshape(2, 3) / 10)
        m.bias.fill_(0.5)
    log = []
    handles = register(m, log)
    out1 = m(lib.ones(1, 3))
    for h in handles:
        h.remove()
    out2 = m(lib.ones(1, 3))
    return log, out1.tolist(), out2.tolist()


def _pre(m, log):
    def h1(mod, args):
        log.append(("pre1", len(args), args[0].tolist()))
        return args[0] * 2

    def h2(mod, args):
        log.append(("pre2", args[0].tolist()))
        return (args[0] + 1,)

    return [m.register_forward_pre_hook(h1), m.register_forward_pre_hook(h2)]


def _pre_prepend(m, log):
    handles = _pre(m, log)

    def h0(mod, args):
        log.append(("pre0", args[0].tolist()))

    return handles + [m.register_forward_pre_hook(h0, prepend=True)]


def _pre_kwargs(m, log):
    def h(mod, args, kwargs):
        log.append(("prekw", len(args), sorted(kwargs)))
        return (args[0] * 3,), kwargs

    return [m.register_forward_pre_hook(h, with_kwargs=True)]


def _post(m, log):
    def h1(mod, args, out):
        log.append(("post1", args[0].tolist(), out.tolist()))
        return out * 10

    def h2(mod, args, out):
        log.append(("post2", out.tolist()))

    def h0(mod, args, out):
        log.append(("post0", out.tolist()))

    return [m.register_forward_hook(h1), m.register_forward_hook(h2), m.register_forward_hook(h0, prepend=True)]


def _post_kwargs(m, log):
    def h(mod, args, kwargs, out):
        log.append(("postkw", sorted(kwargs), out.tolist()))
        return out - 1

    return [m.register_forward_hook(h, with_kwargs=True)]


@pytest.mark.parametrize("register", [_pre, _pre_prepend, _pre_kwargs, _post, _post_kwargs])
def test_forward_hooks(register):
    t, e = run_both(lambda lib: _hooked_run(lib, register))
    assert _round(e) == _round(t)


def _round(x):
    if isinstance(x, (list, tuple)):
        return [_round(v) for v in x]
    if isinstance(x, float):
        return round(x, 5)
    return x


def test_forward_hook_with_handle_context_and_kwargs_forward():
    def fn(lib):
        class KW(lib.nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale

        m = KW()
        log = []
        with m.register_forward_pre_hook(lambda mod, a, k: log.append(sorted(k)), with_kwargs=True):
            with m.register_forward_hook(lambda mod, a, k, o: log.append(o.tolist()), with_kwargs=True):
                m(lib.ones(2), scale=3.0)
            m(lib.ones(1), scale=2.0)
        m(lib.ones(1))
        return log

    t, e = run_both(fn)
    assert t == e


def test_forward_hook_always_call():
    def fn(lib):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m = Boom()
        log = []
        m.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("normal"))
        with pytest.raises(ValueError, match="boom"):
            m(lib.ones(1))
        return log

    t, e = run_both(fn)
    assert t == e


def test_pre_hook_kwargs_bad_return():
    def fn(lib):
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        m(lib.ones(1))

    same_error(fn)


def test_global_forward_hooks():
    def fn(lib):
        log = []
        h1 = lib.nn.modules.module.register_module_forward_pre_hook(lambda m, a: log.append(("pre", type(m).__name__)))
        h2 = lib.nn.modules.module.register_module_forward_hook(lambda m, a, o: log.append(("post", type(m).__name__)))
        try:
            lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Identity())(lib.ones(1, 1))
        finally:
            h1.remove()
            h2.remove()
        lib.nn.Linear(1, 1)(lib.ones(1))
        return log

    t, e = run_both(fn)
    assert t == e


def test_call_fast_path_flag():
    m = ember.nn.Linear(2, 2)
    assert not m._has_hooks
    h = m.register_forward_hook(lambda *a: None)
    assert m._has_hooks
    h.remove()
    assert not m._has_hooks


# -- deepcopy and pickle ----------------------------------------------------------------------------


class _PicklableNet(ember.nn.Module):
    """_net's ember model at module level, so that pickle can find its class."""

    def __init__(self):
        super().__init__()
        self.scale = ember.nn.Parameter(ember.ones(4))
        self.block = ember.nn.Module()
        self.block.fc = ember.nn.Linear(3, 4)
        self.register_buffer("running", ember.zeros(4))
        self.register_buffer("scratch", ember.ones(1), persistent=False)
        self.head = ember.nn.Sequential(ember.nn.Linear(4, 2, bias=False), ember.nn.Identity())

    def forward(self, x):
        return self.head(self.block.fc(x) * self.scale)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_module_copy_roundtrip(clone):
    m = _PicklableNet()
    m.block.fc.weight.grad = ember.ones(4, 3)
    c = clone(m)
    assert repr(c) == repr(m)
    assert list(c.state_dict()) == list(m.state_dict())
    assert type(c.block.fc.weight) is ember.nn.Parameter and c.block.fc.weight is not m.block.fc.weight
    for k, v in m.state_dict().items():
        assert np.array_equal(c.state_dict()[k].numpy(), v.numpy())
    assert c._non_persistent_buffers_set == {"scratch"}
    x = ember.randn(2, 3)
    assert np.array_equal(c(x).detach().numpy(), m(x).detach().numpy())
    c.block.fc.weight.data.fill_(0)
    assert float(m.block.fc.weight.abs().sum()) > 0


def test_deepcopy_keeps_sharing():
    m = _shared(ember)
    c = copy.deepcopy(m)
    assert c.a is c.b[1] and c.c.weight is c.b[0].weight
    assert list(c.state_dict()) == list(m.state_dict())


# -- backward hooks ---------------------------------------------------------------------------------


def _grads(values):
    """A hook's gradient tuple as comparable data: None or rounded nested lists."""
    return [None if g is None else _round(g.detach().tolist()) for g in values]


def _linear(lib):
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
        m.bias.copy_(lib.tensor([0.01, -0.02]))
    return m


def _two_input(lib):
    class TwoIn(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.tensor([1.5, -0.5, 2.0]))

        def forward(self, x, y):
            return x * y * self.w + x

    return TwoIn()


def _tuple_out(lib):
    class Split(lib.nn.Module):
        def forward(self, x):
            return x * 2, x.sum(dim=1)

    return Split()


def _inputs(lib, requires=(True, True), n=1):
    xs = [lib.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]], requires_grad=requires[0]),
          lib.tensor([[0.3, 0.7, 1.1], [-2.0, 0.1, 0.2]], requires_grad=requires[1])]
    return xs[:n]


def _backward_run(lib, build, n_inputs, requires, hooks):
    m = build(lib)
    log = []
    handles = []
    if "pre" in hooks:
        def pre(mod, grad_output):
            log.append(("pre", _grads(grad_output)))
            if hooks["pre"] == "replace":
                return tuple(None if g is None else g * 3 for g in grad_output)

        handles.append(m.register_full_backward_pre_hook(pre))
    if "post" in hooks:
        def post(mod, grad_input, grad_output):
            log.append(("post", _grads(grad_input), _grads(grad_output)))
            if hooks["post"] == "replace":
                return tuple(None if g is None else g + 1 for g in grad_input)

        handles.append(m.register_full_backward_hook(post))
    xs = _inputs(lib, requires, n_inputs)
    out = m(*xs)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o * (i + 1.5)).sum() for i, o in enumerate(outs))
    total.backward()
    grads = _grads([x.grad for x in xs]) + _grads([p.grad for p in m.parameters()])
    for h in handles:
        h.remove()
    return log, grads


@pytest.mark.parametrize("build,n,requires", [
    (_linear, 1, (True, True)),
    (_linear, 1, (False, False)),
    (_two_input, 2, (True, True)),
    (_two_input, 2, (True, False)),
    (_two_input, 2, (False, True)),
    (_two_input, 2, (False, False)),
    (_tuple_out, 1, (True, True)),
])
@pytest.mark.parametrize("hooks", [
    {"post": "observe"}, {"post": "replace"}, {"pre": "observe"}, {"pre": "replace"},
    {"pre": "replace", "post": "replace"},
])
@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_backward_hooks(build, n, requires, hooks):
    t, e = run_both(lambda lib: _backward_run(lib, build, n, requires, hooks))
    assert e == t


def test_backward_hook_wrong_count():
    def fn(lib):
        m = _linear(lib)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        m(_inputs(lib)[0]).sum().backward()

    same_error(fn)


def test_backward_hook_removed_and_context():
    def fn(lib):
        m = _linear(lib)
        log = []
        with m.register_full_backward_hook(lambda mod, gi, go: log.append("hook")):
            m(_inputs(lib)[0]).sum().backward()
        m(_inputs(lib)[0]).sum().backward()
        return log

    t, e = run_both(fn)
    assert t == e == ["hook"]


def test_backward_hooks_in_sequential_order():
    def fn(lib):
        log = []
        m = lib.nn.Sequential(_linear(lib), lib.nn.Identity(), lib.nn.Linear(2, 1))
        for i, sub in enumerate(m):
            sub.register_full_backward_pre_hook(lambda mod, go, i=i: log.append(("pre", i)))
            sub.register_full_backward_hook(lambda mod, gi, go, i=i: log.append(("post", i)))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(("post", "seq")))
        m(_inputs(lib)[0]).sum().backward()
        return log

    t, e = run_both(fn)
    assert t == e


def test_global_backward_hooks():
    def fn(lib):
        log = []
        mm = lib.nn.modules.module
        h1 = mm.register_module_full_backward_pre_hook(lambda mod, go: log.append(("pre", type(mod).__name__)))
        h2 = mm.register_module_full_backward_hook(lambda mod, gi, go: log.append(("post", _grads(gi))))
        try:
            _linear(lib)(_inputs(lib)[0]).sum().backward()
        finally:
            h1.remove()
            h2.remove()
        _linear(lib)(_inputs(lib)[0]).sum().backward()
        return log

    t, e = run_both(fn)
    assert t == e


def test_backward_hook_no_input_grad_must_return_none():
    def fn(lib):
        m = _linear(lib)
        m.register_full_backward_hook(lambda mod, gi, go: (lib.ones(2, 3),))
        m(_inputs(lib, (False, False))[0]).sum().backward()

    with pytest.warns(UserWarning, match="no inputs require gradients"):
        same_error(fn)


def test_backward_pre_hook_wrong_count():
    def fn(lib):
        m = _tuple_out(lib)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0],))
        a, b = m(_inputs(lib)[0])
        (a.sum() + b.sum()).backward()

    same_error(fn)


# -- the seed tutorial models train as in PyTorch ---------------------------------------------------


def _two_layer_net(lib, d_in, h, d_out):
    class TwoLayerNet(lib.nn.Module):
        def __init__(self, D_in, H, D_out):
            super(TwoLayerNet, self).__init__()  # noqa: UP008 - the tutorial form
            self.linear1 = lib.nn.Linear(D_in, H)
            self.linear2 = lib.nn.Linear(H, D_out)

        def forward(self, x):
            h_relu = self.linear1(x).clamp(min=0)
            return self.linear2(h_relu)

    return TwoLayerNet(d_in, h, d_out)


def _dynamic_net(lib, d_in, h, d_out):
    class DynamicNet(lib.nn.Module):
        def __init__(self, D_in, H, D_out):
            super(DynamicNet, self).__init__()  # noqa: UP008 - the tutorial form
            self.input_linear = lib.nn.Linear(D_in, H)
            self.middle_linear = lib.nn.Linear(H, H)
            self.output_linear = lib.nn.Linear(H, D_out)

        def forward(self, x):
            h_relu = self.input_linear(x).clamp(min=0)
            for _ in range(random.randint(0, 3)):
                h_relu = self.middle_linear(h_relu).clamp(min=0)
            return self.output_linear(h_relu)

    return DynamicNet(d_in, h, d_out)


def _sequential_net(lib, d_in, h, d_out):
    model = lib.nn.Sequential()
    model.add_module("fc1", lib.nn.Linear(d_in, h))
    model.add_module("act", lib.nn.Identity())
    model.add_module("fc2", lib.nn.Linear(h, d_out))
    return model


@pytest.mark.parametrize("build,lr", [(_two_layer_net, 1e-4), (_dynamic_net, 5e-4), (_sequential_net, 1e-4)])
def test_seed_models_train_like_torch(build, lr):
    n, d_in, h, d_out = 64, 100, 30, 10
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, d_in)).astype(np.float32), rng.standard_normal((n, d_out)).astype(np.float32)
    t_model, e_model = build(torch, d_in, h, d_out), build(ember, d_in, h, d_out)
    assert [(k, tuple(v.shape)) for k, v in e_model.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t_model.state_dict().items()]
    copy_module(t_model, e_model)
    losses = {}
    for lib, model in ((torch, t_model), (ember, e_model)):
        random.seed(3)  # DynamicNet draws its depth from Python's random: the same draws for both
        xs, ys = lib.tensor(x), lib.tensor(y)
        trace = []
        for _ in range(60):
            loss = ((model(xs) - ys) ** 2).sum()
            trace.append(loss.item())
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    if p.grad is not None:  # DynamicNet may skip its middle layer (as optim.SGD, skip it)
                        p -= lr * p.grad
        losses[lib.__name__] = trace
    e_trace, t_trace = np.array(losses["ember"]), np.array(losses["torch"])
    np.testing.assert_allclose(e_trace, t_trace, rtol=1e-4)
    assert e_trace[-10:].mean() < 0.9 * e_trace[:10].mean(), e_trace


# -- state_dict hooks, extra state, set_submodule, to_empty -----------------------------------------


def test_state_dict_hooks():
    def fn(lib):
        m = _net(lib)
        log = []
        h1 = m.block.register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(("pre", prefix, keep)))

        def post(mod, sd, prefix, meta):
            log.append(("post", prefix, sorted(meta)))
            sd[prefix + "added"] = lib.ones(1)

        h2 = m.block.register_state_dict_post_hook(post)
        keys = list(m.state_dict(prefix="p."))
        h1.remove()
        h2.remove()
        return log, keys, list(m.state_dict())

    t, e = run_both(fn)
    assert e == t


def test_state_dict_post_hook_must_return_none():
    def fn(lib):
        m = lib.nn.Linear(1, 1)
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd)
        m.state_dict()

    same_error(fn)


def test_load_state_dict_hooks():
    def fn(lib):
        m = _net(lib)
        sd = _net(lib).state_dict()
        sd["block.fc.W"] = sd.pop("block.fc.weight")
        log = []

        def rename(mod, state, prefix, meta, strict, missing, unexpected, errors):
            log.append(("pre", prefix, strict, sorted(meta)))
            if prefix + "W" in state:
                state[prefix + "weight"] = state.pop(prefix + "W")

        def post(mod, keys):
            log.append(("post", type(mod).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
            keys.missing_keys.clear()

        m.block.fc.register_load_state_dict_pre_hook(rename)
        m.block.register_load_state_dict_post_hook(post)
        m.register_load_state_dict_post_hook(post)
        result = m.load_state_dict(sd)
        return log, repr(result), float((m.block.fc.weight - sd["block.fc.W"]).abs().sum().detach())

    t, e = run_both(fn)
    assert e == t


def test_load_state_dict_post_hook_must_not_return():
    def fn(lib):
        m = lib.nn.Linear(1, 1)
        m.register_load_state_dict_post_hook(lambda mod, keys: keys)
        m.load_state_dict(m.state_dict())

    same_error(fn)


def _with_extra_state(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(1, 1)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    m = lib.nn.Sequential(Counter())
    m[0].calls = 7
    return m


def test_extra_state():
    def fn(lib):
        m = _with_extra_state(lib)
        sd = m.state_dict()
        fresh = _with_extra_state(lib)
        fresh[0].calls = 0
        fresh.load_state_dict(sd)
        missing = _with_extra_state(lib).load_state_dict({k: v for k, v in sd.items() if "extra" not in k},
                                                         strict=False)
        return list(sd), sd["0._extra_state"], fresh[0].calls, repr(missing)

    t, e = run_both(fn)
    assert e == t


@pytest.mark.parametrize("case", [
    lambda lib, m: m.set_submodule("block.fc", lib.nn.Identity()),
    lambda lib, m: m.set_submodule("head.0", lib.nn.Linear(4, 5)),
    lambda lib, m: m.set_submodule("new", lib.nn.Identity()),
    lambda lib, m: m.set_submodule("block.new", lib.nn.Identity(), strict=True),
    lambda lib, m: m.set_submodule("", lib.nn.Identity()),
    lambda lib, m: m.set_submodule("block.fc", 3),
    lambda lib, m: m.set_submodule("scale", lib.nn.Identity()),
    lambda lib, m: m.set_submodule("nope.fc", lib.nn.Identity()),
])
def test_set_submodule(case):
    def fn(lib):
        m = _net(lib)
        try:
            case(lib, m)
        except Exception as ex:  # noqa: BLE001 - the same exception is expected from both
            return type(ex).__name__, str(ex)
        return repr(m)

    t, e = run_both(fn)
    assert e == t


def test_to_empty_keeps_structure():
    def fn(lib):
        m = _net(lib)
        w = m.block.fc.weight
        assert m.to_empty(device="cpu") is m
        return (m.block.fc.weight is w, [(n, tuple(p.shape), str(p.dtype).split(".")[1]) for n, p in
                                         m.state_dict(keep_vars=True).items()])

    t, e = run_both(fn)
    assert e == t


def test_state_dict_positional_args_warn():
    def fn(lib):
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            return list(_net(lib).state_dict(None, "pre."))

    t, e = run_both(fn)
    assert e == t


def test_unpickle_module_missing_newer_registries():
    m = ember.nn.Linear(2, 2)
    state = dict(m.__dict__)
    del state["_state_dict_hooks"], state["_forward_hooks_always_called"]
    clone = ember.nn.Linear.__new__(ember.nn.Linear)
    clone.__setstate__(state)
    assert list(clone.state_dict()) == ["weight", "bias"]
    assert clone(ember.ones(1, 2)).shape == (1, 2)
