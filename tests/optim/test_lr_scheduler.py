"""Learning-rate schedulers against PyTorch: the rate (and momentum) sequences over 100 steps must be equal
(``==`` on the floats), also after a state_dict round trip mid-way, and warnings/errors must match.

A scheduler is described once by ``make(L, opt)`` where ``L`` is ``ember.optim.lr_scheduler`` or
``torch.optim.lr_scheduler``, so the same lambda builds both.
"""

from __future__ import annotations

import math
import pickle
import warnings

import pytest
import torch

import ember

N_STEPS = 100
GROUP_LRS = (0.1, 0.05)


def _optimizer(lib, kind: str = "sgd", lrs=GROUP_LRS):
    """An optimizer of ``lib`` (ember or torch) with one parameter group per learning rate."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return lib.optim.SGD(groups, momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups)
    return getattr(lib.optim, kind)(groups)


def _snapshot(opt, sched) -> tuple:
    """What a scheduler controls: each group's lr and momentum (or betas), and get_last_lr()."""
    momenta = [tuple(g["betas"]) if "betas" in g else g.get("momentum") for g in opt.param_groups]
    return [g["lr"] for g in opt.param_groups], momenta, list(sched.get_last_lr())


def _step(opt, sched, i: int, metrics) -> None:
    opt.step()
    if metrics is None:
        sched.step()
    else:
        sched.step(metrics[i])


def _trace(lib, make, kind: str = "sgd", metrics=None, n: int = N_STEPS) -> list:
    """Snapshots after construction and after each of ``n`` (optimizer.step, scheduler.step) pairs."""
    opt = _optimizer(lib, kind)
    sched = make(lib.optim.lr_scheduler, opt)
    rows = [_snapshot(opt, sched)]
    for i in range(n):
        _step(opt, sched, i, metrics)
        rows.append(_snapshot(opt, sched))
    return rows


def _trace_resumed(make, kind: str = "sgd", metrics=None, n: int = N_STEPS, at: int = 50) -> list:
    """The ember trace, checkpointed at step ``at`` and continued in a fresh optimizer and scheduler."""
    opt = _optimizer(ember, kind)
    sched = make(ember.optim.lr_scheduler, opt)
    rows = [_snapshot(opt, sched)]
    for i in range(at):
        _step(opt, sched, i, metrics)
        rows.append(_snapshot(opt, sched))
    opt_state = opt.state_dict()
    sched_state = pickle.loads(pickle.dumps(sched.state_dict()))  # a checkpoint goes through pickle
    opt = _optimizer(ember, kind)
    sched = make(ember.optim.lr_scheduler, opt)  # built before loading, as PyTorch's docs ask
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    for i in range(at, n):
        _step(opt, sched, i, metrics)
        rows.append(_snapshot(opt, sched))
    return rows


def _assert_rows_equal(ember_rows: list, torch_rows: list) -> None:
    assert len(ember_rows) == len(torch_rows)
    for i, (e, t) in enumerate(zip(ember_rows, torch_rows)):
        assert e == t, f"step {i}: ember {e} != torch {t}"


def _lambda_callable():
    class Decay:
        """A callable object: its attributes are part of LambdaLR's state_dict."""

        def __init__(self):
            self.base = 0.97

        def __call__(self, epoch):
            return self.base**epoch

    return Decay()


