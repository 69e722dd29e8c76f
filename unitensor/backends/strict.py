"""The array-api-strict backend: the reference that catches non-portable code.

``array_api_strict`` implements the standard and nothing else: it raises on
promotion the standard leaves undefined, on indexing it does not specify, and
on functions outside it. Code that runs here runs on every conforming
backend. It is also how unitensor tests multi-device logic on a CPU: the
library's fake devices ``device1`` and ``device2`` become
``Device("device1")`` and ``Device("device2")`` next to ``cpu``, so moving
data, the two-device error and the device checks of the facade all run
without a GPU. The fake devices are not host memory: ``t.numpy()`` on them
raises the same error as on a GPU, and ``t.cpu()`` moves the data back.
"""

from __future__ import annotations

import operator
from typing import Any

from .._devices import Device
from ._base import Backend

__all__ = ["StrictBackend"]

#: array_api_strict device names -> unitensor devices. ``no_float64`` and
#: ``no_x64`` are left out: they model devices without 64-bit dtypes, which
#: unitensor's one-dtype-set-per-backend model does not describe.
_DEVICE_NAMES = {"CPU_DEVICE": Device("cpu"), "device1": Device("device1"), "device2": Device("device2")}


class StrictBackend(Backend):
    """array-api-strict, the standard's reference implementation (data held in NumPy)."""

    name = "strict"
    requires = ("array_api_strict",)
    install_hint = "pip install array-api-strict"
    type_modules = ("array_api_strict",)
    #: several devices: binary operators take the slow path that compares them
    fast_binary = False
    #: array_api_strict refuses integer-with-float pairs, which unitensor promotes (to the
    #: floating dtype): arrays of two dtypes take the facade's promotion
    standard_promotion = False

    def __init__(self) -> None:
        super().__init__()
        import array_api_strict as xp
        from array_api_strict._array_object import Array

        self.xp = xp
        self.array_types = (Array,)
        self.version = xp.__version__
        self._map_dtypes()
        self._to_strict = {device: xp.Device(name) for name, device in _DEVICE_NAMES.items()}
        self._from_strict = {native: device for device, native in self._to_strict.items()}

    def overrides(self) -> dict[str, Any]:
        return {"isin": self._isin}

    def _isin(self, x1: Any, x2: Any, /, *, invert: bool = False) -> Any:
        # array_api_strict 2.6.1 ignores invert= (it calls np.isin(x1, x2)
        # without it): invert here, whatever the library does with the flag.
        found = self.xp.isin(x1, x2)
        return self.xp.logical_not(found) if invert else found

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        key = self._integers_for_0d_arrays(key)
        try:
            raw[key] = value
        except IndexError as exc:
            if any(
                isinstance(part, self.array_types) and self.xp.isdtype(part.dtype, "integral")
                for part in (key if isinstance(key, tuple) else (key,))
            ):
                raise IndexError(
                    "writes through integer-array keys are implementation-defined in the array API standard "
                    "(2025.12), so the strict backend, which rejects non-portable code, does not allow them; "
                    "write through a boolean mask or slices, or use another backend"
                ) from exc
            raise
        return raw

    def _integers_for_0d_arrays(self, key: Any) -> Any:
        """A 0-d integer array in a key stands for its integer (the standard's ``__index__``)."""
        if isinstance(key, tuple):
            return tuple(self._integers_for_0d_arrays(part) for part in key)
        if isinstance(key, self.array_types) and key.ndim == 0 and self.xp.isdtype(key.dtype, "integral"):
            return operator.index(key)
        return key

    # -- devices -------------------------------------------------------------

    def device_of(self, raw: Any) -> Device:
        return self._from_strict[raw.device]

    def devices(self) -> list[Device]:
        return list(self._to_strict)

    def native_device(self, device: Device) -> Any:
        return self._to_strict[self.check_device(device)]

    def to_device(self, raw: Any, device: Device) -> Any:
        native = self.native_device(device)
        return raw if raw.device == native else raw.to_device(native)

    # -- interchange -----------------------------------------------------------

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        # Import on the host, then place: strict's from_dlpack only knows its CPU device.
        raw = self.xp.from_dlpack(obj, copy=copy)
        return raw if device is None else self.to_device(raw, device)
