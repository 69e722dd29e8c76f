"""The :class:`Tensor` facade: one small, strict wrapper over any backend's native array.

Operators are written once here. Each has a fast path that costs a few
attribute reads over the raw framework call (both operands plain Tensors of
one backend, a framework that already promotes like the standard or equal
dtypes, a single-device backend); everything else, including the checks the
standard asks for, runs on the slow path through the namespace functions.

Where the C accelerator is built (:mod:`unitensor._accel`), Tensor's base
class ``_speedups.Core`` holds the slots and runs the same fast paths in C;
the Python ones below are installed only without it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from . import _numpy_interop
from . import backends as _registry
from ._accel import speedups as _speedups
from ._devices import Device
from ._dtypes import DType

__all__ = ["Tensor", "astensor", "new_tensor"]

#: the slots live in the C base class when it is built
_Base: type = _speedups.Core if _speedups is not None else object
#: allocate a Tensor (or subclass) without __init__: ``_object_new(Tensor)``
_object_new = _Base.__new__


class Tensor(_Base):  # type: ignore[valid-type,misc]
    """An array of any backend, with one API.

    Create one with :func:`unitensor.asarray` or wrap a native array without a
    copy with :func:`unitensor.astensor`. ``t.raw`` is the native array.

    Examples
    --------
    >>> import unitensor as ut
    >>> t = ut.asarray([1.0, 2.0, 3.0])
    >>> t.backend.name, str(t.device), t.dtype, t.shape
    ('numpy', 'cpu', unitensor.float64, (3,))
    >>> (t * 2 + 1).tolist()
    [3.0, 5.0, 7.0]
    """

    #: ``_node`` is used only by the autodiff tape's Tensor subclass (unitensor.autodiff). The C base class
    #: refuses ``del t._raw`` and ``del t._backend``; pure Python's plain slots allow it (then reading one
    #: raises AttributeError): a ``__delattr__`` would make every slot store ~150 ns slower
    __slots__ = () if _speedups is not None else ("_raw", "_backend", "_node", "__weakref__")
    #: ``ndarray + Tensor`` runs as the Tensor's operator; ``np.sin(t)``, ``np.mean(t)`` raise a TypeError
    #: that names the unitensor function to use (:mod:`unitensor._numpy_interop`)
    __array_ufunc__ = _numpy_interop.array_ufunc
    __array_function__ = _numpy_interop.array_function
    __array_priority__ = 1000

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        # a Tensor always holds an array and its backend: none is made empty (internally: _object_new)
        raise TypeError("create Tensors with ut.asarray(...) or wrap a native array with ut.astensor(...)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("create Tensors with ut.asarray(...) or wrap a native array with ut.astensor(...)")

    # -- identity ------------------------------------------------------------

    @property
    def raw(self) -> Any:
        """The native array (read-only attribute)."""
        return self._backend.normalize(self._raw)

    @property
    def backend(self) -> _registry.Backend:
        """The :class:`~unitensor.backends.Backend` that owns the data."""
        return self._backend

    @property
    def dtype(self) -> DType:
        """The backend-independent dtype (``ut.float32`` ...)."""
        return self._backend.dtype_of(self._raw)

    @property
    def device(self) -> Device:
        """The :class:`~unitensor.Device` the data lives on."""
        return self._backend.device_of(self._raw)

    @property
    def shape(self) -> tuple[int | None, ...]:
        """The shape; ``None`` marks a dimension not known until computed (Dask)."""
        return self._backend.shape_of(self._raw)

    @property
    def ndim(self) -> int:
        return len(self._raw.shape)

    @property
    def size(self) -> int | None:
        """Number of elements, ``None`` if some dimension is unknown."""
        size = 1
        for n in self.shape:
            if n is None:
                return None
            size *= n
        return size

    @property
    def T(self) -> Tensor:
        """The transpose of a 2-D Tensor."""
        if self.ndim != 2:
            raise ValueError(f"Tensor.T needs a 2-D Tensor, this one is {self.ndim}-D; use .mT or ut.permute_dims")
        return _ns().permute_dims(self, (1, 0))

    @property
    def mT(self) -> Tensor:
        """The transpose of the last two axes."""
        return _ns().matrix_transpose(self)

    @property
    def requires_grad(self) -> bool:
        """Whether this Tensor takes part in a gradient computation."""
        return self._backend.requires_grad(self._raw)

    def detach(self) -> Tensor:
        """This Tensor cut out of any gradient computation (shares data)."""
        return new_tensor(self._backend.detach(self._raw), self._backend)

    def __repr__(self) -> str:
        """Values summarised like NumPy's (``numpy.set_printoptions``), then backend, device and dtype.

        A lazy (Dask) Tensor shows its shape and chunks: its graph never runs here.
        """
        from ._repr import tensor_repr

        return tensor_repr(self)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        n = self.shape[0]
        if n is None:
            raise TypeError("len() of a Tensor whose first dimension is unknown; compute it first")
        return n

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        # x[i, ...]: the standard leaves x[i] of an N-D array (N > 1) unspecified (array_api_strict rejects it)
        return (self[i, ...] for i in range(len(self)))

    def __hash__(self) -> int:
        raise TypeError("Tensors are not hashable")

    # -- Python scalars ------------------------------------------------------

    def _scalar(self, convert: Callable[[Any], Any], what: str) -> Any:
        if self.ndim != 0 and self.size != 1:
            raise TypeError(
                f"only a Tensor with one element converts to a Python {what}, this one has shape {self.shape}"
            )
        raw = self._backend.materialize(self._backend.detach(self._raw))
        return convert(raw)

    def __bool__(self) -> bool:
        return self._scalar(bool, "bool")

    def __int__(self) -> int:
        return self._scalar(int, "int")

    def __float__(self) -> float:
        return self._scalar(float, "float")

    def __complex__(self) -> complex:
        return self._scalar(complex, "complex")

    def __index__(self) -> int:
        if self.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer Tensors can be used as an index, not {self.dtype}")
        return self._scalar(operator.index, "int")

    def item(self) -> Any:
        """The single element as a Python scalar."""
        return self._scalar(lambda raw: self._backend.to_numpy(raw).item(), "scalar")

    def tolist(self) -> Any:
        """Nested Python lists of Python scalars (copies to the host)."""
        return self.numpy(force=True).tolist()

    # -- interchange ---------------------------------------------------------

    def __array_namespace__(self, *, api_version: str | None = None) -> Any:
        """The array API namespace of this Tensor's backend (:func:`unitensor.namespace`)."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12", "2025.12"):
            raise ValueError(f"unitensor implements array API 2025.12 (and earlier), not {api_version}")
        try:
            return _NAMESPACES[self._backend]
        except KeyError:  # the first Tensor of this backend to be asked
            return _ns().namespace(self._backend)

    def __dlpack__(self, **kwargs: Any) -> Any:
        backend = self._backend
        self._check_exportable()
        return backend.dlpack_source(backend.normalize(self._raw)).__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        backend = self._backend
        return backend.dlpack_source(backend.normalize(self._raw)).__dlpack_device__()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            if copy is False:  # NumPy 2's protocol: copy=False forbids the copy a cast needs
                raise ValueError(
                    f"cannot convert a {self.dtype} Tensor to NumPy {dtype} without a copy; pass copy=None to allow one"
                )
            return array.astype(dtype)
        return array.copy() if copy else array

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and deep-copy through a host copy; the result is rebuilt on the same backend and device."""
        return _rebuild, (self.numpy(force=True), self._backend.name, str(self.device))

    def numpy(self, *, force: bool = False) -> Any:
        """This Tensor as a NumPy array: zero-copy for host data where the framework allows it.

        Raises the errors PyTorch users know for data on a GPU and for
        Tensors that take part in a gradient computation; ``force=True``
        copies to the host and detaches instead.
        """
        backend = self._backend
        raw = self._raw
        if type(self) is Tensor:
            exported = backend.host_numpy(raw)
            if exported is not None:
                return exported
        if not force:
            self._check_exportable()
        elif backend.requires_grad(raw) or self._traced():
            raw = backend.detach(raw)
        device = backend.device_of(raw)
        if not device.is_host:
            if not force:
                raise TypeError(
                    f"can't convert {device} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first."
                )
            return new_tensor(raw, backend).cpu().numpy(force=True)
        return backend.to_numpy(backend.materialize(raw))

    def _traced(self) -> bool:
        return False

    def _check_exportable(self) -> None:
        """Raise PyTorch's error for exporting (``numpy()``, DLPack) a Tensor that requires grad:
        the exported data would leave the gradient computation silently."""
        if self._backend.requires_grad(self._raw) or self._traced():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")

    # -- devices and backends ------------------------------------------------

    def to(
        self,
        device: str | Device | None = None,
        *,
        backend: str | _registry.Backend | None = None,
        copy: bool | None = None,
    ) -> Tensor:
        """Move to a device and/or another backend; zero-copy through DLPack where possible.

        The backend is kept when it can place data on ``device``; otherwise
        its family's backend is used (NumPy to ``cuda`` gives CuPy, CuPy to
        ``cpu`` gives NumPy).
        """
        return _convert()(self, device=device, backend=backend, copy=copy)

    def to_device(self, device: str | Device, /, *, stream: Any = None) -> Tensor:
        """The standard's spelling of :meth:`to`."""
        return self.to(device)

    def cpu(self) -> Tensor:
        """This Tensor on the host (the same Tensor if it is there already)."""
        return self.to("cpu")

    def cuda(self, index: int | None = None) -> Tensor:
        """This Tensor on CUDA device ``index`` (the current one when None)."""
        return self.to(Device("cuda", index if index is not None else 0))

    def astype(self, dtype: DType, /, *, copy: bool = True) -> Tensor:
        """``ut.astype(self, dtype)``."""
        return _ns().astype(self, dtype, copy=copy)

    # -- indexing ------------------------------------------------------------

    def __setitem__(self, key: Any, value: Any) -> None:
        result = _ns()._setitem(self, key, value)
        if result is not self:
            self._assign(result)

    def _assign(self, other: Tensor) -> None:
        """Rebind this Tensor to ``other``'s data (in-place writes on immutable backends).

        A traced result (a value written while differentiating with the tape)
        makes this Tensor traced too, as an in-place write of a Tensor that
        requires grad does in PyTorch.
        """
        self._raw = other._raw
        self._backend = other._backend
        if type(other) is not type(self):
            self.__class__ = type(other)
        if type(other) is not Tensor:
            self._node = other._node


