"""Dynamic control flow: a network whose depth is drawn anew on every forward pass, reusing one layer.

Ordinary Python loops and conditionals build a different graph each step; autograd follows whatever ran.
Run: python examples/dynamic_net.py
"""

import random

import ember as torch


class DynamicNet(torch.nn.Module):
    """Input layer, then 0 to 3 passes through one shared middle layer, then the output layer."""

    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.input_linear = torch.nn.Linear(D_in, H)
        self.middle_linear = torch.nn.Linear(H, H)
        self.output_linear = torch.nn.Linear(H, D_out)
        self.depths = []  # how many middle passes each forward made (for the tests)

    def forward(self, x):
        h_relu = self.input_linear(x).clamp(min=0)
        depth = random.randint(0, 3)
        self.depths.append(depth)
        for _ in range(depth):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        return self.output_linear(h_relu)


def main(steps: int = 500) -> tuple[list[float], DynamicNet]:
    """Fit random data with SGD + momentum; returns the losses and the model."""
    torch.manual_seed(0)
    random.seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = DynamicNet(D_in, H, D_out)
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    losses = []
    for t in range(steps):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        if t % 100 == 99 or t == 0:
            print(f"step {t + 1:4d}  loss {loss.item():12.4f}  (depth {model.depths[-1]})")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, model


if __name__ == "__main__":
    main()
