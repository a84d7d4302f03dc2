"""The two-layer network again, now built from ember.nn: nn.Sequential, nn.MSELoss, a manual update.

Run: python examples/two_layer_nn.py
"""

import ember as torch


def main(steps: int = 500) -> list[float]:
    """Fit random data for `steps` steps; returns the loss of every step."""
    torch.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden and output dimensions
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-4
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        if t % 100 == 99 or t == 0:
            print(f"step {t + 1:4d}  loss {loss.item():12.4f}")
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return losses


if __name__ == "__main__":
    main()
