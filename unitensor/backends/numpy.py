"""The NumPy backend: the default, and the reference the conformance suite compares against.

NumPy and CuPy are one family: a NumPy Tensor sent to a ``cuda`` device
becomes a CuPy Tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._devices import Device
from ._base import Backend

__all__ = ["NumpyBackend", "from_dlpack_or_copy"]


class NumpyBackend(Backend):
    """NumPy through ``array_api_compat.numpy``."""

    name = "numpy"
    requires = ("numpy",)
    install_hint = "pip install numpy"
    type_modules = ("numpy",)
    family = {"cuda": "cupy"}

    def __init__(self) -> None:
        super().__init__()
        import array_api_compat.numpy as xp
        import numpy as np

        self._np = np
        self.xp = xp
        self.array_types = (np.ndarray, np.generic)
        self.version = np.__version__
        self._map_dtypes({dtype: np.dtype(native) for dtype, native in _pairs(xp).items()})

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
            "astype": _astype,
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

    def normalize(self, raw: Any) -> Any:
        return self._np.asarray(raw) if isinstance(raw, self._np.generic) else raw

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        raw = self.normalize(raw)
        raw[key] = value
        return raw

    def asarray(self, obj: Any, dtype: Any = None, device: Device | None = None,
                copy: bool | None = None) -> Any:
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


def _version(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def _reduction(reduce: Callable[..., Any]) -> Callable[..., Any]:
    def reduction(x: Any, /, *, axis: int | tuple[int, ...] | None = None, dtype: Any = None,
                  keepdims: bool = False) -> Any:
        return reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    reduction.__name__ = reduce.__name__
    return reduction


def _extremum(reduce: Callable[..., Any]) -> Callable[..., Any]:
    def extremum(x: Any, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return reduce(x, axis=axis, keepdims=keepdims)

    extremum.__name__ = reduce.__name__
    return extremum


def _reshape(x: Any, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Any:
    return x.reshape(shape, copy=copy)


def _astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    if device not in (None, "cpu"):
        raise ValueError(f"the numpy backend has only the 'cpu' device, not {device!r}")
    return x.astype(dtype, copy=copy)


def _pairs(xp: Any) -> dict[Any, Any]:
    from .._dtypes import ALL_DTYPES

    return {d: getattr(xp, d.name) for d in ALL_DTYPES}


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
