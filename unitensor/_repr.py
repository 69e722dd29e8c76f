"""``repr`` and ``str`` of a Tensor: summarised like NumPy's and torch's, and never computing a lazy array.

Eager data is formatted by ``numpy.array2string`` under NumPy's print options
(``numpy.set_printoptions``: a Tensor of more than ``threshold`` elements,
1000 by default, shows ``edgeitems`` values at each end of every axis, 3 by
default), then the backend, device and dtype. A lazy array (Dask) shows its
shape and chunks instead of values: printing it never runs its graph. Values
that cannot be read (a Tensor being traced by ``jax.jit``) show their shape.
"""

from __future__ import annotations

from typing import Any

__all__ = ["tensor_repr"]

_PREFIX = "Tensor("


def tensor_repr(t: Any) -> str:
    backend = t._backend
    raw = t._raw
    try:
        dtype = str(t.dtype)
    except TypeError:  # a native dtype unitensor does not map
        dtype = str(raw.dtype)
    suffix = f"backend={backend.name!r}, device='{_device(t)}', dtype={dtype}"
    return f"{_PREFIX}{_body(backend, raw, t.shape)}, {suffix})"


def _device(t: Any) -> str:
    try:
        return str(t.device)
    except Exception:  # noqa: BLE001 - repr must not fail: an abstract value in a transformation has no device
        return "?"


def _body(backend: Any, raw: Any, shape: tuple[int | None, ...]) -> str:
    if backend.lazy:
        return f"<not computed: shape={shape}{backend.lazy_summary(raw)}>"
    try:
        host = backend.to_numpy(backend.detach(raw))
    except Exception:  # noqa: BLE001 - repr must not fail: a tracer (jax.jit), a meta tensor have no values
        return f"<no values: shape={shape}>"
    from .backends.numpy import array_text

    return array_text(host, _PREFIX)
