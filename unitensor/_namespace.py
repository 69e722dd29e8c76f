"""The array API namespace, generated from tables of the standard's functions.

Each function is written once: unwrap the Tensors, find their backend,
check what the standard asks (one backend, one device, promotion), call the
backend's implementation and wrap the result. Elementwise and single-array
functions have a fast path for the common case of plain Tensors.

A Tensor subclass that defines ``__ut_function__`` (the autodiff tape's
traced Tensor) receives every call that involves one of its instances, the
way ``__torch_function__`` does in PyTorch.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

from . import backends as _registry
from ._accel import speedups as _speedups
from ._config import get_backend
from ._devices import Device, as_device
from ._docs import describe
from ._dtypes import DType, as_dtype, iinfo, result_type
from ._tensor import _BINARY_OPERATORS, Tensor, _object_new, astensor, new_tensor

# -- the standard's functions, by how their arguments are shaped ---------------

UNARY = """abs acos acosh asin asinh atan atanh bitwise_invert ceil conj cos cosh exp expm1 floor imag
isfinite isinf isnan log log10 log1p log2 logical_not negative positive real reciprocal round sign signbit
sin sinh sqrt square tan tanh trunc""".split()

BINARY = """add atan2 bitwise_and bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor copysign
divide equal floor_divide greater greater_equal hypot less less_equal logaddexp logical_and logical_or
logical_xor maximum minimum multiply nextafter not_equal pow remainder subtract""".split()

#: one array, then parameters that are never arrays
ARRAY_FIRST = """all any argmax argmin argsort broadcast_to count_nonzero cumulative_prod cumulative_sum expand_dims flip
matrix_transpose max mean min moveaxis permute_dims prod reshape roll sort squeeze std sum tile tril triu var
empty_like full_like ones_like zeros_like
linalg.cholesky linalg.det linalg.diagonal linalg.eigvals linalg.eigvalsh linalg.inv linalg.matrix_norm
linalg.matrix_power linalg.matrix_rank linalg.matrix_transpose linalg.pinv linalg.svdvals linalg.trace
linalg.vector_norm
fft.fft fft.ifft fft.fftn fft.ifftn fft.rfft fft.irfft fft.rfftn fft.irfftn fft.hfft fft.ihfft
fft.fftshift fft.ifftshift""".split()

#: one array in, several out
MULTI_OUTPUT = """nonzero unique_all unique_counts unique_inverse unique_values unstack
linalg.eig linalg.eigh linalg.qr linalg.slogdet linalg.svd""".split()

#: several arrays in (positionally, in sequences, or as keywords)
GENERAL = """broadcast_arrays clip concat diff isin meshgrid repeat searchsorted stack take take_along_axis
tensordot vecdot where matmul linalg.cross linalg.matmul linalg.outer linalg.solve linalg.tensordot
linalg.vecdot""".split()

#: no array in: need ``backend=`` and ``device=``
CREATION = "arange empty eye full linspace ones zeros fft.fftfreq fft.rfftfreq".split()

#: functions whose array arguments promote to one dtype
PROMOTING = set(BINARY) | {
    "matmul",
    "linalg.matmul",
    "tensordot",
    "linalg.tensordot",
    "vecdot",
    "linalg.vecdot",
    "concat",
    "stack",
    "linalg.cross",
    "linalg.outer",
    "linalg.solve",
    "where",
    "clip",
}

FUNCTIONS: dict[str, Callable[..., Any]] = {}


# -- unwrapping and wrapping ----------------------------------------------------


class _Scan:
    """What the arguments of one call hold: their backend, Tensors, and any special Tensor."""

    __slots__ = ("backend", "tensors", "special", "name", "scalar_backend")

    def __init__(self, name: str, read_scalars: bool = True) -> None:
        self.name = name
        self.backend: _registry.Backend | None = None
        self.tensors: list[Tensor] = []
        self.special: Tensor | None = None
        #: the backend of the first framework scalar read as a Python scalar (None: none was;
        #: False: they stay native arrays, for calls with no other array)
        self.scalar_backend: _registry.Backend | None | bool = None if read_scalars else False

    def take(self, backend: _registry.Backend, what: str) -> None:
        if self.backend is None:
            self.backend = backend
        elif backend is not self.backend:
            raise TypeError(
                f"{self.name}() got arrays of two backends, {self.backend.name!r} and {backend.name!r}; "
                f"move one first, e.g. x.to(backend={self.backend.name!r})"
            )

    def unwrap(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            if type(x) is not Tensor and hasattr(type(x), "__ut_function__"):
                self.special = x
            self.take(x._backend, "Tensor")
            self.tensors.append(x)
            return x._raw
        if isinstance(x, (list, tuple)) and x and not isinstance(x[0], (int, float, complex, bool)):
            return type(x)(self.unwrap(item) for item in x) if not hasattr(x, "_fields") else x
        if isinstance(x, DType):
            return x  # converted once the backend is known
        if type(x) in _PLAIN or x is None or isinstance(x, (str, slice, Device)):
            return x
        native = _registry.backend_of(x)
        if native is None:
            return x
        if self.scalar_backend is not False:
            value = native.scalar_value(x)
            if value is not None:  # np.float32(1) is a number here, as in the standard's Python scalars
                self.scalar_backend = self.scalar_backend or native
                return value
        if self.backend is not None and native is not self.backend:
            raise TypeError(
                f"{self.name}() got a native {native.name} array with {self.backend.name} Tensors; "
                f"wrap it with ut.asarray(x, backend={self.backend.name!r}) to convert it explicitly"
            )
        self.take(native, "array")
        return x

    def check_devices(self) -> None:
        if len(self.tensors) < 2 or self.backend is None or len(self.backend.devices()) < 2:
            return
        first = self.tensors[0].device
        for t in self.tensors[1:]:
            if t.device != first:
                raise ValueError(
                    f"{self.name}() got Tensors on two devices, {first} and {t.device}; "
                    f"move one first, e.g. x.to('{first}')"
                )


_PLAIN = frozenset({int, float, complex, bool, type(Ellipsis)})


def _convert_dtypes(backend: _registry.Backend, values: Any) -> Any:
    if isinstance(values, DType):
        return backend.native_dtype(values)
    return values


def wrap(out: Any, backend: _registry.Backend) -> Any:
    """Wrap a backend's result: arrays become Tensors, containers keep their type."""
    if isinstance(out, backend.array_types):
        return new_tensor(out, backend)
    if isinstance(out, tuple):
        items = [wrap(item, backend) for item in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)
    if isinstance(out, list):
        return [wrap(item, backend) for item in out]
    return out