SCHEDULERS = {
    "step": lambda L, o: L.StepLR(o, step_size=7, gamma=0.1),
    "step_half": lambda L, o: L.StepLR(o, 3, gamma=0.5),
    "multistep": lambda L, o: L.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "exponential": lambda L, o: L.ExponentialLR(o, gamma=0.95),
    "cosine": lambda L, o: L.CosineAnnealingLR(o, T_max=30),
    "cosine_eta_min": lambda L, o: L.CosineAnnealingLR(o, T_max=17, eta_min=0.001),
    "warm_restarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10),
    "warm_restarts_mult": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3),
    "lambda": lambda L, o: L.LambdaLR(o, lambda e: 0.97**e),
    "lambda_per_group": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** (e // 10)]),
    "lambda_object": lambda L, o: L.LambdaLR(o, _lambda_callable()),
    "multiplicative": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95),
    "multiplicative_groups": lambda L, o: L.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.0 if e % 2 else 0.8]),
    "linear": lambda L, o: L.LinearLR(o),
    "linear_custom": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=30),
    "linear_down": lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=40),
    "constant": lambda L, o: L.ConstantLR(o),
    "constant_custom": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=20),
    "polynomial": lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.0),
    "polynomial_frac": lambda L, o: L.PolynomialLR(o, total_iters=60, power=0.9),
    "cyclic": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=7),
    "cyclic_triangular2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=6, step_size_down=4,
                                                  mode="triangular2"),
    "cyclic_exp_range": lambda L, o: L.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=5, mode="exp_range",
                                                gamma=0.97, base_momentum=[0.8, 0.7], max_momentum=0.95),
    "cyclic_scale_fn": lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=4,
                                               scale_fn=lambda x: 0.5 * (1 + math.sin(x * math.pi / 2))),
    "cyclic_scale_iterations": lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=4, scale_fn=lambda x: 0.99**x,
                                                       scale_mode="iterations"),
    "cyclic_no_momentum": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False),
    "onecycle": lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=N_STEPS),
    "onecycle_linear": lambda L, o: L.OneCycleLR(o, max_lr=[0.1, 0.2], epochs=10, steps_per_epoch=10,
                                                 anneal_strategy="linear"),
    "onecycle_three_phase": lambda L, o: L.OneCycleLR(o, max_lr=0.05, total_steps=120, pct_start=0.25,
                                                      three_phase=True, div_factor=10.0, final_div_factor=100.0,
                                                      base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.99]),
    "onecycle_no_momentum": lambda L, o: L.OneCycleLR(o, max_lr=0.3, total_steps=150, cycle_momentum=False),
    "sequential": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                                                  L.ExponentialLR(o, gamma=0.9)], milestones=[5]),
    "sequential_three": lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.5, total_iters=4),
                                                        L.CosineAnnealingLR(o, T_max=20, eta_min=0.01),
                                                        L.StepLR(o, step_size=9)], milestones=[10, 40]),
    "chained": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=2),
                                                L.ExponentialLR(o, gamma=0.9)]),
    "chained_step": lambda L, o: L.ChainedScheduler([L.StepLR(o, 5, gamma=0.8), L.MultiStepLR(o, [20, 50])],
                                                    optimizer=o),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_sequence_matches_torch(name):
    make = SCHEDULERS[name]
    _assert_rows_equal(_trace(ember, make), _trace(torch, make))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_round_trip_midway(name):
    make = SCHEDULERS[name]
    _assert_rows_equal(_trace_resumed(make), _trace(torch, make))


@pytest.mark.parametrize("kind", ["adam", "AdamW", "RMSprop"])
@pytest.mark.parametrize("name", ["cyclic", "cyclic_exp_range", "onecycle", "onecycle_three_phase", "step"])
def test_momentum_or_beta1_cycles_like_torch(name, kind):
    """Adam-like optimizers get beta1 cycled (betas[1] kept), RMSprop its momentum."""
    make = SCHEDULERS[name]
    expected = _trace(torch, make, kind)
    _assert_rows_equal(_trace(ember, make, kind), expected)
    _assert_rows_equal(_trace_resumed(make, kind), expected)


@pytest.mark.parametrize("name", ["step", "multistep", "cosine_eta_min", "warm_restarts_mult", "cyclic_exp_range",
                                  "onecycle_three_phase", "sequential_three", "chained", "linear_custom"])
def test_torch_state_dict_loads_into_ember(name):
    """A PyTorch scheduler checkpoint (plain Python values) continues in ember with the same rates."""
    _check_resumed_in_other_library(name, torch, ember)


@pytest.mark.parametrize("name", ["step", "cyclic_exp_range", "onecycle_three_phase", "sequential_three"])
def test_ember_state_dict_loads_into_torch(name):
    """And back: an ember checkpoint continues in PyTorch with the same rates."""
    _check_resumed_in_other_library(name, ember, torch)


