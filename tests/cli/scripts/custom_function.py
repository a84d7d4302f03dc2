"""A custom autograd Function (the tutorial's Legendre polynomial P3) fitted to sin(x), plus gradcheck."""

import math

import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
P3 = LegendrePolynomial3.apply
for _t in range(300):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= 5e-6 * p.grad
            p.grad = None
print(f"loss {loss.item():.10f}")
print(f"result: y = {a.item():.10f} + {b.item():.10f} * P3({c.item():.10f} + {d.item():.10f} x)")
z = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(P3, (z,)))
P3(z).sum().backward()
print("grad", [round(v, 10) for v in z.grad.tolist()])
