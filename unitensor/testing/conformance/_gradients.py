"""Gradients of every differentiable function against central finite differences.

The table says which functions are differentiable and on which input range
their derivative exists and is well conditioned; the check differentiates
``sum(f(*inputs))`` with ``ut.grad`` on the backend under test and compares
with finite differences computed in float64 on the NumPy backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

import unitensor as ut

from ._standard import lookup

__all__ = ["DIFFERENTIABLE", "KINKS", "gradient_case", "finite_differences"]

#: value ranges (low, high) by name
_RANGES = {"small": (-2.0, 2.0), "positive": (0.2, 3.0), "unit": (-0.8, 0.8), "above-one": (1.2, 3.0)}

#: name: (arity or "matrix"/"solve", ranges per argument)
DIFFERENTIABLE: dict[str, tuple[Any, tuple[str, ...]]] = {
    **{
        name: (1, ("small",))
        for name in "exp expm1 sin cos sinh cosh tanh atan asinh square negative positive sum mean cumulative_sum".split()
    },
    **{name: (1, ("positive",)) for name in "log log1p log2 log10 sqrt reciprocal abs prod std var".split()},
    **{name: (1, ("unit",)) for name in "asin acos atanh tan".split()},
    "acosh": (1, ("above-one",)),
    "linalg.vector_norm": (1, ("positive",)),
    **{name: (2, ("small", "small")) for name in "add subtract multiply logaddexp".split()},
    "divide": (2, ("small", "positive")),
    "pow": (2, ("positive", "small")),
    "atan2": (2, ("positive", "positive")),
    "hypot": (2, ("positive", "positive")),
    "matmul": ("matmul", ("small", "small")),
    "vecdot": (2, ("small", "small")),
    "linalg.det": ("matrix", ("small",)),
    "linalg.inv": ("matrix", ("small",)),
    "linalg.trace": ("matrix", ("small",)),
    "linalg.solve": ("solve", ("small", "small")),
}


def _values(draw: Any, shape: tuple[int, ...], what: str, distinct: bool = False) -> list[float]:
    low, high = _RANGES[what]
    count = math.prod(shape)
    return draw(st.lists(st.floats(low, high), min_size=count, max_size=count, unique=distinct))


def _tensor(values: list[float], shape: tuple[int, ...]) -> ut.Tensor:
    return ut.reshape(ut.asarray(values, dtype=ut.float64, backend="numpy"), shape)


@st.composite
def gradient_case(draw: Any, name: str) -> list[ut.Tensor]:
    """Float64 NumPy-backend inputs for differentiating ``name``."""
    arity, ranges = DIFFERENTIABLE[name]
    if arity in ("matrix", "solve"):
        n = draw(st.integers(1, 3))
        a = _tensor(_values(draw, (n, n), "small"), (n, n)) / 8 + ut.eye(n, dtype=ut.float64, backend="numpy") * 2
        if arity == "matrix":
            return [a]
        return [a, _tensor(_values(draw, (n, 2), "small"), (n, 2))]
    if arity == "matmul":
        m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
        return [_tensor(_values(draw, (m, k), "small"), (m, k)), _tensor(_values(draw, (k, n), "small"), (k, n))]
    spread = name in ("std", "var")  # not differentiable where all values are equal
    shape = tuple(draw(st.lists(st.integers(2 if spread else 1, 3), min_size=1, max_size=2)))
    return [_tensor(_values(draw, shape, ranges[i], spread), shape) for i in range(arity)]


def objective(name: str) -> Callable[..., ut.Tensor]:
    """``sum(f(*inputs))``, a scalar whose gradient is the vector-Jacobian product with ones."""
    function = lookup(ut, name)
    if name == "std" or name == "var":
        return lambda *xs: ut.sum(function(*xs, correction=0))
    if name == "cumulative_sum":
        return lambda x: ut.sum(function(x, axis=0) ** 2)
    return lambda *xs: ut.sum(function(*xs))


def finite_differences(f: Callable[..., ut.Tensor], inputs: list[ut.Tensor], h: float = 1e-6) -> list[ut.Tensor]:
    """Central differences of scalar ``f`` with respect to each input (float64, NumPy backend)."""
    grads = []
    for i, x in enumerate(inputs):
        flat = ut.reshape(x, (-1,)).tolist()
        partials = []
        for j in range(len(flat)):

            def at(delta: float) -> float:
                shifted = list(flat)
                shifted[j] += delta
                args = list(inputs)
                args[i] = _tensor(shifted, x.shape)
                return float(f(*args))

            partials.append((at(h) - at(-h)) / (2 * h))
        grads.append(_tensor(partials, x.shape))
    return grads


#: functions at points where they are not differentiable, and the inputs that hit those points:
#: every engine must give PyTorch's gradient there (``abs'(0) = 0``, ties split evenly, clip's
#: bounds pass the gradient, the norm of zero has gradient 0, hypot(0, 0)'s is NaN). The NumPy
#: backend's tape is the reference; tests/test_kinks.py checks the tape against torch.autograd.
KINKS: dict[str, tuple[Callable[[ut.Tensor], ut.Tensor], list[float]]] = {
    "abs": (lambda x: ut.sum(ut.abs(x)), [0.0, -0.0, 1.0, -2.0]),
    "maximum": (lambda x: ut.sum(ut.maximum(x, ut.flip(x))), [1.0, 2.0, 1.0]),
    "minimum": (lambda x: ut.sum(ut.minimum(x, ut.flip(x))), [1.0, 2.0, 1.0]),
    "maximum-scalar": (lambda x: ut.sum(ut.maximum(x, 0.0)), [0.0, 1.0, -1.0]),
    "max": (lambda x: ut.max(x), [1.0, 1.0, 0.0]),
    "min": (lambda x: ut.min(x), [0.0, 0.0, 1.0]),
    "clip": (
        lambda x: ut.sum(ut.clip(x, 0.0, 1.0) * ut.arange(1.0, 5.0, dtype=x.dtype, backend=x.backend)),
        [0.0, 1.0, 0.5, 2.0],
    ),
    "sign": (lambda x: ut.sum(ut.sign(x)), [0.0, 1.0]),
    "hypot": (lambda x: ut.sum(ut.hypot(x, x)), [0.0, 1.0]),
    "linalg.vector_norm": (lambda x: ut.linalg.vector_norm(x), [0.0, 0.0]),
    "sqrt": (lambda x: ut.sum(ut.sqrt(x)), [0.0, 4.0]),
}