def _check_resumed_in_other_library(name: str, source, target) -> None:
    """Run scheduler `name` 40 steps in `source`, load its checkpoint (and group values) into a fresh `target`
    scheduler, then step both libraries and compare the rates."""
    make = SCHEDULERS[name]
    src_opt = _optimizer(source)
    src_sched = make(source.optim.lr_scheduler, src_opt)
    for i in range(40):
        _step(src_opt, src_sched, i, None)
    dst_opt = _optimizer(target)
    dst_sched = make(target.optim.lr_scheduler, dst_opt)
    for src_group, dst_group in zip(src_opt.param_groups, dst_opt.param_groups):
        dst_group.update({k: v for k, v in src_group.items() if k != "params"})
    dst_sched.load_state_dict(src_sched.state_dict())
    by_library = {source: (src_opt, src_sched), target: (dst_opt, dst_sched)}
    (e_opt, e_sched), (t_opt, t_sched) = by_library[ember], by_library[torch]
    for i in range(40, N_STEPS):
        _step(t_opt, t_sched, i, None)
        _step(e_opt, e_sched, i, None)
        assert _snapshot(e_opt, e_sched) == _snapshot(t_opt, t_sched), f"step {i}"


TENSOR_LR = {
    "step": lambda L, o: L.StepLR(o, 3),
    "cosine": lambda L, o: L.CosineAnnealingLR(o, 10, eta_min=0.01),
    "linear": lambda L, o: L.LinearLR(o),
    "onecycle": lambda L, o: L.OneCycleLR(o, 0.1, total_steps=60),
    "cyclic": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5),
    "plateau": lambda L, o: L.ReduceLROnPlateau(o, patience=2),
}


@pytest.mark.parametrize("name", TENSOR_LR)
def test_tensor_lr_matches_torch(name):
    """A tensor learning rate is updated in place (never replaced) and get_last_lr() returns copies."""
    def run(lib):
        groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lib.tensor(0.1)},
                  {"params": [lib.zeros(2, requires_grad=True)], "lr": lib.tensor(0.02, dtype=lib.float64)}]
        opt = lib.optim.SGD(groups, momentum=0.9)
        lr_tensor = opt.param_groups[0]["lr"]
        sched = TENSOR_LR[name](lib.optim.lr_scheduler, opt)
        rows = []
        for i in range(60):
            opt.step()
            sched.step(METRICS[i]) if name == "plateau" else sched.step()
            last = sched.get_last_lr()
            rows.append(([float(g["lr"]) for g in opt.param_groups], [float(x) for x in last],
                         [str(g["lr"].dtype).split(".")[-1] for g in opt.param_groups],
                         opt.param_groups[0]["lr"] is lr_tensor, last[0] is not lr_tensor))
        return rows

    _assert_rows_equal(run(ember), run(torch))


def test_state_dict_keys_match_torch():
    for name, make in SCHEDULERS.items():
        e_state = make(ember.optim.lr_scheduler, _optimizer(ember)).state_dict()
        t_state = make(torch.optim.lr_scheduler, _optimizer(torch)).state_dict()
        assert sorted(e_state) == sorted(t_state), name


def test_lambda_state_saves_callable_objects_only():
    opt = _optimizer(ember)
    decay = _lambda_callable()
    sched = ember.optim.lr_scheduler.LambdaLR(opt, [decay, lambda e: 1.0])
    assert sched.state_dict()["lr_lambdas"] == [{"base": 0.97}, None]
    t_opt = _optimizer(torch)
    t_sched = torch.optim.lr_scheduler.LambdaLR(t_opt, [_lambda_callable(), lambda e: 1.0])
    assert t_sched.state_dict()["lr_lambdas"] == [{"base": 0.97}, None]
    fresh = _lambda_callable()
    sched2 = ember.optim.lr_scheduler.LambdaLR(_optimizer(ember), [fresh, lambda e: 1.0])
    decay.base = 0.5
    sched2.load_state_dict(sched.state_dict())
    assert fresh.base == 0.5


