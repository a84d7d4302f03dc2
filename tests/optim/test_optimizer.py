"""The Optimizer base against PyTorch's: construction errors, groups, zero_grad, closures, hooks, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import optimizer as torch_optimizer_module

import ember
from tests.nn._oracle import copy_module
from tests.optim._oracle import make_params, set_grads, step_both, to_ember

ALL = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop",
       "Adafactor", "LBFGS"]


def both(fn):
    """Run fn(lib) for torch and ember; return (ember exception, torch exception) or results."""
    out = []
    for lib in (ember, torch):
        try:
            out.append(fn(lib))
        except Exception as exc:  # noqa: BLE001 - the exception itself is what is compared
            out.append(exc)
    return out


def assert_same_error(fn):
    e, t = both(fn)
    assert isinstance(t, Exception), "torch raised nothing"
    assert type(e) is type(t), f"ember raised {e!r}, torch {t!r}"
    assert str(e).replace("ember.", "torch.") == str(t)


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1e-3)), ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(eps=-1.0)), ("Adam", dict(weight_decay=-0.1)), ("Adam", dict(betas=(0, 0.9))),
    ("AdamW", dict(betas=(0.9, 1.5))), ("Adamax", dict(betas=(-0.1, 0.9))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(eps=-1)), ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(momentum=-0.1)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)), ("Adadelta", dict(rho=1.5)),
    ("ASGD", dict(weight_decay=-1)), ("Rprop", dict(etas=(1.2, 0.5))), ("LBFGS", dict(lr=-1)),
    ("SGD", dict(lr=0.1, fused=True, differentiable=True)), ("Adam", dict(fused=True, foreach=True)),
    ("Adam", dict(lr="tensor", foreach=True)), ("SGD", dict(lr="tensor2")),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)), ("Adafactor", dict(eps=(-1, 1e-3))),
    ("Adafactor", dict(eps=(None, -1))), ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
    ("Adafactor", dict(lr="tensor2")),
])
def test_invalid_hyper_parameters_raise_torch_errors(name, kw):
    def make(lib):
        lrs = {"tensor": lib.tensor(0.1), "tensor2": lib.tensor([0.1, 0.2])}
        args = {k: lrs.get(v, v) if k == "lr" and isinstance(v, str) else v for k, v in kw.items()}
        return getattr(lib.optim, name)([lib.ones(2, requires_grad=True)], **args)

    assert_same_error(make)


@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2, requires_grad=True),  # a single tensor, not an iterable of them
    lambda lib: [],
    lambda lib: [1.0],
    lambda lib: [lib.ones(2, requires_grad=True) * 2],  # non-leaf
    lambda lib: [{"params": {lib.ones(2, requires_grad=True)}}],  # a set has no stable order
])
def test_invalid_params_raise_torch_errors(make):
    assert_same_error(lambda lib: lib.optim.SGD(make(lib), lr=0.1))


def test_parameter_in_two_groups_and_missing_names():
    def dup(lib):
        p = lib.ones(2, requires_grad=True)
        return lib.optim.SGD([{"params": [p]}, {"params": [p], "lr": 1}], lr=0.1)

    assert_same_error(dup)

    def mixed_names(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        return lib.optim.SGD([("a", a), b], lr=0.1)

    assert_same_error(mixed_names)

    def required_lr(lib):
        required = ember.optim.optimizer.required if lib is ember else torch_optimizer_module.required

        class Opt(lib.optim.Optimizer):
            def __init__(self, params):
                super().__init__(params, {"lr": required, "momentum": 0})

        return Opt([lib.ones(2, requires_grad=True)])

    assert_same_error(required_lr)


def test_duplicate_parameter_in_a_group_warns():
    p = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)


def test_groups_defaults_repr_and_named_params():
    def make(lib):
        named = [("w", lib.ones(2, requires_grad=True)), ("b", lib.ones(1, requires_grad=True))]
        return lib.optim.SGD(named, lr=0.1, momentum=0.9)

    e, t = both(make)
    assert e.defaults == t.defaults
    assert repr(e) == repr(t)
    assert e.state_dict() == t.state_dict()
    e, t = both(lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)]))
    assert e.defaults == t.defaults and repr(e) == repr(t)


def test_add_param_group_uses_defaults_and_rejects_overlap():
    ep, tp = make_params("float64")
    eo, to = ember.optim.SGD(ep[:1], lr=0.1, momentum=0.5), torch.optim.SGD(tp[:1], lr=0.1, momentum=0.5)
    eo.add_param_group({"params": ep[1], "lr": 0.01})
    to.add_param_group({"params": tp[1], "lr": 0.01})
    assert [{k: v for k, v in g.items() if k != "params"} for g in eo.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in to.param_groups]
    assert eo.param_groups[1]["params"] == [ep[1]]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        eo.add_param_group({"params": [ep[0], ep[2]]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        eo.add_param_group([ep[2]])


def test_zero_grad_to_none_and_to_zeros():
    p = ember.ones(3, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.full((3,), 2.0)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.array_equal(p.grad.numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_loss_and_runs_under_enable_grad():
    for lib in (ember, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        seen = []

        def closure():
            seen.append(lib.is_grad_enabled())
            opt.zero_grad()
            loss = (w ** 2).sum()
            loss.backward()
            return loss

        with lib.no_grad():
            loss = opt.step(closure)
        assert seen == [True] and loss.item() == 5.0
        assert np.allclose(w.detach().numpy(), [0.8, -1.6])
        assert opt.step() is None


def test_step_bumps_the_version_so_saved_tensors_are_checked():
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (w * w).sum()  # saves w
        w.grad = lib.ones(2)
        lib.optim.SGD([w], lr=0.1).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_step_hooks_order_and_removal():
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        p.grad = lib.ones(2)
        opt = lib.optim.Adam([p])
        calls = []
        h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", int(o.state[p]["step"].item()))))
        opt.step()
        h1.remove()
        opt.step()
        assert calls == [("pre", True), ("post", 1), ("post", 2)]


def test_step_pre_hook_can_replace_arguments():
    p = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kwargs: ((args[0],), {"closure": lambda: 42}))
    assert opt.step() == 42


def test_state_dict_hooks():
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        calls = []
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load_pre"))
        opt.register_load_state_dict_post_hook(lambda o: calls.append("load_post"))
        sd = opt.state_dict()
        assert sd["extra"] == 1
        opt.load_state_dict(sd)
        assert calls == ["pre", "load_pre", "load_post"]


def test_load_state_dict_checks_group_sizes():
    def load(lib, groups):
        ps = [lib.ones(2, requires_grad=True) for _ in range(3)]
        opt = lib.optim.SGD([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.1)
        opt.load_state_dict({"state": {}, "param_groups": groups})

    g = {"lr": 0.1, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False,
         "foreach": None, "differentiable": False, "fused": None}
    assert_same_error(lambda lib: load(lib, [dict(g, params=[0, 1, 2])]))
    assert_same_error(lambda lib: load(lib, [dict(g, params=[0]), dict(g, params=[1, 2])]))


def test_old_checkpoint_with_python_step_loads_as_tensor():
    ep, tp = make_params("float64")
    to = torch.optim.Adam(tp, lr=0.01)
    set_grads(tp, torch, 0)
    to.step()
    sd = to_ember(to.state_dict())
    for s in sd["state"].values():
        s["step"] = 1  # older PyTorch saved a Python number
    eo = ember.optim.Adam(ep, lr=0.01)
    eo.load_state_dict(sd)
    step = eo.state[ep[0]]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and step.item() == 1.0


def test_state_dtype_follows_param_on_load():
    ep, tp = make_params("float64")
    to = torch.optim.Adam([p.detach().float().requires_grad_() for p in tp])
    for p in to.param_groups[0]["params"]:
        p.grad = torch.ones_like(p)
    to.step()
    eo = ember.optim.Adam(ep)
    eo.load_state_dict(to_ember(to.state_dict()))
    assert eo.state[ep[0]]["exp_avg"].dtype == ember.float64
    assert eo.state[ep[0]]["step"].dtype == ember.float32


def test_tensor_lr_and_float64_default_step_dtype():
    e, t = both(lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=lib.tensor(0.5)))
    assert isinstance(e.param_groups[0]["lr"], ember.Tensor)
    ep, tp = make_params("float32")
    eo = ember.optim.SGD(ep, lr=ember.tensor(0.5), momentum=0.9)
    to = torch.optim.SGD(tp, lr=torch.tensor(0.5), momentum=0.9)
    step_both(ep, eo, tp, to, range(3))
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        e, t = both(lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)]))
        for opt, lib in ((e, ember), (t, torch)):
            opt.param_groups[0]["params"][0].grad = lib.ones(2)
            opt.step()
        assert str(e.state_dict()["state"][0]["step"].dtype) == "ember.float64"
        assert t.state_dict()["state"][0]["step"].dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "NAdam", "Adadelta", "ASGD", "Rprop"])
def test_unsupported_modes_raise_not_implemented(name):
    kw = {"differentiable": True}
    opt = getattr(ember.optim, name)([ember.ones(2, requires_grad=True)], **kw)
    opt.param_groups[0]["params"][0].grad = ember.ones(2)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.step()
    if name != "SGD":
        opt = getattr(ember.optim, name)([ember.ones(2, requires_grad=True)], capturable=True)
        opt.param_groups[0]["params"][0].grad = ember.ones(2)
        with pytest.raises(NotImplementedError, match="capturable=True"):
            opt.step()


def test_params_without_grad_are_skipped_and_get_no_state():
    for name in ALL[:-1]:
        if name == "Adagrad":
            continue  # Adagrad creates state for every parameter at construction, as PyTorch does
        kw = {"momentum": 0.9} if name == "SGD" else {}
        e, t = both(lambda lib: getattr(lib.optim, name)([lib.ones(2, requires_grad=True),
                                                          lib.ones(2, requires_grad=True)], **kw))
        for opt, lib in ((e, ember), (t, torch)):
            opt.param_groups[0]["params"][0].grad = lib.ones(2)
            opt.step()
        assert list(e.state_dict()["state"]) == list(t.state_dict()["state"]) == [0], name
        assert np.array_equal(e.param_groups[0]["params"][1].detach().numpy(), np.ones(2, np.float32))


def test_adagrad_state_exists_from_construction():
    e, t = both(lambda lib: lib.optim.Adagrad([lib.ones(2, requires_grad=True)], initial_accumulator_value=0.5))
    assert e.state_dict()["state"].keys() == t.state_dict()["state"].keys() == {0}
    assert np.array_equal(e.state_dict()["state"][0]["sum"].numpy(), t.state_dict()["state"][0]["sum"].numpy())


def _small_net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
            self.fc = nn.Linear(8, 5)

        def forward(self, x):
            return self.fc(self.features(x))

    return Net()


def test_transfer_learning_pattern_matches_torch():
    """Freeze a pretrained model, replace its final layer, train only model.fc with StepLR every 7 epochs."""
    models = {}
    for lib in (torch, ember):
        torch.manual_seed(0)
        models[lib] = _small_net(lib)
    copy_module(models[torch], models[ember])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=12)
    trained, frozen_before = {}, {}
    for lib in (torch, ember):
        model = models[lib]
        for param in model.parameters():
            param.requires_grad = False
        model.fc = lib.nn.Linear(8, 3)  # new layer: requires_grad=True
    copy_module(models[torch].fc, models[ember].fc)
    for lib in (torch, ember):
        model = models[lib]
        frozen_before[lib] = [p.detach().numpy().copy() for p in model.features.parameters()]
        opt = lib.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.1)
        criterion = lib.nn.CrossEntropyLoss()
        lrs = []
        for _epoch in range(15):
            opt.zero_grad()
            loss = criterion(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        trained[lib] = (lrs, [p.detach().numpy() for p in model.fc.parameters()], loss.item())
        assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(frozen_before[lib],
                                                                          model.features.parameters()))
        assert all(p.grad is None for p in model.features.parameters())
    assert trained[ember][0] == trained[torch][0]
    for a, b in zip(trained[ember][1], trained[torch][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert abs(trained[ember][2] - trained[torch][2]) < 1e-5


def test_user_defined_optimizer_subclass_matches_torch():
    """A custom optimizer written the PyTorch way (state dict, @no_grad step, hooks) runs the same on ember."""
    results = []
    for lib in (ember, torch):
        class SignSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.01, beta=0.9):
                super().__init__(params, {"lr": lr, "beta": beta})

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if "m" not in state:
                            state["m"] = lib.zeros_like(p)
                        state["m"].mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                        p.add_(state["m"].sign(), alpha=-group["lr"])

        params = make_params("float64")[0 if lib is ember else 1]
        opt = SignSGD(params, lr=0.05)
        calls = []
        opt.register_step_post_hook(lambda o, a, k: calls.append(1))
        for step in range(5):
            set_grads(params, lib, step)
            opt.step()
        results.append(([p.detach().numpy().copy() for p in params], len(calls),
                         sorted(opt.state_dict()["state"][0])))
    (e_params, e_calls, e_keys), (t_params, t_calls, t_keys) = results
    assert e_calls == t_calls == 5 and e_keys == t_keys == ["m"]
    for a, b in zip(e_params, t_params):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_deepcopy_keeps_state_and_hooks_work():
    import copy

    ep, _ = make_params("float64")
    opt = ember.optim.Adam(ep, lr=0.01)
    set_grads(ep, ember, 0)
    opt.step()
    clone = copy.deepcopy(opt)
    assert clone.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    assert clone.param_groups[0]["params"][0] is not ep[0]
    calls = []
    clone.register_step_pre_hook(lambda o, a, k: calls.append(1))
    for p in clone.param_groups[0]["params"]:
        p.grad = ember.ones_like(p)
    clone.step()
    assert calls == [1] and clone.state[clone.param_groups[0]["params"][0]]["step"].item() == 2.0


@pytest.mark.parametrize("name", ALL)
def test_constructor_signature_matches_torch(name):
    """Every hyper-parameter PyTorch's constructor takes, with the same name, kind (keyword-only) and default."""
    import inspect

    def spec(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    assert spec(getattr(ember.optim, name)) == spec(getattr(torch.optim, name))


@pytest.mark.parametrize("name", [n for n in ALL if n != "LBFGS"])
def test_float32_tensor_lr_on_float64_params_matches_torch(name):
    """A float32 tensor lr: PyTorch does the step-size arithmetic in float32; ember must too (1e-10 in float64)."""
    ep, tp = make_params("float64")
    kw = dict(momentum=0.9) if name == "SGD" else {}
    eo = getattr(ember.optim, name)(ep, lr=ember.tensor(0.01), **kw)
    to = getattr(torch.optim, name)(tp, lr=torch.tensor(0.01), **kw)
    step_both(ep, eo, tp, to, range(20))
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_tensor_betas_stay_tensors_in_the_group(name):
    ep, tp = make_params("float32")
    eo = getattr(ember.optim, name)(ep, betas=(ember.tensor(0.8), ember.tensor(0.9)))
    to = getattr(torch.optim, name)(tp, betas=(torch.tensor(0.8), torch.tensor(0.9)))
    step_both(ep, eo, tp, to, range(20))
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    e_betas, t_betas = eo.state_dict()["param_groups"][0]["betas"], to.state_dict()["param_groups"][0]["betas"]
    assert isinstance(e_betas, tuple) and isinstance(t_betas, tuple)
    assert all(isinstance(b, ember.Tensor) for b in e_betas)
    assert [b.item() for b in e_betas] == [b.item() for b in t_betas]
