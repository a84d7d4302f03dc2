"""Unpicklers for checkpoints: a restricted one for weights_only=True, and the full one.

Note [weights-only unpickling]
The restricted unpickler is an interpreter of pickle's opcodes written here, not Python's Unpickler with a
filtered find_class: Python's BUILD opcode would let a file set attributes on any object it can reach (an
allowed class, a dtype singleton), which is state corruption even without code execution. Here GLOBAL only
ever yields objects of the allow-list (torch names translated to ember objects, a few builtins, and what
`add_safe_globals` added), nothing is imported, REDUCE/NEWOBJ only call allowed callables, BUILD only sets
state on OrderedDicts and on instances of user-allowed classes, and every failure, whatever Python raised,
becomes pickle.UnpicklingError. Lengths are checked against the data before anything is allocated.
"""

from __future__ import annotations

import codecs
import contextlib
import pickle
import struct
from collections import Counter, OrderedDict

from . import _torch_names as N

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals"]

_user_globals: dict[str, object] = {}


def _qualified(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions (or `(obj, "module.name")` pairs) in weights_only loads."""
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise ValueError(f"expected (object, 'module.name'), got {entry!r}")
            obj, name = entry
        else:
            obj, name = entry, _qualified(entry)
        _user_globals[name] = obj


def get_safe_globals() -> list:
    """The globals added with add_safe_globals."""
    return list(_user_globals.values())


def clear_safe_globals() -> None:
    """Forget the globals added with add_safe_globals."""
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Allow these globals within a `with` block only."""
    saved = dict(_user_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_globals.clear()
        _user_globals.update(saved)


def _codecs_encode(text, encoding="utf-8"):
    """_codecs.encode as protocol 2 uses it for bytes: only the latin1 round trip of a str."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is allowed only to decode bytes written by pickle")
    return codecs.encode(text, "latin1")


def _bytearray(*args):
    """bytearray from data in the file only (`bytearray(10**12)` would allocate whatever a file asks)."""
    if args and not isinstance(args[0], (str, bytes)):
        raise pickle.UnpicklingError("bytearray is allowed only from str or bytes data")
    return bytearray(*args)


def _torch_global(module: str, name: str):
    """The ember stand-in of a torch global, or an UnpicklingError saying why there is none."""
    obj = N.torch_objects().get(f"{module}.{name}")
    if obj is not None:
        return obj
    why = N.unsupported_torch_global(module, name)
    if why is not None:
        raise NotImplementedError(f"cannot load {module}.{name}: {why}")
    raise pickle.UnpicklingError(
        f"the file needs {module}.{name}, part of PyTorch ('{module}'), which ember does not have and never "
        "imports; ember can read tensors, Parameters, state_dicts and containers of them. Save the model's "
        "state_dict() instead of the whole PyTorch object.")


def _is_torch(module: str) -> bool:
    return module == "torch" or module.startswith("torch.")


class WeightsUnpickler:
    """A restricted unpickler (see Note [weights-only unpickling]); `persistent_load(pid)` gives storages."""

    def __init__(self, data: bytes, persistent_load, filename: str, start: int = 0) -> None:
        self._bytes = data if isinstance(data, bytes) else bytes(data)
        self._data = memoryview(self._bytes)
        self._pos = start  # after load(), `end` is where the pickle stopped (legacy files hold several)
        self._persistent_load = persistent_load
        self._filename = filename
        self._callables: set[int] = set()

    # -- reading bytes -------------------------------------------------------------------------------
    def _read(self, n: int) -> memoryview:
        if n < 0 or self._pos + n > len(self._data):
            raise pickle.UnpicklingError("pickle data was truncated")
        out = self._data[self._pos:self._pos + n]
        self._pos += n
        return out

    def _readline(self) -> bytes:
        end = bytes(self._data[self._pos:self._pos + 4096]).find(b"\n")
        if end < 0:
            raise pickle.UnpicklingError("pickle data was truncated (a line has no end)")
        line = bytes(self._data[self._pos:self._pos + end])
        self._pos += end + 1
        return line

    def _uint(self, fmt: str):
        return struct.unpack(fmt, self._read(struct.calcsize(fmt)))[0]

    # -- globals -------------------------------------------------------------------------------------
    def find_class(self, module: str, name: str):
        """The object a GLOBAL names, if it is allowed; never imports anything."""
        module = N.RENAMED_MODULES.get(module, module)
        full = f"{module}.{name}"
        if full in _user_globals:
            obj = _user_globals[full]
        elif full in N.SAFE_BUILTINS:
            obj = N.SAFE_BUILTINS[full]
        elif full == "collections.Counter":
            obj = Counter
        elif full == "_codecs.encode":
            obj = _codecs_encode
        elif full == "builtins.bytearray":
            obj = _bytearray
        elif _is_torch(module):
            obj = _torch_global(module, name)
        else:
            raise pickle.UnpicklingError(
                f"Weights only load failed: unsupported global: GLOBAL {full} is not an allowed global by "
                f"default, so it was neither imported nor run. If you trust '{self._filename}', load it with "
                f"weights_only=False, or allow the global with ember.serialization.add_safe_globals([{name}]).")
        if callable(obj):
            self._callables.add(id(obj))
        return obj

    def _call(self, func, args: tuple):
        if id(func) not in self._callables:
            raise pickle.UnpicklingError(f"refusing to call {func!r}: it is not an allowed global")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError(f"expected a tuple of arguments for {func!r}")
        return func(*args)

    # -- the interpreter -----------------------------------------------------------------------------
    def load(self):
        """Run the pickle program and return its object."""
        try:
            return self._run()
        except (pickle.UnpicklingError, NotImplementedError):
            raise
        except RecursionError:
            raise pickle.UnpicklingError("the pickle nests too deeply") from None
        except RuntimeError as exc:
            if str(exc).startswith(("Attempting to deserialize", "ember.load")):  # placement and archive errors
                raise
            raise pickle.UnpicklingError(f"malformed pickle data (RuntimeError: {exc})") from None
        except MemoryError:
            raise pickle.UnpicklingError("the pickle asks for more memory than is available (corrupt?)") from None
        except Exception as exc:  # anything a malformed program makes Python raise
            raise pickle.UnpicklingError(f"malformed pickle data ({type(exc).__name__}: {exc})") from None

    def _pop_mark(self, stack: list, marks: list) -> list:
        if not marks:
            raise pickle.UnpicklingError("a MARK is missing")
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    def _run(self):  # noqa: C901 - one branch per opcode reads best as one flat loop
        stack: list = []
        marks: list = []
        memo: dict = {}
        read, uint = self._read, self._uint
        data = self._bytes
        end = len(data)
        while True:
            # the opcodes of a state_dict's pickle, 1-byte arguments read inline: this loop is the hot path
            pos = self._pos
            if pos + 2 > end:
                if pos < end and data[pos] == 0x2E:
                    self._pos = pos + 1
                    op = 0x2E
                else:
                    raise pickle.UnpicklingError("pickle data was truncated")
            else:
                op = data[pos]
                if op == 0x71:  # BINPUT
                    memo[data[pos + 1]] = stack[-1]
                    self._pos = pos + 2
                    continue
                if op == 0x68:  # BINGET
                    key = data[pos + 1]
                    if key not in memo:
                        raise pickle.UnpicklingError(f"memo key {key} was never stored")
                    stack.append(memo[key])
                    self._pos = pos + 2
                    continue
                if op == 0x4B:  # BININT1
                    stack.append(data[pos + 1])
                    self._pos = pos + 2
                    continue
                if op == 0x28:  # MARK
                    marks.append(len(stack))
                    self._pos = pos + 1
                    continue
                self._pos = pos + 1
            if op == 0x80:  # PROTO
                if read(1)[0] > 5:
                    raise pickle.UnpicklingError("unsupported pickle protocol")
            elif op == 0x95:  # FRAME
                uint("<Q")
            elif op == 0x2E:  # STOP
                if len(stack) != 1 or marks:
                    raise pickle.UnpicklingError("the pickle ends with a malformed stack")
                self.end = self._pos
                return stack[0]
            elif op == 0x28:  # MARK
                marks.append(len(stack))
            elif op == 0x30:  # POP
                if stack:
                    stack.pop()
                else:
                    self._pop_mark(stack, marks)
            elif op == 0x31:  # POP_MARK
                self._pop_mark(stack, marks)
            elif op == 0x32:  # DUP
                stack.append(stack[-1])
            elif op == 0x4E:  # NONE
                stack.append(None)
            elif op == 0x88:  # NEWTRUE
                stack.append(True)
            elif op == 0x89:  # NEWFALSE
                stack.append(False)
            elif op == 0x4A:  # BININT
                stack.append(uint("<i"))
            elif op == 0x4B:  # BININT1
                stack.append(read(1)[0])
            elif op == 0x4D:  # BININT2
                stack.append(uint("<H"))
            elif op == 0x8A:  # LONG1
                stack.append(int.from_bytes(read(read(1)[0]), "little", signed=True))
            elif op == 0x8B:  # LONG4
                n = uint("<i")
                if n > 64:
                    raise pickle.UnpicklingError("an integer of more than 512 bits is not weights data")
                stack.append(int.from_bytes(read(n), "little", signed=True))
            elif op == 0x49:  # INT (text; "01"/"00" are True/False)
                line = self._readline()
                stack.append({b"01": True, b"00": False}.get(line) if line in (b"01", b"00") else int(line))
            elif op == 0x4C:  # LONG (text)
                stack.append(int(self._readline().rstrip(b"L")))
            elif op == 0x47:  # BINFLOAT
                stack.append(uint(">d"))
            elif op == 0x46:  # FLOAT (text)
                stack.append(float(self._readline()))
            elif op == 0x58:  # BINUNICODE
                stack.append(str(read(uint("<I")), "utf-8", "surrogatepass"))
            elif op == 0x8C:  # SHORT_BINUNICODE
                stack.append(str(read(read(1)[0]), "utf-8", "surrogatepass"))
            elif op == 0x8D:  # BINUNICODE8
                stack.append(str(read(uint("<Q")), "utf-8", "surrogatepass"))
            elif op == 0x56:  # UNICODE (text)
                stack.append(self._readline().decode("raw-unicode-escape"))
            elif op in (0x42, 0x43, 0x8E):  # BINBYTES, SHORT_BINBYTES, BINBYTES8
                n = uint("<I") if op == 0x42 else read(1)[0] if op == 0x43 else uint("<Q")
                stack.append(bytes(read(n)))
            elif op == 0x96:  # BYTEARRAY8
                stack.append(bytearray(read(uint("<Q"))))
            elif op in (0x54, 0x55):  # BINSTRING, SHORT_BINSTRING (Python 2 str)
                n = uint("<i") if op == 0x54 else read(1)[0]
                stack.append(str(read(n), "latin1"))
            elif op == 0x29:  # EMPTY_TUPLE
                stack.append(())
            elif op == 0x74:  # TUPLE
                stack.append(tuple(self._pop_mark(stack, marks)))
            elif op in (0x85, 0x86, 0x87):  # TUPLE1..3
                n = op - 0x84
                if len(stack) < n:
                    raise pickle.UnpicklingError("the stack is too short for a tuple")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif op == 0x5D:  # EMPTY_LIST
                stack.append([])
            elif op == 0x6C:  # LIST
                stack.append(self._pop_mark(stack, marks))
            elif op == 0x61:  # APPEND
                value = stack.pop()
                self._list(stack[-1]).append(value)
            elif op == 0x65:  # APPENDS
                items = self._pop_mark(stack, marks)
                self._list(stack[-1]).extend(items)
            elif op == 0x7D:  # EMPTY_DICT
                stack.append({})
            elif op == 0x64:  # DICT
                items = self._pop_mark(stack, marks)
                stack.append(dict(zip(items[::2], items[1::2])))
            elif op == 0x73:  # SETITEM
                value = stack.pop()
                key = stack.pop()
                self._dict(stack[-1])[key] = value
            elif op == 0x75:  # SETITEMS
                items = self._pop_mark(stack, marks)
                if len(items) % 2:
                    raise pickle.UnpicklingError("SETITEMS with an odd number of items")
                target = self._dict(stack[-1])
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif op == 0x8F:  # EMPTY_SET
                stack.append(set())
            elif op == 0x90:  # ADDITEMS
                items = self._pop_mark(stack, marks)
                if stack[-1].__class__ is not set:
                    raise pickle.UnpicklingError("ADDITEMS on something that is not a set")
                stack[-1].update(items)
            elif op == 0x91:  # FROZENSET
                stack.append(frozenset(self._pop_mark(stack, marks)))
            elif op in (0x70, 0x71, 0x72, 0x94):  # PUT, BINPUT, LONG_BINPUT, MEMOIZE
                key = (int(self._readline()) if op == 0x70 else read(1)[0] if op == 0x71
                       else uint("<I") if op == 0x72 else len(memo))
                memo[key] = stack[-1]
            elif op in (0x67, 0x68, 0x6A):  # GET, BINGET, LONG_BINGET
                key = int(self._readline()) if op == 0x67 else read(1)[0] if op == 0x68 else uint("<I")
                if key not in memo:
                    raise pickle.UnpicklingError(f"memo key {key} was never stored")
                stack.append(memo[key])
            elif op == 0x63:  # GLOBAL
                module = self._readline().decode("utf-8")
                name = self._readline().decode("utf-8")
                stack.append(self.find_class(module, name))
            elif op == 0x93:  # STACK_GLOBAL
                name, module = stack.pop(), stack.pop()
                if not isinstance(module, str) or not isinstance(name, str):
                    raise pickle.UnpicklingError("STACK_GLOBAL needs two strings")
                stack.append(self.find_class(module, name))
            elif op == 0x52:  # REDUCE
                args = stack.pop()
                stack[-1] = self._call(stack[-1], args)
            elif op == 0x81:  # NEWOBJ
                args = stack.pop()
                cls = stack.pop()
                stack.append(self._new(cls, args, {}))
            elif op == 0x92:  # NEWOBJ_EX
                kwargs, args, cls = stack.pop(), stack.pop(), stack.pop()
                stack.append(self._new(cls, args, kwargs))
            elif op == 0x62:  # BUILD
                state = stack.pop()
                self._build(stack[-1], state)
            elif op in (0x51, 0x50):  # BINPERSID, PERSID
                if self._persistent_load is None:
                    raise pickle.UnpicklingError("a persistent id where none is expected")
                pid = stack.pop() if op == 0x51 else self._readline().decode("ascii")
                stack.append(self._persistent_load(pid))
            else:
                raise pickle.UnpicklingError(f"unsupported pickle opcode {bytes([op])!r} at byte {self._pos - 1}")

    @staticmethod
    def _list(obj) -> list:
        if obj.__class__ is not list:
            raise pickle.UnpicklingError(f"APPEND on a {type(obj).__name__}, not a list")
        return obj

    @staticmethod
    def _dict(obj) -> dict:
        if obj.__class__ not in (dict, OrderedDict, Counter):
            raise pickle.UnpicklingError(f"SETITEM on a {type(obj).__name__}, not a dict")
        return obj

    def _new(self, cls, args, kwargs):
        if not isinstance(cls, type) or id(cls) not in self._callables:
            raise pickle.UnpicklingError(f"refusing to create an object of {cls!r}: it is not an allowed global")
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise pickle.UnpicklingError("NEWOBJ needs a tuple of arguments")
        return cls.__new__(cls, *args, **kwargs)

    def _build(self, inst, state) -> None:
        """BUILD: set an object's state, only where a weights file legitimately does so."""
        if isinstance(inst, type) or inst.__class__ not in (OrderedDict, Counter) and \
                _qualified(inst.__class__) not in _user_globals:
            raise pickle.UnpicklingError(f"refusing to set the state of a {type(inst).__name__} object")
        if getattr(type(inst), "__setstate__", None) is not None and inst.__class__ not in (OrderedDict, Counter):
            inst.__setstate__(state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                raise pickle.UnpicklingError("an object's state must be a dict with str keys")
            inst.__dict__.update(state)
        if slots:
            if not isinstance(slots, dict):
                raise pickle.UnpicklingError("an object's slot state must be a dict")
            for k, v in slots.items():
                setattr(inst, k, v)


class FullUnpickler(pickle.Unpickler):
    """Python's unpickler (weights_only=False: it may run code), with torch's names translated to ember."""

    def __init__(self, file, persistent_load, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self._storage_load = persistent_load

    def persistent_load(self, pid):
        return self._storage_load(pid)

    def find_class(self, module: str, name: str):
        if _is_torch(module):
            return _torch_global(module, name)
        return super().find_class(module, name)
