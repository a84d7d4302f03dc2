"""torch.save / torch.load of a state dict and of a dict of tensors; a model restored from its file."""

import os
import sys

import torch
import torch.nn as nn

folder = sys.argv[1]
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / 10 - i)
path = os.path.join(folder, "model.pt")
torch.save(model.state_dict(), path)
restored = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
restored.load_state_dict(torch.load(path, weights_only=True))
x = torch.linspace(-1, 1, 8).reshape(2, 4)
print("same output", torch.equal(model(x), restored(x)))
print("output", [round(v, 6) for v in restored(x).flatten().tolist()])
torch.save({"step": 7, "x": x, "view": x[:, 1]}, os.path.join(folder, "extra.pt"))
extra = torch.load(os.path.join(folder, "extra.pt"))
print("step", extra["step"], "view", extra["view"].tolist())
