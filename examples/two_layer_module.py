"""The two-layer network as a custom nn.Module subclass, trained with SGD.

Run: python examples/two_layer_module.py
"""

import ember as torch


class TwoLayerNet(torch.nn.Module):
    """Linear -> ReLU (clamp) -> Linear, with the layers as attributes and forward written out."""

    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        return self.linear2(h_relu)


def main(steps: int = 500) -> list[float]:
    """Fit random data with SGD for `steps` steps; returns the loss of every step."""
    torch.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = TwoLayerNet(D_in, H, D_out)
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    losses = []
    for t in range(steps):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        if t % 100 == 99 or t == 0:
            print(f"step {t + 1:4d}  loss {loss.item():12.4f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


if __name__ == "__main__":
    main()
