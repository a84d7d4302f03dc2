"""ember: a small, readable deep-learning framework on NumPy whose API is PyTorch's.

`import ember as torch` runs PyTorch tutorial code: tensors, autograd, and (as they land) nn,
optim, data and vision.
"""

from __future__ import annotations

__version__ = "0.1.0"

import warnings as _warnings

# NumPy warns on inf/nan arithmetic (0 * inf, log(0)); PyTorch computes the IEEE result silently
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import _dtype
from ._device import device
from ._dtype import (
    bfloat16,
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from ._factories import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    empty_strided,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    range,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from ._size import Size
from ._tensor import Tensor
from ._tensor_str import get_printoptions, printoptions, set_printoptions
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import FUNCTIONS as _FUNCTIONS
from .random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)

# every op declared in ember/ops (ember.add, ember.exp, ...); dtypes and factories above keep their names
globals().update({k: v for k, v in _FUNCTIONS.items() if k not in globals()})

from . import autograd, backends, cuda, hub, linalg, nn, optim, testing, utils  # noqa: E402
from ._dtype_info import finfo, iinfo  # noqa: E402,F401
from ._legacy import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._runtime import (  # noqa: E402,F401
    are_deterministic_algorithms_enabled,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from .autograd import Function  # noqa: E402,F401
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly  # noqa: E402
from .serialization import load, save  # noqa: E402,F401


def is_tensor(obj) -> bool:
    """True for ember tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True for float16/32/64 tensors."""
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    """Number of elements of a tensor."""
    return input.numel()


def result_type(tensor1, tensor2) -> dtype:
    """dtype PyTorch's promotion gives for an op on the two arguments."""
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether a value of dtype from_ may be cast to `to` by an in-place op."""
    return _dtype.can_cast(from_, to)

