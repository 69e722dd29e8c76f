"""The suite's one table: how to build inputs for each function of the standard.

Functions are grouped by how their inputs are shaped (a *category*); each
category is one strategy, and a function's row only says which category, the
value domain where the standard leaves results unspecified, and, where a
function takes parameters, a strategy for them. Which dtypes a function
accepts is not typed here: the suite asks array-api-strict (see
:func:`allowed_dtypes`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import unitensor as ut

from ._inputs import ALL_DTYPES, Case, arrays, scalars_for, shapes
from ._standard import lookup, strict_namespace

__all__ = ["Spec", "SPECS", "spec_for", "case_strategy", "allowed_dtypes"]

Params = Callable[[tuple[int, ...]], st.SearchStrategy[dict[str, Any]]]


@dataclass(frozen=True)
class Spec:
    """How to call one function: its category, value domain, and parameter strategy.

    category
        ``unary``, ``binary``, ``array`` (one array and keyword parameters),
        ``matrix`` (a stack of matrices), ``pair`` (two arrays), ``sequence``
        (a list of arrays), ``creation`` (no array), ``like`` (an array whose
        shape and dtype are copied).
    domain
        Value domain of the array arguments (see :func:`~._inputs.elements`);
        ``"a,b"`` gives each argument its own.
    params
        Keyword (or, for names in ``positional``, positional) parameters from
        the first input's shape.
    shape
        ``(min_dims, min_side)`` of the first input.
    compare
        ``values``; ``shape`` (values unspecified: ``empty``); or the name of
        an invariant for results that are unique only up to sign or order.
    accumulates
        Results sum over many inputs: tolerances scale with the inputs' size.
    kinds
        Dtype kinds (as ``ut.isdtype`` names them) for functions the suite
        cannot probe with array-api-strict, creation functions: the standard
        gives ``linspace`` floating-point dtypes only, for instance.
    """

    category: str
    domain: str = "any"
    params: Params | None = None
    positional: tuple[str, ...] = ()
    shape: tuple[int, int] = (0, 0)
    compare: str = "values"
    accumulates: bool = False
    kinds: tuple[str, ...] = ()


# -- parameter strategies ------------------------------------------------------------


def _axis(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    return st.integers(-len(shape), len(shape) - 1) if shape else st.none()


def _axes(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    ndim = len(shape)
    tuples = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple) if ndim else st.just(())
    return st.one_of(st.none(), _axis(shape), tuples) if ndim else st.one_of(st.none(), tuples)


def _reduce(**extra: st.SearchStrategy[Any]) -> Params:
    return lambda shape: st.fixed_dictionaries({"axis": _axes(shape), "keepdims": st.booleans(), **extra})


def _one_axis(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"axis": st.one_of(st.none(), _axis(shape)), "keepdims": st.booleans()})


def _cumulative(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    axis = _axis(shape) if len(shape) > 1 else st.one_of(st.none(), _axis(shape))
    return st.fixed_dictionaries({"axis": axis, "include_initial": st.booleans()})


def _permutation(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    return st.permutations(range(len(shape))).map(tuple)


def _reshape(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    size = math.prod(shape)
    return st.sampled_from([(-1,), (size,), (1, *shape), shape[::-1], (*shape, 1)])


def _squeezable(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    ones = [i for i, n in enumerate(shape) if n == 1]
    if not ones:
        return st.just(())
    return st.one_of(st.sampled_from(ones), st.lists(st.sampled_from(ones), unique=True, min_size=1).map(tuple))


def _fixed(**values: st.SearchStrategy[Any]) -> Params:
    return lambda shape: st.fixed_dictionaries(values)


_NORM = st.sampled_from(["backward", "ortho", "forward"])
_SMALL_SHAPE = shapes(0, 3, 0, 3)

# -- the table ---------------------------------------------------------------------------

SPECS: dict[str, Spec] = {
    # elementwise, where the standard leaves some inputs unspecified
    "bitwise_left_shift": Spec("binary", "any,shift"),
    "bitwise_right_shift": Spec("binary", "any,shift"),
    "floor_divide": Spec("binary", "any,nonzero"),
    "remainder": Spec("binary", "any,nonzero"),
    "pow": Spec("binary", "small,nonnegative"),
    "clip": Spec(
        "array", "any", lambda s: st.fixed_dictionaries({"min": st.none() | st.just(-1), "max": st.none() | st.just(2)})
    ),
    # reductions
    "sum": Spec("array", "small", _reduce(), accumulates=True),
    "prod": Spec("array", "small", _reduce(), accumulates=True),
    "mean": Spec("array", "small", _reduce(), shape=(0, 1), accumulates=True),
    "std": Spec("array", "small", _reduce(correction=st.sampled_from([0, 1])), shape=(0, 2), accumulates=True),
    "var": Spec("array", "small", _reduce(correction=st.sampled_from([0, 1])), shape=(0, 2), accumulates=True),
    "max": Spec("array", "any", _reduce(), shape=(0, 1)),
    "min": Spec("array", "any", _reduce(), shape=(0, 1)),
    "all": Spec("array", "any", _reduce()),
    "any": Spec("array", "any", _reduce()),
    "count_nonzero": Spec(
        "array", "any", lambda s: st.fixed_dictionaries({"axis": _axes(s), "keepdims": st.booleans()})
    ),
    "argmax": Spec("array", "finite", _one_axis, shape=(0, 1)),
    "argmin": Spec("array", "finite", _one_axis, shape=(0, 1)),
    "cumulative_sum": Spec("array", "small", _cumulative, shape=(1, 0), accumulates=True),
    "cumulative_prod": Spec("array", "small", _cumulative, shape=(1, 0), accumulates=True),
    "diff": Spec(
        "array",
        "small",
        lambda s: st.fixed_dictionaries({"axis": _axis(s), "n": st.sampled_from([1, 2])}),
        shape=(1, 0),
    ),
    # manipulation, sorting, searching, sets
    "flip": Spec("array", params=lambda s: st.fixed_dictionaries({"axis": _axes(s)})),
    "expand_dims": Spec("array", params=lambda s: st.fixed_dictionaries({"axis": st.integers(-len(s) - 1, len(s))})),
    "squeeze": Spec("array", params=lambda s: st.fixed_dictionaries({"axis": _squeezable(s)}), shape=(1, 1)),
    "permute_dims": Spec(
        "array", params=lambda s: st.fixed_dictionaries({"axes": _permutation(s)}), positional=("axes",)
    ),
    "moveaxis": Spec(
        "array",
        params=lambda s: st.fixed_dictionaries({"source": _axis(s), "destination": _axis(s)}),
        positional=("source", "destination"),
        shape=(1, 0),
    ),
    "reshape": Spec("array", params=lambda s: st.fixed_dictionaries({"shape": _reshape(s)}), positional=("shape",)),
    "roll": Spec(
        "array",
        params=lambda s: st.fixed_dictionaries({"shift": st.integers(-5, 5), "axis": st.one_of(st.none(), _axis(s))}),
    ),
    "tile": Spec(
        "array",
        params=lambda s: st.fixed_dictionaries({"reps": st.lists(st.integers(0, 2), max_size=3).map(tuple)}),
        positional=("reps",),
    ),
    "repeat": Spec(
        "array",
        params=lambda s: st.fixed_dictionaries({"repeats": st.integers(0, 2), "axis": st.one_of(st.none(), _axis(s))}),
        positional=("repeats",),
        shape=(1, 0),
    ),
    "matrix_transpose": Spec("array", shape=(2, 0)),
    "unstack": Spec("array", params=lambda s: st.fixed_dictionaries({"axis": _axis(s)}), shape=(1, 0)),
    "broadcast_to": Spec(
        "array",
        params=lambda s: st.fixed_dictionaries({"shape": st.sampled_from([(2, *s), (1, 3, *s)])}),
        positional=("shape",),
    ),
    "astype": Spec(
        "array",
        "small",
        params=lambda s: st.fixed_dictionaries({"dtype": st.sampled_from(ALL_DTYPES)}),
        positional=("dtype",),
    ),
    "sort": Spec(
        "array",
        "finite",
        lambda s: st.fixed_dictionaries({"axis": _axis(s), "descending": st.booleans()}),
        shape=(1, 0),
    ),
    "argsort": Spec(
        "array", "small", lambda s: st.fixed_dictionaries({"axis": _axis(s), "descending": st.booleans()}), shape=(1, 0)
    ),
    "nonzero": Spec("array", "small", shape=(1, 0)),
    "unique_values": Spec("array", "small"),
    "unique_counts": Spec("array", "small"),
    "unique_inverse": Spec("array", "small", compare="unique_inverse"),
    "unique_all": Spec("array", "small", compare="unique_all"),
    "isin": Spec("pair", "small", lambda s: st.fixed_dictionaries({"invert": st.booleans()})),
    "where": Spec("where"),
    "searchsorted": Spec(
        "searchsorted", "finite", lambda s: st.fixed_dictionaries({"side": st.sampled_from(["left", "right"])})
    ),
    "take": Spec("take", shape=(1, 1)),
    "take_along_axis": Spec("take_along_axis", shape=(1, 1)),
    "concat": Spec("sequence", params=lambda s: st.fixed_dictionaries({"axis": _axis(s) if s else st.none()})),
    "stack": Spec("sequence", params=lambda s: st.fixed_dictionaries({"axis": st.integers(-len(s) - 1, len(s))})),
    "broadcast_arrays": Spec("broadcast"),
    "meshgrid": Spec("meshgrid"),
    # creation
    "arange": Spec(
        "creation",
        params=_fixed(start=st.integers(-5, 5), stop=st.integers(-5, 10), step=st.sampled_from([1, 2, -1, 3])),
        positional=("start", "stop", "step"),
        kinds=("integral", "real floating"),
    ),
    "linspace": Spec(
        "creation",
        params=_fixed(
            start=st.integers(-5, 5), stop=st.integers(-5, 10), num=st.integers(0, 6), endpoint=st.booleans()
        ),
        positional=("start", "stop", "num"),
        kinds=("real floating", "complex floating"),
    ),
    "eye": Spec(
        "creation",
        params=_fixed(n_rows=st.integers(0, 4), n_cols=st.none() | st.integers(0, 4), k=st.integers(-2, 2)),
        positional=("n_rows", "n_cols"),
    ),
    "full": Spec(
        "creation", params=_fixed(shape=_SMALL_SHAPE, fill_value=st.integers(0, 1)), positional=("shape", "fill_value")
    ),
    "ones": Spec("creation", params=_fixed(shape=_SMALL_SHAPE), positional=("shape",)),
    "zeros": Spec("creation", params=_fixed(shape=_SMALL_SHAPE), positional=("shape",)),
    "empty": Spec("creation", params=_fixed(shape=_SMALL_SHAPE), positional=("shape",), compare="shape"),
    "asarray": Spec("like", "small"),
    "from_dlpack": Spec("like", "any"),
    "ones_like": Spec("like"),
    "zeros_like": Spec("like"),
    "empty_like": Spec("like", compare="shape"),
    "full_like": Spec("like", params=_fixed(fill_value=st.integers(0, 1)), positional=("fill_value",)),
    "tril": Spec("array", params=_fixed(k=st.integers(-2, 2)), shape=(2, 0)),
    "triu": Spec("array", params=_fixed(k=st.integers(-2, 2)), shape=(2, 0)),
    # linear algebra
    "matmul": Spec("matmul", "small", accumulates=True),
    "tensordot": Spec("tensordot", "small", accumulates=True),
    "vecdot": Spec("vecdot", "small", accumulates=True),
    "linalg.matmul": Spec("matmul", "small", accumulates=True),
    "linalg.tensordot": Spec("tensordot", "small", accumulates=True),
    "linalg.vecdot": Spec("vecdot", "small", accumulates=True),
    "linalg.cross": Spec("cross", "small", accumulates=True),
    "linalg.outer": Spec("outer", "small"),
    "linalg.solve": Spec("solve", "wellconditioned", accumulates=True),
    "linalg.cholesky": Spec("matrix", "positive-definite", _fixed(upper=st.booleans()), accumulates=True),
    "linalg.det": Spec("matrix", "wellconditioned", accumulates=True),
    "linalg.slogdet": Spec("matrix", "wellconditioned", accumulates=True),
    "linalg.inv": Spec("matrix", "wellconditioned", accumulates=True),
    "linalg.pinv": Spec("matrix", "wellconditioned", accumulates=True),
    # strict cannot be probed for its dtypes without n: the standard asks for floating point
    "linalg.matrix_power": Spec(
        "matrix",
        "wellconditioned",
        _fixed(n=st.integers(0, 3)),
        positional=("n",),
        accumulates=True,
        kinds=("real floating", "complex floating"),
    ),
    "linalg.matrix_rank": Spec("matrix", "small", accumulates=True),
    "linalg.matrix_norm": Spec(
        "matrix",
        "small",
        _fixed(keepdims=st.booleans(), ord=st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])),
        accumulates=True,
    ),
    # the inf-norm of an empty vector has no value the standard specifies
    "linalg.vector_norm": Spec(
        "array",
        "small",
        _reduce(ord=st.sampled_from([1, 2, math.inf, -math.inf, 0, 3])),
        shape=(0, 1),
        accumulates=True,
    ),
    "linalg.trace": Spec("matrix", "small", _fixed(offset=st.integers(-1, 1)), accumulates=True),
    "linalg.diagonal": Spec("matrix", "any", _fixed(offset=st.integers(-1, 1))),
    "linalg.matrix_transpose": Spec("array", shape=(2, 0)),
    "linalg.eigh": Spec("matrix", "symmetric", compare="eigh", accumulates=True),
    "linalg.eigvalsh": Spec("matrix", "symmetric", accumulates=True),
    "linalg.qr": Spec("matrix", "wellconditioned", compare="qr", accumulates=True),
    "linalg.svd": Spec(
        "matrix", "wellconditioned", _fixed(full_matrices=st.just(False)), compare="svd", accumulates=True
    ),
    "linalg.svdvals": Spec("matrix", "wellconditioned", accumulates=True),
    # fft
    "fft.fftfreq": Spec(
        "creation",
        params=_fixed(n=st.integers(1, 8), d=st.sampled_from([1.0, 0.5])),
        positional=("n",),
        kinds=("real floating",),
    ),
    "fft.rfftfreq": Spec(
        "creation",
        params=_fixed(n=st.integers(1, 8), d=st.sampled_from([1.0, 0.5])),
        positional=("n",),
        kinds=("real floating",),
    ),
    "fft.fftshift": Spec("array", params=lambda s: st.fixed_dictionaries({"axes": _axes(s)}), shape=(1, 1)),
    "fft.ifftshift": Spec("array", params=lambda s: st.fixed_dictionaries({"axes": _axes(s)}), shape=(1, 1)),
}

for _name in ("fft.fft", "fft.ifft", "fft.rfft", "fft.ihfft"):
    SPECS[_name] = Spec(
        "array",
        "small",
        _fixed(n=st.none() | st.integers(1, 6), axis=st.just(-1), norm=_NORM),
        shape=(1, 1),
        accumulates=True,
    )
for _name in ("fft.irfft", "fft.hfft"):
    SPECS[_name] = Spec(
        "array",
        "small",
        _fixed(n=st.none() | st.integers(2, 6), axis=st.just(-1), norm=_NORM),
        shape=(1, 2),
        accumulates=True,
    )
for _name in ("fft.fftn", "fft.ifftn", "fft.rfftn"):
    SPECS[_name] = Spec("array", "small", _fixed(norm=_NORM), shape=(1, 1), accumulates=True)
SPECS["fft.irfftn"] = Spec("array", "small", _fixed(norm=_NORM), shape=(1, 2), accumulates=True)

#: what the standard's elementwise module tells apart by arity
_ELEMENTWISE_MODULE = "array_api_strict._elementwise_functions"


@functools.cache
def spec_for(name: str) -> Spec | None:
    """The row for ``name``; elementwise functions get theirs from the standard's arity."""
    if name in SPECS:
        return SPECS[name]
    try:
        function = lookup(strict_namespace(), name)
    except AttributeError:
        return None
    if getattr(function, "__module__", "") == _ELEMENTWISE_MODULE:
        import inspect

        positional = [
            p for p in inspect.signature(function).parameters.values() if p.kind is inspect.Parameter.POSITIONAL_ONLY
        ]
        return Spec("unary" if len(positional) == 1 else "binary")
    return None


