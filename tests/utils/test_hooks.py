"""ember.utils.hooks.RemovableHandle against torch.utils.hooks.RemovableHandle."""

from __future__ import annotations

from collections import OrderedDict

import ember.utils.hooks
from tests.nn._oracle import run_both


def _scenario(lib):
    Handle = lib.utils.hooks.RemovableHandle
    hooks, flags, more = OrderedDict(), OrderedDict(), OrderedDict()
    a = Handle(hooks)
    hooks[a.id] = "a"
    b = Handle(hooks, extra_dict=flags)
    hooks[b.id] = "b"
    flags[b.id] = True
    c = Handle(hooks, extra_dict=[flags, more])
    hooks[c.id] = "c"
    flags[c.id] = more[c.id] = True
    log = [len({a.id, b.id, c.id}), b.id > a.id and c.id > b.id, list(hooks.values())]
    b.remove()
    log.append((list(hooks.values()), len(flags), len(more)))
    b.remove()  # removing twice is harmless
    with c as entered:
        log.append(entered is c)
    log.append((list(hooks.values()), len(flags), len(more)))
    a.remove()
    log.append(list(hooks.values()))
    return log


def test_removable_handle_matches_torch():
    t, e = run_both(_scenario)
    assert e == t


def test_module_handles_are_removable_handles():
    m = ember.nn.Linear(1, 1)
    h = m.register_forward_hook(lambda *a: None, always_call=True, with_kwargs=True)
    assert isinstance(h, ember.utils.hooks.RemovableHandle)
    assert h.id in m._forward_hooks_always_called and h.id in m._forward_hooks_with_kwargs
    h.remove()
    assert not m._forward_hooks and not m._forward_hooks_always_called and not m._forward_hooks_with_kwargs