_PLAIN_KEYS = frozenset({int, slice, type(None), type(Ellipsis)})


def _getitem(self: Tensor, key: Any) -> Tensor:
    """``self[key]``: plain keys index the native array, the rest takes the namespace's checks."""
    if type(self) is Tensor:
        kind = type(key)
        backend = self._backend
        plain = kind in _PLAIN_KEYS or (kind is tuple and _plain_tuple(key))
        # a mask or index array of this backend: on a backend with several devices, the
        # slow path's device check (torch would index CUDA data with a CPU mask)
        if plain or (
            kind is Tensor
            and key._backend is backend
            and (
                (_ONE_DEVICE[backend] if backend in _ONE_DEVICE else _one_device(backend))
                or backend.device_of(key._raw) == backend.device_of(self._raw)
            )
        ):
            try:
                raw = (
                    self._raw[key]
                    if plain and backend.fast_getitem
                    else backend.getitem(self._raw, key if plain else key._raw)
                )
            except Exception:  # keys the framework rejects (torch's negative steps) take the slow path
                return _ns()._getitem(self, key)
            out = _object_new(Tensor)
            out._raw = raw
            out._backend = backend
            return out
    return _ns()._getitem(self, key)


#: backend -> whether it has a single device here (devices do not come and go in a process)
_ONE_DEVICE: dict[_registry.Backend, bool] = {}


