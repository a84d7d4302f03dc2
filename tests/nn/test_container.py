"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against torch."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
from tests.nn._oracle import compare_modules, copy_module, run_both, same_error, torch_text


def _layers(lib, n=4):
    return [lib.nn.Linear(i + 1, i + 2) for i in range(n)]


def _desc(m):
    """A container's structure as plain data: child names and each child's repr."""
    return [(name, repr(child)) for name, child in m._modules.items()]


# -- Sequential -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", [
    lambda s, lib: _desc(s),
    lambda s, lib: repr(s[0]),
    lambda s, lib: repr(s[-1]),
    lambda s, lib: (type(s[1:3]).__name__, _desc(s[1:3])),
    lambda s, lib: _desc(s[::-2]),
    lambda s, lib: len(s),
    lambda s, lib: [repr(m) for m in s],
    lambda s, lib: _desc(s.append(lib.nn.Identity())),
    lambda s, lib: (s.insert(1, lib.nn.Identity()), _desc(s))[1],
    lambda s, lib: (s.insert(-1, lib.nn.Identity()), _desc(s))[1],
    lambda s, lib: (s.insert(4, lib.nn.Identity()), _desc(s))[1],
    lambda s, lib: _desc(s.extend([lib.nn.Identity(), lib.nn.Flatten()])),
    lambda s, lib: (repr(s.pop(1)), _desc(s)),
    lambda s, lib: (repr(s.pop(-1)), _desc(s)),
    lambda s, lib: (s.__delitem__(1), _desc(s))[1],
    lambda s, lib: (s.__delitem__(slice(0, 2)), _desc(s))[1],
    lambda s, lib: (s.__delitem__(-1), _desc(s))[1],
    lambda s, lib: (s.__setitem__(1, lib.nn.Identity()), _desc(s))[1],
    lambda s, lib: (s.__setitem__(-1, lib.nn.Identity()), _desc(s))[1],
    lambda s, lib: _desc(s + lib.nn.Sequential(lib.nn.Identity())),
    lambda s, lib: _desc(s[:2] * 2),
    lambda s, lib: _desc(2 * s[:1]),
    lambda s, lib: (s.__imul__(2), _desc(s))[1],
    lambda s, lib: (s.__iadd__(lib.nn.Sequential(lib.nn.Identity())), _desc(s))[1],
    lambda s, lib: list(s.state_dict()),
    lambda s, lib: sorted(dir(s))[:5] if False else [k for k in dir(s) if k.isdigit()],
])
@pytest.mark.parametrize("named", [False, True])
def test_sequential_api(op, named):
    def fn(lib):
        layers = _layers(lib)
        s = lib.nn.Sequential(OrderedDict((f"l{i}", m) for i, m in enumerate(layers))) if named \
            else lib.nn.Sequential(*layers)
        try:
            return op(s, lib)
        except KeyError as ex:  # PyTorch's insert and *= address children as '0', '1', ... even when named
            return "KeyError", str(ex)

    t, e = run_both(fn)
    assert e == t


def test_sequential_slice_shares_modules():
    def fn(lib):
        s = lib.nn.Sequential(*_layers(lib))
        sub = s[1:3]
        return sub[0] is s[1], sub[1] is s[2]

    t, e = run_both(fn)
    assert t == e == (True, True)


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.Sequential(*_layers(lib))[4],
    lambda lib: lib.nn.Sequential(*_layers(lib))[-5],
    lambda lib: lib.nn.Sequential(*_layers(lib))["a"],
    lambda lib: lib.nn.Sequential(*_layers(lib)).pop(7),
    lambda lib: lib.nn.Sequential(*_layers(lib)).__delitem__(9),
    lambda lib: lib.nn.Sequential(*_layers(lib)).__setitem__(9, lib.nn.Identity()),
    lambda lib: lib.nn.Sequential(*_layers(lib)).insert(9, lib.nn.Identity()),
    lambda lib: lib.nn.Sequential(*_layers(lib)).insert(0, 3),
    lambda lib: lib.nn.Sequential(*_layers(lib)) + lib.nn.ModuleList(),
    lambda lib: lib.nn.Sequential(*_layers(lib)) * 0,
    lambda lib: lib.nn.Sequential(*_layers(lib)) * 1.5,
    lambda lib: lib.nn.Sequential(3),
    lambda lib: lib.nn.Sequential(*_layers(lib)).append(3),
])
def test_sequential_errors(case):
    same_error(case)


def test_sequential_add_module_forward():
    def build(lib):
        lib.manual_seed(0)
        s = lib.nn.Sequential()
        s.add_module("fc1", lib.nn.Linear(5, 4))
        s.add_module("flat", lib.nn.Flatten(0))
        s.add_module("fc2", lib.nn.Unflatten(0, (2, 6)))
        return s

    t, e = run_both(build)
    copy_module(t, e)
    assert _desc(e) == _desc(t)
    compare_modules(t, e, np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32))


