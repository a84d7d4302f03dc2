"""The PyTorch names a checkpoint's pickle refers to, and the ember objects they stand for.

ember never imports torch: a file written by ember names torch's globals as plain strings (see
`TorchGlobal`), and a file written by torch has its torch globals translated here when it is read.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import _dtype as D

# storage class name <-> ember dtype (PyTorch's legacy typed storages, still what torch.save writes)
STORAGE_DTYPES = {
    "DoubleStorage": D.float64, "FloatStorage": D.float32, "HalfStorage": D.float16, "LongStorage": D.int64,
    "IntStorage": D.int32, "ShortStorage": D.int16, "CharStorage": D.int8, "ByteStorage": D.uint8,
    "BoolStorage": D.bool,
}
STORAGE_NAMES = {d.name: name for name, d in STORAGE_DTYPES.items()}
# PyTorch dtypes ember cannot hold (NumPy has no such type, or ember does not support it yet)
UNSUPPORTED_DTYPES = (
    "complex32", "complex64", "complex128", "uint16", "uint32", "uint64", "float8_e4m3fn",
    "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8",
    "quint8", "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
)
UNSUPPORTED_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexDoubleStorage": "complex128",
                        "ComplexFloatStorage": "complex64", "QUInt8Storage": "quint8", "QInt8Storage": "qint8",
                        "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}


class TorchGlobal:
    """A reference to a global of PyTorch by name, written into a pickle as GLOBAL 'module name'."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"

    def __call__(self, *args):  # pickle insists that a reduce function be callable; this one only names one
        raise TypeError(f"{self!r} is a name written into checkpoints, not callable in ember")


class StorageType:
    """What GLOBAL 'torch FloatStorage' (or 'torch.storage UntypedStorage') reads as: the element dtype."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, dtype  # dtype None: an untyped (byte) storage

    def __repr__(self) -> str:
        return f"torch.{self.name}"


STORAGE_TYPES = {name: StorageType(name, d) for name, d in STORAGE_DTYPES.items()}
UNTYPED = StorageType("UntypedStorage", None)

REBUILD_TENSOR_V2 = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
SIZE = TorchGlobal("torch", "Size")
DEVICE = TorchGlobal("torch", "device")
STORAGE_GLOBALS = {name: TorchGlobal("torch", name) for name in STORAGE_DTYPES}


def torch_objects() -> dict:
    """'module.name' of the torch globals ember can stand in for -> the ember object (built on first use)."""
    if _OBJECTS:
        return _OBJECTS
    from .. import Size, Tensor, device
    from ..nn.parameter import Parameter
    from . import _rebuild as R

    table = {
        "torch._utils._rebuild_tensor": R.rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": R.rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": R.rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": R.rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": R.rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": R.rebuild_from_type_v2,
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": R.rebuild_device_tensor_from_cpu_tensor,
        "torch.Size": Size, "torch.device": device, "torch.Tensor": Tensor,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.storage.UntypedStorage": UNTYPED,
    }
    for name in STORAGE_DTYPES:
        table["torch." + name] = STORAGE_TYPES[name]
        table["torch.cuda." + name] = STORAGE_TYPES[name]
    for d in D._ALL:
        table["torch." + d.name] = d
    table["torch.bfloat16"] = D.bfloat16  # a dtype value (in a config) loads; bfloat16 tensors do not
    _OBJECTS.update(table)
    return _OBJECTS


_OBJECTS: dict = {}

# builtins and collections a weights file may hold (protocol 2 writes `builtins` as `__builtin__`)
SAFE_BUILTINS = {
    "collections.OrderedDict": OrderedDict,
    "builtins.set": set, "builtins.frozenset": frozenset, "builtins.complex": complex,
    "builtins.slice": slice,
}
RENAMED_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def unsupported_torch_global(module: str, name: str) -> str | None:
    """Why a torch global ember knows of cannot be loaded, or None when ember does not know it."""
    if module == "torch" and name in UNSUPPORTED_DTYPES:
        return f"the dtype torch.{name} has no ember equivalent"
    if module in ("torch", "torch.cuda") and name in UNSUPPORTED_STORAGES:
        return f"ember has no {UNSUPPORTED_STORAGES[name]} tensors ({module}.{name})"
    if module == "torch._utils" and name.startswith("_rebuild_"):
        kind = name[len("_rebuild_"):].replace("_", " ")
        return f"{module}.{name} rebuilds a kind of tensor ember does not support ({kind})"
    return None
