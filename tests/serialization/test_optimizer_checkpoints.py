"""Optimizer state dicts of every optimizer through ember.save/torch.load and torch.save/ember.load files."""

from __future__ import annotations

import io
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.optim._oracle import assert_params_close, make_params, set_grads

CONFIGS = [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.02, amsgrad=True)),
           ("Adam", dict(lr="tensor")), ("AdamW", dict(lr=0.02)), ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05)),
           ("RAdam", dict(lr=0.05)), ("RMSprop", dict(lr=0.02, centered=True, momentum=0.5)),
           ("Adagrad", dict(lr=0.1, lr_decay=0.01)), ("Adadelta", dict()), ("ASGD", dict(lr=0.05, t0=2)),
           ("Rprop", dict(lr=0.05)), ("Adafactor", dict(lr=0.05)), ("LBFGS", dict(lr=0.5, history_size=3, max_iter=4))]
IDS = [f"{n}-{k}" for n, k in CONFIGS]


def _make(lib, name, kw, params):
    """The optimizer `name` of lib (ember or torch); lr="tensor" stands for a 0-dim tensor lr."""
    kw = {k: (lib.tensor(0.01) if v == "tensor" else v) for k, v in kw.items()}
    return getattr(lib.optim, name)(params, **kw)


def _step(lib, name, opt, params, step) -> None:
    """One step: LBFGS on a quadratic through a closure, the others on the oracle's gradient sequence."""
    if name == "LBFGS":
        target = [np.random.default_rng(step + i).uniform(-1, 1, size=tuple(p.shape)).astype(p.detach().numpy().dtype)
                  for i, p in enumerate(params)]

        def closure():
            opt.zero_grad()
            loss = sum(((p - lib.tensor(t)) ** 2).sum() for p, t in zip(params, target))
            loss.backward()
            return loss

        opt.step(closure)
    else:
        set_grads(params, lib, step)
        opt.step()


def _ember_bytes(obj) -> io.BytesIO:
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return buf


def _torch_bytes(obj) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("direction", ["ember_file_to_torch", "torch_file_to_ember"])
@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_optimizer_state_dict_file_both_ways(name, kw, direction):
    """Save mid-way in one library, load the file in the other (weights_only=True), continue identically."""
    dtype = "float64" if name == "LBFGS" else "float32"  # LBFGS's line search amplifies float32 rounding
    ep, tp = make_params(dtype)
    eo, to = _make(ember, name, kw, ep), _make(torch, name, kw, tp)
    for step in range(4):
        _step(ember, name, eo, ep, step)
        _step(torch, name, to, tp, step)
    if direction == "ember_file_to_torch":
        to = _make(torch, name, kw, tp)
        to.load_state_dict(torch.load(_ember_bytes(eo.state_dict()), weights_only=True))
    else:
        eo = _make(ember, name, kw, ep)
        eo.load_state_dict(ember.load(_torch_bytes(to.state_dict())))
    for step in range(4, 8):
        _step(ember, name, eo, ep, step)
        _step(torch, name, to, tp, step)
        assert_params_close(ep, tp, dtype, f"after step {step}")
    e_sd, t_sd = eo.state_dict(), to.state_dict()
    assert list(e_sd["state"][0]) == list(t_sd["state"][0])
    assert [list(g) for g in e_sd["param_groups"]] == [list(g) for g in t_sd["param_groups"]]


class _Net(ember.nn.Module):
    """A module defined in an importable test module, so that a whole-model pickle can name it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = ember.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = ember.nn.BatchNorm2d(4)
        self.fc = ember.nn.Linear(4, 4)
        self.head = ember.nn.Linear(4, 4)
        self.head.weight = self.fc.weight  # tied weights must stay one Parameter
        self.register_buffer("scale", ember.tensor(2.0))

    def forward(self, x):
        x = self.bn(self.conv(x)).relu().mean((2, 3))
        return self.head(self.fc(x)) * self.scale


def test_whole_custom_model_and_optimizer_round_trip_with_weights_only_false(tmp_path):
    ember.manual_seed(0)
    model = _Net()
    x = ember.randn(2, 3, 5, 5)
    model(x)  # running statistics move away from their initial values
    model.eval()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    model(x).sum().backward()
    opt.step()
    path = tmp_path / "whole.pt"
    ember.save({"model": model, "opt": opt}, path)
    with pytest.raises(pickle.UnpicklingError, match="_Net"):
        ember.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = ember.load(path, weights_only=False)
    m2, o2 = loaded["model"], loaded["opt"]
    assert type(m2) is _Net and not m2.training
    assert m2.head.weight is m2.fc.weight
    np.testing.assert_array_equal(m2(x).detach().numpy(), model(x).detach().numpy())
    np.testing.assert_array_equal(m2.bn.running_var.numpy(), model.bn.running_var.numpy())
    assert int(m2.bn.num_batches_tracked.item()) == 1
    # the loaded optimizer holds the loaded model's parameters and continues exactly like the original
    assert all(a is b for a, b in zip(o2.param_groups[0]["params"], m2.parameters()))
    for mod, o in ((model, opt), (m2, o2)):
        o.zero_grad()
        mod(x).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
