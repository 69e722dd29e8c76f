"""The standard's function list, read at run time from array-api-strict, and the suite's areas.

array-api-strict is the standard's executable reference: its ``__all__``,
``linalg.__all__`` and ``fft.__all__`` say what a complete namespace holds,
and calling its functions says which dtypes the standard allows for each
(it raises ``TypeError`` for the others). It is imported only here, and only
when the suite runs.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["AREAS", "area_of", "standard_names", "strict_namespace", "NOT_FUNCTIONS"]

#: the rows of the per-area table, in the order they print
AREAS = (
    "creation",
    "elementwise",
    "reductions",
    "manipulation",
    "linalg",
    "fft",
    "indexing",
    "dtypes",
    "devices",
    "export",
    "gradients",
    "special",
)

_AREA_OF_NAME = {
    "creation": """arange asarray empty empty_like eye from_dlpack full full_like linspace meshgrid ones
        ones_like zeros zeros_like tril triu""",
    "reductions": """all any count_nonzero max mean min prod std sum var cumulative_sum cumulative_prod diff
        argmax argmin""",
    "manipulation": """broadcast_arrays broadcast_to concat expand_dims flip moveaxis permute_dims repeat
        reshape roll squeeze stack tile unstack matrix_transpose astype sort argsort unique_all unique_counts
        unique_inverse unique_values isin nonzero searchsorted where""",
    "indexing": "take take_along_axis",
    "linalg": "matmul tensordot vecdot",
    "dtypes": """can_cast finfo iinfo isdtype result_type broadcast_shapes __array_namespace_info__ bool int8
        int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 complex128 e inf nan pi newaxis
        __array_api_version__""",
}
_AREA_BY_NAME = {name: area for area, names in _AREA_OF_NAME.items() for name in names.split()}

#: array-api-strict's own extras, not part of the standard
_STRICT_ONLY = {
    "Device",
    "set_array_api_strict_flags",
    "get_array_api_strict_flags",
    "reset_array_api_strict_flags",
    "ArrayAPIStrictFlags",
    "__version__",
    "fft",
    "linalg",
}

#: names in the standard that are not functions
NOT_FUNCTIONS = {
    "e",
    "inf",
    "nan",
    "pi",
    "newaxis",
    "__array_api_version__",
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
}


@functools.lru_cache(maxsize=1)
def strict_namespace() -> Any:
    """array-api-strict, the standard's reference namespace (a test dependency)."""
    try:
        import array_api_strict
    except ImportError as exc:  # pragma: no cover - a test dependency
        raise ImportError(
            "the conformance suite reads the standard's function list from array-api-strict; "
            "install it with: pip install 'unitensor[test]'"
        ) from exc
    return array_api_strict


@functools.lru_cache(maxsize=1)
def standard_names() -> tuple[str, ...]:
    """Every name the standard puts in a namespace; extensions dotted (``linalg.solve``)."""
    xp = strict_namespace()
    names = [n for n in xp.__all__ if n not in _STRICT_ONLY]
    names += [f"linalg.{n}" for n in xp.linalg.__all__]
    names += [f"fft.{n}" for n in xp.fft.__all__]
    return tuple(names)


def area_of(name: str) -> str:
    """The area of the per-area table that a standard name belongs to."""
    if name.startswith("linalg."):
        return "linalg"
    if name.startswith("fft."):
        return "fft"
    return _AREA_BY_NAME.get(name, "elementwise")


def lookup(namespace: Any, name: str) -> Any:
    """``namespace.linalg.solve`` for ``"linalg.solve"``; AttributeError if missing."""
    target = namespace
    for part in name.split("."):
        target = getattr(target, part)
    return target
