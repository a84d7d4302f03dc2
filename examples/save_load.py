"""Saving and loading: a state_dict, a whole training checkpoint (model, optimizer, epoch, loss) to resume
from, and files PyTorch itself can read (ember.save writes PyTorch's zip format).

Run: python examples/save_load.py [--out DIR]
"""

import argparse
import os
import tempfile

import ember as torch
import ember.nn as nn
import ember.optim as optim


class Net(nn.Module):
    """A small classifier to save and restore."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def train_steps(model, optimizer, x, y, steps):
    """A few SGD steps; returns the last loss."""
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def main(out: str | None = None, quick: bool = False) -> dict:
    """Save and reload in three ways; returns what the tests check."""
    torch.manual_seed(0)
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with tempfile.TemporaryDirectory() as tmp:
        folder = out or tmp
        loss = train_steps(model, optimizer, x, y, 5)

        # 1. the recommended way: save the state_dict, load it into a freshly built model
        path = os.path.join(folder, "model_weights.pt")
        torch.save(model.state_dict(), path)
        restored = Net()
        restored.load_state_dict(torch.load(path, weights_only=True))
        restored.eval()
        same_output = torch.equal(model(x), restored(x))
        print(f"state_dict: {list(model.state_dict())} -> same outputs after loading: {same_output}")

        # 2. a checkpoint to resume training from: model, optimizer (its momentum buffers), epoch and loss
        ckpt = os.path.join(folder, "checkpoint.pt")
        torch.save({"epoch": 5, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(), "loss": loss}, ckpt)
        continued = train_steps(model, optimizer, x, y, 5)  # the uninterrupted run
        checkpoint = torch.load(ckpt, weights_only=True)
        model2 = Net()
        optimizer2 = optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
        model2.load_state_dict(checkpoint["model_state_dict"])
        optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
        resumed = train_steps(model2, optimizer2, x, y, 5)
        print(f"checkpoint from epoch {checkpoint['epoch']} (loss {checkpoint['loss']:.4f}); after 5 more steps: "
              f"uninterrupted {continued:.6f}, resumed {resumed:.6f}")

        # 3. the whole model object (pickled by class name; load needs weights_only=False and the class)
        whole = os.path.join(folder, "model.pt")
        torch.save(model, whole)
        loaded = torch.load(whole, weights_only=False)
        print(f"whole model reloaded as {type(loaded).__name__}; equal outputs: {torch.equal(loaded(x), model(x))}")
        files = sorted(os.listdir(folder))
    return {"same_output": same_output, "continued": continued, "resumed": resumed, "files": files,
            "weights": {k: v.clone() for k, v in model.state_dict().items()},
            "resumed_weights": {k: v.clone() for k, v in model2.state_dict().items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="keep the files in this folder (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry with the other examples")
    main(parser.parse_args().out)
