"""Side-by-side speed of ember.vision.models and the same networks in plain PyTorch, interleaved, median ratios.

Run: `.venv/bin/python benchmarks/bench_vision.py [--rounds N]`. Case and budget (issue 7): ResNet-18 forward,
batch 8, 3x224x224, eval mode, no_grad, budget 2x. ember runs `ember.vision.models.resnet18`; PyTorch runs the
same architecture written in plain PyTorch (tests/vision/_torch_models.py; torchvision is not a dependency),
with the same weights (copied through state_dict) and the same input.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import torch
from bench_core import run_cases

import ember
from ember.vision import models

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.vision._torch_models import BUILDERS  # noqa: E402


def forward_case(name: str, batch: int, size: int):
    """Inference of model `name` on a batch of random images, in both libraries."""
    x = np.random.default_rng(0).standard_normal((batch, 3, size, size)).astype(np.float32)
    t_net = BUILDERS[name]().eval()
    e_net = getattr(models, name)().eval()
    e_net.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_net.state_dict().items()})
    xe, xt = ember.tensor(x), torch.tensor(x)
    with ember.no_grad(), torch.no_grad():  # outputs agree before anything is timed
        np.testing.assert_allclose(e_net(xe).numpy(), t_net(xt).numpy(), rtol=1e-3, atol=1e-4)

    def run_ember():
        with ember.no_grad():
            e_net(xe)

    def run_torch():
        with torch.no_grad():
            t_net(xt)

    return run_ember, run_torch, 1


CASES = {
    "ResNet-18 forward, batch 8, 224x224": (lambda: forward_case("resnet18", 8, 224), 2.0),
}


if __name__ == "__main__":
    run_cases(CASES, __doc__, 5)