def _promote(scan: _Scan, name: str, raw_args: list[Any]) -> None:
    """Cast array arguments to their standard result dtype where the framework would not."""
    backend = scan.backend
    assert backend is not None
    tensors = scan.tensors if name != "where" else scan.tensors[1:]
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) < 2:
        return
    try:
        target = backend.native_dtype(result_type(*dtypes))
    except TypeError:  # mixed kinds: the standard defines no result, so the framework's own rule applies
        return
    astype = backend.function("astype")

    def cast(x: Any) -> Any:
        if isinstance(x, backend.array_types) and x.dtype != target and not (name == "where" and x is raw_args[0]):
            return astype(x, target)
        if isinstance(x, (list, tuple)):
            return type(x)(cast(item) for item in x)
        return x

    raw_args[:] = [cast(a) for a in raw_args]


def call(
    name: str,
    public: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    backend: _registry.Backend | None = None,
) -> Any:
    """The slow path shared by every namespace function."""
    scan = _Scan(name)
    raw_args = [scan.unwrap(a) for a in args]
    raw_kwargs = {k: scan.unwrap(v) for k, v in kwargs.items()}
    if scan.backend is None and scan.scalar_backend:  # framework scalars alone: they are the arrays
        scan = _Scan(name, read_scalars=False)
        raw_args = [scan.unwrap(a) for a in args]
        raw_kwargs = {k: scan.unwrap(v) for k, v in kwargs.items()}
    if scan.special is not None:
        return type(scan.special).__ut_function__(public, tuple(args), kwargs)
    if scan.backend is None:
        scan.backend = backend or get_backend()
    backend = scan.backend
    scan.check_devices()
    if name in PROMOTING and not backend.standard_promotion:
        _promote(scan, name, raw_args)
    raw_args = [_convert_dtypes(backend, a) for a in raw_args]
    for key, value in raw_kwargs.items():
        if isinstance(value, DType):
            raw_kwargs[key] = backend.native_dtype(value)
        elif key == "dtype" and value is not None:  # a name ("float32"), or a clear error for a foreign dtype
            raw_kwargs[key] = backend.native_dtype(as_dtype(value))
        elif key == "device" and value is not None:
            raw_kwargs[key] = backend.native_device(backend.check_device(as_device(value)))
    implementation = backend.function(name)
    try:
        out = implementation(*raw_args, **raw_kwargs)
    except _NONSTANDARD_ERRORS as error:  # a framework's answer to a bad argument (JAX: NameError for axis="a")
        raise TypeError(f"{_public_name(name)}(): invalid argument ({type(error).__name__}: {error})") from error
    except Exception:
        _explain_shape_mismatch(name, scan.tensors)
        raise
    if name in _TUPLE_RESULTS and isinstance(out, list):
        out = tuple(out)
    return wrap(out, backend)


#: errors frameworks raise for bad arguments that are none of the standard's TypeError, ValueError
#: or IndexError (JAX reads a string axis as a named axis and raises NameError)
_NONSTANDARD_ERRORS = (NameError, KeyError, AttributeError)
#: functions that return a tuple of arrays since 2025.12 (lists before; data-apis/array-api#981)
_TUPLE_RESULTS = frozenset({"meshgrid", "broadcast_arrays"})


def _explain_shape_mismatch(name: str, tensors: list[Tensor]) -> None:
    """Raise the same ValueError on every backend when elementwise operands do not broadcast."""
    if name in BINARY and len(tensors) == 2:
        try:
            broadcast_shapes(tensors[0].shape, tensors[1].shape)
        except ValueError as exc:
            raise ValueError(f"{name}(): {exc}") from None


# -- function factories -----------------------------------------------------------


def _public_name(name: str) -> str:
    return name.rpartition(".")[2]


