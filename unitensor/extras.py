"""Functions research code reaches for that the array API standard does not define: ``ut.extras``.

Everything here works on every backend and takes and returns Tensors, like
the standard's functions; it lives apart from them (``ut.extras.einsum``, not
``ut.einsum``) so that code can tell what is standard. ``ut.moveaxis`` is in
the standard itself.

==================  ===========================================================
function            implementation
==================  ===========================================================
``einsum``          the framework's own einsum (NumPy, torch, JAX, Dask); a
                    broadcast-multiply-and-sum written against the standard
                    elsewhere
``softmax``,        torch's and JAX's own; elsewhere written against the
``log_softmax``,    standard, shifted by the maximum for stability
``logsumexp``
``top_k``           ``torch.topk``, ``jax.lax.top_k``; elsewhere a stable
                    descending ``argsort``
``pad``,            array-api-extra (which calls ``numpy.pad``,
``one_hot``,        ``torch.nn.functional.pad``, ``jax.nn.one_hot`` ... where
``isclose``         they exist)
``nansum``,         array-api-extra, run through unitensor's own namespace
``nanmean``
``quantile``,       written with the standard's functions (sort, take,
``median``,         slicing)
``split``,
``allclose``
==================  ===========================================================

Gradients: every differentiable function here has a rule on unitensor's tape
(or is written with functions that have one), and differentiates natively on
torch and JAX. ``one_hot``, ``isclose`` and ``allclose`` are constants.

>>> import unitensor as ut
>>> a = ut.asarray([[1.0, 2.0], [3.0, 4.0]])
>>> ut.extras.einsum("ij,jk->ik", a, a).tolist()
[[7.0, 10.0], [15.0, 22.0]]
>>> [round(v, 4) for v in ut.extras.softmax(ut.asarray([0.0, 1.0])).tolist()]
[0.2689, 0.7311]
"""

from __future__ import annotations

import functools
import itertools
import math
import string
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from . import backends as _registry
from ._config import get_backend
from ._dtypes import DType, as_dtype, result_type
from ._namespace import FUNCTIONS, _Scan, astype, wrap
from ._tensor import Tensor

__all__ = [
    "TopK",
    "allclose",
    "einsum",
    "isclose",
    "log_softmax",
    "logsumexp",
    "median",
    "nanmean",
    "nansum",
    "one_hot",
    "pad",
    "quantile",
    "softmax",
    "split",
    "top_k",
]

_std = FUNCTIONS  # the standard's functions, by name


class TopK(NamedTuple):
    """The result of :func:`top_k`."""

    values: Tensor
    indices: Tensor


# -- dispatch ----------------------------------------------------------------------------

#: name -> generic implementation on native arrays, ``generic(xp, *args, **kwargs)``
_GENERIC: dict[str, Callable[..., Any]] = {}
_IMPLEMENTATIONS: dict[tuple[_registry.Backend, str], Callable[..., Any]] = {}


def _implementation(backend: _registry.Backend, name: str) -> Callable[..., Any]:
    """The backend's native function for ``name`` (``Backend.extras()``), else the generic one on its namespace."""
    try:
        return _IMPLEMENTATIONS[backend, name]
    except KeyError:
        pass
    native = backend.extras().get(name)
    found = native if native is not None else functools.partial(_GENERIC[name], _Native(backend))
    _IMPLEMENTATIONS[backend, name] = found
    return found


class _Native:
    """The backend's implementations of the standard's functions on native arrays, as a namespace.

    The generic extras call the standard through it, so they get each
    backend's fixes of its framework's departures (``Backend.function``);
    dtypes and other attributes come from the backend's own namespace.
    """

    def __init__(self, backend: _registry.Backend, prefix: str = "") -> None:
        self._backend = backend
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        dotted = self._prefix + name
        if dotted in FUNCTIONS:
            return self._backend.function(dotted)
        if name in ("linalg", "fft") and not self._prefix:
            return _Native(self._backend, name + ".")
        return getattr(self._backend.xp, name)

    @property
    def raw(self) -> Any:
        """The backend's own namespace (for array-api-extra, which recognises the frameworks' namespaces)."""
        return self._backend.xp


