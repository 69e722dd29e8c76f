"""The backend registry.

The built-in backends are known without any lookup; third-party backends
are found through the entry-point group ``unitensor.backends`` or registered
at run time with :func:`register`. Reading the entry points costs tens of
milliseconds, so it happens only when a name or an array type that no
built-in backend claims is asked for (or :func:`names` / :func:`available`
lists them all); it is cached, and :func:`refresh` reads them again. Nothing here imports a framework: a backend's framework is
imported the first time :func:`get` loads it, or the first time an array of
that framework is seen. A plugin that fails to load warns once, records its
error, and never breaks the other backends.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import warnings
from collections.abc import Callable
from typing import Any

from ._base import Backend, BackendError

__all__ = [
    "Backend",
    "BackendError",
    "BackendNotInstalledError",
    "UnknownBackendError",
    "available",
    "get",
    "names",
    "register",
    "unregister",
    "refresh",
    "backend_of",
    "info",
]

GROUP = "unitensor.backends"

#: The built-in backends, registered at import without reading entry points
#: (pyproject.toml declares the same ones in the ``unitensor.backends`` group,
#: for tools that list plugins; those entries are skipped here).
_BUILTINS = {
    "numpy": "unitensor.backends.numpy:NumpyBackend",
    "torch": "unitensor.backends.torch:TorchBackend",
    "jax": "unitensor.backends.jax:JaxBackend",
    "cupy": "unitensor.backends.cupy:CupyBackend",
    "dask": "unitensor.backends.dask:DaskBackend",
    "strict": "unitensor.backends.strict:StrictBackend",
}

#: type module names that are not the backend's name
_MODULE_ALIASES = {"jaxlib": "jax"}


class UnknownBackendError(LookupError, ValueError):
    """No backend of that name is registered."""


class BackendNotInstalledError(ImportError, BackendError):
    """The backend is registered but its framework cannot be imported."""


class _Entry:
    """One registered backend: where it comes from, and once loaded, the Backend object.

    (A plain class: importing ``dataclasses`` costs a few ms at start-up.)
    """

    __slots__ = ("name", "target", "origin", "backend", "cls", "error", "lock")

    def __init__(self, name: str, target: Any, origin: str) -> None:
        self.name = name
        self.target = target  # "module:Class", a Backend class, a Backend instance or a loader callable
        self.origin = origin
        self.backend: Backend | None = None
        self.cls: type | None = None
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def backend_class(self) -> type | None:
        """The Backend class, imported without importing the framework (None for loaders)."""
        if self.cls is not None:
            return self.cls
        target = self.target
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            try:
                self.cls = getattr(importlib.import_module(module_name), attr)
            except Exception as exc:  # a broken plugin must not break the registry
                self._fail(exc)
                return None
        elif isinstance(target, type):
            self.cls = target
        elif isinstance(target, Backend):
            self.cls = type(target)
            self.backend = target
        return self.cls

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            warnings.warn(
                f"unitensor backend {self.name!r} ({self.origin}) failed to load and is skipped: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=4,
            )
        self.error = exc

    def installed(self) -> bool:
        if self.backend is not None:
            return True
        cls = self.backend_class()
        if cls is None:
            return self.error is None and callable(self.target)
        return all(importlib.util.find_spec(module) is not None for module in getattr(cls, "requires", ()))

    def load(self) -> Backend:
        if self.backend is not None:
            return self.backend
        with self.lock:
            if self.backend is None:
                self.backend = self._instantiate()
        return self.backend

    def _instantiate(self) -> Backend:
        cls = self.backend_class()
        if self.backend is not None:  # registered as an instance: use that very object
            return self.backend
        factory: Callable[[], Any] = cls if cls is not None else self.target
        if cls is None and not callable(self.target):
            raise BackendNotInstalledError(f"backend {self.name!r} ({self.origin}) could not be imported: {self.error}")
        try:
            backend = factory()
        except ImportError as exc:
            hint = getattr(cls, "install_hint", "") or f"install the package that provides backend {self.name!r}"
            raise BackendNotInstalledError(
                f"the {self.name!r} backend needs {exc.name or 'a package'} which is not installed "
                f"({exc}); install it with: {hint}"
            ) from exc
        if not isinstance(backend, Backend):
            raise TypeError(f"backend {self.name!r} loader returned {type(backend).__name__}, not a Backend")
        return backend


_lock = threading.RLock()
_entries: dict[str, _Entry] = {}
_discovered = False
_type_cache: dict[type, Backend | None] = {}


def _add_builtins() -> None:
    for name, target in _BUILTINS.items():
        _entries.setdefault(name, _Entry(name, target, "built-in"))  # run-time registrations win


def _discover() -> None:
    """Read the plugins' entry points (once): slow, so only for names no built-in has."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        # imported here: importlib.metadata (with email and zipfile) costs ~20 ms at start-up
        from importlib.metadata import entry_points

        found: dict[str, _Entry] = {}
        for ep in entry_points(group=GROUP):
            if _BUILTINS.get(ep.name) == ep.value:
                continue  # an installed unitensor declaring its own built-in
            if ep.name in _BUILTINS:
                warnings.warn(
                    f"the plugin entry point {ep.value} claims the name {ep.name!r} of a built-in backend "
                    f"and is ignored; register it under another name, or with "
                    f"ut.backends.register({ep.name!r}, ..., replace=True)",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            if ep.name in found and found[ep.name].target != ep.value:
                warnings.warn(
                    f"two plugins register unitensor backend {ep.name!r} ({found[ep.name].target} and "
                    f"{ep.value}); using the first",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            found[ep.name] = _Entry(ep.name, ep.value, f"entry point {ep.value}")
        for name, entry in found.items():
            _entries.setdefault(name, entry)  # run-time registrations win
        _type_cache.clear()  # a type no backend claimed before may belong to a plugin
        _discovered = True


_add_builtins()


def refresh() -> None:
    """Read the entry points again (after installing a plugin in a running process)."""
    global _discovered
    with _lock:
        for name in [n for n, e in _entries.items() if not e.origin.startswith("register")]:
            if _entries[name].backend is None:
                del _entries[name]
        _add_builtins()
        _discovered = False
        _type_cache.clear()
    _discover()


def register(name: str, backend: Backend | type | Callable[[], Backend] | str, *, replace: bool = False) -> None:
    """Register a backend at run time.

    ``backend`` may be a :class:`Backend` instance, a Backend subclass, a
    zero-argument loader returning one, or a ``"module:Class"`` string.

    Examples
    --------
    >>> import unitensor as ut
    >>> from unitensor.backends.numpy import NumpyBackend
    >>> class MyBackend(NumpyBackend):
    ...     name = "mine"
    >>> ut.backends.register("mine", MyBackend)
    >>> ut.asarray([1, 2], backend="mine").backend.name
    'mine'
    >>> ut.backends.unregister("mine")
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a backend name must be a non-empty string, not {name!r}")
    _discover()
    with _lock:
        if name in _entries and not replace:
            raise ValueError(f"a backend named {name!r} is already registered; pass replace=True to replace it")
        _entries[name] = _Entry(name, backend, "register()")
        _type_cache.clear()


def unregister(name: str) -> None:
    """Remove a backend registered with :func:`register`."""
    _discover()
    with _lock:
        if _entries.pop(name, None) is None:
            raise UnknownBackendError(f"no backend named {name!r} is registered")
        _type_cache.clear()


def names() -> list[str]:
    """Every registered backend name, installed or not."""
    _discover()
    return sorted(_entries)


def available() -> list[str]:
    """Names of the backends whose frameworks are installed here (imports no framework)."""
    _discover()
    with _lock:
        entries = list(_entries.values())
    return sorted(entry.name for entry in entries if entry.installed())


def get(name: str | Backend) -> Backend:
    """The backend object for ``name``, loading (and importing) its framework on first use."""
    if isinstance(name, Backend):
        return name
    entry = _entries.get(name)  # type: ignore[arg-type]
    if entry is None and not _discovered:  # not built in: perhaps a plugin's
        _discover()
        entry = _entries.get(name)  # type: ignore[arg-type]
    if entry is None:
        raise UnknownBackendError(
            f"unknown backend {name!r}; registered backends are {', '.join(names())} "
            f"(installed here: {', '.join(available())})"
        )
    return entry.load()


def backend_of(x: object) -> Backend | None:
    """The backend that owns native array ``x``, or None (cached per type)."""
    tp = type(x)
    try:
        backend = _type_cache[tp]
    except KeyError:
        backend = _type_cache[tp] = _find_backend_for_type(tp, x)
    return backend


def _find_backend_for_type(tp: type, x: object) -> Backend | None:
    root = tp.__module__.partition(".")[0]
    root = _MODULE_ALIASES.get(root, root)
    found = _search_entries(root, x)
    # Python data (lists, floats) is nobody's native array: no need to read the plugins for it
    if found is None and not _discovered and root != "builtins":
        _discover()
        found = _search_entries(root, x)
    return found


def _search_entries(root: str, x: object) -> Backend | None:
    """The first registered backend claiming module ``root`` that owns ``x``."""
    with _lock:
        entries = list(_entries.values())
    entries.sort(key=lambda entry: entry.name != root)  # the backend named like the module first
    for entry in entries:
        cls = entry.backend_class()
        modules = getattr(cls, "type_modules", ()) if cls is not None else ()
        if root in modules or root == entry.name:
            try:
                backend = entry.load()
            except (ImportError, BackendError):
                continue
            if backend.owns(x):
                return backend
    return None


def info() -> list[dict[str, Any]]:
    """One row per registered backend: name, installed, version, devices, error (for ``python -m unitensor info``)."""
    rows = []
    for name in names():
        entry = _entries[name]
        row: dict[str, Any] = {
            "name": name,
            "installed": entry.installed(),
            "version": "",
            "devices": [],
            "origin": entry.origin,
            "error": "",
        }
        if row["installed"]:
            try:
                backend = entry.load()
                row["version"] = backend.version
                row["devices"] = [str(d) for d in backend.devices()]
            except Exception as exc:  # report, never fail
                row["installed"] = False
                row["error"] = f"{type(exc).__name__}: {exc}"
        elif entry.error is not None:
            row["error"] = f"{type(entry.error).__name__}: {entry.error}"
        rows.append(row)
    return rows
