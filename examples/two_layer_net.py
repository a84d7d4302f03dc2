"""The seed notes' two-layer network, trained with raw tensors and autograd: only the import changed.

Run: python examples/two_layer_net.py. It fits random data with a ReLU network (N, D_in, H, D_out = 64, 1000, 100, 10)
using a custom autograd Function for the ReLU, exactly as in the PyTorch tutorial, and prints the loss.
"""

import time

import ember as torch


class MyReLU(torch.autograd.Function):
    """ReLU as a custom autograd Function, as the tutorial writes it."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def main(steps: int = 500) -> float:
    """Train the two-layer net for `steps` steps and return the final loss."""
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device("cpu")

    # N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in, device=device, dtype=dtype)
    y = torch.randn(N, D_out, device=device, dtype=dtype)
    w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
    w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

    learning_rate = 1e-6
    relu = MyReLU.apply
    start = time.perf_counter()
    for t in range(steps):
        y_pred = relu(x.mm(w1)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49 or t == 0:
            print(f"step {t + 1:4d}  loss {loss.item():14.4f}")
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    elapsed = time.perf_counter() - start
    final = loss.item()
    print(f"{steps} steps in {elapsed:.2f} s ({1e3 * elapsed / steps:.2f} ms/step); final loss {final:.4f}")
    return final


if __name__ == "__main__":
    main()