def _call(name: str, public: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Unwrap Tensors, hand traced ones to the tape, run the backend's implementation, wrap the result."""
    scan = _Scan(name)
    raw_args = [scan.unwrap(a) for a in args]
    raw_kwargs = {k: scan.unwrap(v) for k, v in kwargs.items()}
    if scan.special is not None:
        return type(scan.special).__ut_function__(public, args, kwargs)
    if not scan.tensors:
        raise TypeError(f"{name}() takes Tensors; make one with ut.asarray(...)")
    backend = scan.backend or get_backend()
    scan.check_devices()
    for key, value in raw_kwargs.items():
        if key == "dtype" and value is not None:
            raw_kwargs[key] = backend.native_dtype(as_dtype(value))
    return wrap(_implementation(backend, name)(*raw_args, **raw_kwargs), backend)


def _generic(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _GENERIC[name] = function
        return function

    return register


def _floating(name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}() takes a Tensor, not {type(x).__name__}; make one with ut.asarray(...)")
    if x.dtype.kind not in ("real floating", "complex floating"):
        raise TypeError(
            f"{name}() needs a floating-point Tensor, got {x.dtype}; cast it first with ut.astype(x, ut.float32)"
        )


# -- einsum --------------------------------------------------------------------------------


def einsum(subscripts: str, /, *operands: Tensor) -> Tensor:
    """Einstein summation over ``operands``, as ``numpy.einsum`` (``"ij,jk->ik"``, ``...`` for batch axes).

    Operands of different dtypes are promoted to one dtype first.

    Examples
    --------
    >>> import unitensor as ut
    >>> x = ut.asarray([[1.0, 2.0], [3.0, 4.0]])
    >>> ut.extras.einsum("ii->", x).item()
    5.0
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum() takes the subscripts string first, e.g. einsum('ij,jk->ik', a, b); "
            f"got {type(subscripts).__name__}"
        )
    if not operands or not all(isinstance(x, Tensor) for x in operands):
        raise TypeError("einsum() takes one or more Tensors after the subscripts")
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        common = result_type(*dtypes)
        operands = tuple(x if x.dtype is common else astype(x, common) for x in operands)
    normalize_subscripts(subscripts, [x.ndim for x in operands])  # a clear ValueError for a bad spec
    return _call("einsum", einsum, (subscripts, *operands), {})


def normalize_subscripts(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """``("...ij,jk", [3, 2])`` -> ``(["aij", "jk"], "aik")``: explicit labels, ellipses spelled out."""
    spec = subscripts.replace(" ", "")
    inputs_spec, arrow, output = spec.partition("->")
    inputs = inputs_spec.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, got {len(ndims)}")
    used = set(spec) - set(".,->")
    if not all(c in string.ascii_letters for c in used):
        raise ValueError(f"einsum subscripts {subscripts!r}: labels are letters, '...', ',' and '->'")
    spare = [c for c in string.ascii_letters if c not in used]
    batch = max((ndim - len(s.replace("...", "")) for s, ndim in zip(inputs, ndims) if "..." in s), default=0)
    batch_labels = "".join(spare[:batch])
    explicit = []
    for s, ndim in zip(inputs, ndims):
        if "..." in s:
            s = s.replace("...", batch_labels[batch - (ndim - len(s.replace("...", ""))) :])
        if len(s) != ndim:
            raise ValueError(
                f"einsum subscripts {subscripts!r}: {s!r} has {len(s)} labels for an operand of {ndim} dimensions"
            )
        explicit.append(s)
    if arrow:
        output = output.replace("...", batch_labels)
    else:
        counts = {c: "".join(explicit).count(c) for c in "".join(explicit)}
        output = batch_labels + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in batch_labels))
    unknown = set(output) - set("".join(explicit))
    if unknown:
        raise ValueError(f"einsum subscripts {subscripts!r}: output labels {sorted(unknown)} name no input axis")
    return explicit, output


@_generic("einsum")
def _einsum(xp: Any, subscripts: str, /, *operands: Any) -> Any:
    """einsum by broadcasting: each operand's axes aligned to all labels, multiplied, then summed."""
    inputs, output = normalize_subscripts(subscripts, [x.ndim for x in operands])
    labels = list(dict.fromkeys("".join(inputs) + output))
    product = None
    for spec, x in zip(inputs, operands):
        x, spec = _diagonals(xp, x, spec)
        order = sorted(range(len(spec)), key=lambda i: labels.index(spec[i]))
        x = xp.permute_dims(x, tuple(order))
        present = [spec[i] for i in order]
        shape = [x.shape[present.index(c)] if c in present else 1 for c in labels]
        x = xp.reshape(x, tuple(shape))
        product = x if product is None else product * x
    summed = tuple(i for i, c in enumerate(labels) if c not in output)
    if summed:
        product = xp.sum(product, axis=summed)
    kept = [c for c in labels if c in output]
    return xp.permute_dims(product, tuple(kept.index(c) for c in output))


def _diagonals(xp: Any, x: Any, spec: str) -> tuple[Any, str]:
    """Take the diagonal over a label repeated in one operand (``"ii"``), until none repeats."""
    for c in spec:
        first = spec.index(c)
        second = spec.find(c, first + 1)
        if second < 0:
            continue
        rest = [i for i in range(len(spec)) if i not in (first, second)]
        x = xp.linalg.diagonal(xp.permute_dims(x, (*rest, first, second)))
        return _diagonals(xp, x, "".join(spec[i] for i in rest) + c)
    return x, spec


# -- softmax and friends -------------------------------------------------------------------------


def softmax(x: Tensor, /, *, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed without overflow."""
    _floating("softmax", x)
    return _call("softmax", softmax, (x,), {"axis": axis})


def log_softmax(x: Tensor, /, *, axis: int = -1) -> Tensor:
    """``log(softmax(x))`` along ``axis``, computed without overflow or ``log(0)``."""
    _floating("log_softmax", x)
    return _call("log_softmax", log_softmax, (x,), {"axis": axis})


def logsumexp(x: Tensor, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis`` (all axes when None), computed without overflow."""
    _floating("logsumexp", x)
    return _call("logsumexp", logsumexp, (x,), {"axis": axis, "keepdims": keepdims})


@_generic("softmax")
def _softmax(xp: Any, x: Any, /, *, axis: int = -1) -> Any:
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


@_generic("log_softmax")
def _log_softmax(xp: Any, x: Any, /, *, axis: int = -1) -> Any:
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@_generic("logsumexp")
def _logsumexp(xp: Any, x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
    top = xp.max(x, axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))  # all -inf (or inf) along axis: no shift
    out = xp.log(xp.sum(xp.exp(x - top), axis=axis, keepdims=True)) + top
    if keepdims:
        return out
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return xp.squeeze(out, axis=tuple(a % x.ndim for a in axes)) if axes else out


# -- top_k ----------------------------------------------------------------------------------------


def top_k(x: Tensor, k: int, /, *, axis: int = -1) -> TopK:
    """The ``k`` largest values along ``axis``, largest first, and their indices: ``(values, indices)``.

    Ties keep their order of appearance on NumPy, Dask and array-api-strict;
    torch and JAX break them their own way.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"top_k() takes a Tensor, not {type(x).__name__}")
    if x.ndim == 0:
        raise ValueError("top_k() needs a Tensor of at least one dimension")
    n = x.shape[axis]
    if not isinstance(k, int) or not 0 <= k <= (n if n is not None else k):
        raise ValueError(f"top_k() needs 0 <= k <= {n} (the size of axis {axis}), got k={k!r}")
    values, indices = _call("top_k", top_k, (x, k), {"axis": axis})
    return TopK(values, indices)


@_generic("top_k")
def _top_k(xp: Any, x: Any, k: int, /, *, axis: int = -1) -> tuple[Any, Any]:
    order = xp.argsort(x, axis=axis, descending=True, stable=True)
    first = [slice(None)] * x.ndim
    first[axis] = slice(0, k)
    indices = order[tuple(first)]
    return xp.take_along_axis(x, indices, axis=axis), indices


# -- array-api-extra -------------------------------------------------------------------------------


def pad(
    x: Tensor,
    pad_width: int | Sequence[int] | Sequence[Sequence[int]],
    /,
    *,
    mode: str = "constant",
    constant_values: bool | complex = 0,
) -> Tensor:
    """``x`` padded with ``constant_values``; ``pad_width`` as in ``numpy.pad`` (``((before, after), ...)``).

    Only ``mode="constant"`` (array-api-extra's ``pad``).
    """
    if mode != "constant":
        raise ValueError(f"pad() supports mode='constant' only, got {mode!r}")
    if not isinstance(x, Tensor):
        raise TypeError(f"pad() takes a Tensor, not {type(x).__name__}")
    return _call("pad", pad, (x, _pad_pairs(pad_width, x.ndim)), {"constant_values": constant_values})


def _pad_pairs(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """``pad_width`` in its full form: one ``(before, after)`` pair per axis."""
    if isinstance(pad_width, int):
        pairs = [(pad_width, pad_width)] * ndim
    elif len(pad_width) == 2 and all(isinstance(p, int) for p in pad_width):
        pairs = [tuple(pad_width)] * ndim
    else:
        pairs = [tuple(p) for p in pad_width]
    if len(pairs) != ndim or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"pad() needs pad_width as an int, a (before, after) pair or one pair per axis "
            f"({ndim}) of non-negative ints, got {pad_width!r}"
        )
    return tuple((int(a), int(b)) for a, b in pairs)


@_generic("pad")
def _pad(xp: Any, x: Any, pad_width: Any, /, *, constant_values: Any = 0) -> Any:
    import array_api_extra as xpx

    return xpx.pad(x, pad_width, constant_values=constant_values, xp=xp.raw)


def one_hot(x: Tensor, num_classes: int, /, *, dtype: DType | None = None, axis: int = -1) -> Tensor:
    """A one-hot encoding of the integers in ``x`` (the default floating dtype unless ``dtype`` says)."""
    if not isinstance(x, Tensor) or x.dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"one_hot() takes an integer Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    if dtype is None:
        dtype = x.backend.default_dtypes()["real floating"]
    return _call("one_hot", one_hot, (x, num_classes), {"dtype": dtype, "axis": axis})


@_generic("one_hot")
def _one_hot(xp: Any, x: Any, num_classes: int, /, *, dtype: Any, axis: int = -1) -> Any:
    import array_api_extra as xpx

    return xpx.one_hot(x, num_classes, dtype=dtype, axis=axis, xp=xp.raw)


def isclose(
    a: Tensor, b: Tensor | float, /, *, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|a - b| <= atol + rtol * |b|``, as ``numpy.isclose``."""
    return _call("isclose", isclose, (a, b), {"rtol": rtol, "atol": atol, "equal_nan": equal_nan})


@_generic("isclose")
def _isclose(xp: Any, a: Any, b: Any, /, **kwargs: Any) -> Any:
    import array_api_extra as xpx

    return xpx.isclose(a, b, xp=xp.raw, **kwargs)


def allclose(
    a: Tensor, b: Tensor | float, /, *, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether every element of ``a`` is close to ``b`` (:func:`isclose`): a Python bool."""
    return bool(_std["all"](isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def nansum(x: Tensor, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """The sum over ``axis`` with NaNs counted as zero (array-api-extra's ``nansum``)."""
    return _nan_reduction("nansum", x, axis, keepdims)


def nanmean(x: Tensor, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """The mean over ``axis`` of the values that are not NaN (array-api-extra's ``nanmean``)."""
    return _nan_reduction("nanmean", x, axis, keepdims)


def _nan_reduction(name: str, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    import array_api_extra as xpx

    _floating(name, x)
    # through x's unitensor namespace: each step is a standard function, recorded by the tape
    out = getattr(xpx, name)(x, axis=axis, xp=x.__array_namespace__())
    if not keepdims:
        return out
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    for a in sorted(a % x.ndim for a in axes):
        out = _std["expand_dims"](out, axis=a)
    return out


# -- written with the standard's functions ---------------------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(
    x: Tensor, q: float | Sequence[float], /, *, axis: int | None = None, keepdims: bool = False, method: str = "linear"
) -> Tensor:
    """The ``q``-th quantiles (``0 <= q <= 1``) over ``axis`` (all values when None), as ``numpy.quantile``.

    A sequence of ``q`` adds a leading axis, one entry per ``q``. NaNs sort
    last (the standard's ``sort``) instead of making the result NaN.
    """
    _floating("quantile", x)
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"quantile() method must be one of {_QUANTILE_METHODS}, got {method!r}")
    qs = [q] if isinstance(q, (int, float)) else list(q)
    if not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in qs):
        raise ValueError(f"quantile() needs q in [0, 1], got {q!r}")
    data, reduced = (_std["reshape"](x, (-1,)), 0) if axis is None else (x, axis % x.ndim)
    n = data.shape[reduced]
    if not n:
        raise ValueError("quantile() of an empty axis is undefined")
    ordered = _std["sort"](data, axis=reduced)
    results = [_quantile_of_sorted(ordered, v * (n - 1), reduced, method) for v in qs]
    if keepdims:
        results = [
            _std["expand_dims"](r, axis=reduced) if axis is not None else _std["reshape"](r, (1,) * x.ndim)
            for r in results
        ]
    return results[0] if isinstance(q, (int, float)) else _std["stack"](results)


def _quantile_of_sorted(ordered: Tensor, position: float, axis: int, method: str) -> Tensor:
    below, fraction = math.floor(position), position - math.floor(position)
    above = min(below + 1, ordered.shape[axis] - 1)
    if method == "nearest":
        below = above = round(position)  # NumPy's rule: halves round to even
    if method == "lower" or fraction == 0 or below == above:
        return _slice(ordered, below, axis)
    if method == "higher":
        return _slice(ordered, above, axis)
    weight = 0.5 if method == "midpoint" else fraction
    return _slice(ordered, below, axis) * (1 - weight) + _slice(ordered, above, axis) * weight


def _slice(x: Tensor, index: int, axis: int) -> Tensor:
    return x[(slice(None),) * axis + (index, ...)]


def median(x: Tensor, /, *, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The median over ``axis`` (all values when None): ``quantile(x, 0.5)``."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def split(x: Tensor, indices_or_sections: int | Sequence[int], /, *, axis: int = 0) -> list[Tensor]:
    """``x`` cut along ``axis`` into equal sections (an int) or at the given indices, as ``numpy.split``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"split() takes a Tensor, not {type(x).__name__}")
    if x.ndim == 0:
        raise ValueError("split() needs a Tensor of at least one dimension")
    axis = axis % x.ndim
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections < 1 or n % sections:
            raise ValueError(
                f"split() cannot cut an axis of {n} into {sections} equal sections; pass the indices to cut at instead"
            )
        bounds = list(range(0, n + 1, n // sections)) if n else [0] * (sections + 1)
    else:
        bounds = [0, *[min(max(int(i), 0), n) for i in indices_or_sections], n]
    lead = (slice(None),) * axis
    keys = [(*lead, slice(start, max(start, stop)), Ellipsis) for start, stop in itertools.pairwise(bounds)]
    return [x[key] for key in keys]