def test_empty_sequential_is_identity():
    t, e = run_both(lambda lib: lib.nn.Sequential()(lib.ones(2)).tolist())
    assert t == e


# -- ModuleList -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", [
    lambda m, lib: _desc(m),
    lambda m, lib: repr(m[-2]),
    lambda m, lib: (type(m[1:]).__name__, _desc(m[1:])),
    lambda m, lib: len(m),
    lambda m, lib: _desc(m.append(lib.nn.Identity())),
    lambda m, lib: _desc(m.extend([lib.nn.Identity()])),
    lambda m, lib: (m.insert(0, lib.nn.Identity()), _desc(m))[1],
    lambda m, lib: (m.insert(4, lib.nn.Identity()), _desc(m))[1],
    lambda m, lib: (repr(m.pop(1)), _desc(m)),
    lambda m, lib: (m.__delitem__(slice(1, 3)), _desc(m))[1],
    lambda m, lib: (m.__delitem__(0), _desc(m))[1],
    lambda m, lib: (m.__setitem__(-1, lib.nn.Identity()), _desc(m))[1],
    lambda m, lib: _desc(m + lib.nn.ModuleList([lib.nn.Identity()])),
    lambda m, lib: (m.__iadd__([lib.nn.Identity()]), _desc(m))[1],
    lambda m, lib: [repr(x) for x in m],
    lambda m, lib: _desc(lib.nn.ModuleList(m)),
    lambda m, lib: list(m.state_dict()),
    lambda m, lib: repr(m),
])
def test_module_list_api(op):
    t, e = run_both(lambda lib: op(lib.nn.ModuleList(_layers(lib)), lib))
    assert e == t


@pytest.mark.parametrize("index", [-1, -2, -4, -9, 9])
def test_module_list_insert_like_list(index):
    # PyTorch raises KeyError for a negative index here; ember follows list.insert (documented difference)
    layers = _layers(ember)
    m = ember.nn.ModuleList(layers)
    new = ember.nn.Identity()
    m.insert(index, new)
    expected = list(layers)
    expected.insert(index, new)
    assert list(m) == expected and list(m._modules) == [str(i) for i in range(5)]


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.ModuleList(_layers(lib))[4],
    lambda lib: lib.nn.ModuleList(_layers(lib)).extend(lib.nn.Linear(1, 1)),
    lambda lib: lib.nn.ModuleList(_layers(lib)).append(1),
    lambda lib: lib.nn.ModuleList(_layers(lib))(lib.ones(1)),
    lambda lib: lib.nn.ModuleList([1]),
])
def test_module_list_errors(case):
    same_error(case)


# -- ModuleDict -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", [
    lambda d, lib: _desc(d),
    lambda d, lib: repr(d["b"]),
    lambda d, lib: (len(d), "a" in d, "z" in d, list(d), list(d.keys())),
    lambda d, lib: [(k, repr(v)) for k, v in d.items()],
    lambda d, lib: [repr(v) for v in d.values()],
    lambda d, lib: (repr(d.pop("a")), _desc(d)),
    lambda d, lib: (d.__delitem__("b"), _desc(d))[1],
    lambda d, lib: (d.__setitem__("z", lib.nn.Identity()), _desc(d))[1],
    lambda d, lib: (d.update({"b": lib.nn.Identity(), "y": lib.nn.Flatten()}), _desc(d))[1],
    lambda d, lib: (d.update([("q", lib.nn.Identity())]), _desc(d))[1],
    lambda d, lib: (d.update(lib.nn.ModuleDict({"w": lib.nn.Identity()})), _desc(d))[1],
    lambda d, lib: (d.clear(), _desc(d), len(d))[1:],
    lambda d, lib: list(d.state_dict()),
    lambda d, lib: repr(d),
])
def test_module_dict_api(op):
    def fn(lib):
        layers = _layers(lib, 3)
        return op(lib.nn.ModuleDict({"b": layers[0], "a": layers[1], "c": layers[2]}), lib)

    t, e = run_both(fn)
    assert e == t


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.ModuleDict()["x"],
    lambda lib: lib.nn.ModuleDict().update(3),
    lambda lib: lib.nn.ModuleDict().update([3]),
    lambda lib: lib.nn.ModuleDict().update([("a", lib.nn.Identity(), 1)]),
    lambda lib: lib.nn.ModuleDict({"a.b": lib.nn.Identity()}),
    lambda lib: lib.nn.ModuleDict({"a": 1}),
])
def test_module_dict_errors(case):
    same_error(case)


# -- ParameterList / ParameterDict ------------------------------------------------------------------


