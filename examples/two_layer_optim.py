"""The two-layer network with an optimizer doing the update: ember.optim.Adam.

Run: python examples/two_layer_optim.py
"""

import ember as torch


def main(steps: int = 500) -> list[float]:
    """Fit random data with Adam for `steps` steps; returns the loss of every step."""
    torch.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        if t % 100 == 99 or t == 0:
            print(f"step {t + 1:4d}  loss {loss.item():12.4f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


if __name__ == "__main__":
    main()
