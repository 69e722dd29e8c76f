"""The JAX backend.

JAX departs from the array API standard and from the other backends in four
ways, and this module is where each is settled:

Immutability
    JAX arrays cannot be written in place. ``t[idx] = v`` on a JAX Tensor
    computes ``raw.at[idx].set(v)`` and **rebinds** the Tensor to the new
    array; ``t += 1`` and the other in-place operators rebind the same way.
    The Tensor object stays the same Python object, but any other Tensor or
    native array that held the old data (``u = t`` before the write, ``t.raw``
    taken earlier, a slice ``t[0:2]``) keeps the old values: there are no views.

64-bit dtypes
    Unless JAX's x64 mode is on, JAX silently turns float64, int64, uint64 and
    complex128 into their 32-bit versions. Here, asking for one of them (a
    ``dtype=`` argument, or converting 64-bit data from another backend)
    raises :class:`~unitensor.backends.BackendError` saying how to enable x64.
    The setting is read at every call, so ``jax.config.update`` and the
    ``jax.enable_x64`` context manager take effect at once.

Devices
    JAX's ``cpu`` devices are ``cpu:N`` and its ``gpu`` devices ``cuda:N``.
    With several devices, operators compare the devices of their operands and
    raise on a mismatch instead of letting JAX move data silently.

Pytrees
    Loading the backend registers :class:`~unitensor.Tensor` as a JAX pytree
    node, so ``jax.jit`` and ``jax.vmap`` take and return Tensors.

Smaller departures of ``jax.numpy`` from the standard are overridden, each
with a comment at its override: out-of-bounds integer indices (JAX clamps),
weakly typed arrays from Python scalars, complex branch cuts that ignore the
sign of zero, ``any``/``all`` of complex values, index and accumulator dtypes,
and TypeError for shape mismatches. Every other function is jax.numpy's own, which
the fast paths call directly; the overrides cost a type test on the common call.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

from .._devices import Device
from .._dtypes import ALL_DTYPES, DType, complex128, float64, int64, uint64
from ._base import Backend, BackendError
from ._keys import check_key, out_of_bounds
from .numpy import half_dtypes

__all__ = ["JaxBackend"]

#: dtypes JAX can hold only with ``jax_enable_x64`` on
_X64_DTYPES = frozenset({float64, int64, uint64, complex128})
_X64_NAMES = frozenset(d.name for d in _X64_DTYPES) | {"double", "long", "cdouble"}
#: Python scalar types -> the dtype names JAX gives them without and with x64 (the default dtypes)
_SCALAR_DTYPES = {
    bool: ("bool", "bool"),
    int: ("int32", "int64"),
    float: ("float32", "float64"),
    complex: ("complex64", "complex128"),
}

#: JAX platform names -> unitensor device types (JAX calls NVIDIA and AMD GPUs "gpu")
_PLATFORMS = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda"}

#: complex functions whose branch cut JAX places without the sign of zero, and their symmetry
_BRANCH_CUT_SYMMETRY = {
    "sqrt": "conjugate",
    "acos": "conjugate",
    "acosh": "conjugate",
    "asin": "conjugate",
    "atanh": "conjugate",
    "asinh": "odd",
    "atan": "odd",
}

#: functions (besides the binary elementwise ones) whose shape errors JAX raises as TypeError
_SHAPE_CHECKED = ["reshape", "concat", "matmul", "linalg.matmul", "tensordot", "linalg.tensordot"]
#: JAX's messages for operands whose shapes do not fit together
_SHAPE_ERROR = re.compile(
    r"incompatible shapes|cannot reshape|cannot concatenate|contracting dimensions", re.IGNORECASE
)

_X64_HINT = (
    "enable JAX's 64-bit mode with jax.config.update('jax_enable_x64', True) at the start of the "
    "program (or set the environment variable JAX_ENABLE_X64=1 before jax is imported)"
)

#: errors JAX raises when DLPack cannot share a buffer (strided or read-only sources)
_DLPACK_FAILURES = (BufferError, RuntimeError, TypeError, ValueError)


class JaxBackend(Backend):
    """JAX through ``jax.numpy``, which implements the array API itself.

    Writes rebind instead of mutating: ``t[idx] = v`` and ``t += v`` replace
    the Tensor's array with an updated copy (``raw.at[idx].set(v)``), so other
    references to the old array keep the old values.
    """

    name = "jax"
    requires = ("jax",)
    install_hint = "pip install 'unitensor[jax]'  (or: pip install jax)"
    type_modules = ("jax", "jaxlib")
    mutable = False
    #: integer indices are bounds-checked in :meth:`getitem` (JAX clamps them)
    fast_getitem = False

    def __init__(self) -> None:
        super().__init__()
        import jax
        import jax.numpy as jnp
        import numpy as np

        self._jax = jax
        self._np = np
        self.xp = jnp
        self.array_types = (jax.Array,)
        self.version = jax.__version__
        # JAX arrays report NumPy dtypes; jnp.float32 & co. are scalar types, not dtypes
        self._map_dtypes({dtype: np.dtype(dtype.name) for dtype in ALL_DTYPES})
        self._map_dtypes(half_dtypes())  # JAX reports NumPy and ml_dtypes dtypes
        self._native_without_x64 = {d: n for d, n in self._to_native.items() if d not in _X64_DTYPES}
        self._scalar_dtypes = {kind: tuple(map(np.dtype, names)) for kind, names in _SCALAR_DTYPES.items()}
        self._to_jax_device: dict[Device, Any] = {}
        self._from_jax_device: dict[Any, Device] = {}
        for jax_device in self._local_devices():
            device = _device_from_jax(jax_device)
            self._to_jax_device[device] = jax_device
            self._from_jax_device[jax_device] = device
        self._device_list = list(self._to_jax_device)
        self._host_only = all(device.is_host for device in self._device_list)
        #: sharding -> Device: reading ``raw.sharding`` is 4x cheaper than ``raw.devices()``
        self._device_by_sharding: dict[Any, Device] = {}
        # several devices: operators must compare devices before JAX moves data silently
        self.fast_binary = len(self._device_list) < 2
        self._tracer_types = _differentiation_tracer_types()
        self._x64_state = _x64_state(jax)
        self._complete: dict[str, Any] = {}  # see function()
        self._overrides: dict[str, Any] = {}
        _register_pytree(jax)

    def _local_devices(self) -> list[Any]:
        found = list(self._jax.local_devices(backend="cpu"))
        found += [d for d in self._jax.local_devices() if d.platform != "cpu"]
        return found

    # -- dtypes and 64-bit mode ----------------------------------------------

    def x64_enabled(self) -> bool:
        """Whether JAX's 64-bit mode is on now (read at each call: it can change at run time)."""
        return bool(self._x64_state.value)

    #: With x64, jax.numpy promotes every pair the standard defines as the
    #: standard does. Without it, pairs whose standard result is 64-bit
    #: (uint32 with int32 -> int64) come out 32-bit, so the facade must
    #: promote itself and raise for them. Read on every operator call, so the
    #: getter is C code (``attrgetter``: no Python frame) reading the x64 state
    #: itself, which is a bool (see :func:`_x64_state`).
    standard_promotion = property(operator.attrgetter("_x64_state.value"))  # type: ignore[assignment]

    def native_dtype(self, dtype: DType) -> Any:
        # the dtypes that need no x64 mode, the common case, in one dictionary read
        try:
            return self._native_without_x64[dtype]
        except (KeyError, TypeError):
            pass
        native = super().native_dtype(dtype)
        if dtype in _X64_DTYPES and not self.x64_enabled():
            raise BackendError(_x64_message(dtype.name))
        return native

    def dtypes(self) -> list[DType]:
        x64 = self.x64_enabled()
        return [d for d in super().dtypes() if x64 or d not in _X64_DTYPES]

    def _check_source_dtype(self, obj: Any) -> None:
        """Refuse 64-bit input data that JAX would silently narrow without x64."""
        dtype = getattr(obj, "dtype", None)
        if dtype is None or self.x64_enabled():
            return
        name = str(dtype).rpartition(".")[2]  # "float64", "torch.float64", ut.float64
        if name in _X64_NAMES:
            raise BackendError(_x64_message(name, converting=True))

    # -- functions that depart from the standard ---------------------------------

    def overrides(self) -> dict[str, Any]:
        from .._namespace import BINARY

        fixed: dict[str, Any] = {
            "searchsorted": self._searchsorted,
            "full": self._full,
            "arange": self._arange,
            "cumulative_prod": self._cumulative_prod,
            "pow": self._pow,
            "any": self._truth_reduction("any"),
            "all": self._truth_reduction("all"),
            **{name: self._branch_cut_aware(name, symmetry) for name, symmetry in _BRANCH_CUT_SYMMETRY.items()},
        }
        for name in [*BINARY, *_SHAPE_CHECKED]:
            fixed[name] = _shape_errors_as_value_errors(fixed.get(name) or self._xp_function(name))
        fixed["astype"] = self._astype
        fixed.update(self._torch_kinks())
        fixed["permute_dims"] = self._permute_dims
        return fixed

    def _permute_dims(self, x: Any, /, axes: tuple[int, ...]) -> Any:
        # negative axes (2025.12, data-apis/array-api#980): jnp.permute_dims refuses them
        return self.xp.permute_dims(x, tuple(axis % x.ndim if -x.ndim <= axis < 0 else axis for axis in axes))

    def _torch_kinks(self) -> dict[str, Any]:
        """``abs``, ``clip`` and ``vector_norm`` with PyTorch's derivatives at their kinks.

        unitensor follows PyTorch's convention at non-differentiable points on every
        engine: ``abs'(0) = 0``, ``clip`` passes the gradient to ``x`` on its bounds
        (inclusive), and the 2-norm of a zero vector has gradient 0. JAX's own rules give
        1, 0.5 and NaN there. While JAX traces (``grad``, ``jit``), these functions are
        written so that JAX's differentiation gives PyTorch's values; on concrete arrays
        they are jax.numpy's own, at the cost of a type test.
        """
        jnp = self.xp
        tracer = self._jax.core.Tracer
        sign = jnp.sign

        @self._jax.custom_jvp
        def traced_abs(x: Any) -> Any:
            return jnp.abs(x)

        @traced_abs.defjvp
        def _abs_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (dx,) = primals, tangents
            return jnp.abs(x), sign(x) * dx

        def abs_(x: Any, /) -> Any:
            if isinstance(x, tracer) and x.dtype.kind == "f":
                return traced_abs(x)
            return jnp.abs(x)

        def clip(x: Any, /, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - the standard's names
            if not any(isinstance(a, tracer) for a in (x, min, max)):
                return jnp.clip(x, min, max)
            out = x
            if min is not None:
                out = jnp.where(out < min, min, out).astype(x.dtype)
            if max is not None:
                out = jnp.where(out > max, max, out).astype(x.dtype)
            return out

        def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
            if ord != 2 or not isinstance(x, tracer):
                return jnp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
            squares = jnp.sum(jnp.real(x * jnp.conj(x)), axis=axis, keepdims=keepdims)
            zero = squares == 0  # the gradient of sqrt at 0 is infinite: take the 0 branch there
            return jnp.where(zero, 0, jnp.sqrt(jnp.where(zero, 1, squares)))

        @self._jax.custom_jvp
        def traced_hypot(x1: Any, x2: Any) -> Any:
            return jnp.hypot(x1, x2)

        @traced_hypot.defjvp
        def _hypot_jvp(primals: Any, tangents: Any) -> Any:
            (x1, x2), (dx1, dx2) = primals, tangents
            out = jnp.hypot(x1, x2)
            return out, (x1 * dx1 + x2 * dx2) / out  # NaN at (0, 0), as in PyTorch (JAX: 1)

        checked_hypot = _shape_errors_as_value_errors(jnp.hypot)

        def hypot(x1: Any, x2: Any, /) -> Any:
            if isinstance(x1, tracer) or isinstance(x2, tracer):
                x1, x2 = jnp.broadcast_arrays(x1, x2)
                return traced_hypot(x1, x2)
            return checked_hypot(x1, x2)

        return {"abs": abs_, "clip": clip, "linalg.vector_norm": vector_norm, "hypot": hypot}

    def function(self, name: str) -> Any:
        """The implementation of ``name``; the fast paths read the same without the error translation.

        The namespace's fast paths retry on the slow path (which calls this)
        when JAX raises, so ``self._functions``, which they read, holds the
        functions that :func:`_shape_errors_as_value_errors` wraps unwrapped:
        the wrapper costs a Python call on every successful call otherwise.
        """
        complete = self._complete.get(name)
        if complete is not None:
            return complete
        if not self._overrides:
            self._overrides = self.overrides()
        complete = self._overrides.get(name)
        if complete is None:
            try:
                complete = self._xp_function(name)
            except AttributeError:
                raise BackendError(
                    f"the {self.name} backend has no {name}(); convert the Tensor with .to(backend=...) to a "
                    f"backend that has it (e.g. 'numpy'), or add an override to the backend"
                ) from None
        self._complete[name] = complete
        self._functions[name] = getattr(complete, "__wrapped__", complete) if name in _error_translated() else complete
        return complete

    def _astype(self, x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
        # A cast to another dtype is a new array already; jnp.astype(copy=True) copies it once more
        # (a second dispatch, 25-50 us on a small array), which an immutable array cannot observe
        if device is None and x.dtype != dtype:
            return self.xp.astype(x, dtype)
        return self.xp.astype(x, dtype, copy=copy, device=device)

    def _pow(self, x1: Any, x2: Any, /) -> Any:
        # jnp.power(python_int, 0-d int8 array) promotes the int strongly (int64), and an int
        # too large for x2's dtype wraps around; the standard's weak scalar takes x2's dtype
        if type(x1) in _SCALAR_DTYPES and isinstance(x2, self.array_types):
            x1 = self._scalar_like(x1, x2.dtype)
        return self.xp.pow(x1, x2)

    def _scalar_like(self, scalar: Any, dtype: Any) -> Any:
        target = self.xp.result_type(scalar, dtype)
        self._check_int_fits(scalar, target)
        return self.xp.asarray(scalar, dtype=target)

    def _check_int_fits(self, value: Any, dtype: Any) -> None:
        """Raise OverflowError for a Python int outside an integer ``dtype`` (JAX wraps it silently)."""
        if type(value) is int and dtype.kind in "iu":
            limits = self._np.iinfo(dtype)
            if not limits.min <= value <= limits.max:
                raise OverflowError(f"Python integer {value} out of bounds for {dtype}")

    def _cumulative_prod(
        self, x: Any, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False
    ) -> Any:
        # jnp.cumulative_prod keeps narrow integer dtypes; the standard accumulates them in the
        # default integer dtype, as jnp.cumulative_sum does: https://github.com/jax-ml/jax/issues/37920
        if dtype is None and x.dtype.kind in "biu":
            dtype = self._integer_accumulator(x.dtype)
        return self.xp.cumulative_prod(x, axis=axis, dtype=dtype, include_initial=include_initial)

    def _integer_accumulator(self, dtype: Any) -> Any:
        """The dtype the standard sums and multiplies ``dtype`` values in (None: ``dtype`` itself)."""
        kind = dtype.kind
        if kind not in "biu":
            return None
        bits = 64 if self.x64_enabled() else 32
        if dtype.itemsize * 8 >= bits and kind != "b":
            return None
        return self._np.dtype(f"{'u' if kind == 'u' else ''}int{bits}")

    def _arange(self, start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None) -> Any:
        if dtype is None or dtype != self._np.dtype(bool):
            return self.xp.arange(start, stop, step, dtype=dtype, device=device)
        # XLA's iota has no bool; NumPy, the reference, counts in integers for up to two elements
        values = self.xp.arange(start, stop, step, device=device)
        if values.shape[0] > 2:
            raise TypeError("arange() is only supported for booleans when the result has at most length 2.")
        return values.astype(dtype)

    def _xp_function(self, name: str) -> Any:
        target = self.xp
        for part in name.split("."):
            target = getattr(target, part)
        return target

    def _branch_cut_aware(self, name: str, symmetry: str) -> Any:
        """``name`` evaluated where the zero that picks a side of its branch cut is +0.

        jax.numpy ignores the sign of that zero (``sqrt(-4-0j)`` gives ``+2j``,
        the standard ``-2j``: https://github.com/jax-ml/jax/issues/39110, and the
        same for the inverse trigonometric and hyperbolic functions). Each of
        these functions is conjugate-symmetric (``f(conj z) == conj f(z)``) or
        odd (``f(-z) == -f(z)``), which moves the input to the side JAX gets right.
        """
        jnp = self.xp
        function = getattr(jnp, name)
        flip_input = jnp.conj if symmetry == "conjugate" else jnp.negative
        part = jnp.imag if symmetry == "conjugate" else jnp.real

        def evaluate(x: Any, /) -> Any:
            dtype = getattr(x, "dtype", None)  # an array: jnp.iscomplexobj costs ~0.6 us more
            if not (jnp.iscomplexobj(x) if dtype is None else dtype.kind == "c"):
                return function(x)
            flip = jnp.signbit(part(x))
            result = function(jnp.where(flip, flip_input(x), x))
            return jnp.where(flip, flip_input(result), result)

        evaluate.__name__ = name
        return evaluate

    def _truth_reduction(self, name: str) -> Any:
        """``any`` or ``all`` where a complex element is true when its real or imaginary part is nonzero.

        jax.numpy converts complex to bool by the real part alone here
        (``jnp.any(1j)`` is False); other dtypes go to it unchanged.
        """
        function = getattr(self.xp, name)

        def reduce(x: Any, /, **kwargs: Any) -> Any:
            dtype = getattr(x, "dtype", None)
            return function(x != 0 if dtype is not None and dtype.kind == "c" else x, **kwargs)

        reduce.__name__ = name
        return reduce

    def _full(self, shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None) -> Any:
        if dtype is None:
            dtype = self._scalar_dtype(fill_value)
            if dtype is not None:  # jnp.full((2,), 2**40) without x64 gives int32 zeros
                self._check_int_fits(fill_value, dtype)
        return _strongly_typed(self.xp.full(shape, fill_value, dtype=dtype, device=device))

    def _scalar_dtype(self, value: Any) -> Any:
        """The default dtype of a Python scalar's kind, None for anything else.

        Passed as ``dtype=``, it spares the second dispatch that turning JAX's
        weakly typed result into an ordinary array costs (see :func:`_strongly_typed`).
        """
        dtypes = self._scalar_dtypes.get(type(value))
        return None if dtypes is None else dtypes[self._x64_state.value]

    def _index_dtype(self) -> Any:
        return self._scalar_dtypes[int][self._x64_state.value]  # int32, or int64 with x64

    def _searchsorted(self, x1: Any, x2: Any, /, *, side: str = "left", sorter: Any = None) -> Any:
        # jnp.searchsorted picks the smallest index dtype that fits (int32) even with x64;
        # the standard asks for the default index dtype: https://github.com/jax-ml/jax/issues/37921
        found = self.xp.searchsorted(x1, x2, side=side, sorter=sorter)
        index_dtype = self._index_dtype()
        return found if found.dtype == index_dtype else found.astype(index_dtype)

    # -- arrays ----------------------------------------------------------------

    def getitem(self, raw: Any, key: Any) -> Any:
        # Python ints and integer index arrays need checking (JAX clamps them): slices clamp
        # as the standard does. The common keys cost a type test.
        kind = type(key)
        if kind is int:
            shape = raw.shape
            if shape and not -shape[0] <= key < shape[0]:
                raise out_of_bounds(key, 0, shape[0])
        elif kind is tuple or isinstance(key, self.array_types):
            self._check_key(raw.shape, key)
        return raw[key]

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """JAX arrays are immutable: return the updated copy, which the Tensor rebinds to."""
        if type(key) is not slice:  # JAX drops out-of-bounds writes silently
            self._check_key(raw.shape, key)
        return raw.at[key].set(value)

    def _check_key(self, shape: tuple[int, ...], key: Any) -> None:
        check_key(shape, key, self.owns, lambda part: self.dtype_of(part).kind, self._index_bounds)

    def _index_bounds(self, index: Any) -> tuple[int, int] | None:
        """The extreme values of an index array; None while ``jit`` traces it (no values yet)."""
        if isinstance(index, self._jax.core.Tracer):
            return None
        values = self._np.asarray(index)
        return int(values.min()), int(values.max())

    # -- devices ---------------------------------------------------------------

    def devices(self) -> list[Device]:
        return list(self._device_list)

    def default_device(self) -> Device:
        chosen = self._jax.config.jax_default_device  # a Device, a platform name or None
        if isinstance(chosen, str):
            chosen = self._jax.devices(chosen)[0]
        return self._from_jax_device.get(chosen) or self._from_jax_device[self._jax.devices()[0]]

    def device_of(self, raw: Any) -> Device:
        try:
            sharding = raw.sharding
            return self._device_by_sharding[sharding]
        except Exception:  # a new sharding, or a tracer (which has none)
            pass
        device = self._device_of_placed(raw)
        try:
            self._device_by_sharding[raw.sharding] = device
        except Exception:
            pass
        return device

    def _device_of_placed(self, raw: Any) -> Device:
        try:
            placed = raw.devices()
        except Exception:
            # a tracer inside jit/vmap has no device yet: the computation decides later
            return self.default_device()
        # an array sharded over several devices is reported by its first one
        jax_device = min(placed, key=lambda d: d.id) if len(placed) > 1 else next(iter(placed))
        return self._from_jax_device.get(jax_device) or _device_from_jax(jax_device)

    def native_device(self, device: Device) -> Any:
        return self._to_jax_device[self.check_device(device)]

    def to_device(self, raw: Any, device: Device) -> Any:
        target = self.native_device(device)
        if self.device_of(raw) == device:
            return raw
        return self._jax.device_put(raw, target)

    # -- interchange ---------------------------------------------------------------

    def asarray(
        self, obj: Any, dtype: DType | None = None, device: Device | None = None, copy: bool | None = None
    ) -> Any:
        if dtype is None:
            self._check_source_dtype(obj)
        native = None if dtype is None else self.native_dtype(dtype)
        jax_device = None if device is None else self.native_device(device)
        if copy is False and not isinstance(obj, self.array_types):
            # jnp.asarray(copy=False) copies host data without complaint; the
            # standard asks for a ValueError whenever a copy is needed.
            return self._asarray_no_copy(obj, native, device)
        if native is None:
            native = self._scalar_dtype(obj)
        return _strongly_typed(self.xp.asarray(obj, dtype=native, device=jax_device, copy=copy))

    def _asarray_no_copy(self, obj: Any, native: Any, device: Device | None) -> Any:
        if not hasattr(obj, "__dlpack__"):
            raise ValueError(
                f"copy=False: a JAX array cannot share the memory of a {type(obj).__name__}; "
                "pass copy=None to allow a copy"
            )
        raw = self.from_dlpack(obj, device=device, copy=False)
        if native is not None and raw.dtype != native:
            raise ValueError(f"copy=False: casting {raw.dtype} data to {native} needs a copy; pass copy=None")
        return raw

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        """Import through DLPack: zero-copy for compact, writable, 64-byte aligned host data.

        Strided and read-only sources, which XLA cannot alias, are copied
        unless ``copy=False``, which raises instead.
        """
        self._check_source_dtype(obj)
        jax_device = None if device is None else self.native_device(device)
        try:
            return self.xp.from_dlpack(obj, device=jax_device, copy=copy)
        except _DLPACK_FAILURES as exc:
            if copy is False or not _on_host(obj):
                raise
            reason = exc
        try:
            host = self._np.asarray(obj)
        except Exception:
            raise reason from None
        return self.xp.asarray(host, device=jax_device, copy=True)

    def host_numpy(self, raw: Any) -> Any:
        # a concrete array where every device is the host: NumPy reads it without a copy
        # (read-only, as JAX arrays are immutable); tracers and GPU data take the checked path
        if self._host_only and not isinstance(raw, self._tracer_types):
            try:
                return self._np.asarray(raw)
            except Exception:  # an array that cannot be read (deleted buffers): the checked path says why
                return None
        return None

    def to_numpy(self, raw: Any) -> Any:
        return self._np.asarray(raw) if self._host_only else super().to_numpy(raw)

    # -- gradients --------------------------------------------------------------
    #
    # Gradients use JAX's own transformations; the autodiff module adds
    # ``native_vjp`` here.

    # -- unitensor.extras --------------------------------------------------------

    def extras(self) -> dict[str, Any]:
        jax, jnp = self._jax, self.xp

        def top_k(x: Any, k: int, /, *, axis: int = -1) -> tuple[Any, Any]:
            values, indices = jax.lax.top_k(jnp.moveaxis(x, axis, -1), k)  # the last axis only
            return jnp.moveaxis(values, -1, axis), jnp.moveaxis(indices, -1, axis)

        return {
            "einsum": jnp.einsum,
            "top_k": top_k,
            "softmax": lambda x, /, *, axis=-1: jax.nn.softmax(x, axis=axis),
            "log_softmax": lambda x, /, *, axis=-1: jax.nn.log_softmax(x, axis=axis),
            "logsumexp": lambda x, /, *, axis=None, keepdims=False: jax.nn.logsumexp(x, axis=axis, keepdims=keepdims),
        }

    # -- random numbers ----------------------------------------------------------

    def random(self, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
        """jax.random on the key's two words (a raw threefry key): traceable, so it works under jax.jit."""
        random = self._jax.random
        if method == "uniform":
            out = random.uniform(key, shape, dtype, minval=params["low"], maxval=params["high"])
        elif method == "normal":
            out = random.normal(key, shape, dtype)
        elif method == "truncated_normal":
            out = random.truncated_normal(key, params["lower"], params["upper"], shape, dtype)
        elif method == "integers":
            out = random.randint(key, shape, params["low"], params["high"], dtype)
        elif method == "permutation":
            out = random.permutation(key, params["n"]).astype(dtype)
        else:
            raise ValueError(f"unknown random method {method!r}")
        return out if device is None else self._jax.device_put(out, device)

    def random_split(self, key: Any, num: int) -> Any:
        return self._jax.random.split(key, num)

    def requires_grad(self, raw: Any) -> bool:
        """Whether ``raw`` is a tracer of a JAX differentiation (``grad``, ``vjp``, ``jvp``)."""
        return isinstance(raw, self._tracer_types)

    def detach(self, raw: Any) -> Any:
        return self._jax.lax.stop_gradient(raw)

    def native_vjp(self, fun: Any, primals: tuple[Any, ...]) -> tuple[Any, Any, Any]:
        """Reverse mode through ``jax.vjp``: the engine of ``ut.grad`` on JAX Tensors.

        ``fun(*raws)`` returns ``(outputs, aux)``, two tuples of raw arrays;
        the result is ``(outputs, aux, vjp_fn)`` with ``vjp_fn(cotangents)``
        giving one gradient per primal (a None cotangent stands for ones).
        Nests, and works under ``jax.jit``.
        """
        outputs, vjp, aux = self._jax.vjp(fun, *primals, has_aux=True)

        def vjp_fn(cotangents: tuple[Any, ...], **torch_only_options: Any) -> tuple[Any, ...]:
            # None stands for ones (the cotangent of a scalar in grad())
            ones = self.xp.ones_like
            return tuple(vjp(tuple(ones(out) if ct is None else ct for out, ct in zip(outputs, cotangents))))

        return outputs, aux, vjp_fn

    def native_jvp(self, fun: Any, primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        """Forward mode through ``jax.jvp``: ``fun(*raws)`` returns a tuple of arrays."""
        return self._jax.jvp(fun, primals, tangents)

    # -- transformations --------------------------------------------------------

    def jit(self, fun: Any, static_argnums: tuple[int, ...], donate_argnums: tuple[int, ...]) -> Any:
        return self._jax.jit(fun, static_argnums=static_argnums, donate_argnums=donate_argnums)

    def vmap(self, fun: Any, in_axes: tuple[int | None, ...], out_axes: Any) -> Any:
        return self._jax.vmap(fun, in_axes=in_axes, out_axes=out_axes)

    def custom_vjp(self, fun: Any, fwd: Any, bwd: Any) -> Any:
        wrapped = self._jax.custom_vjp(fun)
        wrapped.defvjp(fwd, bwd)
        return wrapped

    def checkpoint(self, fun: Any) -> Any:
        return self._jax.checkpoint(fun)


@functools.cache
def _error_translated() -> frozenset[str]:
    """The functions :meth:`JaxBackend.overrides` wraps with :func:`_shape_errors_as_value_errors`."""
    from .._namespace import BINARY

    return frozenset([*BINARY, *_SHAPE_CHECKED])


def _shape_errors_as_value_errors(function: Any) -> Any:
    """``function`` raising ValueError, as NumPy and the other backends do, for mismatched shapes.

    JAX raises TypeError there (``add`` of shapes (3,) and (2,), ``reshape`` to
    another size, ``matmul`` of mismatched inner dimensions).
    """

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            if _SHAPE_ERROR.search(str(exc)):
                raise ValueError(str(exc)) from exc
            raise
        except OverflowError:
            typed = _unsigned_scalars(args)
            if typed is None:
                raise
            return function(*typed, **kwargs)

    return checked


def _unsigned_scalars(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """``args`` with Python ints past int64 given the uint64 dtype of the array they meet, or None.

    JAX reads a Python int as int64 and overflows for 2**63 and above, which uint64 holds
    (``floor_divide(uint64_array, 2**63)``); None where no such int fits the array's dtype.
    """
    arrays = [a for a in args if hasattr(a, "dtype") and not isinstance(a, (int, float, complex))]
    if len(arrays) != 1 or arrays[0].dtype.kind != "u":
        return None
    dtype = arrays[0].dtype
    limit = 2 ** (8 * dtype.itemsize)
    if not any(type(a) is int and 2**63 <= a < limit for a in args):
        return None
    import jax.numpy as jnp

    return tuple(jnp.asarray(a, dtype=dtype) if type(a) is int else a for a in args)


def _x64_message(dtype_name: str, converting: bool = False) -> str:
    what = f"cannot convert {dtype_name} data to" if converting else f"cannot hold {dtype_name} data on"
    return (
        f"{what} the jax backend while JAX's 64-bit mode is off (JAX would silently use a "
        f"32-bit dtype instead); {_X64_HINT}, or cast to a 32-bit dtype first"
    )


def _device_from_jax(jax_device: Any) -> Device:
    platform = jax_device.platform.lower()
    kind = _PLATFORMS.get(platform, platform)
    index = jax_device.id
    if kind == "cuda":
        # the CUDA ordinal, as torch and CuPy number GPUs, not XLA's global id
        index = getattr(jax_device, "local_hardware_id", None)
        index = jax_device.id if index is None else index
    return Device(kind, index)


def _strongly_typed(raw: Any) -> Any:
    """``raw`` as an ordinary array when JAX made it "weakly typed".

    JAX gives arrays built from a Python scalar (``jnp.asarray(1.0)``,
    ``jnp.full(shape, 1.0)``) a weak type that promotes like a Python scalar:
    such a float64 array plus a float32 array gives float32, where the standard
    gives float64 (https://docs.jax.dev/en/latest/type_promotion.html#weak-types).
    """
    return raw.astype(raw.dtype) if getattr(raw, "weak_type", False) else raw


def _x64_state(jax: Any) -> Any:
    """An object whose ``value`` is the current x64 setting (``jax.enable_x64`` contexts included).

    The binary operators read it on every call, and JAX's internal ``State``
    answers in a third of the time ``jax.config.jax_enable_x64`` takes.
    """
    try:
        from jax._src.config import enable_x64

        if isinstance(enable_x64.value, bool):
            return enable_x64
    except (ImportError, AttributeError):
        pass

    class PublicConfig:
        @property
        def value(self) -> bool:
            return bool(jax.config.jax_enable_x64)

    return PublicConfig()


def _on_host(obj: Any) -> bool:
    try:
        return int(obj.__dlpack_device__()[0]) == 1  # kDLCPU
    except Exception:
        return False


def _differentiation_tracer_types() -> tuple[type, ...]:
    """JAX's tracer classes of forward and reverse differentiation.

    ``jax.grad`` traces with ``LinearizeTracer`` (JAX >= 0.5 linearizes
    directly) or ``JVPTracer``; only ``JVPTracer`` is exported publicly.
    """
    from jax.interpreters import ad

    found = [ad.JVPTracer]
    try:
        from jax._src.interpreters import ad as ad_internal
    except ImportError:
        return tuple(found)
    found += [getattr(ad_internal, n) for n in ("LinearizeTracer",) if hasattr(ad_internal, n)]
    return tuple(found)


_pytree_registered = False


def _register_pytree(jax: Any) -> None:
    """Make Tensor a JAX pytree node: one child (the raw array), the backend as static data."""
    global _pytree_registered
    if _pytree_registered:
        return
    from .._tensor import Tensor, new_tensor
    from . import get

    jax_backend: list[Backend] = []

    def flatten(t: Tensor) -> tuple[tuple[Any], Backend]:
        return (t._raw,), t._backend

    def unflatten(backend: Backend, children: Any) -> Tensor:
        (raw,) = children
        if not backend.owns(raw) and isinstance(raw, jax.Array):
            # a NumPy (or other) Tensor that went through jit/vmap comes back holding JAX data
            if not jax_backend:
                jax_backend.append(get("jax"))
            backend = jax_backend[0]
        return new_tensor(raw, backend)

    try:
        jax.tree_util.register_pytree_node(Tensor, flatten, unflatten)
    except ValueError:  # already registered (a second JaxBackend instance)
        pass
    _pytree_registered = True