# -- dtypes the standard allows -------------------------------------------------------------

_PROBE = [[3, 1, 0], [1, 3, 1], [0, 1, 3]]


@functools.cache
def allowed_dtypes(name: str) -> tuple[ut.DType, ...]:
    """The dtypes ``name`` accepts, found by calling array-api-strict (a ``TypeError`` means no).

    Functions whose dtype does not matter to the standard (creation,
    manipulation) accept every dtype.
    """
    spec = spec_for(name)
    if spec is None:
        return ()
    if spec.kinds:
        return tuple(d for d in ALL_DTYPES if ut.isdtype(d, spec.kinds))
    arity = {
        "unary": 1,
        "array": 1,
        "matrix": 1,
        "binary": 2,
        "pair": 2,
        "matmul": 2,
        "vecdot": 2,
        "cross": 2,
        "outer": 2,
        "solve": 2,
        "tensordot": 2,
        "searchsorted": 2,
    }.get(spec.category)
    if arity is None or name in (
        "astype",
        "flip",
        "expand_dims",
        "squeeze",
        "permute_dims",
        "moveaxis",
        "reshape",
        "roll",
        "tile",
        "repeat",
        "matrix_transpose",
        "unstack",
        "broadcast_to",
        "tril",
        "triu",
        "linalg.matrix_transpose",
        "linalg.diagonal",
        "nonzero",
        "unique_values",
        "unique_counts",
        "unique_inverse",
        "unique_all",
    ):
        return ALL_DTYPES
    xp = strict_namespace()
    function = lookup(xp, name)
    allowed = []
    for dtype in ALL_DTYPES:
        x = xp.astype(xp.asarray(_PROBE), getattr(xp, dtype.name))
        try:
            function(*[x] * arity)
        except TypeError:
            continue
        except Exception:  # noqa: S112 - other errors say nothing about the dtype
            pass
        allowed.append(dtype)
    return tuple(allowed)