def test_cyclic_state_saves_scale_fn_object_only():
    class Wave:
        def __init__(self):
            self.depth = 0.5

        def __call__(self, x):
            return self.depth ** x

    states = []
    for lib in (ember, torch):
        L = lib.optim.lr_scheduler
        states.append((L.CyclicLR(_optimizer(lib), 0.01, 0.1, scale_fn=Wave()).state_dict()["_scale_fn_custom"],
                       L.CyclicLR(_optimizer(lib), 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()["_scale_fn_custom"]))
    assert states[0] == states[1] == ({"depth": 0.5}, None)
    wave = Wave()
    sched = ember.optim.lr_scheduler.CyclicLR(_optimizer(ember), 0.01, 0.1, scale_fn=wave)
    sched.load_state_dict({**sched.state_dict(), "_scale_fn_custom": {"depth": 0.25}})
    assert wave.depth == 0.25 and sched.scale_fn(2) == 0.0625


# -- ReduceLROnPlateau ------------------------------------------------------------------------------------
def _metric(i: int) -> float:
    """A loss that improves in bursts and stalls in between (plateaus of varying length)."""
    return 1.0 / (1 + i // 9) + 0.001 * ((i * 37) % 5)


METRICS = [_metric(i) for i in range(N_STEPS)]
PLATEAU = {
    "default": lambda L, o: L.ReduceLROnPlateau(o, patience=3),
    "max_abs": lambda L, o: L.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2, threshold=0.01,
                                                threshold_mode="abs", cooldown=2),
    "min_lrs": lambda L, o: L.ReduceLROnPlateau(o, factor=0.3, patience=1, min_lr=[0.01, 0.001], cooldown=1),
    "big_eps": lambda L, o: L.ReduceLROnPlateau(o, factor=0.9, patience=0, eps=0.004),
    "max_rel": lambda L, o: L.ReduceLROnPlateau(o, mode="max", patience=4, threshold=0.05),
}


@pytest.mark.parametrize("name", PLATEAU)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_reduce_on_plateau_matches_torch(name, sign):
    metrics = [sign * m for m in METRICS]
    make = PLATEAU[name]
    expected = _trace(torch, make, metrics=metrics)
    _assert_rows_equal(_trace(ember, make, metrics=metrics), expected)
    _assert_rows_equal(_trace_resumed(make, metrics=metrics), expected)


def test_reduce_on_plateau_accepts_tensor_metric():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    t_opt = _optimizer(torch)
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, patience=0)
    for value in (1.0, 2.0, 0.5, 0.5):
        sched.step(ember.tensor(value))
        t_sched.step(torch.tensor(value))
        assert sched.get_last_lr() == t_sched.get_last_lr()


def test_reduce_on_plateau_new_group_with_min_lr_list():
    def build(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        sched.step(1.0)
        sched.step(2.0)

    _assert_same_error(build)


# -- deprecated step(epoch) and the closed forms -----------------------------------------------------------
@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine_eta_min", "linear_custom",
                                  "constant_custom", "polynomial_frac", "lambda", "cyclic"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        rows = []
        for epoch in (3, 17, 5, 40, 41, 90):
            opt.step()
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
                sched.step(epoch)
            rows.append(_snapshot(opt, sched))
        results.append(rows)
    _assert_rows_equal(*results)


def test_warm_restarts_fractional_epochs():
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.002)
        rows = []
        for epoch in range(20):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)  # the documented per-batch use: no deprecation warning
                rows.append(_snapshot(opt, sched) + (sched.T_cur, sched.T_i, sched.last_epoch))
        results.append(rows)
    _assert_rows_equal(*results)


def test_warm_restarts_epoch_t_mult_one():
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4)
        rows = []
        for epoch in (0.5, 7.25, 13, 2):
            sched.step(epoch)
            rows.append(_snapshot(opt, sched) + (sched.T_cur, sched.T_i))
        results.append(rows)
    _assert_rows_equal(*results)


# -- resuming with last_epoch ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["step", "cosine", "cosine_eta_min", "exponential", "onecycle", "cyclic",
                                  "warm_restarts"])
