"""The CuPy backend: NumPy's API on CUDA GPUs, through ``array_api_compat.cupy``.

CuPy is imported in :class:`CupyBackend`'s ``__init__``, so this module
imports cleanly where CuPy is not installed (and the registry does not list
the backend there).

NumPy and CuPy are one family: a CuPy Tensor sent to ``cpu`` becomes a NumPy
Tensor. That move is the facade's (``unitensor._convert``); this backend only
ever holds arrays on ``cuda:N`` and never returns a NumPy array from
:meth:`CupyBackend.to_device` (``array_api_compat``'s ``to_device(x, "cpu")``
does, which is why it is not used here).
"""

from __future__ import annotations

from typing import Any

from .._devices import Device
from .._dtypes import ALL_DTYPES, float16
from ._base import Backend, BackendError

__all__ = ["CupyBackend"]

_DLPACK_CPU = 1  # kDLCPU in DLPack's DLDeviceType


class CupyBackend(Backend):
    """CuPy through ``array_api_compat.cupy``; devices ``cuda:0`` ... ``cuda:N-1``."""

    name = "cupy"
    requires = ("cupy",)
    install_hint = "pip install cupy-cuda12x  (pick the wheel matching your CUDA version)"
    type_modules = ("cupy",)
    family = {"cpu": "numpy"}
    # CuPy releases before NumPy 2's promotion rules (NEP 50) promote 0-d
    # arrays by value; the facade casts mixed dtypes per the standard instead
    standard_promotion = False

    def __init__(self) -> None:
        super().__init__()
        import array_api_compat.cupy as xp
        import cupy
        import numpy as np

        self._cupy = cupy
        self._np = np
        self.xp = xp
        self.array_types = (cupy.ndarray,)
        self.version = cupy.__version__
        self._map_dtypes({dtype: np.dtype(dtype.name) for dtype in ALL_DTYPES})
        self._map_dtypes({float16: np.dtype("float16")})  # CuPy has no bfloat16
        self._devices = [Device("cuda", i) for i in range(_device_count(cupy))]
        if not self._devices:
            raise BackendError(
                "CuPy is installed but no CUDA device is visible here; use the 'numpy' backend on this machine"
            )

    # -- devices ---------------------------------------------------------------

    def device_of(self, raw: Any) -> Device:
        return Device("cuda", raw.device.id)

    def devices(self) -> list[Device]:
        return list(self._devices)

    def native_device(self, device: Device) -> Any:
        device = self.check_device(device)
        return self._cupy.cuda.Device(device.index or 0)

    def to_device(self, raw: Any, device: Device) -> Any:
        target = self.native_device(device)
        if raw.device.id == target.id:
            return raw
        with target:
            return raw.copy()  # CuPy copies from another GPU into the current one

    # -- interchange ---------------------------------------------------------------

    def asarray(self, obj: Any, dtype: Any = None, device: Device | None = None, copy: bool | None = None) -> Any:
        native = None if dtype is None else self.native_dtype(dtype)
        target = self.native_device(device if device is not None else self.default_device())
        with target:
            if copy is None:
                return self._cupy.asarray(obj, dtype=native)
            result = self._cupy.array(obj, dtype=native, copy=copy)
        if copy is False and result is not obj:
            raise ValueError(
                "asarray(copy=False) would have to copy this data onto the GPU; pass copy=None to allow it"
            )
        return result

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        if _on_host(obj):
            # host memory (NumPy, JAX on CPU ...) cannot be shared with a GPU: the copy is the move
            if copy is False:
                raise BufferError("host data cannot reach a CUDA device without a copy; pass copy=None to allow one")
            from .numpy import from_dlpack_or_copy

            return self.asarray(from_dlpack_or_copy(obj), device=device, copy=True)
        raw = self._cupy.from_dlpack(obj)
        if copy:
            with raw.device:
                raw = raw.copy()
        if device is not None and self.device_of(raw) != device:
            raw = self.to_device(raw, device)
        return raw

    def to_numpy(self, raw: Any) -> Any:
        # an explicit device-to-host copy; Tensor.numpy() refuses GPU data before
        # getting here unless force=True, as the design asks
        return raw.get()


def _on_host(obj: Any) -> bool:
    """Whether a DLPack producer's memory is host memory (kDLCPU, or no ``__dlpack_device__``)."""
    device = getattr(obj, "__dlpack_device__", None)
    return device is None or int(device()[0]) == _DLPACK_CPU


def _device_count(cupy: Any) -> int:
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except cupy.cuda.runtime.CUDARuntimeError:  # no driver or no device
        return 0
