"""The array API ``fft`` extension, on every backend."""

from ._namespace import FUNCTIONS as _FUNCTIONS

__all__ = sorted(name.partition(".")[2] for name in _FUNCTIONS if name.startswith("fft."))
globals().update({name: _FUNCTIONS["fft." + name] for name in __all__})