# -- one strategy per category ---------------------------------------------------------


def _domains(spec: Spec) -> list[str]:
    parts = spec.domain.split(",")
    return parts + [parts[-1]] * 3


def _broadcastable(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with ``shape``: leading axes dropped, some sizes set to 1."""
    drop = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else n for n in shape[drop:])


def _params(draw: Any, spec: Spec, shape: tuple[int, ...]) -> tuple[list[Any], dict[str, Any]]:
    params = dict(draw(spec.params(shape))) if spec.params else {}
    positional = [params.pop(key) for key in spec.positional if key in params]
    return positional, params


@st.composite
def _matrices(draw: Any, dtype: ut.DType, domain: str, square: bool = True) -> Any:
    """A stack of matrices; ``wellconditioned``, ``positive-definite`` and ``symmetric`` are built
    (not filtered) so that the reference is stable."""
    batch = draw(shapes(0, 1, 1, 2))
    n = draw(st.integers(1, 3))
    m = n if square or domain != "small" else draw(st.integers(1, 3))
    elem = "small" if domain in ("wellconditioned", "positive-definite", "symmetric") else domain
    base = draw(arrays(dtype, (*batch, m, n), elem, layouts=False))
    a = base.reference()
    if dtype.kind in ("real floating", "complex floating"):
        if domain == "wellconditioned":
            a = a / 8 + ut.eye(n, dtype=dtype, backend="numpy") * 2
        elif domain == "positive-definite":
            a = a @ ut.conj(ut.matrix_transpose(a)) / 8 + ut.eye(n, dtype=dtype, backend="numpy") * n
        elif domain == "symmetric":
            a = (a + ut.conj(ut.matrix_transpose(a))) / 2
    return type(base)(a, None, base.layout)


@st.composite
def _case(draw: Any, name: str, spec: Spec, dtype: ut.DType) -> Case:
    d = _domains(spec)
    kind = spec.category
    min_dims, min_side = spec.shape
    if kind == "unary":
        return Case((draw(arrays(dtype, draw(shapes()), d[0])),))
    if kind == "binary":
        shape = draw(shapes())
        x1 = draw(arrays(dtype, shape, d[0]))
        if draw(st.integers(0, 3)) == 0:  # an array with a Python scalar
            domain = d[1] if d[1] in ("nonzero", "shift", "nonnegative") else "small"
            return Case((x1, draw(scalars_for(dtype, domain))))
        return Case((x1, draw(arrays(dtype, _broadcastable(draw, shape), d[1]))))
    if kind in ("array", "like"):
        shape = draw(shapes(min_dims=min_dims, min_side=min_side))
        x = draw(arrays(dtype, shape, d[0]))
        positional, params = _params(draw, spec, shape)
        if name == "astype" and dtype.kind == "complex floating" and positional[0].kind != "complex floating":
            positional[0] = dtype  # the standard forbids casting complex to real or bool
        if kind == "like" and name not in ("asarray", "from_dlpack"):
            params["dtype"] = dtype
        return Case((x, *positional), params)
    if kind == "matrix":
        x = draw(_matrices(dtype, spec.domain, square=True))
        positional, params = _params(draw, spec, x.base.shape)
        return Case((x, *positional), params)
    if kind == "creation":
        positional, params = _params(draw, spec, ())
        params["dtype"] = dtype
        return Case(tuple(positional), params)
    return draw(_MULTI[kind](name, spec, dtype, d))


def _st(fn: Callable[..., Any]) -> Callable[..., Any]:
    return st.composite(fn)


@_st
def _pair(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes())
    positional, params = _params(draw, spec, shape)
    return Case((draw(arrays(dtype, shape, d[0])), draw(arrays(dtype, draw(shapes()), d[1])), *positional), params)


@_st
def _where(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes())
    condition = draw(arrays(ut.bool, _broadcastable(draw, shape)))
    return Case((condition, draw(arrays(dtype, shape, d[0])), draw(arrays(dtype, _broadcastable(draw, shape), d[0]))))


@_st
def _searchsorted(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    n = draw(st.integers(0, 5))
    sorted_ = draw(arrays(dtype, (n,), d[0], layouts=False))
    x1 = type(sorted_)(ut.sort(sorted_.reference()), None)
    _, params = _params(draw, spec, (n,))
    return Case((x1, draw(arrays(dtype, draw(shapes()), d[0]))), params)


@_st
def _take(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes(1, 3, 1))
    axis = draw(_axis(shape)) if len(shape) > 1 else draw(st.sampled_from([None, 0, -1]))
    n = shape[axis] if axis is not None else shape[0]
    count = draw(st.integers(0, 4))
    indices = ut.asarray(
        draw(st.lists(st.integers(0, n - 1), min_size=count, max_size=count)), dtype=ut.int64, backend="numpy"
    )
    from ._inputs import Input

    return Case((draw(arrays(dtype, shape, d[0])), Input(indices)), {} if axis is None else {"axis": axis})


@_st
def _take_along_axis(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    from ._inputs import Input

    shape = draw(shapes(1, 3, 1))
    axis = draw(_axis(shape))
    index_shape = list(shape)
    index_shape[axis] = draw(st.integers(0, 3))
    count = math.prod(index_shape)
    flat = draw(st.lists(st.integers(0, shape[axis] - 1), min_size=count, max_size=count))
    indices = ut.reshape(ut.asarray(flat, dtype=ut.int64, backend="numpy"), tuple(index_shape))
    return Case((draw(arrays(dtype, shape, d[0])), Input(indices)), {"axis": axis})


@_st
def _sequence(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes(min_dims=1 if name == "concat" else 0))
    positional, params = _params(draw, spec, shape)
    axis = params.get("axis")
    items = []
    for _ in range(draw(st.integers(1, 3))):
        item_shape = shape
        if name == "concat":
            item_shape = (
                (math.prod(shape),)
                if axis is None
                else tuple(draw(st.integers(0, 3)) if i == axis % len(shape) else n for i, n in enumerate(shape))
            )
            if axis is None:
                item_shape = draw(shapes(0, 2))
        items.append(draw(arrays(dtype, item_shape, d[0])))
    return Case((items, *positional), params)


@_st
def _broadcast(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes())
    items = [draw(arrays(dtype, _broadcastable(draw, shape), d[0])) for _ in range(draw(st.integers(1, 3)))]
    return Case(tuple(items))


@_st
def _meshgrid(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    items = [draw(arrays(dtype, (draw(st.integers(0, 3)),), d[0])) for _ in range(draw(st.integers(1, 3)))]
    return Case(tuple(items), {"indexing": draw(st.sampled_from(["xy", "ij"]))})


@_st
def _matmul(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(shapes(0, 2, 1, 2))
    left = (*batch, m, k) if draw(st.booleans()) else (k,)
    right = (*_broadcastable(draw, batch), k, n) if draw(st.booleans()) else (k,)
    return Case((draw(arrays(dtype, left, d[0])), draw(arrays(dtype, right, d[0]))))


@_st
def _tensordot(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    a, b, c = (draw(st.integers(1, 3)) for _ in range(3))
    axes = draw(st.integers(0, 1))
    right = (b, c) if axes else (c,)
    return Case((draw(arrays(dtype, (a, b), d[0])), draw(arrays(dtype, right, d[0]))), {"axes": axes})


@_st
def _vecdot(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = draw(shapes(1, 3, 1))
    return Case(
        (draw(arrays(dtype, shape, d[0])), draw(arrays(dtype, _broadcastable(draw, shape[:-1]) + shape[-1:], d[0])))
    )


@_st
def _cross(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    shape = (*draw(shapes(0, 2, 1, 3)), 3)
    return Case((draw(arrays(dtype, shape, d[0])), draw(arrays(dtype, shape, d[0]))))


@_st
def _outer(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    return Case(
        (draw(arrays(dtype, (draw(st.integers(0, 3)),), d[0])), draw(arrays(dtype, (draw(st.integers(0, 3)),), d[0])))
    )


@_st
def _solve(draw: Any, name: str, spec: Spec, dtype: ut.DType, d: list[str]) -> Case:
    a = draw(_matrices(dtype, "wellconditioned"))
    n = a.base.shape[-1]
    return Case((a, draw(arrays(dtype, (*a.base.shape[:-2], n, draw(st.integers(1, 2))), "small"))))


_MULTI: dict[str, Callable[..., st.SearchStrategy[Case]]] = {
    "pair": _pair,
    "where": _where,
    "searchsorted": _searchsorted,
    "take": _take,
    "take_along_axis": _take_along_axis,
    "sequence": _sequence,
    "broadcast": _broadcast,
    "meshgrid": _meshgrid,
    "matmul": _matmul,
    "tensordot": _tensordot,
    "vecdot": _vecdot,
    "cross": _cross,
    "outer": _outer,
    "solve": _solve,
}


def case_strategy(name: str, dtypes: tuple[ut.DType, ...]) -> st.SearchStrategy[Case]:
    """Calls of ``name`` with inputs of one of ``dtypes``."""
    spec = spec_for(name)
    assert spec is not None
    return st.sampled_from(dtypes).flatmap(lambda dtype: _case(name, spec, dtype))
