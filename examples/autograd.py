"""Autograd: gradients of a one-layer logistic model, requires_grad, no_grad and detach.

Run: python examples/autograd.py
"""

import ember as torch


def main(quick: bool = False) -> dict:
    """Compute gradients of a binary cross-entropy loss; returns them for the tests."""
    torch.manual_seed(0)
    x = torch.ones(5)  # input
    y = torch.zeros(3)  # expected output
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    print(f"gradient function of z: {z.grad_fn}\ngradient function of loss: {loss.grad_fn}")
    loss.backward()
    print(f"dloss/dw:\n{w.grad}\ndloss/db: {b.grad}")

    with torch.no_grad():
        z_frozen = torch.matmul(x, w) + b
    print(f"under no_grad, requires_grad = {z_frozen.requires_grad}; detach() too: {z.detach().requires_grad}")

    inp = torch.eye(4, 5, requires_grad=True)  # a Jacobian-vector product for a non-scalar output
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out))  # gradients accumulate
    print(f"first call\n{first}\nsecond call (accumulated)\n{inp.grad}")
    return {"x": x, "w": w.detach(), "b": b.detach(), "w_grad": w.grad, "b_grad": b.grad, "first": first,
            "second": inp.grad, "inp": inp.detach()}


if __name__ == "__main__":
    main()