def _plist(lib):
    return lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(4, dtype=lib.float64),
                                 lib.nn.Parameter(lib.ones(1), requires_grad=False)])


@pytest.mark.parametrize("op", [
    lambda p, lib: repr(p),
    lambda p, lib: len(p),
    lambda p, lib: [(type(x).__name__, x.requires_grad, tuple(x.shape)) for x in p],
    lambda p, lib: _names(p.named_parameters()),
    lambda p, lib: repr(p.append(lib.ones(5))),
    lambda p, lib: repr(p.extend([lib.ones(1), lib.nn.Parameter(lib.ones(2))])),
    lambda p, lib: repr(p.append("text")),
    lambda p, lib: repr(p[1]),
    lambda p, lib: repr(p[-1]),
    lambda p, lib: repr(p[0:2]),
    lambda p, lib: (p.__setitem__(0, lib.ones(7)), repr(p))[1],
    lambda p, lib: (p.__iadd__([lib.ones(1)]), repr(p))[1],
    lambda p, lib: list(p.state_dict()),
    lambda p, lib: repr(lib.nn.ParameterList()),
])
def test_parameter_list_api(op):
    t, e = run_both(lambda lib: op(_plist(lib), lib))
    assert repr(e) == torch_text(repr(t))


def _names(pairs):
    return [n for n, _ in pairs]


def _pdict(lib):
    return lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2, 3)), "b": lib.zeros(4, dtype=lib.float64),
                                 "f": lib.nn.Parameter(lib.ones(1), requires_grad=False)})


@pytest.mark.parametrize("op", [
    lambda p, lib: repr(p),
    lambda p, lib: (len(p), "w" in p, "z" in p, list(p), list(p.keys())),
    lambda p, lib: [(k, type(v).__name__, v.requires_grad) for k, v in p.items()],
    lambda p, lib: [tuple(v.shape) for v in p.values()],
    lambda p, lib: _names(p.named_parameters()),
    lambda p, lib: (repr(p.pop("w")), repr(p)),
    lambda p, lib: (p.__delitem__("b"), repr(p))[1],
    lambda p, lib: (p.__setitem__("n", lib.ones(3)), repr(p))[1],
    lambda p, lib: (p.__setitem__("s", "text"), repr(p))[1],
    lambda p, lib: (p.update({"x": lib.ones(1)}), repr(p))[1],
    lambda p, lib: (p.update([("y", lib.ones(1))]), repr(p))[1],
    lambda p, lib: (p.clear(), len(p), repr(p))[1:],
    lambda p, lib: repr(p.get("w")),
    lambda p, lib: p.get("zz", 3),
    lambda p, lib: list(p.state_dict()),
    lambda p, lib: repr(p["w"]),
    lambda p, lib: (p.setdefault("w"), p.setdefault("new", lib.ones(2)), repr(p))[1:],
    lambda p, lib: (p.popitem(), repr(p))[1],
    lambda p, lib: repr(p.copy()),
    lambda p, lib: repr(p.fromkeys(["a", "b"], lib.ones(1))),
    lambda p, lib: list(reversed(p)),
    lambda p, lib: repr(p | lib.nn.ParameterDict({"x": lib.ones(1)})),
    lambda p, lib: (p.__ior__(lib.nn.ParameterDict({"x": lib.ones(1)})), repr(p))[1],
    lambda p, lib: (p.update(OrderedDict([("z", lib.ones(1)), ("a", lib.ones(2))])), list(p))[1],
])
def test_parameter_dict_api(op):
    t, e = run_both(lambda lib: op(_pdict(lib), lib))
    assert repr(e) == torch_text(repr(t))


@pytest.mark.parametrize("case", [
    lambda lib: _plist(lib)[3],
    lambda lib: _plist(lib)(1),
    lambda lib: _pdict(lib)(1),
    lambda lib: _pdict(lib)["zz"],
    lambda lib: _pdict(lib).update(5),
    lambda lib: _pdict(lib).update([("a", lib.ones(1), 2)]),
    lambda lib: _pdict(lib).update([3]),
    lambda lib: _pdict(lib)[3],
    lambda lib: _plist(lib).extend(lib.ones(2)),
    lambda lib: _plist(lib).extend(5),
])
def test_parameter_container_errors(case):
    same_error(case)


def test_parameter_containers_in_model_train():
    def build(lib):
        lib.manual_seed(0)

        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.ws = lib.nn.ParameterList([lib.nn.Parameter(lib.randn(3, 3)) for _ in range(2)])
                self.bs = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.randn(3))})

            def forward(self, x):
                for w in self.ws:
                    x = x @ w
                return x + self.bs["a"]

        return M()

    t, e = run_both(build)
    assert _names(e.named_parameters()) == _names(t.named_parameters())
    copy_module(t, e)
    compare_modules(t, e, np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32))
