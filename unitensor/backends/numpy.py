"""The NumPy backend: the default, and the reference the conformance suite compares against.

NumPy and CuPy are one family: a NumPy Tensor sent to a ``cuda`` device
becomes a CuPy Tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._devices import Device
from .._dtypes import ALL_DTYPES
from ._base import Backend

__all__ = ["NumpyBackend", "from_dlpack_or_copy", "half_dtypes", "key_seed", "numpy_random", "array_text"]


#: standard functions that array_api_compat 1.16 replaces with a wrapper of its own on
#: NumPy 2.x; every other standard function it exports is NumPy's own object
#: (tests/test_numpy_fast_paths.py checks this against the installed array_api_compat)
COMPAT_WRAPPED = frozenset(
    """arange argsort ceil clip count_nonzero cumulative_prod cumulative_sum empty
empty_like eye floor full full_like linspace matmul matrix_transpose nonzero ones ones_like permute_dims sign
sort std take_along_axis tensordot trunc unique_all unique_counts unique_inverse unique_values var zeros
zeros_like""".split()
)


#: Python scalars NumPy >= 2 treats as weak (the array's dtype wins within its kind)
_REAL_SCALARS = (int, float)


class NumpyBackend(Backend):
    """NumPy through ``array_api_compat.numpy`` (imported on first need) and NumPy's own functions."""

    name = "numpy"
    requires = ("numpy",)
    install_hint = "pip install numpy"
    type_modules = ("numpy",)
    family = {"cuda": "cupy"}
    #: NumPy promotes integers with floats by value range (int64 + float32 is float64), where
    #: unitensor's rule gives the floating dtype: arrays of two dtypes take the facade's promotion
    standard_promotion = False

    def __init__(self) -> None:
        super().__init__()
        import numpy as np

        self._np = np
        self._xp: Any = None
        self.array_types = (np.ndarray, np.generic)
        self.version = np.__version__
        self._numpy_is_standard = _version(np.__version__) >= (2, 1)
        self._map_dtypes({dtype: np.dtype(dtype.name) for dtype in ALL_DTYPES})
        self._map_dtypes(half_dtypes())
        self._functions.update(self.overrides())

    @property
    def xp(self) -> Any:
        """``array_api_compat.numpy``, imported on first use.

        Importing it reads every NumPy attribute, which imports NumPy's lazy
        submodules (``numpy.ma``, ``numpy.f2py``, ...): 0.1-0.3 s at start-up
        that most programs never need, since on NumPy >= 2.1 the standard
        functions that compat does not wrap are NumPy's own (see :meth:`function`).
        """
        if self._xp is None:
            import array_api_compat.numpy as xp

            self._xp = xp
        return self._xp

    @xp.setter
    def xp(self, namespace: Any) -> None:
        self._xp = namespace

    def function(self, name: str) -> Callable[..., Any]:
        try:
            return self._functions[name]
        except KeyError:
            pass
        if self._numpy_is_standard and name not in COMPAT_WRAPPED and _is_standard_function(name):
            native = getattr(self._np, name, None)
            if native is not None:
                self._functions[name] = native
                return native
        return super().function(name)

    def overrides(self) -> dict[str, Callable[..., Any]]:
        """NumPy's own functions where a wrapper in between adds nothing to the standard's semantics.

        On NumPy >= 2.1, NumPy itself follows the standard for these; the
        array_api_compat wrappers (kept for older NumPy) and NumPy's own
        Python-level dispatch (``np.sum`` -> ``np.add.reduce``) cost 0.3-1.6 us
        a call on a tiny array, more than the operation.
        """
        np = self._np
        if _version(np.__version__) < (2, 1):
            return {}
        return {
            # np.sum and friends are np.<ufunc>.reduce after a Python-level type dispatch
            # (the same upcasting of small integers and bool to the default integer)
            "sum": _reduction(np.add.reduce),
            "prod": _reduction(np.multiply.reduce),
            "max": _extremum(np.maximum.reduce),
            "min": _extremum(np.minimum.reduce),
            "reshape": _reshape,
            "mean": _mean,
            "astype": _astype,
            "clip": self._clip,
            # array_api_compat's own (it re-exports it): bound here without importing compat
            "linalg.vector_norm": np.linalg.vector_norm,
            # array_api_compat wraps these only for NumPy < 2
            "matmul": np.matmul,
            "permute_dims": np.permute_dims,
            "matrix_transpose": np.matrix_transpose,
            "ceil": np.ceil,
            "floor": np.floor,
            "trunc": np.trunc,
            "sign": np.sign,
        }

    def dtype_of(self, raw: Any) -> Any:
        try:
            return self._from_native[raw.dtype]
        except KeyError:
            # a byte-swapped dtype ('>f4') is still float32
            dtype = raw.dtype.newbyteorder("=")
            if dtype in self._from_native:
                return self._from_native[dtype]
            return super().dtype_of(raw)

    def scalar_value(self, x: Any) -> Any:
        np = self._np
        return x.item() if isinstance(x, (np.number, np.bool_)) else None

    def normalize(self, raw: Any) -> Any:
        return self._np.asarray(raw) if isinstance(raw, self._np.generic) else raw

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        raw = self.normalize(raw)
        raw[key] = value
        return raw

    def asarray(self, obj: Any, dtype: Any = None, device: Device | None = None, copy: bool | None = None) -> Any:
        if device is not None:
            self.check_device(device)
        native = None if dtype is None else self.native_dtype(dtype)
        if copy is False:
            return self._np.asarray(obj, dtype=native, copy=False)
        return self._np.array(obj, dtype=native, copy=bool(copy) or None)

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        if device is not None:
            self.check_device(device)
        return from_dlpack_or_copy(obj, copy=copy)

    def to_numpy(self, raw: Any) -> Any:
        return raw if isinstance(raw, self._np.ndarray) else self._np.asarray(raw)

    def extras(self) -> dict[str, Callable[..., Any]]:
        return {"einsum": self._np.einsum}

    def random(self, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
        if device is not None:
            self.check_device(Device(str(device)))
        return numpy_random(key_seed(key), method, shape, dtype, **params)

    def from_host_numpy(self, array: Any) -> Any:
        return array

    def _clip(self, x: Any, /, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - the standard's names
        """``x.clip(min, max)`` for a floating array and real Python bounds (~10x cheaper than
        array_api_compat's ``clip``): NumPy >= 2 then keeps ``x``'s dtype as the standard does.
        Everything else (integer arrays, array or NaN bounds, no bound) goes through compat."""
        if (
            type(x) is self._np.ndarray
            and x.dtype.kind == "f"
            and (min is not None or max is not None)
            and (min is None or (type(min) in _REAL_SCALARS and min == min))
            and (max is None or (type(max) in _REAL_SCALARS and max == max))
        ):
            return x.clip(min, max)
        return self.xp.clip(x, min, max)


def array_text(host: Any, prefix: str) -> str:
    """A NumPy array's values as ``repr`` shows them, summarised under NumPy's print options."""
    import numpy as np

    return np.array2string(host, separator=", ", prefix=prefix)


def key_seed(key: Any) -> int:
    """The 64-bit integer a key's two uint32 words spell (a seed for NumPy's and torch's generators)."""
    high, low = (int(word) for word in key.tolist())
    return (high << 32) | low


def numpy_random(seed: int, method: str, shape: tuple[int, ...], dtype: Any, **params: Any) -> Any:
    """One draw with NumPy's Philox generator seeded by ``seed`` (NumPy's and Dask's ``random``)."""
    import numpy as np

    rng = np.random.Generator(np.random.Philox(key=seed))
    dtype = np.dtype(dtype)
    # NumPy draws float32 and float64 directly; half precision is drawn in float32 and rounded
    drawn = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
    if method == "uniform":
        out = rng.random(shape, dtype=drawn) * (params["high"] - params["low"]) + params["low"]
    elif method == "normal":
        out = rng.standard_normal(shape, dtype=drawn)
    elif method == "truncated_normal":
        out = _truncated(rng, shape, drawn, params["lower"], params["upper"])
    elif method == "integers":
        return rng.integers(params["low"], params["high"], size=shape, dtype=dtype)
    elif method == "permutation":
        return rng.permutation(params["n"]).astype(dtype)
    else:
        raise ValueError(f"unknown random method {method!r}")
    return np.asarray(out, dtype=dtype)


def _truncated(rng: Any, shape: tuple[int, ...], dtype: Any, lower: float, upper: float) -> Any:
    """Standard normal values within [lower, upper], by redrawing those outside."""
    out = rng.standard_normal(shape, dtype=dtype)
    for _ in range(1000):
        outside = (out < lower) | (out > upper)
        count = int(outside.sum())
        if not count:
            return out
        out[outside] = rng.standard_normal(count, dtype=dtype)
    raise ValueError(
        f"truncated_normal(lower={lower}, upper={upper}): the interval holds almost no probability mass; widen it"
    )


def half_dtypes() -> dict[Any, Any]:
    """ut.float16 and ut.bfloat16 as NumPy dtypes (bfloat16 through ml_dtypes, when installed)."""
    import numpy as np

    from .._dtypes import bfloat16, float16

    pairs = {float16: np.dtype("float16")}
    try:
        import ml_dtypes  # JAX depends on it; NumPy has no bfloat16 of its own
    except ImportError:
        return pairs
    pairs[bfloat16] = np.dtype(ml_dtypes.bfloat16)
    return pairs


def _version(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def _reduction(reduce: Callable[..., Any]) -> Callable[..., Any]:
    def reduction(
        x: Any, /, *, axis: int | tuple[int, ...] | None = None, dtype: Any = None, keepdims: bool = False
    ) -> Any:
        return reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    reduction.__name__ = reduce.__name__
    return reduction


def _extremum(reduce: Callable[..., Any]) -> Callable[..., Any]:
    def extremum(x: Any, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return reduce(x, axis=axis, keepdims=keepdims)

    extremum.__name__ = reduce.__name__
    return extremum


def _reshape(x: Any, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Any:
    # the common call passes no copy: parsing the keyword costs ~100 ns
    return x.reshape(shape) if copy is None else x.reshape(shape, copy=copy)


def _mean(x: Any, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    # the method: np.mean reaches it after a Python-level dispatch (~0.5 us on a tiny array)
    if keepdims:
        return x.mean(axis=axis, keepdims=True)
    return x.mean() if axis is None else x.mean(axis=axis)


def _astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    if device is None and copy is True:
        return x.astype(dtype)  # NumPy's default is copy=True; parsing the keyword costs ~50 ns
    if device not in (None, "cpu"):
        raise ValueError(f"the numpy backend has only the 'cpu' device, not {device!r}")
    return x.astype(dtype, copy=copy)


def _is_standard_function(name: str) -> bool:
    """Whether ``name`` is one of the standard's top-level functions (tables in unitensor._namespace)."""
    from .._namespace import FUNCTIONS  # loaded by then: only the namespace asks for functions

    return "." not in name and name in FUNCTIONS


def from_dlpack_or_copy(obj: Any, copy: bool | None = None) -> Any:
    """A NumPy array sharing ``obj``'s memory through DLPack, or a copy where DLPack cannot share it.

    Read-only sources (a JAX array) stay read-only; bool and other dtypes that
    an older DLPack cannot carry fall back to a copy through ``__array__``.
    """
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.copy() if copy else obj
    try:
        return np.from_dlpack(obj, copy=copy)
    except (BufferError, TypeError, RuntimeError, AttributeError):
        if copy is False:
            raise
        return np.array(obj, copy=True)
