"""Uses a function ember does not have: `ember run` must name it."""

import torch

x = torch.ones(3)
print("before", x.sum().item())
torch.definitely_not_a_torch_function(x)
