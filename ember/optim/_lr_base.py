"""The learning-rate scheduler base class and the helpers every scheduler shares.

Note [scheduler arithmetic]: schedulers are checked against PyTorch with ``==`` on the learning rates, so
every formula here evaluates its floating-point operations in the same order as PyTorch's; rewriting
``a * b / c`` as ``a * (b / c)`` changes the last bit. Keep the order when editing.

Note [scheduler state]: ``state_dict()`` is the scheduler's ``__dict__`` minus the optimizer, and the
attribute names follow PyTorch's (``_step_count``, ``_last_lr``, ``base_lrs``, ...), so a state dict saved
by a PyTorch scheduler loads into the ember one and back.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
import weakref
from typing import Any

from .._tensor import Tensor
from .optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_STEP_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

_STEP_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

_GET_LR_WARNING = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."

_RESUME_ERROR = (
    "param 'initial_lr' is not specified in param_groups[{}] when resuming scheduler with last_epoch >= 0.\n"
    "This typically happens when:\n"
    "1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
    "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
)


def _check_optimizer(optimizer: Any) -> None:
    """Raise PyTorch's TypeError unless ``optimizer`` is an ember Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _copy_value(value: Any) -> Any:
    """A copy of a hyper-parameter that never aliases it (a tensor learning rate is cloned)."""
    return value.clone() if isinstance(value, Tensor) else value


def _group_values(optimizer: Any, key: str) -> list:
    """``group[key]`` of every parameter group, copied; KeyError where a group lacks the key."""
    return [_copy_value(group[key]) for group in optimizer.param_groups]


def _scaled_lrs(optimizer: Any, factor: Any) -> list:
    """Every parameter group's current ``lr`` times ``factor`` (the chainable form of a multiplicative step)."""
    return [group["lr"] * factor for group in optimizer.param_groups]


def _set_group_value(group: dict, key: str, value: Any) -> None:
    """Set ``group[key]``; a tensor entry is filled in place so that references to it stay valid."""
    if isinstance(group[key], Tensor):
        group[key].fill_(value.item() if isinstance(value, Tensor) else value)
    else:
        group[key] = value


def _per_group(name: str, optimizer: Any, value: Any) -> list:
    """One value per parameter group: a list/tuple is checked for length, a scalar is repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {len(optimizer.param_groups)}."
            )
    else:
        value = [value] * len(optimizer.param_groups)
    return [_copy_value(v) for v in value]


def _track_optimizer_step(optimizer: Any) -> None:
    """Wrap ``optimizer.step`` once so that it records ``optimizer._opt_called`` (for the step-order warning)."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    # a weak reference: the wrapper lives on the optimizer and must not keep it alive through a cycle
    opt_ref = weakref.ref(optimizer)
    unbound_step = optimizer.step.__func__

    @functools.wraps(unbound_step)
    def step_and_record(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return unbound_step(opt, *args, **kwargs)

    step_and_record._wrapped_by_lr_sched = True
    optimizer.step = step_and_record


def _warn_unless_within_step(scheduler: LRScheduler) -> None:
    """get_lr() called by a user (not by step()) warns that get_last_lr() is the reader."""
    if not scheduler._get_lr_called_within_step:
        warnings.warn(_GET_LR_WARNING, UserWarning, stacklevel=3)


@contextlib.contextmanager
def _within_step(scheduler: LRScheduler):
    """Mark get_lr() calls as made by step(), which must not warn."""
    scheduler._get_lr_called_within_step = True
    try:
        yield
    finally:
        scheduler._get_lr_called_within_step = False


class LRScheduler:
    """Base class of the learning-rate schedulers: subclasses compute the next rates in ``get_lr()``.

    Creating a scheduler sets every group's ``initial_lr`` (when ``last_epoch=-1``) and takes the first
    step, which writes the epoch-0 learning rates into the optimizer.

    Example::

        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
        >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=30)
        >>> for epoch in range(100):
        ...     train(...)          # calls opt.step()
        ...     sched.step()
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy_value(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(_RESUME_ERROR.format(i))
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the step that sets the first learning rates."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return self._last_lr

    def get_lr(self) -> list:
        """The learning rates for the current ``last_epoch`` (use :meth:`get_last_lr` to read them)."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and write the new learning rates into the optimizer.

        Passing ``epoch`` is deprecated (as in PyTorch): it jumps to that epoch using the closed form
        where the scheduler has one.
        """
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_STEP_OVERRIDDEN_WARNING, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_STEP_ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Move to the next epoch (or to ``epoch``) and set the groups' learning rates."""
        with _within_step(self):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """Old name of :class:`LRScheduler`, kept for code written against it."""
