"""The tape's VJP rules: one per differentiable function, written once against the ``unitensor`` namespace.

A rule maps an argument (its position, or its keyword) to a function
``vjp(g, ans, *args, **kwargs)`` that returns the cotangent of that argument
given the cotangent ``g`` of the result ``ans``. Because rules call the
namespace, they run on every backend and are themselves recorded when an
outer gradient is being taken, which gives higher derivatives. Rules return
cotangents in the shape of the output where broadcasting is involved; the
tape's ``fit`` sums them back to each argument's shape and dtype.

Functions that are easier to differentiate as a composition of recorded
primitives (``linalg.trace``, ``linalg.matrix_norm`` ...) are listed in
``COMPOSITES`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import unitensor as ut

from .._namespace import FUNCTIONS, _getitem
from .._tensor import Tensor
from . import _tape
from ._tape import COMPOSITES, CONSTANT, NAMES, RULES, functional_setitem

Rule = Callable[..., Any]

# -- helpers ------------------------------------------------------------------------


def _zeros(x: Tensor) -> Tensor:
    return ut.zeros_like(x)


def _cast(mask: Tensor, like: Tensor) -> Tensor:
    return ut.astype(mask, like.dtype)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def _expand_reduced(g: Tensor, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    """The cotangent of a reduction over ``axis`` put back in ``x``'s shape."""
    if not keepdims and x.ndim:
        for a in _axes(axis, x.ndim):
            g = ut.expand_dims(g, axis=a)
    if None in x.shape:  # a lazy (Dask) array of unknown size
        return g * ut.ones_like(x)
    return ut.broadcast_to(g, x.shape)


def _count(x: Tensor, axis: Any) -> int:
    return math.prod(x.shape[a] for a in _axes(axis, x.ndim))


def _one(g: Any, index: int, like: Tensor) -> Tensor:
    """Output ``index`` of a multi-output cotangent list, zeros if it got none."""
    return _zeros(like) if g[index] is None else g[index]


def _segment_sum(values: Tensor, ids: Tensor, n: int, axis: int) -> Tensor:
    """Sum slices of ``values`` along ``axis`` into ``n`` slots by ``ids``: the adjoint of ``take``.

    Written as a product with a one-hot matrix, which the array API can
    express on every backend (it has no scatter-add).
    """
    slots = ut.arange(n, dtype=ids.dtype, backend=ids.backend, device=ids.device)
    one_hot = _cast(ut.reshape(ids, (-1, 1)) == slots, values)
    moved = ut.moveaxis(values, axis, -1)
    return ut.moveaxis(ut.matmul(moved, one_hot), -1, axis)


# -- elementwise --------------------------------------------------------------------


def _safe_log(x: Any) -> Any:
    """log(x), with 1 in place of 0 (``0 ** y`` has no log term to differentiate)."""
    if not isinstance(x, Tensor):
        return math.log(x) if x else 0.0
    return ut.log(ut.where(x == 0, ut.ones_like(x), x))


def _tie_share(x: Any, y: Any) -> Tensor:
    """1 where ``x`` wins, 0.5 on ties, 0 where it loses (how torch and JAX split ties)."""
    like = x if isinstance(x, Tensor) else y
    return _cast(x > y, like) + 0.5 * _cast(x == y, like)


UNARY: dict[str, Rule] = {
    "abs": lambda g, ans, x: (
        g * ut.sign(x) if x.dtype.kind != "complex floating" else g * x / ut.where(ans == 0, ut.ones_like(ans), ans)
    ),
    "acos": lambda g, ans, x: -g / ut.sqrt(1 - x * x),
    "acosh": lambda g, ans, x: g / ut.sqrt(x * x - 1),
    "asin": lambda g, ans, x: g / ut.sqrt(1 - x * x),
    "asinh": lambda g, ans, x: g / ut.sqrt(x * x + 1),
    "atan": lambda g, ans, x: g / (1 + x * x),
    "atanh": lambda g, ans, x: g / (1 - x * x),
    "conj": lambda g, ans, x: ut.conj(g),
    "cos": lambda g, ans, x: -g * ut.sin(x),
    "cosh": lambda g, ans, x: g * ut.sinh(x),
    "exp": lambda g, ans, x: g * ans,
    "expm1": lambda g, ans, x: g * (ans + 1),
    "log": lambda g, ans, x: g / x,
    "log10": lambda g, ans, x: g / (x * math.log(10)),
    "log1p": lambda g, ans, x: g / (1 + x),
    "log2": lambda g, ans, x: g / (x * math.log(2)),
    "negative": lambda g, ans, x: -g,
    "positive": lambda g, ans, x: g,
    "real": lambda g, ans, x: g,
    "reciprocal": lambda g, ans, x: -g * ans * ans,
    "sin": lambda g, ans, x: g * ut.cos(x),
    "sinh": lambda g, ans, x: g * ut.cosh(x),
    "sqrt": lambda g, ans, x: g / (2 * ans),
    "square": lambda g, ans, x: 2 * g * x,
    "tan": lambda g, ans, x: g * (1 + ans * ans),
    "tanh": lambda g, ans, x: g * (1 - ans * ans),
}

