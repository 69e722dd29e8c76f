"""Hypothesis strategies for the suite's inputs: elements, shapes and arrays of every dtype.

Arrays are built on the NumPy backend (the reference) and carried as
:class:`Input` objects that know how to appear on any other backend: through
a conversion of the same data, possibly followed by the same strided slice on
both sides, so that every function also meets 0-d, empty, reversed (negative
stride) and strided inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

import unitensor as ut

__all__ = ["ALL_DTYPES", "Input", "Case", "elements", "shapes", "arrays", "scalars_for"]

ALL_DTYPES = (
    ut.bool,
    ut.int8,
    ut.int16,
    ut.int32,
    ut.int64,
    ut.uint8,
    ut.uint16,
    ut.uint32,
    ut.uint64,
    ut.float32,
    ut.float64,
    ut.complex64,
    ut.complex128,
)

_SPECIAL_FLOATS = (math.nan, math.inf, -math.inf, 0.0, -0.0)


def elements(dtype: ut.DType, domain: str = "any") -> st.SearchStrategy[Any]:
    """Python values of ``dtype``.

    ``domain`` narrows them where the standard leaves results unspecified or
    the reference would be ill-conditioned: ``"any"`` (NaN, +-inf and -0.0
    included for real floats), ``"finite"``, ``"small"`` (|x| <= 8),
    ``"positive"``, ``"nonnegative"``, ``"nonzero"``.
    """
    kind = dtype.kind
    if kind == "bool":
        return st.just(True) if domain in ("positive", "nonzero") else st.booleans()
    if kind in ("signed integer", "unsigned integer"):
        info = ut.iinfo(dtype)
        low, high = info.min, info.max
        if domain == "shift":  # shifts by the bit width or more are unspecified
            return st.integers(0, dtype.bits - 1)
        if domain in ("small", "finite"):
            low, high = max(low, -8), min(high, 8)
        if domain in ("positive", "nonnegative"):
            low = max(low, 1 if domain == "positive" else 0)
            high = min(high, 8) if domain == "positive" else high
        values = st.integers(low, high)
        return values.filter(bool) if domain == "nonzero" else values
    if domain == "shift":
        domain = "any"
    width = dtype.bits
    bound = 8.0 if domain == "small" else 100.0
    if kind == "complex floating":
        # complex special values (C99 Annex G) are a separate set of checks; keep these finite
        return st.complex_numbers(max_magnitude=bound, width=width, allow_nan=False, allow_infinity=False)
    low = 2.0**-10 if domain == "positive" else 0.0 if domain == "nonnegative" else -bound
    # no subnormals: XLA flushes them on CPU (a known deviation of JAX's), which the checks of
    # FINDINGS in _checks.py try on every backend, every run; drawn here they would fail JAX at random
    finite = st.floats(low, bound, width=width, allow_subnormal=False)
    if domain == "nonzero":
        return finite.filter(bool)
    if domain != "any":
        return finite
    return st.one_of(finite, st.sampled_from(_SPECIAL_FLOATS))


def scalars_for(dtype: ut.DType, domain: str = "small") -> st.SearchStrategy[Any]:
    """Python scalars that the standard lets meet an array of ``dtype`` (weak scalars)."""
    kind = dtype.kind
    if kind == "bool":
        return st.booleans()
    if kind in ("signed integer", "unsigned integer"):
        return elements(dtype, domain).map(int)
    if kind == "real floating":
        return elements(dtype, domain).map(float)
    return elements(dtype, domain).map(complex)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 3
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, 0-d and empty ones included unless ``min_side``/``min_dims`` exclude them."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@dataclass(frozen=True)
class Input:
    """An input array: NumPy-backend data and the slice applied after conversion on both sides."""

    base: ut.Tensor
    key: tuple[Any, ...] | None = None
    layout: str = "contiguous"

    def reference(self) -> ut.Tensor:
        return self.base if self.key is None else self.base[self.key]

    def on(self, backend: str) -> ut.Tensor:
        t = ut.asarray(self.base, backend=backend)
        return t if self.key is None else t[self.key]

    def __repr__(self) -> str:
        return f"Input({self.reference().tolist()!r}, dtype={self.base.dtype}, layout={self.layout})"


#: arrays larger than this get a fill value and this many drawn elements (as hypothesis.extra.numpy
#: does): generating every element of every array would dominate the suite's run time
_DENSE = 8


@st.composite
def _values(draw: Any, dtype: ut.DType, count: int, domain: str) -> list[Any]:
    values = elements(dtype, domain)
    if count <= _DENSE:
        return draw(st.lists(values, min_size=count, max_size=count))
    flat = [draw(values)] * count
    for index in draw(st.lists(st.integers(0, count - 1), max_size=_DENSE, unique=True)):
        flat[index] = draw(values)
    return flat


@st.composite
def arrays(draw: Any, dtype: ut.DType, shape: tuple[int, ...], domain: str = "any", layouts: bool = True) -> Input:
    """An :class:`Input` of ``dtype`` and ``shape``: contiguous, reversed (a negative-stride
    NumPy view, converted) or strided (every other element, sliced on each backend)."""
    size = math.prod(shape)
    layout = (
        draw(st.sampled_from(["contiguous", "reversed", "strided"])) if layouts and size and shape else "contiguous"
    )
    base_shape = shape[:-1] + (2 * shape[-1],) if layout == "strided" else shape
    flat = draw(_values(dtype, math.prod(base_shape), domain))
    base = ut.reshape(ut.asarray(flat, dtype=dtype, backend="numpy"), base_shape)
    if layout == "reversed":
        return Input(base[::-1], None, layout)
    if layout == "strided":
        return Input(base, (..., slice(None, None, 2)), layout)
    return Input(base, None, layout)


def _convert(value: Any, convert: Any) -> Any:
    if isinstance(value, Input):
        return convert(value)
    if isinstance(value, list):
        return [_convert(v, convert) for v in value]
    return value


@dataclass
class Case:
    """One call: positional and keyword arguments, arrays held as :class:`Input` objects."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def on(self, backend: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return self._map(lambda i: i.on(backend))

    def reference(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return self._map(Input.reference)

    def inputs(self) -> list[Input]:
        found: list[Input] = []
        for value in (*self.args, *self.kwargs.values()):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Input):
                    found.append(item)
        return found

    def _map(self, convert: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (
            tuple(_convert(a, convert) for a in self.args),
            {k: _convert(v, convert) for k, v in self.kwargs.items()},
        )
