"""The standard's ``__array_namespace_info__`` and ``ut.devices``."""

from __future__ import annotations

from typing import Any

from . import backends as _registry
from ._config import get_backend
from ._devices import Device, as_device
from ._dtypes import DType, isdtype

__all__ = ["Info", "__array_namespace_info__", "devices"]


def devices(backend: str | _registry.Backend | None = None) -> list[Device]:
    """The devices ``backend`` (default: the current one) can use on this machine."""
    return (get_backend() if backend is None else _registry.get(backend)).devices()


class Info:
    """Capabilities, devices and dtypes of one backend, as the standard's inspection API reports them."""

    def __init__(self, backend: _registry.Backend) -> None:
        self.backend = backend

    def capabilities(self) -> dict[str, Any]:
        lazy = self.backend.lazy
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": None if not lazy else None}

    def default_device(self) -> Device:
        return self.backend.default_device()

    def devices(self) -> tuple[Device, ...]:
        """The devices this backend can use here, as a tuple (as 2025.12 asks)."""
        return tuple(self.backend.devices())

    def default_dtypes(self, *, device: Device | str | None = None) -> dict[str, DType]:
        if device is not None:
            self.backend.check_device(as_device(device))
        return self.backend.default_dtypes()

    def dtypes(
        self, *, device: Device | str | None = None, kind: str | DType | tuple[Any, ...] | None = None
    ) -> dict[str, DType]:
        if device is not None:
            self.backend.check_device(as_device(device))
        return {d.name: d for d in self.backend.dtypes() if kind is None or isdtype(d, kind)}


def __array_namespace_info__(backend: str | _registry.Backend | None = None) -> Info:
    """The standard's inspection API for ``backend`` (default: the current backend)."""
    return Info(get_backend() if backend is None else _registry.get(backend))