def test_resume_with_last_epoch(name):
    """Groups carrying initial_lr (from a loaded optimizer) and last_epoch=k continue like torch."""
    makers = {
        "step": lambda L, o, k: L.StepLR(o, 7, last_epoch=k),
        "cosine": lambda L, o, k: L.CosineAnnealingLR(o, T_max=30, last_epoch=k),
        "cosine_eta_min": lambda L, o, k: L.CosineAnnealingLR(o, T_max=17, eta_min=0.001, last_epoch=k),
        "exponential": lambda L, o, k: L.ExponentialLR(o, 0.9, last_epoch=k),
        "onecycle": lambda L, o, k: L.OneCycleLR(o, 0.1, total_steps=100, last_epoch=k),
        "cyclic": lambda L, o, k: L.CyclicLR(o, 0.01, 0.1, step_size_up=7, last_epoch=k),
        "warm_restarts": lambda L, o, k: L.CosineAnnealingWarmRestarts(o, T_0=10, last_epoch=k),
    }
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        makers[name](lib.optim.lr_scheduler, opt, -1)
        for _ in range(5):
            opt.step()
        sched = makers[name](lib.optim.lr_scheduler, opt, 23)
        rows = [_snapshot(opt, sched)]
        for _ in range(30):
            opt.step()
            sched.step()
            rows.append(_snapshot(opt, sched) + (sched.last_epoch,))
        results.append(rows)
    _assert_rows_equal(*results)


def test_initial_lr_and_base_lrs():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == list(GROUP_LRS)
    assert sched.base_lrs == list(GROUP_LRS)
    assert sched.last_epoch == 0
    opt.param_groups[0]["lr"] = 7.0
    ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)  # setdefault: an existing initial_lr is kept
    assert opt.param_groups[0]["initial_lr"] == GROUP_LRS[0]


