"""Array API namespaces bound to one backend: what ``t.__array_namespace__()`` returns.

Array API consumers (scikit-learn, SciPy) take the namespace of their input
and create every new array through it: ``xp.asarray(v, device=device(x))``,
``xp.zeros(n)``, ``xp.asarray(numpy_result)``. For their results to stay on the
caller's backend, each backend has one namespace object whose creation
functions, ``asarray`` and ``from_dlpack`` make Tensors of that backend.

Every other function of the standard takes Tensors and follows their backend
already, so a bound namespace holds the very same function objects as the
module ``unitensor``: calling through it costs nothing more.
"""

from __future__ import annotations

import functools
import inspect
import threading
import types
from collections.abc import Callable
from typing import Any

from . import backends as _registry
from ._config import get_backend
from ._info import Info
from ._tensor import _NAMESPACES

__all__ = ["namespace"]

#: the standard's names that are not in the function table (dtypes, constants, helpers, extensions)
_OTHER_STANDARD_NAMES = (
    "__array_api_version__",
    "asarray",
    "astype",
    "from_dlpack",
    "broadcast_shapes",
    "can_cast",
    "finfo",
    "iinfo",
    "isdtype",
    "result_type",
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "e",
    "pi",
    "inf",
    "nan",
    "newaxis",
)
#: functions that make new arrays: bound to the namespace's backend (``fft`` ones are in ``fft``)
_BOUND = ("asarray", "from_dlpack", "arange", "empty", "eye", "full", "linspace", "ones", "zeros")
_BOUND_FFT = ("fftfreq", "rfftfreq")

_lock = threading.Lock()


def namespace(backend: str | _registry.Backend | None = None) -> types.ModuleType:
    """The array API namespace bound to ``backend`` (default: the current default backend).

    It holds the whole standard. Its creation functions, ``asarray`` and
    ``from_dlpack`` make Tensors of ``backend``: ``asarray`` converts Python
    data, NumPy arrays, other frameworks' arrays and Tensors of other
    backends (through DLPack, zero-copy where that is safe). Every other
    function is the same object as in the module ``unitensor``. There is one
    namespace per backend, and ``t.__array_namespace__()`` returns the one of
    ``t``'s backend. It is a plain module object (``xp.backend`` is its
    backend): a module subclass would make every ``xp.name`` lookup ~70 ns slower.

    Examples
    --------
    >>> import numpy as np, unitensor as ut
    >>> xp = ut.namespace("numpy")
    >>> xp is ut.namespace("numpy") and xp.exp is ut.exp
    True
    >>> xp.zeros(2).backend.name, xp.asarray(np.ones(2)).backend.name
    ('numpy', 'numpy')
    >>> ut.asarray([1.0, 2.0]).__array_namespace__() is xp
    True
    """
    chosen = get_backend() if backend is None else _registry.get(backend)
    try:
        return _NAMESPACES[chosen]
    except KeyError:
        pass
    with _lock:
        if chosen not in _NAMESPACES:
            _NAMESPACES[chosen] = _build(chosen)
    return _NAMESPACES[chosen]


def _build(backend: _registry.Backend) -> types.ModuleType:
    import unitensor

    from ._namespace import FUNCTIONS

    xp = types.ModuleType(
        f"unitensor[{backend.name}]", f"The array API namespace of unitensor's {backend.name!r} backend."
    )
    names = [name for name in FUNCTIONS if "." not in name] + list(_OTHER_STANDARD_NAMES)
    members: dict[str, Any] = {name: getattr(unitensor, name) for name in names}
    members.update({name: _bind(getattr(unitensor, name), backend) for name in _BOUND})
    members.update(
        backend=backend,
        __array_namespace_info__=_info_of(backend),
        linalg=unitensor.linalg,  # no function of linalg creates an array from nothing
        fft=_bound_fft(unitensor.fft, backend),
    )
    vars(xp).update(members)
    return xp


def _info_of(backend: _registry.Backend) -> Callable[[], Info]:
    def __array_namespace_info__() -> Info:
        """The standard's inspection API for this namespace's backend."""
        return Info(backend)

    return __array_namespace_info__


def _bound_fft(module: types.ModuleType, backend: _registry.Backend) -> types.ModuleType:
    fft = types.ModuleType(f"unitensor[{backend.name}].fft", module.__doc__)
    vars(fft).update(
        {
            name: _bind(getattr(module, name), backend) if name in _BOUND_FFT else getattr(module, name)
            for name in module.__all__
        }
    )
    return fft


def _bind(function: Callable[..., Any], backend: _registry.Backend) -> Callable[..., Any]:
    """``function`` with ``backend=`` fixed; its signature loses the ``backend`` parameter."""

    @functools.wraps(function)
    def bound(*args: Any, **kwargs: Any) -> Any:
        if "backend" in kwargs:
            raise TypeError(
                f"{function.__name__}() of the {backend.name!r} namespace always makes "
                f"{backend.name} Tensors; use ut.{function.__name__}(..., backend=...) for another"
            )
        return function(*args, backend=backend, **kwargs)

    signature = inspect.signature(function)
    bound.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != "backend"]
    )
    del bound.__wrapped__  # the signature above, not the module function's, is this function's
    return bound
