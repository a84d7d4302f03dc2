"""The tutorial's LeNet: define it, look at its parameters, run a forward pass, a loss, a backward and updates.

Run: python examples/lenet.py
"""

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim


class Net(nn.Module):
    """Two convolutions with max-pooling, then three fully connected layers (input: 1x32x32)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # a square window can be given as one number
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main(quick: bool = False) -> dict:
    """Build the net, take a manual SGD step and then optimizer steps; returns the losses."""
    torch.manual_seed(0)
    net = Net()
    print(net)
    params = list(net.parameters())
    print(f"{len(params)} parameter tensors; conv1's weight: {tuple(params[0].size())}")

    inp = torch.randn(1, 1, 32, 32)
    target = torch.randn(10).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(net(inp), target)
    print(f"loss {loss.item():.6f}; its graph: {loss.grad_fn} <- {loss.grad_fn.next_functions[0][0]}")

    net.zero_grad()
    print(f"conv1.bias.grad before backward: {net.conv1.bias.grad}")
    loss.backward()
    print(f"conv1.bias.grad after backward: {net.conv1.bias.grad}")

    learning_rate = 0.01
    with torch.no_grad():  # the update rule by hand: weight = weight - learning_rate * gradient
        for f in net.parameters():
            f.sub_(f.grad * learning_rate)

    optimizer = optim.SGD(net.parameters(), lr=0.01)  # the same, done by an optimizer
    losses = [loss.item()]
    for _ in range(3 if quick else 20):
        optimizer.zero_grad()
        loss = criterion(net(inp), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"losses: {' '.join(f'{v:.4f}' for v in losses)}")
    return {"net": net, "losses": losses}


if __name__ == "__main__":
    main()
