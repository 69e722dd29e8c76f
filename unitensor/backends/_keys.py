"""Index keys checked the way NumPy checks them, for backends whose framework does not.

JAX clamps out-of-bounds reads and drops out-of-bounds writes, Dask reads
past the end of a chunk silently, and torch casts a float index array to
int64. The backends of those frameworks call :func:`check_key` before they
index, so every backend refuses the same keys with the same ``IndexError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["check_key", "out_of_bounds"]

#: ``bounds(index_array)`` -> ``(min, max)`` of its values, or None where they cannot be known
#: (a JAX array being traced by ``jit``)
Bounds = Callable[[Any], "tuple[int, int] | None"]


def check_key(
    shape: tuple[int | None, ...],
    key: Any,
    is_array: Callable[[Any], bool],
    kind_of: Callable[[Any], str],
    bounds: Bounds | None,
) -> None:
    """Raise ``IndexError`` for an index array that is not integer or boolean, or an integer
    (array) index outside its axis.

    ``kind_of(array)`` is the array's dtype kind (``"bool"``, ``"signed integer"`` ...);
    ``bounds`` reads an integer array's extreme values (None: integer arrays are not
    bounds-checked, the framework does it).
    """
    parts = key if type(key) is tuple else (key,)
    ndim = len(shape)
    axis = 0
    anchored = False
    for position, part in enumerate(parts):
        kind = type(part)
        if kind is int:
            _check_range(part, part, axis, shape)
            axis += 1
        elif kind is slice:
            axis += 1
        elif part is None:
            continue
        elif part is Ellipsis:
            if not anchored:  # the parts after it index the last axes
                anchored = True
                axis = ndim - sum(_axes_used(p, is_array, kind_of) for p in parts[position + 1 :])
        elif is_array(part):
            dtype_kind = kind_of(part)
            if dtype_kind == "bool":
                axis += part.ndim
                continue
            if dtype_kind not in ("signed integer", "unsigned integer"):
                raise IndexError(
                    f"index arrays must have an integer or boolean dtype, not a {dtype_kind} "
                    f"one; cast the index with ut.astype(index, ut.int64)"
                )
            extremes = bounds(part) if bounds is not None and 0 not in part.shape else None
            if extremes is not None:
                _check_range(*extremes, axis, shape)
            axis += 1
        else:
            axis += 1


def _check_range(low: int, high: int, axis: int, shape: tuple[int | None, ...]) -> None:
    if not 0 <= axis < len(shape) or shape[axis] is None:
        return
    size = shape[axis]
    for index in (low, high):
        if not -size <= index < size:
            raise out_of_bounds(int(index), axis, size)


def out_of_bounds(index: int, axis: int, size: int) -> IndexError:
    return IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")


def _axes_used(part: Any, is_array: Callable[[Any], bool], kind_of: Callable[[Any], str]) -> int:
    """How many axes of the array one part of an index consumes."""
    if part is None or part is Ellipsis:
        return 0
    if is_array(part) and kind_of(part) == "bool":
        return part.ndim
    return 1
