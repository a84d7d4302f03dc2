"""Tensor: an n-d array (NumPy or CuPy) plus the metadata autograd needs.

The class here holds state, attributes and conversions. Math methods and Python operators are
attached by the modules of `ember/ops/`, each declared once for function, method, in-place
variant and operator (see `ember/ops/_declare.py`).

Note [views and versions]
A view shares its array memory with a base tensor (`_base`, always the root owner, never a view).
Views and their base share one version counter (`_vbox`, a one-element list created on demand).
Every in-place op bumps it; autograd compares versions of saved tensors at backward time.
"""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._device import CPU
from ._size import Size

_new = object.__new__
_tuple_new = tuple.__new__  # builds ember.Size without re-validating sizes NumPy already checked


def _wrap(data, requires_grad: bool = False) -> Tensor:
    """Make a Tensor around an array without copying (the fast internal constructor)."""
    if data.__class__ is not np.ndarray:
        if isinstance(data, np.generic):
            data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = requires_grad
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._base = None
    t._vbox = None
    t._extra = None
    return t


class Tensor:
    """A multi-dimensional array with autograd support, following `torch.Tensor`."""

    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_base", "_vbox", "_extra",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # NumPy defers `ndarray + tensor` to Tensor.__radd__

    def __new__(cls, *args, **kwargs):
        """Legacy constructor: Tensor(2, 3) is uninitialised, Tensor([1, 2]) copies data, both default dtype."""
        from ._legacy import legacy_new

        return legacy_new(cls, None, args, kwargs)

    def __init__(self, *args, **kwargs) -> None:
        pass

    # -- basic attributes ------------------------------------------------------------------------
    @property
    def dtype(self) -> D.dtype:
        return D._BY_NP[self._data.dtype]

    @property
    def shape(self) -> Size:
        return _tuple_new(Size, self._data.shape)

    @property
    def device(self):
        if self._data.__class__ is np.ndarray:
            return CPU
        from .backend import device_of

        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self._data.__class__ is not np.ndarray

    @property
    def is_cpu(self) -> bool:
        return self._data.__class__ is np.ndarray

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_complex_ = False

    @property
    def layout(self) -> str:
        return "ember.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def size(self, dim: int | None = None):
        """The shape as an ember.Size, or the length of one dimension."""
        if dim is None:
            return _tuple_new(Size, self._data.shape)
        if not isinstance(dim, int):
            raise TypeError(f"size(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        """Strides in elements (not bytes), as PyTorch reports them."""
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        """Offset in elements of this tensor's first element inside its storage."""
        a = self._data
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root is a:
            return 0
        delta = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return delta // a.itemsize

    def data_ptr(self) -> int:
        """Address of the first element."""
        if self._data.__class__ is np.ndarray:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage(self):
        raise NotImplementedError("ember tensors do not expose storages; use data_ptr() or numpy()")

    def is_contiguous(self, memory_format=None) -> bool:
        """True when elements are laid out in row-major order without gaps."""
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """Always False: ember has no complex dtypes yet."""
        return False

    def is_signed(self) -> bool:
        """True unless the dtype is uint8 or bool."""
        return self.dtype.is_signed

    def get_device(self) -> int:
        """-1 on the CPU, the GPU index otherwise."""
        return -1 if self._data.__class__ is np.ndarray else self.device.index

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    # -- autograd attributes ---------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this (leaf) tensor; returns self."""
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = requires_grad
        return self

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains():
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {tuple(value.shape)} vs "
                                   f"{tuple(self.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype} vs {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def grad_fn(self):
        if self._base is not None and self._grad_fn is not None:
            from .autograd.views import refresh_view_grad_fn

            refresh_view_grad_fn(self)
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    def is_inference(self) -> bool:
        """Always False: ember keeps no separate inference tensors."""
        return False

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        return self._vbox[0] if self._vbox is not None else 0

    def _bump_version(self) -> None:
        if self._vbox is None:
            self._vbox = [0]
        self._vbox[0] += 1

    def _extras(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra

    def _retains(self) -> bool:
        return self._extra is not None and self._extra.get("retains_grad", False)

    @property
    def retains_grad(self) -> bool:
        return self._retains()

    def retain_grad(self) -> None:
        """Make backward fill `.grad` of this non-leaf tensor."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains():
            return
        import weakref

        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._extras()["retains_grad"] = True

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; it may return a replacement grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import accumulate_node

        node = self.grad_fn if self._grad_fn is not None else accumulate_node(self)
        return node._add_pre_hook(self._output_nr if self._grad_fn is not None else 0, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Compute the gradient of this tensor w.r.t. graph leaves and accumulate it into their `.grad`."""
        from .autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing data (and version counter) with this one, cut from the graph."""
        t = _wrap(self._data)
        if self._vbox is None:
            self._vbox = [0]
        t._vbox = self._vbox
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place, making it a leaf."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self) -> Tensor:
        return _wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex "
                               "dtype")
        self._data = value._data

    # -- conversion to Python and NumPy --------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item() if self._data.__class__ is np.ndarray else self._data.get().item()

    def tolist(self):
        """The data as (nested) Python lists of Python numbers."""
        a = self._data if self._data.__class__ is np.ndarray else self._data.get()
        return a.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory with this tensor."""
        if force:
            return self.detach().cpu()._data
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if self._data.__class__ is not np.ndarray:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                            "copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, stream=None, **kwargs):
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(**kwargs) if stream is None else self._data.__dlpack__(stream=stream)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        n = self._data.size
        if n == 1:
            return bool(self.item())
        if n == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from ._tensor_str import format_tensor

        return format_tensor(self, default_dtype_name=D.get_default_dtype().name)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.detach().cpu()._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a module, "
                               "this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self), _wrap(self._data.copy()))
        if type(self) is Tensor:
            new = _wrap(self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new


def _rebuild(data, requires_grad):
    t = _wrap(data)
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """Turn a possibly negative dim into an index, raising PyTorch's IndexError when out of range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
