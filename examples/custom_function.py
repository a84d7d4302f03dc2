"""A custom autograd Function: the Legendre polynomial P3 with its derivative written by hand, fitted to sin(x).

Run: python examples/custom_function.py
"""

import math

import ember as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with P3'(x) = 1.5 (5x^2 - 1) as the backward."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def main(steps: int = 2000) -> dict:
    """Fit y = a + b P3(c + d x) to sin on [-pi, pi] by gradient descent; returns the coefficients and losses."""
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    # starting values near the answer: far from it the cubic makes the gradient steps diverge
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    P3 = LegendrePolynomial3.apply
    losses = []
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 500 == 499 or t == 0:
            print(f"step {t + 1:5d}  loss {loss.item():10.4f}")
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None
    print(f"result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
    gradcheck_ok = torch.autograd.gradcheck(P3, (torch.randn(5, dtype=torch.double, requires_grad=True),))
    print(f"gradcheck of the hand-written backward: {gradcheck_ok}")
    return {"losses": losses, "coefficients": (a.item(), b.item(), c.item(), d.item()), "gradcheck": gradcheck_ok}


if __name__ == "__main__":
    main()