def _unary(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def slow(x: Any, /) -> Any:
        return call(name, FUNCTIONS[name], (x,), {})

    def function(x: Any, /) -> Any:
        if type(x) is Tensor:
            backend = x._backend
            try:
                impl = backend._functions[name]
            except KeyError:
                impl = backend.function(name)
            try:
                raw = impl(x._raw)
            except Exception:  # the slow path raises the standard's error type (torch's RuntimeError)
                return slow(x)
            out = _object_new(Tensor)
            out._raw = raw
            out._backend = backend
            return out
        return slow(x)

    return function, slow


def _binary(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def slow(x1: Any, x2: Any, /) -> Any:
        # a plain Tensor and a Python scalar (ut.maximum(t, 0.0)): the call the full path would
        # make, without its scan (a scalar takes no part in promotion or device checks there);
        # the common order inline, the other through _with_scalar
        if type(x1) is Tensor:
            if type(x2) in _PLAIN_SCALARS:
                backend = x1._backend
                try:
                    raw = backend.function(name)(x1._raw, x2)
                except Exception:  # left to the full path, which raises the standard's error
                    raw = None
                if isinstance(raw, backend.array_types):
                    out = _object_new(Tensor)
                    out._raw = raw
                    out._backend = backend
                    return out
            elif type(x2) is Tensor:
                out = _promoted_pair(name, x1, x2)
                if out is not None:
                    return out
        elif type(x2) is Tensor and type(x1) in _PLAIN_SCALARS:
            out = _with_scalar(name, x2, x1, x2)
            if out is not None:
                return out
        if not isinstance(x1, Tensor) and not isinstance(x2, Tensor) and _is_scalar(x1) and _is_scalar(x2):
            raise TypeError(f"{_public_name(name)}() needs at least one array argument, got two Python scalars")
        return call(name, FUNCTIONS[name], (x1, x2), {})

    def function(x1: Any, x2: Any, /) -> Any:
        if type(x1) is Tensor and type(x2) is Tensor:
            backend = x1._backend
            if (
                x2._backend is backend
                and backend.fast_binary
                and (backend.standard_promotion or x1._raw.dtype is x2._raw.dtype)
            ):
                try:
                    impl = backend._functions[name]
                except KeyError:
                    impl = backend.function(name)
                try:
                    raw = impl(x1._raw, x2._raw)
                except Exception:  # e.g. two devices: the slow path checks and says so clearly
                    return slow(x1, x2)
                out = _object_new(Tensor)
                out._raw = raw
                out._backend = backend
                return out
        return slow(x1, x2)

    return function, slow


#: Python scalars a namespace function passes to the framework as they are
_PLAIN_SCALARS = frozenset({int, float, complex, bool})


def _with_scalar(name: str, tensor: Tensor, x1: Any, x2: Any) -> Tensor | None:
    """``name(x1, x2)`` for a plain Tensor and a Python scalar; None when the full path must decide.

    The backend's complete implementation gets the native array and the
    scalar, exactly as :func:`call` would give them (a scalar takes no part in
    its promotion or device checks), without the scan of the arguments. An
    error is left to the full path, which raises the standard's.
    """
    backend = tensor._backend
    try:
        raw = backend.function(name)(x1._raw if x1 is tensor else x1, x2._raw if x2 is tensor else x2)
    except Exception:
        return None
    if not isinstance(raw, backend.array_types):
        return None  # a framework's scalar (NumPy's 0-d results): the full path normalizes it
    out = _object_new(Tensor)
    out._raw = raw
    out._backend = backend
    return out


def _array_first(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def slow(x: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(x, Tensor) and _registry.backend_of(x) is None:
            raise TypeError(
                f"{_public_name(name)}() takes a Tensor, not {type(x).__name__}; make one with ut.asarray(...)"
            )
        args = tuple(_parameter(a) for a in args)
        kwargs = {k: v if k in _ARRAY_KEYWORDS else _parameter(v) for k, v in kwargs.items()}
        return call(name, FUNCTIONS[name], (x, *args), kwargs)

    def function(x: Any, /, *args: Any, **kwargs: Any) -> Any:
        if type(x) is Tensor and "dtype" not in kwargs and "device" not in kwargs:
            backend = x._backend
            try:
                impl = backend._functions[name]
            except KeyError:
                impl = backend.function(name)
            try:
                # most calls pass the array alone: skip building the argument tuple and dict
                raw = impl(x._raw, *args, **kwargs) if args or kwargs else impl(x._raw)
            except Exception:  # the slow path raises the standard's error type (torch's RuntimeError)
                return slow(x, *args, **kwargs)
            out = _object_new(Tensor)
            out._raw = raw
            out._backend = backend
            return out
        return slow(x, *args, **kwargs)

    return function, slow


def _general(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    fast = name in ARRAYS_ONLY
    promoted_from = _promoted_from(name)

    arity = _ARITY.get(name)
    cheap = _CHEAP_CALLS.get(name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        if arity is not None and len(args) != arity:
            raise TypeError(f"{_public_name(name)}() takes {arity} positional arguments (arrays), got {len(args)}")
        if cheap is not None:
            out = cheap(name, args, kwargs)
            if out is not None:
                return out
        return call(name, FUNCTIONS[name], args, kwargs)

    def function(*args: Any, **kwargs: Any) -> Any:
        if cheap is not None:  # scalars and sequences: the cheap call inside slow, after the arity check
            return slow(*args, **kwargs)
        if fast and args and type(args[0]) is Tensor:
            backend = args[0]._backend
            raws = _plain_raws(backend, args, kwargs, arity) if backend.fast_binary else None
            if raws is not None and (
                promoted_from is None or backend.standard_promotion or _one_dtype(raws, promoted_from)
            ):
                try:
                    impl = backend._functions[name]
                except KeyError:
                    impl = backend.function(name)
                try:
                    raw = impl(*raws, **kwargs) if kwargs else impl(*raws)
                except Exception:  # e.g. two devices: the slow path checks and says so clearly
                    return slow(*args, **kwargs)
                out = _object_new(Tensor)
                out._raw = raw
                out._backend = backend
                return out
        return slow(*args, **kwargs)

    return function, slow


#: (native dtype, native dtype, backend) -> the native dtype both promote to; None where they do not
_PAIR_TARGETS: dict[tuple[Any, Any, _registry.Backend], Any] = {}


def _promoted_pair(name: str, x1: Tensor, x2: Tensor) -> Tensor | None:
    """Two plain Tensors of one single-device backend whose dtypes differ, on a backend whose own
    promotion the facade overrides (NumPy's int64 + float32 is float64; the rule says float32):
    the casts and the call the full path would make, without its scan; None leaves it to the full path.
    """
    backend = x1._backend
    if x2._backend is not backend or not backend.fast_binary or backend.standard_promotion:
        return None
    raw1, raw2 = x1._raw, x2._raw
    key = (raw1.dtype, raw2.dtype, backend)
    try:
        target = _PAIR_TARGETS[key]
    except KeyError:
        try:
            target = backend.native_dtype(result_type(x1.dtype, x2.dtype))
        except TypeError:  # no result dtype: the full path raises the standard's error
            target = None
        _PAIR_TARGETS[key] = target
    except TypeError:  # an unhashable native dtype
        return None
    if target is None:
        return None
    astype = backend.function("astype")
    if raw1.dtype != target:
        raw1 = astype(raw1, target)
    if raw2.dtype != target:
        raw2 = astype(raw2, target)
    return _call_plain(name, backend, (raw1, raw2), {})


def _call_plain(
    name: str, backend: _registry.Backend, raw_args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Tensor | None:
    """The backend's complete ``name`` on native arguments, wrapped; None if it raises (the full path explains)."""
    try:
        raw = backend.function(name)(*raw_args, **kwargs)
    except Exception:
        return None
    if not isinstance(raw, backend.array_types):
        return None
    out = _object_new(Tensor)
    out._raw = raw
    out._backend = backend
    return out


def _plain_kwargs(kwargs: dict[str, Any]) -> bool:
    for value in kwargs.values():
        if type(value) not in _PLAIN_KWARGS:
            return False
    return True


def _cheap_where(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor | None:
    """``where(c, x, 0.0)``: a plain condition and Tensor of one backend, and a Python scalar."""
    if len(args) != 3 or kwargs:
        return None
    condition, x1, x2 = args
    if type(condition) is not Tensor:
        return None
    backend = condition._backend
    if not backend.fast_binary:
        return None  # several devices: the full path compares them
    if type(x1) is Tensor and type(x2) in _PLAIN_SCALARS and x1._backend is backend:
        return _call_plain(name, backend, (condition._raw, x1._raw, x2), kwargs)
    if type(x2) is Tensor and type(x1) in _PLAIN_SCALARS and x2._backend is backend:
        return _call_plain(name, backend, (condition._raw, x1, x2._raw), kwargs)
    return None


def _cheap_clip(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor | None:
    """``clip(t, 0, 1)``: a plain Tensor and Python scalars (or None) as bounds."""
    if not args or type(args[0]) is not Tensor or len(args) > 3:
        return None
    for bound in (*args[1:], *kwargs.values()):
        if bound is not None and type(bound) not in _PLAIN_SCALARS:
            return None
    if kwargs and not kwargs.keys() <= {"min", "max"}:
        return None
    x = args[0]
    return _call_plain(name, x._backend, (x._raw, *args[1:]), kwargs)


def _cheap_join(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor | None:
    """``concat([a, b])`` and ``stack``: a list or tuple of plain Tensors of one backend and dtype.

    Different dtypes are left to the full path unless the framework promotes
    like the standard; so are several-device backends.
    """
    if len(args) != 1 or not _plain_kwargs(kwargs):
        return None
    arrays = args[0]
    kind = type(arrays)
    if (kind is not list and kind is not tuple) or not arrays:
        return None
    first = arrays[0]
    if type(first) is not Tensor:
        return None
    backend = first._backend
    if not backend.fast_binary:
        return None
    raws = []
    dtype = first._raw.dtype
    same_dtype = True
    for item in arrays:
        if type(item) is not Tensor or item._backend is not backend:
            return None
        raw = item._raw
        same_dtype = same_dtype and raw.dtype is dtype
        raws.append(raw)
    if not (same_dtype or backend.standard_promotion):
        return None
    try:  # the fast table: nothing to promote; an error retries on the full path, which translates it
        impl = backend._functions.get(name) or backend.function(name)
        raw = impl(raws, **kwargs) if kwargs else impl(raws)
    except Exception:
        return None
    if not isinstance(raw, backend.array_types):
        return None
    out = _object_new(Tensor)
    out._raw = raw
    out._backend = backend
    return out


#: GENERAL functions whose slow path first tries a cheap call (Python scalars, sequences)
_CHEAP_CALLS: dict[str, Callable[[str, tuple[Any, ...], dict[str, Any]], Tensor | None]] = {
    "where": _cheap_where,
    "clip": _cheap_clip,
    "concat": _cheap_join,
    "stack": _cheap_join,
}


#: keywords of ARRAY_FIRST functions that take arrays (``pinv(x, rtol=...)``); the others take numbers
_ARRAY_KEYWORDS = frozenset({"rtol"})
_INTEGER_KINDS = frozenset({"signed integer", "unsigned integer"})


def _parameter(value: Any) -> Any:
    """A parameter the standard types as a number, shape or axis, in plain Python.

    Framework scalars (``np.int64(3)``, ``np.float32(0.5)``) become Python
    scalars, and 0-d integer Tensors ints (through ``__index__``), inside
    tuples too, as frameworks accept them where they take ``int``.
    """
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value
    if kind is tuple or kind is list:
        return kind(_parameter(item) for item in value)
    if isinstance(value, Tensor):
        return operator.index(value) if value.ndim == 0 and value.dtype.kind in _INTEGER_KINDS else value
    native = _registry.backend_of(value)
    scalar = native.scalar_value(value) if native is not None else None
    return value if scalar is None else scalar


def _promoted_from(name: str) -> int | None:
    """The first argument that takes part in promotion (where's condition does not); None if none do."""
    return (1 if name == "where" else 0) if name in PROMOTING else None


#: GENERAL functions that take only arrays positionally and return one array: plain
#: Tensors of one single-device backend (``fast_binary``) skip the slow path's scan
ARRAYS_ONLY = {
    "where",
    "matmul",
    "linalg.matmul",
    "vecdot",
    "linalg.vecdot",
    "tensordot",
    "linalg.tensordot",
    "linalg.solve",
    "linalg.outer",
    "linalg.cross",
    "take",
    "take_along_axis",
    "searchsorted",
    "isin",
}
#: how many arrays a GENERAL function takes positionally; the fast paths and the slow path check it
_ARITY = {name: 3 if name == "where" else 2 for name in ARRAYS_ONLY}
#: keyword values that need no conversion (``axis=0``, ``side="left"``)
_PLAIN_KWARGS = frozenset({int, bool, str, type(None)})


def _plain_raws(
    backend: _registry.Backend, args: tuple[Any, ...], kwargs: dict[str, Any], arity: int | None = None
) -> tuple[Any, ...] | list[Any] | None:
    """The native arrays of ``args`` when all are plain Tensors of ``backend``, there are ``arity`` of them
    (any number when None) and no keyword needs converting.

    Two and three arrays, the common calls, are unrolled: a loop costs ~200 ns more.
    """
    if kwargs:
        for value in kwargs.values():
            if type(value) not in _PLAIN_KWARGS:
                return None
    n = len(args)
    if arity is not None and n != arity:  # the slow path explains
        return None
    if n == 2:
        x, y = args
        if type(x) is type(y) is Tensor and x._backend is y._backend is backend:
            return x._raw, y._raw
        return None
    if n == 3:
        x, y, z = args
        if type(x) is type(y) is type(z) is Tensor and x._backend is y._backend is z._backend is backend:
            return x._raw, y._raw, z._raw
        return None
    for arg in args:
        if type(arg) is not Tensor or arg._backend is not backend:
            return None
    return [arg._raw for arg in args]


def _one_dtype(raws: list[Any], start: int) -> bool:
    dtype = raws[start].dtype
    for raw in raws[start + 1 :]:
        if raw.dtype is not dtype:
            return False
    return True


def _creation(name: str) -> tuple[Callable[..., Any], None]:
    def function(
        *args: Any,
        dtype: DType | None = None,
        device: Device | str | None = None,
        backend: str | _registry.Backend | None = None,
        **kwargs: Any,
    ) -> Any:
        # without backend=, Tensor arguments (linspace's ends) choose it: no result leaves its inputs' backend
        chosen = _registry.get(backend) if backend is not None else _tensors_backend(args, kwargs)
        args = tuple(_parameter(a) for a in args)
        kwargs = {k: _parameter(v) for k, v in kwargs.items()}
        if dtype is not None:
            _check_integer_range(name, as_dtype(dtype), args, kwargs)
            kwargs["dtype"] = chosen.native_dtype(as_dtype(dtype))
        if device is not None:
            kwargs["device"] = chosen.native_device(chosen.check_device(as_device(device)))
        raw_args = [_raw_on(chosen, a) for a in args]
        kwargs = {key: _raw_on(chosen, value) for key, value in kwargs.items()}
        return wrap(chosen.function(name)(*raw_args, **kwargs), chosen)

    return function, None


def _tensors_backend(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _registry.Backend:
    """The backend of the first Tensor among ``args`` and ``kwargs``; the default backend if none is one."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            return value._backend
    return get_backend()


def _raw_on(backend: _registry.Backend, value: Any) -> Any:
    """``value``'s native array on ``backend`` if it is a Tensor (converted if it is another backend's)."""
    if not isinstance(value, Tensor):
        return value
    return (value if value._backend is backend else value.to(backend=backend))._raw


def _check_integer_range(name: str, dtype: DType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Python integers that an integer dtype cannot hold raise, as in NumPy, instead of wrapping around.

    ``arange``: its first and last values; ``full``: the fill value. (torch
    and JAX would wrap ``arange(-1, 0, dtype=uint8)`` to ``[255]``.)
    """
    if dtype.kind not in ("signed integer", "unsigned integer"):
        return
    if name == "arange":
        values = _arange_ends(args, kwargs)
    elif name == "full":
        values = [args[1] if len(args) > 1 else kwargs.get("fill_value")]
    else:
        return
    info = iinfo(dtype)
    for value in values:
        if type(value) is int and not info.min <= value <= info.max:
            raise OverflowError(f"Python integer {value} out of bounds for {dtype}")


def _arange_ends(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The first and last value of ``arange(*args, **kwargs)`` when its arguments are Python ints."""
    start, stop, step = (*args, None, None, None)[:3]  # start is positional-only
    stop = kwargs.get("stop", stop)
    step = kwargs.get("step", 1 if step is None else step)
    if stop is None:
        start, stop = 0, start
    if not all(type(v) is int for v in (start, stop, step)) or step == 0:
        return []
    values = range(start, stop, step)
    return [values[0], values[-1]] if values else []


_FACTORIES = [
    (UNARY, _unary),
    (BINARY, _binary),
    (ARRAY_FIRST, _array_first),
    (MULTI_OUTPUT, _general),
    (GENERAL, _general),
    (CREATION, _creation),
]


def _is_scalar(x: Any) -> bool:
    return type(x) in (int, float, complex, bool)


def _build() -> None:
    for names, factory in _FACTORIES:
        for name in names:
            function, slow = factory(name)
            function.__name__ = function.__qualname__ = _public_name(name)
            FUNCTIONS[name] = _accelerated(name, factory, function, slow)
            describe(FUNCTIONS[name], name, creation=factory is _creation)  # the standard's signature, set once


def _accelerated(
    name: str, factory: Callable[..., Any], function: Callable[..., Any], slow: Callable[..., Any] | None
) -> Callable[..., Any]:
    """``function``'s C twin where the accelerator is built and the function has a fast path.

    The C function runs the same fast path and hands every other call to
    ``slow``; it carries ``function``'s name and docstring, and its signature
    through ``__wrapped__``.
    """
    if _speedups is None or slow is None or (factory is _general and name not in ARRAYS_ONLY):
        return function
    kinds = {
        _unary: _speedups.UNARY,
        _binary: _speedups.BINARY,
        _array_first: _speedups.ARRAY_FIRST,
        _general: _speedups.ARRAYS,
    }
    promoted_from = _promoted_from(name)
    fast = _speedups.Function(
        kinds[factory], name, slow, -1 if promoted_from is None else promoted_from, _ARITY.get(name, -1)
    )
    return functools.update_wrapper(fast, function)


_build()


def _install_special_cases() -> None:
    """Wrap the functions whose special cases frameworks get wrong (see :mod:`._special`).

    ``//`` and ``%`` then take the namespace functions too: the operators'
    fast paths would call the framework's operator itself.
    """
    from ._special import FIXES, with_special_cases
    from ._tensor import Tensor as _Tensor

    for name in FIXES:
        wrapped = with_special_cases(name, FUNCTIONS[name])
        FUNCTIONS[name] = functools.update_wrapper(wrapped, FUNCTIONS[name])
    for dunder, name in (("floordiv", "floor_divide"), ("mod", "remainder")):
        setattr(_Tensor, f"__{dunder}__", _operator_method(name, reflected=False))
        setattr(_Tensor, f"__r{dunder}__", _operator_method(name, reflected=True))


def _operator_method(name: str, reflected: bool) -> Callable[..., Any]:
    """``//`` or ``%`` (``reflected``: ``__rfloordiv__``, ``__rmod__``): the framework's operator for plain
    Tensors of one dtype or a Python scalar, as the other operators' fast paths, then the special cases
    for real floating results; everything else through the namespace function."""
    from ._special import FIXES

    op = _OPERATORS[name]
    fix = FIXES[name][1]

    def method(self: Tensor, other: Any) -> Any:
        if type(self) is Tensor:
            backend = self._backend
            kind = type(other)
            if (
                kind is Tensor
                and other._backend is backend
                and backend.fast_binary
                and (self._raw.dtype is other._raw.dtype)
            ):
                raw_other = other._raw
            elif (kind is int or kind is float) and backend.fast_scalars and not reflected:
                raw_other = other
            else:
                return _binary_operator(name, self, other, reflected)
            try:
                raw = op(raw_other, self._raw) if reflected else op(self._raw, raw_other)
            except Exception:  # what the framework refuses, the namespace function may handle
                return _binary_operator(name, self, other, reflected)
            out = new_tensor(raw, backend)
            if backend.dtype_of(raw).kind != "real floating":
                return out
            return fix(other, self, out) if reflected else fix(self, other, out)
        return _binary_operator(name, self, other, reflected)

    method.__name__ = f"__{'r' if reflected else ''}{dict(floor_divide='floordiv', remainder='mod')[name]}__"
    method.__doc__ = (
        f"``ut.{name}({'other, self' if reflected else 'self, other'})``, with the standard's special cases"
    )
    return method


# -- functions with their own logic -------------------------------------------------


def asarray(
    obj: Any,
    /,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
    copy: bool | None = None,
    backend: str | _registry.Backend | None = None,
    **options: Any,
) -> Tensor:
    """Make a Tensor from a Tensor, a native array of any backend, or Python data.

    Parameters
    ----------
    obj
        A Tensor, a native array (converted through DLPack when ``backend``
        differs), a Python scalar or nested sequence, or a buffer.
    dtype, device, copy
        As in the array API standard.
    backend
        The backend to hold the result. By default a Tensor keeps its own
        backend, and everything else (Python data, NumPy arrays, other
        frameworks' arrays) goes to the current default backend
        (:func:`unitensor.get_backend`). To wrap a native array in its own
        backend without a copy, use :func:`unitensor.astensor`.
    **options
        Backend-specific options, such as ``chunks=`` for Dask.

    Raises
    ------
    TypeError
        If no array can hold ``obj`` (the message names its type).
    ValueError
        If ``copy=False`` and the conversion needs a copy.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.asarray([[1, 2], [3, 4]], dtype=ut.float32).shape
    (2, 2)
    """
    if isinstance(obj, Tensor):
        source: Tensor | None = obj
        target = obj._backend if backend is None else _registry.get(backend)
    else:
        native = _registry.backend_of(obj)
        source = new_tensor(obj, native) if native is not None else None
        target = get_backend() if backend is None else _registry.get(backend)
    if source is not None:
        return _converted(source, target, dtype, device, copy, options)
    if not _holdable(obj):
        raise TypeError(
            f"asarray() cannot make an array of a {type(obj).__module__}.{type(obj).__qualname__}; "
            "give it a Tensor, a native array, a Python scalar or a (nested) sequence of them"
        )
    placed_dtype = as_dtype(dtype) if dtype is not None else None
    placed_device = target.check_device(as_device(device)) if device is not None else None
    try:
        raw = target.asarray(obj, dtype=placed_dtype, device=placed_device, copy=copy, **options)
    except _registry.BackendError:  # the backend's own clear error (a dtype it lacks)
        raise
    except (TypeError, RuntimeError, ValueError) as exc:  # torch: RuntimeError for data without a dtype
        if isinstance(obj, (list, tuple)) and _holds_tensors(obj):
            if copy is False:
                raise ValueError("asarray(copy=False) of a list of Tensors needs a copy; pass copy=None") from None
            return _converted(_assembled_on_host(obj), target, dtype, device, None, options)
        if isinstance(exc, ValueError):  # ragged data, copy=False that needs a copy: already clear
            raise
        raise TypeError(f"asarray() cannot make a {target.name} array of this {type(obj).__name__}: {exc}") from exc
    if dtype is None:
        target.dtype_of(raw)  # data of no array API dtype (NumPy's object arrays) raises TypeError here
    return new_tensor(raw, target)


def _holds_tensors(data: list[Any] | tuple[Any, ...]) -> bool:
    return any(isinstance(item, Tensor) or (isinstance(item, (list, tuple)) and _holds_tensors(item)) for item in data)


def _assembled_on_host(data: list[Any] | tuple[Any, ...]) -> Tensor:
    """Python data holding Tensors (``[xp.sum(a), xp.max(a)]``) as one host Tensor, for the frameworks
    that refuse such data (torch, array_api_strict): each Tensor exported with ``numpy()``, then
    assembled by the backend of those exports."""
    exports: list[Any] = []

    def export(item: Any) -> Any:
        if isinstance(item, Tensor):
            exports.append(item.numpy(force=True))
            return exports[-1]
        return type(item)(export(x) for x in item) if isinstance(item, (list, tuple)) else item

    exported = export(data)
    host = _registry.backend_of(exports[0])
    return new_tensor(host.asarray(exported), host)


def _holdable(obj: Any) -> bool:
    """Whether ``obj`` is something an array could be made of (the backend then decides its dtype)."""
    if isinstance(obj, (str, bytes)) or obj is None:
        return False
    return isinstance(obj, (int, float, complex, Sequence, memoryview, bytearray)) or any(
        hasattr(obj, attribute) for attribute in _ARRAY_PROTOCOLS
    )


_ARRAY_PROTOCOLS = (
    "__array__",
    "__array_interface__",
    "__dlpack__",
    "__cuda_array_interface__",
    "__buffer__",
    "__float__",
    "__index__",
    "__complex__",
)


def _converted(
    source: Tensor,
    target: _registry.Backend,
    dtype: DType | None,
    device: Device | str | None,
    copy: bool | None,
    options: dict[str, Any],
) -> Tensor:
    """``asarray`` of an array: ``source`` on ``target`` (and ``device``, ``dtype``), copied only as needed."""
    never_copy = copy is False
    if target is not source._backend or options:
        result = (
            source.to(device, backend=target, copy=copy)
            if not options
            else _to_with_options(source, target, device, copy, options)
        )
        copy = False if copy else copy
    elif device is not None:
        result = source.to(device, backend=target, copy=copy)  # the backend stays, whatever the device
    else:
        result = source
    if dtype is not None and result.dtype is not as_dtype(dtype):
        if never_copy:
            raise ValueError(
                f"asarray(copy=False) cannot cast {result.dtype} to {as_dtype(dtype)} without a "
                "copy; pass copy=None to allow one"
            )
        return astype(result, dtype)
    if copy and result is source:
        return new_tensor(result._backend.function("asarray")(result._raw, copy=True), result._backend)
    return result


def _to_with_options(
    source: Tensor, target: _registry.Backend, device: Any, copy: bool | None, options: dict[str, Any]
) -> Tensor:
    # a backend given its own array with new options (Dask rechunking) keeps it as it is: lazy
    host = source._raw if target is source._backend else source.numpy(force=True)
    return new_tensor(target.asarray(host, device=device, copy=copy, **options), target)


def astype(x: Tensor, dtype: DType, /, *, copy: bool = True, device: Device | str | None = None) -> Tensor:
    """The array API's ``astype``: ``x`` cast to ``dtype`` (a copy unless ``copy=False`` allows none)."""
    if type(x) is Tensor and type(dtype) is DType and device is None:
        backend = x._backend
        out = _object_new(Tensor)
        impl = backend._functions.get("astype") or backend.function("astype")
        out._raw = impl(x._raw, backend.native_dtype(dtype), copy=copy)
        out._backend = backend
        return out
    return _astype_slow(x, dtype, copy=copy, device=device)


def _astype_slow(x: Tensor, dtype: DType, /, *, copy: bool = True, device: Device | str | None = None) -> Tensor:
    dtype = as_dtype(dtype)
    if not isinstance(x, Tensor):
        raise TypeError(f"astype() takes a Tensor, not {type(x).__name__}")
    if type(x) is not Tensor and hasattr(type(x), "__ut_function__"):
        return type(x).__ut_function__(astype, (x, dtype), {"copy": copy, "device": device})
    if device is not None:
        x = x.to(device)
    backend = x._backend
    return new_tensor(backend.function("astype")(x._raw, backend.native_dtype(dtype), copy=copy), backend)


if _speedups is not None:
    astype = functools.update_wrapper(  # noqa: F811  (the same, with its fast path in C)
        _speedups.Function(_speedups.ASTYPE, "astype", _astype_slow), astype
    )


def from_dlpack(
    x: Any,
    /,
    *,
    device: Device | str | None = None,
    copy: bool | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Import any object that supports ``__dlpack__`` into ``backend``.

    By default a Tensor keeps its backend and anything else goes to the current default backend, as in
    :func:`asarray`.
    """
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack() needs an object with __dlpack__, not {type(x).__name__}")
    if backend is not None:
        chosen = _registry.get(backend)
    else:
        chosen = x._backend if isinstance(x, Tensor) else get_backend()
    device = as_device(device) if device is not None else None
    return new_tensor(chosen.from_dlpack(x, device=device, copy=copy), chosen)


def broadcast_shapes(*shapes: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """The shape that ``shapes`` broadcast to, by the standard's rules."""
    ndim = max((len(s) for s in shapes), default=0)
    result: list[int | None] = []
    for axis in range(-ndim, 0):
        size: int | None = 1
        for shape in shapes:
            n = shape[axis] if -axis <= len(shape) else 1
            if n == 1:
                continue
            if size in (1, None) or n is None or n == size:
                size = n if size in (1, None) or n is not None else size
            else:
                raise ValueError(f"shapes {', '.join(map(str, shapes))} do not broadcast (axis {axis}: {size} vs {n})")
        result.append(size)
    return tuple(result)


def _getitem(x: Tensor, key: Any) -> Tensor:
    """``x[key]`` with the standard's indexing (integers, slices, ellipsis, None, masks, integer arrays)."""
    if type(x) is not Tensor and hasattr(type(x), "__ut_function__"):
        return type(x).__ut_function__(_getitem, (x, key), {})
    scan = _Scan("__getitem__")
    scan.take(x._backend, "Tensor")
    scan.tensors.append(x)
    raw_key = _unwrap_key(scan, key)
    if scan.special is not None:
        return type(scan.special).__ut_function__(_getitem, (x, key), {})
    scan.check_devices()
    return new_tensor(x._backend.getitem(x._raw, raw_key), x._backend)


def _setitem(x: Tensor, key: Any, value: Any) -> Tensor:
    """``x[key] = value``; returns ``x`` or, on an immutable backend, the rebound result."""
    if type(x) is not Tensor and hasattr(type(x), "__ut_function__"):
        return type(x).__ut_function__(_setitem, (x, key, value), {})
    scan = _Scan("__setitem__")
    scan.take(x._backend, "Tensor")
    scan.tensors.append(x)
    raw_key = _unwrap_key(scan, key)
    value = _parameter(value) if not isinstance(value, Tensor) else value  # np.float32(2) is a number
    raw_value = scan.unwrap(value)
    if scan.special is not None:
        return type(scan.special).__ut_function__(_setitem, (x, key, value), {})
    scan.check_devices()
    backend = x._backend
    if _is_scalar(value):
        _inplace_dtype("__setitem__", x.dtype, value)  # a scalar x cannot hold (1.5 into an int Tensor) raises
    elif not isinstance(value, Tensor) and raw_value is value and not isinstance(value, (list, tuple)):
        raise TypeError(
            f"cannot write {type(value).__name__} values into a Tensor; write a Tensor or a "
            f"Python bool, int, float or complex"
        )
    elif isinstance(value, Tensor) and value.dtype is not x.dtype:
        if result_type(x.dtype, value.dtype) is not x.dtype:
            raise TypeError(
                f"cannot write {value.dtype} values into a {x.dtype} Tensor without "
                f"losing information; cast them first with ut.astype(value, ut.{x.dtype})"
            )
        raw_value = backend.function("astype")(raw_value, backend.native_dtype(x.dtype))
    raw = backend.setitem(x._raw, raw_key, raw_value)
    return x if raw is x._raw else new_tensor(raw, backend)


#: the Python types an index (or a part of a tuple index) may have, besides arrays and __index__ objects
_KEY_TYPES = (int, slice, type(None), type(Ellipsis))


def _unwrap_key(scan: _Scan, key: Any, nested: bool = False) -> Any:
    if isinstance(key, tuple) and not nested:
        return tuple(_unwrap_key(scan, k, True) for k in key)
    if isinstance(key, list):
        raise IndexError(
            "index with a Tensor, not a list: write x[ut.asarray([...])] "
            "(the array API standard does not define list indices)"
        )
    if type(key) is slice:  # x[0:n] with n a 0-d integer Tensor or a NumPy integer: plain ints
        return slice(*(_parameter(part) for part in (key.start, key.stop, key.step)))
    raw = scan.unwrap(key)
    if (
        raw is key
        and not isinstance(key, _KEY_TYPES)
        and not hasattr(key, "__index__")
        and _registry.backend_of(key) is None
    ):
        raise IndexError(
            f"only integers, slices (:), ellipsis (...), None and integer or boolean Tensors "
            f"are valid indices, not {type(key).__name__} ({key!r})"
        )
    return raw


_OPERATORS = {name: op for _, name, op, _ in _BINARY_OPERATORS}
#: in-place operators computed through the namespace function, whose special cases are fixed (._special)
_SPECIAL_OPERATORS = frozenset({"floor_divide", "remainder"})


def _binary_operator(name: str, x: Tensor, other: Any, reflected: bool) -> Any:
    """Operators whose fast path did not apply: full checks through the namespace function."""
    other = _parameter(other) if not isinstance(other, Tensor) else other  # np.float32(2) is a number
    if not (isinstance(other, Tensor) or _is_scalar(other) or _registry.backend_of(other) is not None):
        return NotImplemented
    if name == "matmul" and _is_scalar(other):
        raise TypeError(
            f"matmul (@) takes two arrays, not a Tensor and a Python {type(other).__name__}; use * to scale a Tensor"
        )
    function = FUNCTIONS[name]
    return function(other, x) if reflected else function(x, other)


def _result_shape(name: str, shape: tuple[int | None, ...], other: tuple[int | None, ...]) -> Any:
    """The shape of ``x op other`` by the operation's rule (broadcasting, or matmul's)."""
    if name != "matmul":
        return broadcast_shapes(shape, other)
    if not shape or not other:
        raise ValueError(f"matmul needs operands of at least one dimension, got shapes {shape} and {other}")
    # a 1-D operand is a row (left) or column (right) vector whose added axis is dropped again
    left = (1, *shape) if len(shape) == 1 else shape
    right = (*other, 1) if len(other) == 1 else other
    if None not in (left[-1], right[-2]) and left[-1] != right[-2]:
        raise ValueError(
            f"matmul of shapes {shape} and {other}: the inner dimensions {left[-1]} and {right[-2]} differ"
        )
    batch = broadcast_shapes(left[:-2], right[:-2])
    rows = () if len(shape) == 1 else (left[-2],)
    columns = () if len(other) == 1 else (right[-1],)
    return (*batch, *rows, *columns)


def _inplace_operator(name: str, x: Tensor, other: Any) -> Tensor:
    """``x op= other``: in place where the backend is mutable, a rebinding where it is not.

    The standard forbids in-place operations that would change ``x``'s dtype
    or shape; both are checked before anything is written.
    """
    other = _parameter(other) if not isinstance(other, Tensor) else other  # np.float32(2) is a number
    if not (isinstance(other, Tensor) or _is_scalar(other) or _registry.backend_of(other) is not None):
        raise TypeError(f"unsupported operand type for in-place {name}: {type(other).__name__}")
    other_t = other if (isinstance(other, Tensor) or _is_scalar(other)) else astensor(other)  # never converted
    if isinstance(other_t, Tensor):
        if other_t._backend is not x._backend:
            raise TypeError(
                f"in-place {name} of a {x._backend.name!r} Tensor with a {other_t._backend.name!r} "
                f"Tensor; move it first with .to(backend={x._backend.name!r})"
            )
        if len(x._backend.devices()) > 1 and other_t.device != x.device:
            raise ValueError(
                f"in-place {name} got Tensors on two devices, {x.device} and {other_t.device}; "
                f"move one first, e.g. y.to('{x.device}')"
            )
        _inplace_dtype(name, x.dtype, other_t.dtype)
        shape = _result_shape(name, x.shape, other_t.shape)
        if shape != x.shape:
            raise ValueError(
                f"in-place {name} would change the shape {x.shape} of the Tensor to {shape}; use x = x op y"
            )
    else:
        _inplace_dtype(name, x.dtype, other_t)
    special = type(x) is not Tensor or (isinstance(other_t, Tensor) and type(other_t) is not Tensor)
    if special or not x._backend.mutable:
        result = FUNCTIONS[name](x, other_t)
        if result.dtype is not x.dtype:
            result = astype(result, x.dtype)
        return result
    raw_other = other_t._raw if isinstance(other_t, Tensor) else other_t
    if isinstance(other_t, Tensor) and other_t.dtype is not x.dtype:
        # the result dtype is x's (checked above): cast first, for frameworks that do not promote the pair
        raw_other = x._backend.function("astype")(raw_other, x._backend.native_dtype(x.dtype))
    try:
        if name in _SPECIAL_OPERATORS:  # the framework's //= and %= miss the standard's special cases
            raise LookupError(name)
        raw = getattr(operator, "i" + _OPERATORS[name].__name__.strip("_"))(x._raw, raw_other)
    except (OverflowError, ZeroDivisionError):
        raise
    except Exception:  # no in-place kernel (torch's uint32), or the special cases: compute, then write into
        # x's memory; the namespace function raises the standard's TypeError for a dtype it cannot take
        result = FUNCTIONS[name](x, other_t)
        if result.dtype is not x.dtype:
            result = astype(result, x.dtype)
        raw = x._backend.setitem(x._raw, Ellipsis, result._raw)
    return x if raw is x._raw else new_tensor(raw, x._backend)


#: the operations whose result is floating for integer operands
_TRUE_DIVISIONS = frozenset({"divide"})


def _inplace_dtype(name: str, dtype: DType, other: Any) -> None:
    """Raise TypeError where ``x op= other`` (``name``) would change ``x``'s ``dtype``: an
    in-place write keeps the Tensor's dtype, which the out-of-place result may not have."""
    try:
        result = result_type(dtype, other)
    except TypeError:  # no standard promotion (int with a Python float): the result is another kind
        result = None
    if result is dtype and not (name in _TRUE_DIVISIONS and dtype.kind not in _FLOATING_KINDS):
        return
    what = f"a Python {type(other).__name__}" if _is_scalar(other) else f"a {other} Tensor"
    into = f"would give {result}" if result is not None and name not in _TRUE_DIVISIONS else "would give another dtype"
    operation = "a write" if name == "__setitem__" else f"in-place {name}"
    raise TypeError(
        f"{operation} cannot change the dtype: {dtype} with {what} {into}; "
        f"use the out-of-place form (x = x op y, or a new Tensor) or cast with ut.astype first"
    )


_FLOATING_KINDS = frozenset({"real floating", "complex floating"})


_install_special_cases()
