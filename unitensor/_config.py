"""The default backend: a process-wide setting with a context-local override.

``set_backend`` changes the process-wide default; ``use_backend`` overrides it
for the current context only (a ``contextvars`` variable), so threads and
asyncio tasks can each use their own default.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from . import backends as _registry
from .backends import Backend

__all__ = ["set_backend", "get_backend", "use_backend"]

_process_default = "numpy"
_context_default: contextvars.ContextVar[str | None] = contextvars.ContextVar("unitensor_backend", default=None)


def _checked_name(name: str | Backend) -> str:
    if isinstance(name, Backend):
        name = name.name
    _registry.get(name)  # unknown or not installed: raise now, change nothing
    return name


def set_backend(name: str | Backend) -> None:
    """Set the process-wide default backend (used when no ``backend=`` is given).

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.set_backend("numpy"); ut.get_backend().name
    'numpy'
    """
    global _process_default
    _process_default = _checked_name(name)


def get_backend() -> Backend:
    """The default backend in this context."""
    return _registry.get(_context_default.get() or _process_default)


@contextlib.contextmanager
def use_backend(name: str | Backend) -> Iterator[Backend]:
    """Use ``name`` as the default backend inside a ``with`` block (context-local, thread-safe)."""
    token = _context_default.set(_checked_name(name))
    try:
        yield get_backend()
    finally:
        _context_default.reset(token)