# -- warnings ----------------------------------------------------------------------------------------------
def _warnings_of(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _same_warnings(build) -> list[str]:
    ember_messages = _warnings_of(lambda: build(ember))
    torch_messages = _warnings_of(lambda: build(torch))
    assert ember_messages == torch_messages
    return ember_messages


def test_warns_when_scheduler_steps_before_optimizer():
    def build(lib):
        lib.optim.lr_scheduler.StepLR(_optimizer(lib), 3).step()

    messages = _same_warnings(build)
    assert len(messages) == 1 and messages[0].startswith("Detected call of `lr_scheduler.step()` before "
                                                         "`optimizer.step()`.")
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        build(ember)


def test_no_warning_in_the_right_order():
    def build(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
        for _ in range(3):
            opt.step()
            sched.step()

    assert _same_warnings(build) == []


def test_warns_when_optimizer_step_overridden():
    def build(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        opt.step = lambda closure=None: None
        opt.step()
        sched.step()

    messages = _same_warnings(build)
    assert len(messages) == 1 and messages[0].startswith("Seems like `optimizer.step()` has been overridden")


def test_optimizer_step_wrapped_once_and_still_steps():
    opt = _optimizer(ember)
    step_before = opt.step
    ember.optim.lr_scheduler.StepLR(opt, 3)
    wrapped = opt.step
    assert wrapped is not step_before and wrapped._wrapped_by_lr_sched
    ember.optim.lr_scheduler.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped
    param = opt.param_groups[0]["params"][0]
    param.grad = ember.ones(2)
    assert opt.step() is None and opt._opt_called
    assert param.tolist() == torch.full((2,), -0.1).tolist()  # the float32 update happened once


def test_get_lr_outside_step_warns():
    def build(lib):
        lib.optim.lr_scheduler.StepLR(_optimizer(lib), 3).get_lr()

    messages = _same_warnings(build)
    assert messages == ["To get the last learning rate computed by the scheduler, please use `get_last_lr()`."]


def test_epoch_argument_warns():
    def build(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.9)
        opt.step()
        sched.step(4)

    assert len(_same_warnings(build)) == 1


def test_get_last_lr_is_a_copy():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    last = sched.get_last_lr()
    last[0] = 123.0
    assert opt.param_groups[0]["lr"] == GROUP_LRS[0]


# -- errors ------------------------------------------------------------------------------------------------
def _assert_same_error(build, prefix_only: bool = False) -> None:
    """build(torch) and build(ember) raise the same exception type with the same message."""
    with pytest.raises(Exception) as torch_error:
        build(torch)
    with pytest.raises(type(torch_error.value)) as ember_error:
        build(ember)
    assert type(ember_error.value) is type(torch_error.value)
    t_msg, e_msg = str(torch_error.value), str(ember_error.value)
    if prefix_only:  # the message names the optimizer's repr, which differs between the libraries
        t_msg, e_msg = t_msg.split(" has ")[0], e_msg.split(" has ")[0]
    assert e_msg == t_msg


ERRORS = {
    "not_an_optimizer": lambda lib: lib.optim.lr_scheduler.StepLR(object(), 3),
    "resume_without_initial_lr": lambda lib: lib.optim.lr_scheduler.StepLR(_optimizer(lib), 3, last_epoch=4),
    "verbose_removed": lambda lib: lib.optim.lr_scheduler.StepLR(_optimizer(lib), 3, verbose=True),
    "constant_factor": lambda lib: lib.optim.lr_scheduler.ConstantLR(_optimizer(lib), factor=1.5),
    "linear_start": lambda lib: lib.optim.lr_scheduler.LinearLR(_optimizer(lib), start_factor=0),
    "linear_end": lambda lib: lib.optim.lr_scheduler.LinearLR(_optimizer(lib), end_factor=1.5),
    "lambda_count": lambda lib: lib.optim.lr_scheduler.LambdaLR(_optimizer(lib), [lambda e: 1.0]),
    "multiplicative_count": lambda lib: lib.optim.lr_scheduler.MultiplicativeLR(_optimizer(lib), [abs] * 3),
    "multiplicative_not_callable": lambda lib: lib.optim.lr_scheduler.MultiplicativeLR(_optimizer(lib), 0.9),
    "warm_T_0": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(lib), T_0=0),
    "warm_T_0_float": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(lib), T_0=2.0),
    "warm_T_mult": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(lib), 3, T_mult=0),
    "warm_eta_min": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(lib), 3, eta_min="a"),
    "warm_negative_epoch": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(lib), 3).step(-1),
    "cyclic_mode": lambda lib: lib.optim.lr_scheduler.CyclicLR(_optimizer(lib), 0.1, 1.0, mode="sine"),
    "cyclic_base_lr_count": lambda lib: lib.optim.lr_scheduler.CyclicLR(_optimizer(lib), [0.1] * 3, 1.0),
    "cyclic_max_lr_count": lambda lib: lib.optim.lr_scheduler.CyclicLR(_optimizer(lib), 0.1, [1.0]),
    "cyclic_momentum_count": lambda lib: lib.optim.lr_scheduler.CyclicLR(_optimizer(lib), 0.1, 1.0,
                                                                         base_momentum=[0.8]),
    "cyclic_not_optimizer": lambda lib: lib.optim.lr_scheduler.CyclicLR(None, 0.1, 1.0),
    "onecycle_no_length": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1),
    "onecycle_total_steps": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, total_steps=0),
    "onecycle_epochs": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, epochs=0,
                                                                     steps_per_epoch=3),
    "onecycle_steps_per_epoch": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, epochs=2,
                                                                              steps_per_epoch=-1),
    "onecycle_pct_start_int": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, total_steps=10,
                                                                            pct_start=1),
    "onecycle_pct_start": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, total_steps=10,
                                                                        pct_start=1.5),
    "onecycle_anneal": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), 0.1, total_steps=10,
                                                                     anneal_strategy="exp"),
    "onecycle_max_lr_count": lambda lib: lib.optim.lr_scheduler.OneCycleLR(_optimizer(lib), [0.1], total_steps=10),
    "plateau_factor": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), factor=1.0),
    "plateau_mode": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), mode="up"),
    "plateau_threshold_mode": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib),
                                                                                   threshold_mode="pct"),
    "plateau_min_lr_count": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), min_lr=[0.1]),
    "plateau_not_optimizer": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau([], patience=1),
    "plateau_without_metric": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib)).step(),
    "base_get_lr": lambda lib: lib.optim.lr_scheduler.LRScheduler(_optimizer(lib)),
    "sequential_empty": lambda lib: lib.optim.lr_scheduler.SequentialLR(_optimizer(lib), [], []),
    "chained_empty": lambda lib: lib.optim.lr_scheduler.ChainedScheduler([]),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    _assert_same_error(ERRORS[name])


