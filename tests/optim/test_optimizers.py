"""Trajectories of every ember optimizer against PyTorch's over a grid of hyper-parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.optim._oracle import assert_params_close, make_params, set_grads, step_both, to_ember, to_torch

CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
            dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True), dict(),
            dict(lr=0.05, momentum=0.9, foreach=True), dict(lr=0.05, momentum=0.9, fused=True)],
    "Adam": [dict(), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.02, weight_decay=0.1, amsgrad=True),
             dict(lr=0.02, maximize=True, amsgrad=True), dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
             dict(lr=0.02, foreach=True), dict(lr=0.02, fused=True, amsgrad=True)],
    "AdamW": [dict(), dict(lr=0.05, weight_decay=0.3, amsgrad=True), dict(lr=0.02, maximize=True)],
    "Adamax": [dict(), dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1), dict(lr=0.05, maximize=True, eps=1e-3)],
    "NAdam": [dict(), dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01),
              dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "RAdam": [dict(), dict(lr=0.05, betas=(0.5, 0.7), weight_decay=0.1),
              dict(lr=0.05, betas=(0.5, 0.7), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "RMSprop": [dict(), dict(lr=0.02, alpha=0.9, weight_decay=0.1, momentum=0.5),
                dict(lr=0.02, centered=True, momentum=0.9, maximize=True), dict(lr=0.02, centered=True, eps=1e-4)],
    "Adagrad": [dict(), dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3),
                dict(lr=0.1, maximize=True, eps=1e-3)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), dict(maximize=True)],
    "ASGD": [dict(), dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1), dict(lr=0.05, t0=3, maximize=True)],
    "Rprop": [dict(), dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), dict(lr=0.05, maximize=True)],
    "Adafactor": [dict(), dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1),
                  dict(lr=0.2, maximize=True, eps=(1e-6, 1e-3))],
}
CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]
IDS = [f"{name}-{kw}" for name, kw in CASES]


def _pair(name, kw, dtype, groups=False):
    e_params, t_params = make_params(dtype)
    if groups:
        e_arg = [{"params": e_params[:2]}, {"params": e_params[2:], "lr": 0.003}]
        t_arg = [{"params": t_params[:2]}, {"params": t_params[2:], "lr": 0.003}]
    else:
        e_arg, t_arg = e_params, t_params
    return (e_params, getattr(ember.optim, name)(e_arg, **kw)), (t_params, getattr(torch.optim, name)(t_arg, **kw))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kw, dtype):
    (ep, eo), (tp, to) = _pair(name, kw, dtype)
    for step in range(25):
        skip = (1,) if step % 7 == 3 else ()  # a parameter without .grad is skipped
        set_grads(ep, ember, step, skip)
        set_grads(tp, torch, step, skip)
        eo.step()
        to.step()
        assert_params_close(ep, tp, dtype, f"after step {step}")


def test_lbfgs_refuses_parameter_groups_as_torch():
    def groups(lib):
        return [{"params": [lib.ones(2, requires_grad=True)]}, {"params": [lib.ones(2, requires_grad=True)]}]

    with pytest.raises(ValueError) as t_err:
        torch.optim.LBFGS(groups(torch))
    with pytest.raises(ValueError) as e_err:
        ember.optim.LBFGS(groups(ember))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("name,kw", [c for c in CASES if c[0] != "LBFGS"],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] != "LBFGS"])
def test_param_groups_with_different_lrs(name, kw):
    (ep, eo), (tp, to) = _pair(name, kw, "float64", groups=True)
    step_both(ep, eo, tp, to, range(20))
    assert_params_close(ep, tp, "float64")


@pytest.mark.parametrize("direction", ["torch_to_ember", "ember_to_torch"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_round_trip_mid_way(name, kw, direction):
    dtype = "float32"
    (ep, eo), (tp, to) = _pair(name, kw, dtype, groups=True)
    step_both(ep, eo, tp, to, range(10))
    # a fresh optimizer of the other library continues from the saved state
    if direction == "torch_to_ember":
        eo = getattr(ember.optim, name)([{"params": ep[:2]}, {"params": ep[2:]}], **kw)
        eo.load_state_dict(to_ember(to.state_dict()))
    else:
        to = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:]}], **kw)
        to.load_state_dict(to_torch(eo.state_dict()))
    assert eo.param_groups[1]["lr"] == to.param_groups[1]["lr"] == 0.003
    for step in range(10, 20):
        set_grads(ep, ember, step)
        set_grads(tp, torch, step)
        eo.step()
        to.step()
        assert_params_close(ep, tp, dtype, f"after step {step}")
    e_sd, t_sd = eo.state_dict(), to.state_dict()
    assert e_sd["param_groups"] == t_sd["param_groups"]
    # same keys in the same order (a state dict printed or diffed by a user looks the same)
    assert [list(g) for g in e_sd["param_groups"]] == [list(g) for g in t_sd["param_groups"]]
    for eg, tg in zip(e_sd["param_groups"], t_sd["param_groups"]):
        assert all(type(eg[k]) is type(tg[k]) for k in tg if k != "params"), (eg, tg)
    assert list(e_sd) == list(t_sd)
    assert e_sd["state"].keys() == t_sd["state"].keys()
    for k in t_sd["state"]:
        assert list(e_sd["state"][k].keys()) == list(t_sd["state"][k].keys())
        for key, tv in t_sd["state"][k].items():
            ev = e_sd["state"][k][key]
            if isinstance(tv, torch.Tensor):
                assert isinstance(ev, ember.Tensor) and str(ev.dtype)[6:] == str(tv.dtype)[6:], key
                assert tuple(ev.shape) == tuple(tv.shape), key


BIG = [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)), ("SGD", dict(lr=0.1)),
       ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.02)),
       ("Adamax", dict(lr=0.05, weight_decay=0.1)),
       ("NAdam", dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
       ("RAdam", dict(lr=0.05, betas=(0.5, 0.7))), ("RMSprop", dict(lr=0.02, centered=True, momentum=0.5)),
       ("Adagrad", dict(lr=0.1, weight_decay=0.1)), ("Adadelta", dict(weight_decay=0.1)), ("ASGD", dict(lr=0.05, t0=2)),
       ("Rprop", dict(lr=0.05)), ("Adafactor", dict(lr=0.05, weight_decay=0.1))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", BIG, ids=[f"{n}-{k}" for n, k in BIG])
def test_large_and_non_contiguous_parameters(name, kw, dtype):
    """Large parameters are updated block by block (cache-sized); a strided leaf is updated whole."""
    rng = np.random.default_rng(3)
    big = rng.uniform(-1, 1, size=(300, 500)).astype(dtype)
    strided = rng.uniform(-1, 1, size=(4, 6)).astype(dtype)
    # the second parameter is a non-contiguous (Fortran-ordered) leaf; each library gets its own copy
    ep = [ember.tensor(big, requires_grad=True), ember.from_numpy(strided.copy(order="F")).requires_grad_()]
    tp = [torch.tensor(big, requires_grad=True), torch.from_numpy(strided.copy(order="F")).requires_grad_()]
    assert not ep[1].is_contiguous() and not tp[1].is_contiguous()
    eo, to = getattr(ember.optim, name)(ep, **kw), getattr(torch.optim, name)(tp, **kw)
    step_both(ep, eo, tp, to, range(6))
    assert_params_close(ep, tp, dtype)