def _one_device(backend: _registry.Backend) -> bool:
    one = _ONE_DEVICE[backend] = bool(backend.fast_binary) and len(backend.devices()) < 2
    return one


def _plain_tuple(key: tuple[Any, ...]) -> bool:
    """Whether every part of a tuple index is an int, slice, None or Ellipsis (``t[1:, None]``)."""
    for part in key:
        if type(part) not in _PLAIN_KEYS:
            return False
    return True


def _rebuild(array: Any, backend: str, device: str) -> Tensor:
    """Unpickle a Tensor (see ``Tensor.__reduce__``)."""
    return _ns().asarray(array, backend=backend, device=device)


def new_tensor(raw: Any, backend: _registry.Backend) -> Tensor:
    """Wrap a native array known to belong to ``backend`` (no checks: internal)."""
    out = _object_new(Tensor)
    out._raw = raw
    out._backend = backend
    return out


if _speedups is not None:
    new_tensor = _speedups.wrap  # noqa: F811  (the same, in C)


def astensor(x: Any) -> Tensor:
    """Wrap a native array (torch, jax, numpy, cupy, dask, ...) in a Tensor without copying.

    A Tensor is returned as it is.

    Examples
    --------
    >>> import numpy as np, unitensor as ut
    >>> a = np.arange(3.0)
    >>> t = ut.astensor(a)
    >>> t.raw is a
    True
    """
    if isinstance(x, Tensor):
        return x
    backend = _registry.backend_of(x)
    if backend is None:
        raise TypeError(
            f"astensor() takes a native array of a registered backend, not {type(x).__module__}."
            f"{type(x).__qualname__}; use ut.asarray(...) to build a Tensor from Python data"
        )
    return new_tensor(x, backend)


