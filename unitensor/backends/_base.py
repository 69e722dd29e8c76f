"""The :class:`Backend` base class: what unitensor needs from an array framework.

A backend is one small class. Everything it must provide is a primitive
(its namespace, which native types it owns, its devices, DLPack in and out,
dtype mapping); everything else (operators, the array API functions,
conversion, export, gradients) is written once in the facade on top of these.

Requirements that every backend module follows:

* importing the module imports no framework: the framework is imported in
  ``__init__``, the first time the backend is asked for;
* a backend departs from its framework's namespace only where the framework
  departs from the standard, with a comment saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .._devices import Device, as_device
from .._dtypes import ALL_DTYPES, HALF_DTYPES, DType

__all__ = ["Backend", "BackendError"]

#: the host device: one object, handed out by every call (parsing "cpu" costs ~300 ns)
_CPU = Device("cpu")


_HALF_HINT = (
    "; half precision is available on the numpy (float16; bfloat16 with ml_dtypes), torch and jax "
    "backends (cupy: float16): move the Tensor with .to(backend='torch') or compute in ut.float32"
)


class BackendError(ValueError):
    """A backend cannot do what was asked (a missing function, device or dtype).

    A ValueError, as the standard's libraries raise for an argument value they
    cannot take (``device="cuda:3"``, ``dtype=ut.float64`` without JAX's x64).
    """


class Backend:
    """Base class of every backend; subclasses set the class attributes and fill ``__init__``.

    Class attributes (readable without importing the framework):

    name
        The registry name, e.g. ``"torch"``.
    requires
        Import names that must be installed for the backend to load.
    install_hint
        What to run to install it.
    type_modules
        Top-level module names of the native array types (``("jax", "jaxlib")``).
    standard_promotion
        Whether the framework's binary operators already follow the standard's
        promotion rules for arrays of different dtypes (so the facade can skip
        its own promotion on the fast path).
    mutable
        Whether native arrays support in-place writes (``x[i] = v``, ``x += 1``).
    family
        Device types this backend cannot hold, mapped to the backend that holds
        them (NumPy maps ``cuda`` to ``cupy``).
    """

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str] = ""
    type_modules: ClassVar[tuple[str, ...]] = ()
    standard_promotion: ClassVar[bool] = True
    mutable: ClassVar[bool] = True
    lazy: ClassVar[bool] = False
    family: ClassVar[dict[str, str]] = {}

    #: whether the Tensor operators may call the framework's operator directly
    #: for two Tensors of this backend (False where devices must be compared first)
    fast_binary: bool = True
    #: whether ``tensor OP python_scalar`` may call the framework's operator directly
    fast_scalars: bool = True
    #: whether ``tensor[int | slice | None | ...]`` may index the native array directly
    #: (False where :meth:`getitem` must check the key first: JAX clamps out-of-bounds integers)
    fast_getitem: bool = True
    #: whether ``a.device == b.device`` on two native arrays is exactly ``device_of(a) == device_of(b)``
    #: (lets ``t[mask]`` check devices without building Device objects)
    native_device_equality: bool = False

    #: the array API namespace of native arrays (set in ``__init__``)
    xp: Any
    #: native array types, for ``isinstance`` checks (set in ``__init__``)
    array_types: tuple[type, ...]
    #: the framework's version string
    version: str = ""

    def __init__(self) -> None:
        self._functions: dict[str, Callable[..., Any]] = {}
        self._from_native: dict[Any, DType] = {}
        self._to_native: dict[DType, Any] = {}
        # The operators' fast paths read these flags on every call, and an instance
        # attribute reads faster than a class attribute (~70 ns a call on CPython 3.11).
        # A subclass's __init__ may still reassign them; a property (JAX's
        # standard_promotion) stays a property.
        for flag in ("fast_binary", "fast_scalars", "standard_promotion"):
            if not isinstance(getattr(type(self), flag, None), property):
                self.__dict__[flag] = getattr(self, flag)
        cls = type(self)
        if (
            cls.requires_grad is Backend.requires_grad
            and cls.device_of is Backend.device_of
            and cls.materialize is Backend.materialize
            and cls.host_numpy is Backend.host_numpy
        ):
            # host-only, eager, no native gradients: Tensor.numpy() has nothing to check
            self.host_numpy = self.to_numpy  # type: ignore[method-assign]

    def host_numpy(self, raw: Any) -> Any:
        """``raw`` as a NumPy array when it needs no check (host data outside any gradient
        computation), else None: :meth:`Tensor.numpy`'s fast path, which falls back to the checks.

        The default answers None; a backend overrides it where the framework's own
        export refuses what must be refused (torch's ``Tensor.numpy()``).
        """
        return None

    # -- construction helpers for subclasses -------------------------------

    def _map_dtypes(self, pairs: dict[DType, Any] | None = None) -> None:
        """Build the dtype maps from ``pairs`` or from the namespace's dtype attributes."""
        if pairs is None:
            pairs = {d: getattr(self.xp, d.name) for d in ALL_DTYPES if hasattr(self.xp, d.name)}
        for dtype, native in pairs.items():
            self._to_native[dtype] = native
            self._from_native[native] = dtype

    def overrides(self) -> dict[str, Callable[..., Any]]:
        """Functions that replace the namespace's own, by (dotted) name."""
        return {}

    # -- arrays and dtypes -------------------------------------------------

    def owns(self, x: object) -> bool:
        """Whether ``x`` is a native array of this backend."""
        return isinstance(x, self.array_types)

    def dtype_of(self, raw: Any) -> DType:
        """The unitensor dtype of a native array."""
        native = raw.dtype
        try:
            return self._from_native[native]
        except (KeyError, TypeError):
            raise TypeError(
                f"{self.name} dtype {native} has no array API equivalent; "
                f"cast it to one of {', '.join(d.name for d in self.dtypes())} first"
            ) from None

    def native_dtype(self, dtype: DType) -> Any:
        """The native dtype for ``dtype``; a clear error if this backend lacks it."""
        try:
            return self._to_native[dtype]
        except KeyError:
            if not isinstance(dtype, DType):
                raise TypeError(f"expected a unitensor dtype such as ut.float32, got {dtype!r}") from None
            hint = _HALF_HINT if dtype in HALF_DTYPES else self._missing_dtype_hint(dtype)
            raise BackendError(f"the {self.name} backend cannot represent {dtype}{hint}") from None

    def _missing_dtype_hint(self, dtype: DType) -> str:
        return ""

    def dtypes(self) -> list[DType]:
        """The dtypes this backend can hold, in the standard's order."""
        return [d for d in ALL_DTYPES if d in self._to_native]

    def half_dtypes(self) -> list[DType]:
        """The half-precision dtypes (beyond the standard) this backend can hold."""
        return [d for d in HALF_DTYPES if d in self._to_native]

    def default_dtypes(self) -> dict[str, DType]:
        """The defaults the standard's ``__array_namespace_info__`` reports."""
        info = self.xp.__array_namespace_info__().default_dtypes()
        return {kind: self._from_native[native] for kind, native in info.items()}

    def scalar_value(self, x: Any) -> Any:
        """``x`` as a Python scalar if it is one of the framework's scalar objects (``np.float32(1)``), else None.

        The standard takes Python scalars where it takes numbers (operands,
        fill values, shapes, axes); the facade reads a framework's scalars
        the same way instead of taking them for arrays of their backend.
        """
        return None

    def normalize(self, raw: Any) -> Any:
        """The canonical native array for ``raw`` (NumPy turns 0-d scalars into 0-d arrays)."""
        return raw

    def shape_of(self, raw: Any) -> tuple[int | None, ...]:
        """The shape as a tuple, ``None`` for a dimension not known yet."""
        return tuple(raw.shape)

    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]`` with the standard's indexing."""
        return raw[key]

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """Write ``value`` at ``key``; returns the array holding the result (``raw`` when mutable)."""
        raw[key] = value
        return raw

    # -- devices -----------------------------------------------------------

    def device_of(self, raw: Any) -> Device:
        """The device a native array lives on (a backend hands out one Device object per device)."""
        return _CPU

    def devices(self) -> list[Device]:
        """Devices this backend can use on this machine."""
        return [_CPU]

    def default_device(self) -> Device:
        """Where creation functions place data when no device is given."""
        return self.devices()[0]

    def native_device(self, device: Device) -> Any:
        """The framework's own device object for ``device`` (for ``device=`` arguments)."""
        self.check_device(device)
        return self.xp.__array_namespace_info__().default_device()

    def check_device(self, device: Device) -> Device:
        """Return ``device`` if this backend has it, else raise naming those it has."""
        device = as_device(device)
        available = self.devices()
        if device not in available:
            have = ", ".join(str(d) for d in available)
            raise BackendError(f"device {device} is not available to the {self.name} backend here; it has: {have}")
        return device

    def to_device(self, raw: Any, device: Device) -> Any:
        """Move a native array to ``device`` (a no-op when it is already there)."""
        self.check_device(device)
        return raw

    # -- interchange -------------------------------------------------------

    def asarray(
        self, obj: Any, dtype: DType | None = None, device: Device | None = None, copy: bool | None = None
    ) -> Any:
        """Create a native array from Python data, a buffer or a native array of this backend."""
        kwargs = self.native_placement(dtype, device)
        if copy is not None:
            kwargs["copy"] = copy
        return self.xp.asarray(obj, **kwargs)

    def native_placement(self, dtype: DType | None, device: Device | None) -> dict[str, Any]:
        """``dtype=`` and ``device=`` keyword arguments in the framework's own terms (those given)."""
        kwargs: dict[str, Any] = {}
        if dtype is not None:
            kwargs["dtype"] = self.native_dtype(dtype)
        if device is not None:
            kwargs["device"] = self.native_device(device)
        return kwargs

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        """Import an object that supports ``__dlpack__`` (zero-copy when possible)."""
        raw = self.xp.from_dlpack(obj)
        if device is not None and self.device_of(raw) != device:
            raw = self.to_device(raw, device)
        return raw

    def from_host_numpy(self, array: Any) -> Any:
        """A native array on the host sharing the memory of NumPy ``array``, or None where this
        backend has no such direct import (conversion then takes the DLPack path).

        :meth:`Tensor.to` uses it to move host data between backends without the
        checks the general path makes.
        """
        return None

    def dlpack_source(self, raw: Any) -> Any:
        """An object with ``__dlpack__`` holding this array's data (the array itself by default)."""
        return raw

    def to_numpy(self, raw: Any) -> Any:
        """Export host data to a NumPy array, zero-copy where the framework allows it."""
        from . import numpy as _numpy_backend

        return _numpy_backend.from_dlpack_or_copy(self.dlpack_source(raw))

    def materialize(self, raw: Any) -> Any:
        """Compute a lazy array (Dask); the array itself for eager backends."""
        return raw

    def materialize_many(self, raws: list[Any], keep: bool = False) -> list[Any]:
        """Compute several lazy arrays in one run of their graph (``ut.compute``, ``ut.persist``).

        Returns native arrays of this backend holding the results; ``keep``
        asks to keep them where the scheduler holds them (``persist``).
        Eager backends return the arrays as they are.
        """
        return raws

    def lazy_summary(self, raw: Any) -> str:
        """What ``repr`` shows of a lazy array besides its shape (``", chunks=..."``), without computing it."""
        return ""

    # -- functions ---------------------------------------------------------

    def function(self, name: str) -> Callable[..., Any]:
        """The implementation of array API function ``name`` (dotted for extensions)."""
        try:
            return self._functions[name]
        except KeyError:
            pass
        if not self._functions:
            self._functions.update(self.overrides())
            if name in self._functions:
                return self._functions[name]
        target: Any = self.xp
        for part in name.split("."):
            target = getattr(target, part, None)
            if target is None:
                raise BackendError(
                    f"the {self.name} backend has no {name}(); convert the Tensor with "
                    f".to(backend=...) to a backend that has it (e.g. 'numpy'), or add an "
                    f"override to the backend"
                )
        self._functions[name] = target
        return target

    def extras(self) -> dict[str, Callable[..., Any]]:
        """The framework's own implementations of :mod:`unitensor.extras` functions, by name.

        Each takes and returns native arrays with the signature of its
        ``unitensor.extras`` function; functions missing here run the generic
        implementation written against the namespace.
        """
        return {}

    # -- random numbers ----------------------------------------------------

    def random(self, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
        """One draw of random numbers (see :mod:`unitensor.random`), a native array.

        ``key`` is a native uint32 array of two words; ``dtype`` and ``device``
        are native (``device`` None for the default). ``method`` is one of
        ``uniform`` (``low``, ``high``), ``normal`` (standard), ``truncated_normal``
        (standard, within ``lower``, ``upper``), ``integers`` (``low`` <= x <
        ``high``) and ``permutation`` (of ``range(n)``; ``shape`` unused). The
        same key gives the same values. This default is written against the
        array API (:mod:`unitensor.backends._random`); backends with a generator
        of their own override it.
        """
        from . import _random

        return _random.draw(self.xp, method, key, shape, dtype, device, **params)

    def random_split(self, key: Any, num: int) -> Any:
        """``num`` new keys derived from ``key``: a native uint32 array of shape ``(num, 2)``."""
        from . import _random

        return _random.split(self.xp, key, num)

    # -- gradients ---------------------------------------------------------

    #: the native autodiff engine (see ``unitensor.autodiff``), or None to use the tape
    native_autodiff: ClassVar[str | None] = None

    def requires_grad(self, raw: Any) -> bool:
        """Whether a native array takes part in a native gradient computation."""
        return False

    def detach(self, raw: Any) -> Any:
        """The array cut out of any native gradient computation."""
        return raw

    # -- transformations (ut.jit, ut.vmap, ut.jvp, ut.custom_vjp, ut.checkpoint) -----
    #
    # Each hook takes a function of native arrays and returns its transformed
    # version, or None where the framework has no such transformation: the
    # public layer (unitensor.autodiff._transforms) then uses its own fallback,
    # which is correct on every backend.

    def jit(
        self, fun: Callable[..., Any], static_argnums: tuple[int, ...], donate_argnums: tuple[int, ...]
    ) -> Callable[..., Any] | None:
        """``fun`` compiled; its arguments at ``static_argnums`` are hashable constants.

        The other arguments are tuples of native arrays; ``fun`` returns a tree
        (dicts, lists, tuples) of them. None (the default): no compiler,
        ``ut.jit`` calls the function as it is.
        """
        return None

    def vmap(
        self, fun: Callable[..., Any], in_axes: tuple[int | None, ...], out_axes: Any
    ) -> Callable[..., Any] | None:
        """``fun`` mapped over axis ``in_axes[i]`` of its argument ``i`` (None: not mapped).

        ``fun`` returns a tree (dicts, lists, tuples) of native arrays and
        ``out_axes`` is a prefix of it. None (the default): ``ut.vmap`` loops
        and stacks.
        """
        return None

    def custom_vjp(
        self, fun: Callable[..., Any], fwd: Callable[..., Any], bwd: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        """``fun`` (native arrays in, a tuple of them out) with the backward rule ``bwd``.

        ``fwd(*raws)`` returns ``(outputs, residuals)`` (two tuples of arrays),
        ``bwd(residuals, cotangents)`` one cotangent per argument. None (the
        default): the tape records the rule.
        """
        return None

    def checkpoint(self, fun: Callable[..., Any]) -> Callable[..., Any] | None:
        """``fun`` recomputed in the backward pass instead of storing its intermediates.

        None (the default): a plain call (the tape keeps what its rules need).
        """
        return None

    def __repr__(self) -> str:
        return f"<unitensor backend {self.name!r} ({self.version})>"