BINARY: dict[str, tuple[Rule, Rule | None]] = {
    "add": (lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    "subtract": (lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    "multiply": (lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    "divide": (lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y),
    "pow": (lambda g, ans, x, y: g * y * x ** (y - 1), lambda g, ans, x, y: g * ans * _safe_log(x)),
    "atan2": (lambda g, ans, y, x: g * x / (x * x + y * y), lambda g, ans, y, x: -g * y / (x * x + y * y)),
    "hypot": (lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans),
    "logaddexp": (lambda g, ans, x, y: g * ut.exp(x - ans), lambda g, ans, x, y: g * ut.exp(y - ans)),
    "maximum": (lambda g, ans, x, y: g * _tie_share(x, y), lambda g, ans, x, y: g * _tie_share(y, x)),
    "minimum": (lambda g, ans, x, y: g * _tie_share(y, x), lambda g, ans, x, y: g * _tie_share(x, y)),
    "copysign": (lambda g, ans, x, y: g * ut.sign(x) * ut.sign(ans), None),
    "remainder": (lambda g, ans, x, y: g, lambda g, ans, x, y: -g * ut.floor_divide(x, y)),
}

#: float results that do not depend on the inputs' values (zero gradient, as in torch and JAX)
CONSTANTS = """ceil floor round sign trunc floor_divide nextafter empty_like full_like ones_like
zeros_like""".split()


# -- reductions ----------------------------------------------------------------------


def _sum(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Tensor:
    return _expand_reduced(g, x, axis, keepdims)


def _mean(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _expand_reduced(g, x, axis, keepdims) / _count(x, axis)


def _prod(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Tensor:
    # the product of the other factors, from exclusive cumulative products from
    # both sides: exact where x has zeros, unlike ans / x
    axes = _axes(axis, x.ndim)
    if not axes:
        return g
    rest = [a for a in range(x.ndim) if a not in axes]
    order = rest + list(axes)
    moved = ut.permute_dims(x, tuple(order))
    flat = ut.reshape(moved, moved.shape[: len(rest)] + (-1,))
    before = ut.cumulative_prod(flat, axis=-1, include_initial=True)[..., :-1]
    after = ut.flip(ut.cumulative_prod(ut.flip(flat, axis=-1), axis=-1, include_initial=True)[..., :-1], axis=-1)
    others = ut.permute_dims(ut.reshape(before * after, moved.shape), _inverse_permutation(order))
    return _expand_reduced(g, x, axis, keepdims) * others


def _extremum(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    # ties share the cotangent equally, as torch's amax/amin and JAX do
    hit = _cast(x == _expand_reduced(ans, x, axis, keepdims), x)
    return _expand_reduced(g, x, axis, keepdims) * hit / ut.sum(hit, axis=axis, keepdims=True)


def _var(
    g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, correction: float = 0.0, keepdims: bool = False
) -> Tensor:
    centred = x - ut.mean(x, axis=axis, keepdims=True)
    return _expand_reduced(g, x, axis, keepdims) * centred * (2 / (_count(x, axis) - correction))


def _std(
    g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, correction: float = 0.0, keepdims: bool = False
) -> Tensor:
    return _var(g / (2 * ans), ans, x, axis, correction, keepdims)


def _reverse_cumsum(g: Tensor, axis: int) -> Tensor:
    return ut.flip(ut.cumulative_sum(ut.flip(g, axis=axis), axis=axis), axis=axis)


def _cumulative_axis(x: Tensor, axis: int | None) -> int:
    return 0 if axis is None else axis % x.ndim


def _drop_initial(g: Tensor, axis: int, include_initial: bool) -> Tensor:
    if not include_initial:
        return g
    return g[(slice(None),) * axis + (slice(1, None), ...)]


def _cumulative_sum(
    g: Tensor, ans: Tensor, x: Tensor, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    axis = _cumulative_axis(x, axis)
    return _reverse_cumsum(_drop_initial(g, axis, include_initial), axis)


def _cumulative_prod(
    g: Tensor, ans: Tensor, x: Tensor, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    axis = _cumulative_axis(x, axis)
    g, ans = _drop_initial(g, axis, include_initial), _drop_initial(ans, axis, include_initial)
    return _reverse_cumsum(g * ans, axis) / x


# -- products -------------------------------------------------------------------------


def _matmul_x1(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    if x1.ndim == 1 and x2.ndim == 1:
        return g * x2
    if x2.ndim == 1:
        return ut.expand_dims(g, axis=-1) * x2
    if x1.ndim == 1:
        return ut.matmul(ut.expand_dims(g, axis=-2), ut.matrix_transpose(x2))[..., 0, :]
    return ut.matmul(g, ut.matrix_transpose(x2))


def _matmul_x2(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    if x1.ndim == 1 and x2.ndim == 1:
        return g * x1
    if x1.ndim == 1:
        return ut.expand_dims(x1, axis=-1) * ut.expand_dims(g, axis=-2)
    if x2.ndim == 1:
        return ut.matmul(ut.matrix_transpose(x1), ut.expand_dims(g, axis=-1))[..., 0]
    return ut.matmul(ut.matrix_transpose(x1), g)


def _tensordot_axes(x1: Tensor, x2: Tensor, axes: Any) -> tuple[list[int], list[int]]:
    if isinstance(axes, int):
        return list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    a, b = axes
    a = [a] if isinstance(a, int) else list(a)
    b = [b] if isinstance(b, int) else list(b)
    return [i % x1.ndim for i in a], [i % x2.ndim for i in b]


def _inverse_permutation(order: list[int]) -> tuple[int, ...]:
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return tuple(inverse)


def _tensordot_x1(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor, axes: Any = 2) -> Tensor:
    a, b = _tensordot_axes(x1, x2, axes)
    free_a = [i for i in range(x1.ndim) if i not in a]
    free_b = [i for i in range(x2.ndim) if i not in b]
    out = ut.tensordot(g, x2, axes=(list(range(len(free_a), g.ndim)), free_b))
    order = free_a + [a[b.index(j)] for j in sorted(b)]
    return ut.permute_dims(out, _inverse_permutation(order))


def _tensordot_x2(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor, axes: Any = 2) -> Tensor:
    a, b = _tensordot_axes(x1, x2, axes)
    free_a = [i for i in range(x1.ndim) if i not in a]
    free_b = [i for i in range(x2.ndim) if i not in b]
    out = ut.tensordot(x1, g, axes=(free_a, list(range(len(free_a)))))
    order = [b[a.index(i)] for i in sorted(a)] + free_b
    return ut.permute_dims(out, _inverse_permutation(order))


def _vecdot_axis(x1: Tensor, x2: Tensor, axis: int) -> int:
    ndim = max(x1.ndim, x2.ndim)
    return axis - ndim if axis >= 0 else axis


def _vecdot_x1(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor, axis: int = -1) -> Tensor:
    return ut.expand_dims(ut.conj(g) if g.dtype.kind == "complex floating" else g, axis=_vecdot_axis(x1, x2, axis)) * x2


def _vecdot_x2(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor, axis: int = -1) -> Tensor:
    return ut.expand_dims(g, axis=_vecdot_axis(x1, x2, axis)) * ut.conj(x1)


def _cross(which: int) -> Rule:
    def rule(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor, axis: int = -1) -> Tensor:
        return ut.linalg.cross(x2, g, axis=axis) if which == 0 else ut.linalg.cross(g, x1, axis=axis)

    return rule


# -- shape functions --------------------------------------------------------------------


def _same_shape(g: Tensor, ans: Tensor, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    return ut.reshape(g, x.shape)


def _permute_dims(g: Tensor, ans: Tensor, x: Tensor, axes: Any) -> Tensor:
    return ut.permute_dims(g, _inverse_permutation([a % x.ndim for a in axes]))


def _flip(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None) -> Tensor:
    return ut.flip(g, axis=axis)


def _roll(g: Tensor, ans: Tensor, x: Tensor, shift: Any, axis: Any = None) -> Tensor:
    back = -shift if isinstance(shift, int) else tuple(-s for s in shift)
    return ut.roll(g, back, axis=axis)


def _moveaxis(g: Tensor, ans: Tensor, x: Tensor, source: Any, destination: Any) -> Tensor:
    return ut.moveaxis(g, destination, source)


def _concat(g: Tensor, ans: Tensor, arrays: Any, axis: int | None = 0) -> list[Tensor]:
    pieces, start = [], 0
    for x in arrays:
        if axis is None:
            size = x.size
            pieces.append(ut.reshape(g[start : start + size], x.shape))
        else:
            size = x.shape[axis]
            pieces.append(g[(slice(None),) * (axis % g.ndim) + (slice(start, start + size), ...)])
        start += size
    return pieces


def _stack(g: Tensor, ans: Tensor, arrays: Any, axis: int = 0) -> list[Tensor]:
    axis %= g.ndim
    return [g[(slice(None),) * axis + (i, ...)] for i in range(len(arrays))]


def _tile(g: Tensor, ans: Tensor, x: Tensor, repetitions: Any) -> Tensor:
    ndim = max(x.ndim, len(repetitions))
    reps = (1,) * (ndim - len(repetitions)) + tuple(repetitions)
    shape = (1,) * (ndim - x.ndim) + x.shape
    interleaved = tuple(n for pair in zip(reps, shape) for n in pair)
    summed = ut.sum(ut.reshape(g, interleaved), axis=tuple(range(0, 2 * ndim, 2)))
    return ut.reshape(summed, x.shape)


def _repeat(g: Tensor, ans: Tensor, x: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
    source = ut.reshape(x, (-1,)) if axis is None else x
    axis = 0 if axis is None else axis % x.ndim
    n = source.shape[axis]
    if isinstance(repeats, int):
        shape = source.shape[:axis] + (n, repeats) + source.shape[axis + 1 :]
        return ut.reshape(ut.sum(ut.reshape(g, shape), axis=axis + 1), x.shape)
    ids = ut.repeat(ut.arange(n, backend=x.backend, device=x.device), repeats)
    return ut.reshape(_segment_sum(g, ids, n, axis), x.shape)


def _take(g: Tensor, ans: Tensor, x: Tensor, indices: Tensor, axis: int | None = None) -> Tensor:
    axis = 0 if axis is None else axis % x.ndim
    n = x.shape[axis]
    return _segment_sum(g, ut.where(indices < 0, indices + n, indices), n, axis)


def _take_along_axis(g: Tensor, ans: Tensor, x: Tensor, indices: Tensor, axis: int = -1) -> Tensor:
    n = x.shape[axis]
    indices = ut.where(indices < 0, indices + n, indices)
    slots = ut.arange(n, dtype=indices.dtype, backend=x.backend, device=x.device)
    one_hot = _cast(ut.expand_dims(ut.moveaxis(indices, axis, -1), axis=-1) == slots, g)
    spread = ut.expand_dims(ut.moveaxis(g, axis, -1), axis=-1) * one_hot
    return ut.moveaxis(ut.sum(spread, axis=-2), -1, axis)


def _unstack(g: list[Any], ans: Any, x: Tensor, axis: int = 0) -> Tensor:
    return ut.stack([_one(g, i, a) for i, a in enumerate(ans)], axis=axis)


def _broadcast_arrays(index: int) -> Rule:
    def rule(g: list[Any], ans: Any, *arrays: Tensor) -> Tensor:
        return _one(g, index, ans[index])

    return rule


def _meshgrid(index: int) -> Rule:
    def rule(g: list[Any], ans: Any, *arrays: Tensor, indexing: str = "xy") -> Tensor:
        axis = index
        if indexing == "xy" and len(arrays) > 1 and index < 2:
            axis = 1 - index
        out = _one(g, index, ans[index])
        return ut.sum(out, axis=tuple(a for a in range(out.ndim) if a != axis))

    return rule


def _triangle(function: str) -> Rule:
    def rule(g: Tensor, ans: Tensor, x: Tensor, k: int = 0) -> Tensor:
        return getattr(ut, function)(g, k=k)

    return rule


# -- indexing, selection, sorting ---------------------------------------------------------


def _has_array_index(key: Any) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, Tensor) and k.dtype.kind != "bool" for k in keys)


def _write_key(key: Any, ndim: int) -> Any:
    """``key`` without ``None`` entries, and spanning every axis: the form every backend writes with."""
    kept = tuple(k for k in (key if isinstance(key, tuple) else (key,)) if k is not None)
    covered = sum(k.ndim if isinstance(k, Tensor) else 1 for k in kept if k is not Ellipsis)
    if covered < ndim and not any(k is Ellipsis for k in kept):
        kept += (...,)
    return kept[0] if len(kept) == 1 and isinstance(kept[0], Tensor) else kept


def _getitem_rule(g: Tensor, ans: Tensor, x: Tensor, key: Any) -> Tensor:
    if not _has_array_index(key):
        # basic indices and masks select each element at most once: write g back
        zeros = _zeros(x)
        write = _write_key(key, x.ndim)
        if write is not key and isinstance(key, tuple) and any(k is None for k in key):
            g = ut.reshape(g, zeros[write].shape)
        return functional_setitem(zeros, write, g)
    # integer arrays may repeat an element: sum through the flat position of each one
    positions = ut.reshape(ut.arange(x.size, backend=x.backend, device=x.device), x.shape)[key]
    flat = _segment_sum(ut.reshape(g, (-1,)), ut.reshape(positions, (-1,)), x.size, 0)
    return ut.reshape(flat, x.shape)


def _setitem_x(g: Tensor, ans: Tensor, x: Tensor, key: Any, value: Any) -> Tensor:
    return functional_setitem(g, key, 0)


def _setitem_value(g: Tensor, ans: Tensor, x: Tensor, key: Any, value: Any) -> Tensor:
    return _getitem(g, key)


def _where(which: int) -> Rule:
    def rule(g: Tensor, ans: Tensor, condition: Tensor, x1: Any, x2: Any) -> Tensor:
        zeros = _zeros(g)
        return ut.where(condition, g, zeros) if which == 1 else ut.where(condition, zeros, g)

    return rule


def _clip_x(g: Tensor, ans: Tensor, x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    # like torch.clamp: the bounds themselves pass the cotangent to x
    inside = ut.ones_like(g)
    if min is not None:
        inside = inside * _cast(x >= min, g)
    if max is not None:
        inside = inside * _cast(x <= max, g)
    return g * inside


def _clip_min(g: Tensor, ans: Tensor, x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    below = _cast(x < min, g)
    if max is not None:
        below = below * _cast(min <= max, g)
    return g * below


def _clip_max(g: Tensor, ans: Tensor, x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return g * _cast(x > max, g)


def _sort(g: Tensor, ans: Tensor, x: Tensor, axis: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
    order = ut.argsort(x, axis=axis, descending=descending, stable=stable)
    return ut.take_along_axis(g, ut.argsort(order, axis=axis), axis=axis)


def _astype(g: Tensor, ans: Tensor, x: Tensor, dtype: Any, copy: bool = True, device: Any = None) -> Tensor:
    return g if device is None else g.to(x.device)


# -- linalg ----------------------------------------------------------------------------------


def _mT(x: Tensor) -> Tensor:
    return ut.matrix_transpose(x)


def _matrix_cotangent(g: Tensor) -> Tensor:
    return ut.expand_dims(ut.expand_dims(g, axis=-1), axis=-1)


def _eye_like(x: Tensor) -> Tensor:
    return ut.eye(x.shape[-1], dtype=x.dtype, backend=x.backend, device=x.device)


def _inv(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    return -ut.matmul(ut.matmul(_mT(ans), g), _mT(ans))


def _solve_is_vector(x2: Tensor) -> bool:
    return x2.ndim == 1


def _solve_x2(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    if _solve_is_vector(x2):
        return ut.linalg.solve(_mT(x1), ut.expand_dims(g, axis=-1))[..., 0]
    return ut.linalg.solve(_mT(x1), g)


def _solve_x1(g: Tensor, ans: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    gb = _solve_x2(g, ans, x1, x2)
    if _solve_is_vector(x2):
        return -ut.expand_dims(gb, axis=-1) * ut.expand_dims(ans, axis=-2)
    return -ut.matmul(gb, _mT(ans))


def _det(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    return _matrix_cotangent(g * ans) * _mT(ut.linalg.inv(x))


def _slogdet(g: list[Any], ans: Any, x: Tensor) -> Tensor:
    logabsdet = _one(g, 1, ans[1])
    return _matrix_cotangent(logabsdet) * _mT(ut.linalg.inv(x))


def _phi(x: Tensor) -> Tensor:
    """The lower triangle of ``x`` with its diagonal halved."""
    return ut.tril(x) - 0.5 * x * _eye_like(x)


def _cholesky(g: Tensor, ans: Tensor, x: Tensor, upper: bool = False) -> Tensor:
    lower, g_lower = (_mT(ans), _mT(g)) if upper else (ans, g)
    lower_inv = ut.linalg.inv(lower)
    middle = _phi(ut.matmul(_mT(lower), ut.tril(g_lower)))
    s = ut.matmul(ut.matmul(_mT(lower_inv), middle), lower_inv)
    return 0.5 * (s + _mT(s))


def _spectral_gaps(w: Tensor) -> Tensor:
    """``1 / (w_j - w_i)`` off the diagonal, 0 on it."""
    gaps = ut.expand_dims(w, axis=-2) - ut.expand_dims(w, axis=-1)
    eye = _eye_like(gaps)
    return (1 - eye) / (gaps + eye)


def _eigh(g: list[Any], ans: Any, x: Tensor) -> Tensor:
    w, v = ans
    gw, gv = g
    inner = ut.zeros_like(x) if gw is None else ut.expand_dims(gw, axis=-1) * _eye_like(x)
    if gv is not None:
        inner = inner + _spectral_gaps(w) * ut.matmul(_mT(v), gv)
    out = ut.matmul(ut.matmul(v, inner), _mT(v))
    return 0.5 * (out + _mT(out))


def _eigvalsh(g: Tensor, ans: Tensor, x: Tensor, **kwargs: Any) -> Tensor:
    _, v = ut.linalg.eigh(x)
    return ut.matmul(v * ut.expand_dims(g, axis=-2), _mT(v))


def _eig(g: list[Any], ans: Any, x: Tensor) -> Tensor:
    """The general eigendecomposition's VJP (Giles 2008; PyTorch's ``linalg_eig_backward``), transposed.

    The tape's complex convention is JAX's (cotangents transpose, they do not
    conjugate), so each ``V^H`` of the adjoint form is ``V^T`` here. Eigenvectors
    are normalized to unit length, and their phase is free: the ``real(diag)``
    term projects the phase out, as PyTorch does.
    """
    w, v = ans
    gw, gv = g
    vt = _mT(v)
    inner = ut.zeros_like(v) if gw is None else ut.expand_dims(gw, axis=-1) * _eye_like(v)
    if gv is not None:
        m = ut.matmul(vt, gv)
        m = m - ut.matmul(vt, ut.conj(v)) * ut.expand_dims(ut.real(ut.linalg.diagonal(m)), axis=-2)
        inner = inner + _spectral_gaps(w) * m
    return ut.linalg.solve(vt, ut.matmul(inner, vt))


def _eigvals_composite(x: Tensor) -> Tensor:
    # through eig, so that the eigenvalues and the eigenvectors the VJP uses come in the same order
    return ut.linalg.eig(x)[0]


def _svd(g: list[Any], ans: Any, x: Tensor, full_matrices: bool = True) -> Tensor:
    u, s, vh = ans
    m, n = x.shape[-2], x.shape[-1]
    if full_matrices and m != n and (g[0] is not None or g[2] is not None):
        raise NotImplementedError(
            "the gradient of svd(full_matrices=True) of a non-square matrix is not "
            "defined (the extra singular vectors are arbitrary); use "
            "full_matrices=False"
        )
    gu, gs, gvh = g
    v = _mT(vh)
    diagonal = ut.expand_dims(s if gs is None else gs, axis=-1) * ut.eye(
        s.shape[-1], dtype=s.dtype, backend=s.backend, device=s.device
    )
    core = ut.zeros_like(diagonal) if gs is None else diagonal
    s_row = ut.expand_dims(s, axis=-2)
    s_col = ut.expand_dims(s, axis=-1)
    if gu is not None or gvh is not None:
        squares = s_row * s_row - s_col * s_col
        eye = _eye_like(squares)
        f = (1 - eye) / (squares + eye)
        if gu is not None:
            uhgu = ut.matmul(_mT(u), gu)
            core = core + f * (uhgu - _mT(uhgu)) * s_row
        if gvh is not None:
            gv = _mT(gvh)
            vhgv = ut.matmul(vh, gv)
            core = core + s_col * (f * (vhgv - _mT(vhgv)))
    out = ut.matmul(ut.matmul(u, core), vh)
    if gu is not None and m > s.shape[-1]:
        proj = gu - ut.matmul(u, ut.matmul(_mT(u), gu))
        out = out + ut.matmul(proj / s_row, vh)
    if gvh is not None and n > s.shape[-1]:
        gv = _mT(gvh)
        proj = gv - ut.matmul(v, ut.matmul(vh, gv))
        out = out + ut.matmul(u / s_row, _mT(proj))
    return out


def _svdvals(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    u, _, vh = ut.linalg.svd(x, full_matrices=False)
    return ut.matmul(u * ut.expand_dims(g, axis=-2), vh)


def _qr(g: list[Any], ans: Any, x: Tensor, mode: str = "reduced") -> Tensor:
    q, r = ans
    m, n = x.shape[-2], x.shape[-1]
    if m < n:
        raise NotImplementedError(
            "the tape differentiates qr() of matrices with at least as many rows as "
            "columns; transpose the problem or use the torch/jax engine"
        )
    gq = _one(g, 0, q)
    gr = _one(g, 1, r)
    mm = ut.matmul(r, _mT(gr)) - ut.matmul(_mT(gq), q)
    lower = ut.tril(mm, k=-1)
    copyltu = lower + _mT(lower) + mm * _eye_like(mm)
    b = gq + ut.matmul(q, copyltu)
    return _mT(ut.linalg.solve(r, _mT(b)))


def _diagonal(g: Tensor, ans: Tensor, x: Tensor, offset: int = 0) -> Tensor:
    m, n = x.shape[-2], x.shape[-1]
    rows = ut.arange(m, backend=x.backend, device=x.device)
    cols = ut.arange(n, backend=x.backend, device=x.device)
    on_diagonal = _cast(ut.expand_dims(rows, axis=-1) + offset == cols, g)
    length = g.shape[-1]
    along = m if offset >= 0 else n
    if along > length:
        padding = ut.zeros(g.shape[:-1] + (along - length,), dtype=g.dtype, backend=g.backend, device=g.device)
        g = ut.concat([g, padding], axis=-1)
    spread = ut.expand_dims(g, axis=-1) if offset >= 0 else ut.expand_dims(g, axis=-2)
    return on_diagonal * spread


def _vector_norm(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, keepdims: bool = False, ord: float = 2) -> Tensor:
    g = _expand_reduced(g, x, axis, keepdims)
    norm = _expand_reduced(ans, x, axis, keepdims)
    magnitude = ut.abs(x)
    direction = (
        ut.sign(x)
        if x.dtype.kind != "complex floating"
        else x / ut.where(magnitude == 0, ut.ones_like(magnitude), magnitude)
    )
    if ord == 2:
        return g * x / ut.where(norm == 0, ut.ones_like(norm), norm)
    if ord == 1:
        return g * direction
    if ord in (math.inf, -math.inf):
        hit = _cast(magnitude == norm, magnitude)
        return g * direction * hit / ut.sum(hit, axis=axis, keepdims=True)
    if ord == 0:
        return _zeros(x)
    safe_norm = ut.where(norm == 0, ut.ones_like(norm), norm)
    return g * direction * (magnitude / safe_norm) ** (ord - 1)


# -- composites: functions written with recorded primitives ---------------------------------


def _trace_composite(x: Tensor, /, *, offset: int = 0, dtype: Any = None) -> Tensor:
    out = ut.sum(ut.linalg.diagonal(x, offset=offset), axis=-1)
    return out if dtype is None else ut.astype(out, dtype)


def _outer_composite(x1: Tensor, x2: Tensor, /) -> Tensor:
    return ut.expand_dims(x1, axis=-1) * ut.expand_dims(x2, axis=0)


def _matrix_norm_composite(x: Tensor, /, *, keepdims: bool = False, ord: Any = "fro") -> Tensor:
    if ord == "fro":
        out = ut.linalg.vector_norm(x, axis=(-2, -1))
    elif ord == "nuc":
        out = ut.sum(ut.linalg.svdvals(x), axis=-1)
    elif ord in (2, -2):
        singular = ut.linalg.svdvals(x)
        out = ut.max(singular, axis=-1) if ord == 2 else ut.min(singular, axis=-1)
    elif ord in (1, -1, math.inf, -math.inf):
        sums = ut.sum(ut.abs(x), axis=-2 if ord in (1, -1) else -1)
        out = ut.max(sums, axis=-1) if ord > 0 else ut.min(sums, axis=-1)
    else:
        raise ValueError(f"matrix_norm() got ord={ord!r}; the standard allows 'fro', 'nuc', 1, -1, 2, -2, inf and -inf")
    if keepdims:
        out = ut.expand_dims(ut.expand_dims(out, axis=-1), axis=-1)
    return out


def _matrix_power_composite(x: Tensor, n: int, /) -> Tensor:
    if n < 0:
        return _matrix_power_composite(ut.linalg.inv(x), -n)
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else ut.matmul(result, base)
        n >>= 1
        if n:
            base = ut.matmul(base, base)
    return result if result is not None else ut.broadcast_to(_eye_like(x), x.shape)


# -- unitensor.extras ---------------------------------------------------------------------


def _einsum(index: int) -> Rule:
    """The cotangent of operand ``index``: an einsum of the output's cotangent with the other operands."""
    from ..extras import einsum, normalize_subscripts

    def rule(g: Tensor, ans: Tensor, subscripts: str, *operands: Tensor) -> Tensor:
        inputs, output = normalize_subscripts(subscripts, [x.ndim for x in operands])
        position = index - 1  # argument 0 is the subscripts
        mine = inputs[position]
        others = [s for i, s in enumerate(inputs) if i != position]
        if len(set(mine)) != len(mine):
            raise NotImplementedError(
                f"einsum {subscripts!r}: the tape has no gradient for a label repeated in "
                f"one operand (a diagonal); write it with ut.linalg.diagonal"
            )
        elsewhere = set(output).union(*others)
        reached = "".join(c for c in mine if c in elsewhere)
        spec = ",".join([output, *others]) + "->" + reached
        grad = einsum(spec, g, *[x for i, x in enumerate(operands) if i != position])
        for axis, c in enumerate(mine):  # labels summed in this operand alone: broadcast back
            if c not in elsewhere:
                grad = ut.expand_dims(grad, axis=axis)
        return ut.broadcast_to(grad, operands[position].shape)

    return rule


def _softmax(g: Tensor, ans: Tensor, x: Tensor, axis: int = -1) -> Tensor:
    return ans * (g - ut.sum(g * ans, axis=axis, keepdims=True))


def _log_softmax(g: Tensor, ans: Tensor, x: Tensor, axis: int = -1) -> Tensor:
    return g - ut.exp(ans) * ut.sum(g, axis=axis, keepdims=True)


def _logsumexp(g: Tensor, ans: Tensor, x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    if not keepdims and x.ndim:
        for a in _axes(axis, x.ndim):
            g, ans = ut.expand_dims(g, axis=a), ut.expand_dims(ans, axis=a)
    return g * ut.exp(x - ans)


def _pad(g: Tensor, ans: Tensor, x: Tensor, pad_width: Any, constant_values: Any = 0) -> Tensor:
    return g[tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))]


def _top_k(g: list[Any], ans: Any, x: Tensor, k: int, axis: int = -1) -> Tensor:
    """The values' cotangent scattered back to where they were taken from (a one-hot product)."""
    values, indices = ans
    if g[0] is None:
        return _zeros(x)
    n = x.shape[axis]
    slots = ut.arange(n, dtype=indices.dtype, backend=indices.backend, device=indices.device)
    picked = _cast(ut.expand_dims(ut.moveaxis(indices, axis, -1), axis=-1) == slots, values)  # (..., k, n)
    scattered = ut.sum(ut.expand_dims(ut.moveaxis(g[0], axis, -1), axis=-1) * picked, axis=-2)
    return ut.moveaxis(scattered, -1, axis)


def _install_extras() -> None:
    from .. import extras

    names = ["einsum", "softmax", "log_softmax", "logsumexp", "pad", "top_k", "one_hot", "isclose"]
    NAMES.update({getattr(extras, name): "ut.extras." + name for name in names})
    RULES[extras.einsum] = _ManyArrays(_einsum)
    RULES[extras.softmax] = {0: _softmax}
    RULES[extras.log_softmax] = {0: _log_softmax}
    RULES[extras.logsumexp] = {0: _logsumexp}
    RULES[extras.pad] = {0: _pad}
    RULES[extras.top_k] = {0: _top_k}
    CONSTANT.update({extras.one_hot, extras.isclose})


# -- the tables --------------------------------------------------------------------------


def _rules() -> dict[str, dict[Any, Rule]]:
    rules: dict[str, dict[Any, Rule]] = {name: {0: rule} for name, rule in UNARY.items()}
    for name, (first, second) in BINARY.items():
        rules[name] = {0: first} if second is None else {0: first, 1: second}
    rules.update(
        {
            "sum": {0: _sum},
            "mean": {0: _mean},
            "prod": {0: _prod},
            "max": {0: _extremum},
            "min": {0: _extremum},
            "var": {0: _var},
            "std": {0: _std},
            "cumulative_sum": {0: _cumulative_sum},
            "cumulative_prod": {0: _cumulative_prod},
            "matmul": {0: _matmul_x1, 1: _matmul_x2},
            "tensordot": {0: _tensordot_x1, 1: _tensordot_x2},
            "vecdot": {0: _vecdot_x1, 1: _vecdot_x2},
            "reshape": {0: _same_shape},
            "expand_dims": {0: _same_shape},
            "squeeze": {0: _same_shape},
            "broadcast_to": {0: lambda g, ans, x, shape: g},
            "permute_dims": {0: _permute_dims},
            "matrix_transpose": {0: lambda g, ans, x: _mT(g)},
            "flip": {0: _flip},
            "roll": {0: _roll},
            "moveaxis": {0: _moveaxis},
            "concat": {0: _concat},
            "stack": {0: _stack},
            "tile": {0: _tile},
            "repeat": {0: _repeat},
            "take": {0: _take},
            "take_along_axis": {0: _take_along_axis},
            "unstack": {0: _unstack},
            "tril": {0: _triangle("tril")},
            "triu": {0: _triangle("triu")},
            "where": {1: _where(1), 2: _where(2)},
            "clip": {0: _clip_x, 1: _clip_min, 2: _clip_max, "min": _clip_min, "max": _clip_max},
            "sort": {0: _sort},
            "linalg.inv": {0: _inv},
            "linalg.solve": {0: _solve_x1, 1: _solve_x2},
            "linalg.det": {0: _det},
            "linalg.slogdet": {0: _slogdet},
            "linalg.cholesky": {0: _cholesky},
            "linalg.eigh": {0: _eigh},
            "linalg.eigvalsh": {0: _eigvalsh},
            "linalg.svd": {0: _svd},
            "linalg.svdvals": {0: _svdvals},
            "linalg.qr": {0: _qr},
            "linalg.diagonal": {0: _diagonal},
            "linalg.vector_norm": {0: _vector_norm},
            "linalg.cross": {0: _cross(0), 1: _cross(1)},
            "linalg.eig": {0: _eig},
        }
    )
    for alias in ("matmul", "tensordot", "vecdot", "matrix_transpose"):
        rules["linalg." + alias] = rules[alias]
    return rules


class _ManyArrays(dict):
    """Rules of functions taking any number of arrays (broadcast_arrays, meshgrid): one per position."""

    def __init__(self, make: Callable[[int], Rule]) -> None:
        super().__init__()
        self._make = make

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int)

    def __missing__(self, key: int) -> Rule:
        rule = self[key] = self._make(key)
        return rule


def _install() -> None:
    for name, function in FUNCTIONS.items():
        NAMES[function] = "ut." + name
    for name, rule in _rules().items():
        RULES[FUNCTIONS[name]] = rule
    RULES[FUNCTIONS["broadcast_arrays"]] = _ManyArrays(_broadcast_arrays)
    RULES[FUNCTIONS["meshgrid"]] = _ManyArrays(_meshgrid)
    RULES[_getitem] = {0: _getitem_rule}
    RULES[functional_setitem] = {0: _setitem_x, 2: _setitem_value}
    RULES[ut.astype] = {0: _astype}
    _tape._astype = ut.astype
    NAMES.update({_getitem: "Tensor.__getitem__", functional_setitem: "Tensor.__setitem__", ut.astype: "ut.astype"})
    CONSTANT.update(FUNCTIONS[name] for name in CONSTANTS)
    COMPOSITES.update(
        {
            FUNCTIONS["linalg.trace"]: _trace_composite,
            FUNCTIONS["linalg.outer"]: _outer_composite,
            FUNCTIONS["linalg.matrix_norm"]: _matrix_norm_composite,
            FUNCTIONS["linalg.matrix_power"]: _matrix_power_composite,
            FUNCTIONS["linalg.eigvals"]: _eigvals_composite,
        }
    )
    _install_extras()


_install()