def _convert() -> Callable[..., Tensor]:
    """:func:`unitensor._convert.convert` (imported on first use: it imports this module)."""
    global _convert_function
    if _convert_function is None:
        from ._convert import convert

        _convert_function = convert
    return _convert_function


_convert_function: Callable[..., Tensor] | None = None

#: backend -> its bound array API namespace (filled by ``unitensor.namespace``)
_NAMESPACES: dict[_registry.Backend, Any] = {}


def _ns() -> Any:
    import unitensor

    return unitensor


# -- operators ---------------------------------------------------------------
#
# (dunder, namespace function, raw operator, reflected)
_BINARY_OPERATORS = [
    ("__add__", "add", operator.add, False),
    ("__sub__", "subtract", operator.sub, False),
    ("__mul__", "multiply", operator.mul, False),
    ("__truediv__", "divide", operator.truediv, False),
    ("__floordiv__", "floor_divide", operator.floordiv, False),
    ("__mod__", "remainder", operator.mod, False),
    ("__pow__", "pow", operator.pow, False),
    ("__matmul__", "matmul", operator.matmul, False),
    ("__and__", "bitwise_and", operator.and_, False),
    ("__or__", "bitwise_or", operator.or_, False),
    ("__xor__", "bitwise_xor", operator.xor, False),
    ("__lshift__", "bitwise_left_shift", operator.lshift, False),
    ("__rshift__", "bitwise_right_shift", operator.rshift, False),
    ("__lt__", "less", operator.lt, False),
    ("__le__", "less_equal", operator.le, False),
    ("__gt__", "greater", operator.gt, False),
    ("__ge__", "greater_equal", operator.ge, False),
    ("__eq__", "equal", operator.eq, False),
    ("__ne__", "not_equal", operator.ne, False),
]
_REFLECTED = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "remainder",
    "pow",
    "matmul",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_left_shift",
    "bitwise_right_shift",
]
_SCALAR_TYPES = frozenset({int, float})


def _binary_method(function_name: str, op: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], Any]:
    def method(self: Tensor, other: Any) -> Any:
        if type(self) is Tensor:
            backend = self._backend
            kind = type(other)
            if kind is Tensor:
                if (
                    other._backend is backend
                    and backend.fast_binary
                    and (backend.standard_promotion or self._raw.dtype is other._raw.dtype)
                ):
                    try:
                        raw = op(self._raw, other._raw)
                    except Exception:
                        return _ns()._binary_operator(function_name, self, other, False)
                    out = _object_new(Tensor)
                    out._raw = raw
                    out._backend = backend
                    return out
            elif kind in _SCALAR_TYPES and backend.fast_scalars:
                try:
                    raw = op(self._raw, other)
                except Exception:  # what the framework refuses, the backend's function may handle
                    return _ns()._binary_operator(function_name, self, other, False)
                out = _object_new(Tensor)
                out._raw = raw
                out._backend = backend
                return out
        return _ns()._binary_operator(function_name, self, other, False)

    method.__name__ = f"__{function_name}__"
    method.__doc__ = f"``ut.{function_name}(self, other)``"
    return method


def _reflected_method(function_name: str, op: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], Any]:
    # scalar ** Tensor takes the slow path: JAX would promote the Python int strongly (int64)
    scalars = _SCALAR_TYPES if function_name != "pow" else frozenset()

    def method(self: Tensor, other: Any) -> Any:
        if type(self) is Tensor and type(other) in scalars and self._backend.fast_scalars:
            try:
                raw = op(other, self._raw)
            except Exception:  # what the framework refuses, the backend's function may handle
                return _ns()._binary_operator(function_name, self, other, True)
            out = _object_new(Tensor)
            out._raw = raw
            out._backend = self._backend
            return out
        return _ns()._binary_operator(function_name, self, other, True)

    method.__doc__ = f"``ut.{function_name}(other, self)``"
    return method