def _composed_error(kind: str):
    def build(lib):
        L = lib.optim.lr_scheduler
        opt = _optimizer(lib)
        step = L.StepLR(opt, 3)
        if kind == "milestones":
            return L.SequentialLR(opt, [step, L.ExponentialLR(opt, 0.9)], milestones=[])
        if kind == "plateau":
            return L.SequentialLR(opt, [step, L.ReduceLROnPlateau(opt)], milestones=[3])
        if kind == "no_optimizer":
            return L.ChainedScheduler([step, object()])
        if kind == "chained_plateau":
            return L.ChainedScheduler([L.ReduceLROnPlateau(opt)])
        if kind == "other_optimizer":
            return L.SequentialLR(opt, [step, L.StepLR(_optimizer(lib), 3)], milestones=[3])
        return L.ChainedScheduler([step, L.StepLR(_optimizer(lib), 3)])

    return build


@pytest.mark.parametrize("kind", ["milestones", "plateau", "no_optimizer", "chained_plateau", "other_optimizer",
                                  "chained_other_optimizer"])
def test_composed_errors_match_torch(kind):
    _assert_same_error(_composed_error(kind), prefix_only=kind.endswith("other_optimizer"))


def test_onecycle_stepping_past_total_steps():
    def build(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
        for _ in range(11):
            opt.step()
            sched.step()

    _assert_same_error(build)


def _plain_optimizer(lib):
    """An optimizer of the real base class whose hyper-parameters have neither momentum nor betas."""
    class Plain(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

        def step(self, closure=None):
            return None

    return Plain([lib.zeros(2, requires_grad=True)])


def test_cycle_momentum_needs_momentum_or_betas():
    _assert_same_error(lambda lib: lib.optim.lr_scheduler.CyclicLR(_plain_optimizer(lib), 0.01, 0.1))
    _assert_same_error(lambda lib: lib.optim.lr_scheduler.OneCycleLR(_plain_optimizer(lib), 0.1, total_steps=10))


def test_cycle_momentum_off_needs_no_momentum():
    def build(lib):
        opt = _plain_optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=20, cycle_momentum=False)
        rows = []
        for _ in range(20):
            opt.step()
            sched.step()
            rows.append(sched.get_last_lr())
        return rows

    assert build(ember) == build(torch)


def test_lr_scheduler_alias():
    assert issubclass(ember.optim.lr_scheduler._LRScheduler, ember.optim.lr_scheduler.LRScheduler)
    assert ember.optim.lr_scheduler._LRScheduler.__name__ == "_LRScheduler"
    assert sorted(ember.optim.lr_scheduler.__all__) == sorted(torch.optim.lr_scheduler.__all__)
    for name in ember.optim.lr_scheduler.__all__:
        assert getattr(ember.optim.lr_scheduler, name).__module__ == "ember.optim.lr_scheduler"


def test_scheduler_object_pickles():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
    clone = pickle.loads(pickle.dumps(sched))
    assert type(clone) is ember.optim.lr_scheduler.OneCycleLR and clone.get_last_lr() == sched.get_last_lr()


def test_transfer_learning_pattern_step_lr_every_7_epochs():
    """The tutorial pattern: optimize only the new head, StepLR(step_size=7, gamma=0.1), one step per epoch."""
    results = []
    for lib in (ember, torch):
        body, head = lib.nn.Linear(4, 3), lib.nn.Linear(3, 2)
        for p in body.parameters():
            p.requires_grad = False
        opt = lib.optim.SGD(head.parameters(), lr=0.001, momentum=0.9)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.1)
        rows = []
        for _ in range(25):
            opt.step()
            sched.step()
            rows.append(sched.get_last_lr())
        results.append(rows)
    _assert_rows_equal(*results)


@pytest.mark.parametrize("name", ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts", "LambdaLR", "MultiplicativeLR", "LinearLR",
                                  "ConstantLR", "PolynomialLR", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
                                  "SequentialLR", "ChainedScheduler"])
def test_constructor_signature_matches_torch(name):
    """Every scheduler argument PyTorch takes, with the same name, kind and default."""
    import inspect

    def spec(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    assert spec(getattr(ember.optim.lr_scheduler, name)) == spec(getattr(torch.optim.lr_scheduler, name))
