"""Side-by-side speed of ember and PyTorch on nn workloads, interleaved, as median ratios.

Run: `.venv/bin/python benchmarks/bench_nn.py [--rounds N]` (also part of `make bench`).
Cases and budgets (issue 3): the tutorial LeNet training step (3x32x32, batch 4 and 64; budget 1.5x at
batch 64) and a ResNet-18 forward pass at batch 8 on 3x224x224 in eval mode (budget 2x). Both libraries
run the same model code (benchmarks/models.py) with the same weights and inputs.
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import run_cases
from models import copy_weights, lenet, resnet18

import ember


def lenet_step(batch: int):
    """One SGD step of the tutorial LeNet with cross-entropy loss."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    t_net = lenet(torch)
    e_net = lenet(ember)
    copy_weights(t_net, e_net, ember)

    def make(lib, net):
        xs, ys = lib.tensor(x), lib.tensor(y)
        criterion = lib.nn.CrossEntropyLoss()
        params = list(net.parameters())

        def step():
            net.zero_grad()
            loss = criterion(net(xs), ys)
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p.sub_(0.01 * p.grad)

        return step

    return make(ember, e_net), make(torch, t_net), 20 if batch == 64 else 100


def resnet_forward():
    """ResNet-18 inference on a batch of 8 ImageNet-sized images."""
    x = np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32)
    t_net = resnet18(torch).eval()
    e_net = resnet18(ember).eval()
    copy_weights(t_net, e_net, ember)

    def make(lib, net):
        xs = lib.tensor(x)

        def forward():
            with lib.no_grad():
                net(xs)

        return forward

    return make(ember, e_net), make(torch, t_net), 1


CASES = {
    "LeNet training step, batch 4": (lambda: lenet_step(4), None),  # reported; the issue budgets batch 64
    "LeNet training step, batch 64": (lambda: lenet_step(64), 1.5),
    "ResNet-18 forward, batch 8, 224x224": (resnet_forward, 2.0),
}


if __name__ == "__main__":
    run_cases(CASES, __doc__, 7)
