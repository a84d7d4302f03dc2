"""Side-by-side speed of ember and PyTorch optimizers, interleaved, as median ratios.

Run: `.venv/bin/python benchmarks/bench_optim.py [--rounds N]`.
Case (issue 4): one `optimizer.step()` of Adam over a ResNet-18's parameters (11.7M floats in 62 tensors),
budget 1.5x; SGD with momentum and AdamW beside it. Both libraries hold the same weights and the same
gradients; only `step()` is timed. Optimizer steps are memory-bound elementwise passes, so PyTorch's
thread count matters: it is printed, and `--threads` pins it.
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import run_cases
from models import copy_weights, resnet18

import ember


def _nets():
    t_net, e_net = resnet18(torch), resnet18(ember)
    copy_weights(t_net, e_net, ember)
    rng = np.random.default_rng(0)
    for tp, ep in zip(t_net.parameters(), e_net.parameters()):
        g = rng.standard_normal(tuple(tp.shape)).astype(np.float32)
        tp.grad = torch.from_numpy(g.copy())
        ep.grad = ember.tensor(g)
    return t_net, e_net


def optimizer_step(name: str, **kw):
    """Time only opt.step() of optim.<name> over ResNet-18's parameters."""
    def make():
        t_net, e_net = _nets()
        t_opt = getattr(torch.optim, name)(t_net.parameters(), **kw)
        e_opt = getattr(ember.optim, name)(e_net.parameters(), **kw)
        return e_opt.step, t_opt.step, 3

    return make


CASES = {
    "Adam step, ResNet-18 params": (optimizer_step("Adam", lr=1e-3), 1.5),
    "AdamW step, ResNet-18 params": (optimizer_step("AdamW", lr=1e-3), None),  # reported; the issue budgets Adam
    "SGD momentum step, ResNet-18 params": (optimizer_step("SGD", lr=1e-2, momentum=0.9), None),
}


if __name__ == "__main__":
    run_cases(CASES, __doc__, 7)
