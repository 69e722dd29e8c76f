"""The NumPy backend: the default, and the reference the conformance suite compares against.

NumPy and CuPy are one family: a NumPy Tensor sent to a ``cuda`` device
becomes a CuPy Tensor.
"""

from __future__ import annotations

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
