"""Side-by-side speed of ember and PyTorch on the tensor core, interleaved, as median ratios.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_core.py [--rounds N]`).
Each case builds the same inputs in both libraries; rounds alternate ember and PyTorch so that
machine noise hits both; the reported ratio is median(ember time) / median(PyTorch time).
Budgets (DESIGN.md): small op <= 1.5x, large BLAS-bound or memory-bound ops <= 1.1x.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import ember


def _per_call(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(fn_ember, fn_torch, number: int, rounds: int) -> tuple[float, float]:
    """Median seconds per call for each library, interleaving rounds."""
    fn_ember(), fn_torch()  # warm up
    te, tt = [], []
    for _ in range(rounds):
        te.append(_per_call(fn_ember, number))
        tt.append(_per_call(fn_torch, number))
    return statistics.median(te), statistics.median(tt)


def _pair(shape, seed: int, requires_grad: bool = False):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    e = ember.tensor(a, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return e, t


def small_add(rg: bool):
    (ea, ta), (eb, tb) = _pair(10, 0, rg), _pair(10, 1, rg)
    return (lambda: ea + eb), (lambda: ta + tb), 20000


def large(op: str):
    (ea, ta), (eb, tb) = _pair(1_000_000, 0), _pair(1_000_000, 1)
    if op == "add":
        return (lambda: ea + eb), (lambda: ta + tb), 50
    if op == "mul_":
        return (lambda: ea.mul_(1.0000001)), (lambda: ta.mul_(1.0000001)), 50
    return (lambda: ea.exp()), (lambda: ta.exp()), 20


def matmul512():
    (ea, ta), (eb, tb) = _pair((512, 512), 0), _pair((512, 512), 1)
    return (lambda: ea @ eb), (lambda: ta @ tb), 20


def two_layer_step():
    """One training step of the seed notes' two-layer net (N, D_in, H, D_out = 64, 1000, 100, 10)."""
    def make(lib, arrays):
        x, y, w1, w2 = (lib.tensor(a) for a in arrays)
        w1.requires_grad_(True)
        w2.requires_grad_(True)

        def step():
            loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                w1.sub_(1e-6 * w1.grad)
                w2.sub_(1e-6 * w2.grad)
                w1.grad = None
                w2.grad = None

        return step

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((64, 1000), (64, 10), (1000, 100), (100, 10))]
    return make(ember, arrays), make(torch, arrays), 100


CASES = {
    "a + b, 10 floats": (lambda: small_add(False), 1.5),
    "a + b, 10 floats, requires_grad": (lambda: small_add(True), 1.5),
    "a + b, 1e6 floats": (lambda: large("add"), 1.1),
    "a.mul_(s), 1e6 floats": (lambda: large("mul_"), 1.1),
    "a.exp(), 1e6 floats": (lambda: large("exp"), 1.1),
    "matmul 512x512": (matmul512, 1.1),
    "two-layer net training step": (two_layer_step, 1.5),
}


def run_cases(cases: dict, doc: str, default_rounds: int, unit: str = "ms") -> None:
    """Command-line entry shared by the benchmark scripts: time every case and print the ratio table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=default_rounds)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    scale = {"us": 1e6, "ms": 1e3}[unit]
    print(f"ember {ember.__version__} vs torch {torch.__version__} (threads: torch {torch.get_num_threads()}, "
          f"ember {ember.get_num_threads()})")
    print(f"{'case':38s} {'ember':>12s} {'torch':>12s} {'ratio':>7s} {'budget':>7s}")
    for name, (make, budget) in cases.items():
        fe, ft, number = make()
        te, tt = compare(fe, ft, number, args.rounds)
        ratio = te / tt
        flag = "" if budget is None or ratio <= budget else "  over budget"
        budget_text = "-" if budget is None else f"{budget:.2f}"
        print(f"{name:38s} {te * scale:10.2f}{unit} {tt * scale:10.2f}{unit} {ratio:7.2f} {budget_text:>7s}{flag}")


if __name__ == "__main__":
    run_cases(CASES, __doc__, 15, unit="us")
