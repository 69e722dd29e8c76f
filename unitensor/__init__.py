"""unitensor: write array code once, run it on NumPy, PyTorch, JAX, CuPy, Dask or any plugged-in backend.

The module is itself a complete array API (2025.12) namespace whose
functions take and return :class:`Tensor` objects; the backend that owns the
data does the work. It is the namespace of the current default backend;
``ut.namespace("torch")`` is the torch backend's own, the one that
``t.__array_namespace__()`` returns for a torch Tensor. ``import unitensor``
imports no framework but NumPy.

Beyond the standard, kept apart from it: :mod:`unitensor.random` (seeded
random numbers), :mod:`unitensor.extras` (einsum, softmax, pad, ...),
``float16`` and ``bfloat16``, and ``compute``/``persist`` for lazy backends.

>>> import unitensor as ut
>>> x = ut.asarray([1.0, 2.0, 3.0])
>>> float(ut.sum(ut.exp(x) * 2))
60.171...
"""

from __future__ import annotations

import math as _math

from . import backends, random
from ._bound import namespace
from ._compute import compute, persist
from ._config import get_backend, set_backend, use_backend
from ._devices import Device
from ._dtypes import (
    DType,
    bfloat16,
    bool,
    can_cast,
    complex64,
    complex128,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    isdtype,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._info import __array_namespace_info__, devices
from ._namespace import (
    FUNCTIONS as _FUNCTIONS,
)
from ._namespace import (
    _binary_operator,
    _getitem,
    _inplace_operator,
    _setitem,
    asarray,
    astype,
    broadcast_shapes,
    from_dlpack,
)
from ._tensor import Tensor, astensor

__array_api_version__ = "2025.12"
__version__ = "0.1.0"

e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan
newaxis = None

globals().update({name: fn for name, fn in _FUNCTIONS.items() if "." not in name})

from . import extras, fft, linalg  # noqa: E402  (built from the same table)
from .autodiff import grad, jacobian, value_and_grad, vjp  # noqa: E402
from .autodiff._transforms import (  # noqa: E402
    checkpoint,
    custom_vjp,
    hessian,
    jacfwd,
    jacrev,
    jit,
    jvp,
    stop_gradient,
    vmap,
)

__all__ = sorted(
    [name for name in _FUNCTIONS if "." not in name]
    + [
        "Tensor",
        "astensor",
        "asarray",
        "namespace",
        "astype",
        "from_dlpack",
        "broadcast_shapes",
        "Device",
        "devices",
        "DType",
        "backends",
        "get_backend",
        "set_backend",
        "use_backend",
        "can_cast",
        "finfo",
        "iinfo",
        "isdtype",
        "result_type",
        "__array_namespace_info__",
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "bfloat16",
        "float32",
        "float64",
        "complex64",
        "complex128",
        "e",
        "pi",
        "inf",
        "nan",
        "newaxis",
        "fft",
        "linalg",
        "compute",
        "persist",
        "extras",
        "random",
        "grad",
        "value_and_grad",
        "vjp",
        "jacobian",
        "jit",
        "vmap",
        "jvp",
        "jacfwd",
        "jacrev",
        "hessian",
        "stop_gradient",
        "custom_vjp",
        "checkpoint",
    ]
)


def __getattr__(name: str) -> object:
    """An unknown ``ut.<name>``: say where the non-standard functions live."""
    if name.startswith("__"):
        raise AttributeError(f"module 'unitensor' has no attribute {name!r}")
    if name in extras.__all__:
        hint = f"it is not in the array API standard: use ut.extras.{name}"
    elif name in random.__all__ or name in ("seed", "rand", "randn", "randint", "default_rng", "PRNGKey"):
        hint = "random numbers live in ut.random (ut.random.Generator(seed), ut.random.key(seed))"
    else:
        hint = (
            "unitensor's top level is the array API standard; non-standard functions live in ut.extras "
            "(einsum, softmax, pad, top_k, ...), random numbers in ut.random, gradients in ut.grad"
        )
    raise AttributeError(f"module 'unitensor' has no attribute {name!r}; {hint}")
