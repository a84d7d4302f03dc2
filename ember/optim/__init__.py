"""ember.optim: optimizers and learning-rate schedulers (PyTorch's torch.optim). Placeholder for issue 4."""

from . import lr_scheduler  # noqa: F401
