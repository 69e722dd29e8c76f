"""The array API ``linalg`` extension, on every backend."""

from ._namespace import FUNCTIONS as _FUNCTIONS

__all__ = sorted(name.partition(".")[2] for name in _FUNCTIONS if name.startswith("linalg."))
globals().update({name: _FUNCTIONS["linalg." + name] for name in __all__})