def _inplace_method(function_name: str) -> Callable[[Tensor, Any], Any]:
    def method(self: Tensor, other: Any) -> Tensor:
        result = _ns()._inplace_operator(function_name, self, other)
        if result is not self:
            self._assign(result)
        return self

    method.__doc__ = f"in-place ``ut.{function_name}``: the dtype and shape of ``self`` never change"
    return method


def _unary_method(function_name: str, op: Callable[[Any], Any]) -> Callable[[Tensor], Any]:
    def method(self: Tensor) -> Tensor:
        if type(self) is Tensor:
            try:
                raw = op(self._raw)
            except Exception:  # the namespace function raises the standard's error
                raw = NotImplemented
            if raw is not NotImplemented:  # Dask answers NotImplemented for a dtype it cannot take
                out = _object_new(Tensor)
                out._raw = raw
                out._backend = self._backend
                return out
        return getattr(_ns(), function_name)(self)

    method.__doc__ = f"``ut.{function_name}(self)``"
    return method


_UNARY_OPERATORS = [
    ("__neg__", "negative", operator.neg),
    ("__pos__", "positive", operator.pos),
    ("__abs__", "abs", operator.abs),
    ("__invert__", "bitwise_invert", operator.invert),
]


def _install_python_operators() -> None:
    """The pure-Python fast paths, for when the C accelerator is not built."""
    for dunder, name, op, _ in _BINARY_OPERATORS:
        setattr(Tensor, dunder, _binary_method(name, op))
        if name in _REFLECTED:
            setattr(Tensor, "__r" + dunder[2:], _reflected_method(name, op))
    for dunder, name, op in _UNARY_OPERATORS:
        setattr(Tensor, dunder, _unary_method(name, op))
    Tensor.__getitem__ = _getitem  # type: ignore[method-assign]


def _slow_binary(name: str, x: Tensor, other: Any, reflected: bool) -> Any:
    return _ns()._binary_operator(name, x, other, reflected)


def _slow_unary(name: str, x: Tensor) -> Any:
    return getattr(_ns(), name)(x)


def _slow_getitem(x: Tensor, key: Any) -> Any:
    return _ns()._getitem(x, key)


def _fast_flags(backend: _registry.Backend) -> tuple[int, dict[str, Any], dict[DType, Any]]:
    """What the C fast paths may do with ``backend``'s arrays: read once per backend.

    The flags are constants of a backend; ``standard_promotion`` may be a
    property (JAX computes it from the x64 state), and is then read on
    every call whose dtypes differ.
    """
    assert _speedups is not None
    flags = 0
    for flag, bit in [
        ("fast_binary", _speedups.FAST_BINARY),
        ("fast_scalars", _speedups.FAST_SCALARS),
        ("fast_getitem", _speedups.FAST_GETITEM),
    ]:
        if getattr(backend, flag):
            flags |= bit
    if type(backend).native_dtype is _registry.Backend.native_dtype:
        flags |= _speedups.PLAIN_DTYPES
    if type(backend).getitem is _registry.Backend.getitem:
        flags |= _speedups.PLAIN_GETITEM
    if _one_device(backend):
        flags |= _speedups.ONE_DEVICE
    if backend.native_device_equality:
        flags |= _speedups.NATIVE_DEVICES
    if not isinstance(getattr(type(backend), "standard_promotion", None), property):
        flags |= _speedups.PROMOTION_KNOWN | (_speedups.PROMOTES if backend.standard_promotion else 0)
    return flags, backend._functions, backend._to_native


for _dunder, _name, _, _ in _BINARY_OPERATORS:
    if _name in _REFLECTED:
        setattr(Tensor, "__i" + _dunder[2:], _inplace_method(_name))
del _dunder, _name
if _speedups is None:
    _install_python_operators()
else:
    _speedups.configure(Tensor, DType, _slow_binary, _slow_unary, _slow_getitem, _fast_flags)


def _absolute(self: Tensor) -> Tensor:
    """``ut.abs(self)``.

    ``abs(t)`` goes through the namespace function rather than the framework's
    operator, so it has ``ut.abs``'s gradient at 0 on every backend (JAX's own
    rule gives 1 there; its backend's ``abs`` gives PyTorch's 0).
    """
    return _ns().abs(self)


Tensor.__abs__ = _absolute  # type: ignore[method-assign]
