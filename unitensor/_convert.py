"""Moving Tensors between devices and backends.

Within a backend, the backend moves the data. Between backends the data goes
through DLPack, zero-copy when both sides share the device and the layout
allows it, and through a host copy when DLPack cannot carry it (a read-only
or lazy source, a dtype an older DLPack lacks).

One rule says when the default shares: zero-copy wherever neither side can be
written behind the other's back. Where one backend's arrays are writable
(NumPy, torch) and the other's are assumed never to change (JAX, Dask),
``copy=None`` copies, in both directions; ``copy=False`` shares all the same,
and the caller then promises not to write the shared data.
"""

from __future__ import annotations

from typing import Any

from . import backends as _registry
from ._devices import Device, as_device
from ._tensor import Tensor, new_tensor

__all__ = ["convert"]

_DLPACK_FAILURES = (BufferError, TypeError, RuntimeError, ValueError, AttributeError, NotImplementedError)


def convert(t: Tensor, *, device: Device | str | None = None, backend: Any = None, copy: bool | None = None) -> Tensor:
    """``t`` on ``device`` and ``backend`` (each kept when None); see :meth:`Tensor.to`."""
    if device is None and copy is None and backend is not None and type(t) is Tensor:
        moved = _host_to_host(t, _registry.get(backend))
        if moved is not None:
            return moved
    source = t._backend
    target_device = as_device(device) if device is not None else None
    target = _registry.get(backend) if backend is not None else _backend_for_device(source, target_device)
    if t.requires_grad and target is not source:
        raise RuntimeError(
            "Can't move a Tensor that requires grad to another backend: gradients do not cross backends. "
            "Use tensor.detach().to(backend=...) instead."
        )
    if target is source:
        if target_device is None:
            return _copied(t) if copy else t
        raw = source.to_device(t._raw, source.check_device(target_device))
        if copy and raw is t._raw:
            return _copied(t)
        return t if raw is t._raw else new_tensor(raw, source)
    if target_device is None:
        here = t.device
        target_device = here if here in target.devices() else target.default_device()
    else:
        target.check_device(target_device)
    return new_tensor(_transfer(t, target, target_device, copy), target)


def _host_to_host(t: Tensor, target: _registry.Backend) -> Tensor | None:
    """``t.to(backend=target)`` for host data outside any gradient computation, sharing memory; else None.

    Only between two mutable or two immutable backends (sharing between the
    two kinds copies by default). The source's ``host_numpy`` answers only for
    such data (None for a Tensor that requires grad, GPU data, a tracer), and the target's
    ``from_host_numpy`` only where it can share the array; everything else
    takes the general path, whose checks and errors apply unchanged.
    """
    source = t._backend
    if target is source or source.mutable != target.mutable:
        return None  # one side immutable: the general path copies by default (see _transfer)
    array = source.host_numpy(t._raw)
    if array is None:
        return None
    try:
        raw = target.from_host_numpy(array)
    except Exception:  # a dtype the target cannot wrap directly: the general path copies or explains
        return None
    return None if raw is None else new_tensor(raw, target)


def _backend_for_device(source: _registry.Backend, device: Device | None) -> _registry.Backend:
    if device is None or device in source.devices() or device.type not in source.family:
        return source
    return _registry.get(source.family[device.type])


def _transfer(t: Tensor, target: _registry.Backend, device: Device, copy: bool | None) -> Any:
    source = t._backend
    raw = source.materialize(source.normalize(t._raw))
    if copy is None and source.mutable != target.mutable:
        # one side can be written, the other assumes it never changes: sharing would let a write
        # change the immutable side behind its back, so the default copies (copy=False shares)
        if device.is_host and t.device.is_host:
            return target.asarray(_host_copy(source, raw), device=device, copy=True)
        copy = True
    if copy is not True:
        try:
            return target.from_dlpack(source.dlpack_source(raw), device=device, copy=copy)
        except _DLPACK_FAILURES:
            if copy is False:
                raise ValueError(
                    f"cannot move this {t.dtype} Tensor from {source.name} to {target.name} without a copy; "
                    "pass copy=None (the default) to allow one"
                ) from None
    host = _host_copy(source, raw)
    return target.asarray(host, device=device, copy=True)


def _host_copy(backend: _registry.Backend, raw: Any) -> Any:
    """``raw`` as NumPy data: through the backend's own host device, or, for a
    backend without one (CuPy, whose ``cpu()`` is this very move), its own copy."""
    if any(device.is_host for device in backend.devices()):
        return new_tensor(raw, backend).numpy(force=True)
    return backend.to_numpy(backend.detach(raw))


def _copied(t: Tensor) -> Tensor:
    backend = t._backend
    return new_tensor(backend.function("asarray")(t._raw, copy=True), backend)
