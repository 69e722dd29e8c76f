"""Gradients on every backend: one functional API, native where it exists, unitensor's tape elsewhere.

``grad``, ``value_and_grad``, ``vjp`` and ``jacobian`` take functions of
Tensors (or of nested dicts, lists and tuples of Tensors) and work the same
whatever backend holds the data:

* ``engine="torch"`` / ``engine="jax"``: the framework's own autodiff
  (``torch.autograd``, ``jax.vjp``), reached through the backend primitive
  ``Backend.native_vjp``. The default on backends that set ``native_autodiff``.
* ``engine="tape"``: unitensor's reverse-mode tape (:mod:`unitensor.autodiff._tape`),
  whose VJP rules are written once against the array API
  (:mod:`unitensor.autodiff._rules`). The default everywhere else (NumPy,
  CuPy, Dask, array-api-strict, plugins), and available on torch and JAX too.

Calls nest on every engine: ``ut.grad(ut.grad(f))`` gives second derivatives.
Gradients come back in the structure, backend, device and dtype of their
inputs. This module imports no framework.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from .._tensor import Tensor, new_tensor
from . import _rules  # noqa: F401  (fills the tape's rule table)
from ._pytree import flatten, unflatten
from ._tape import NoGradientRule, Traced, backward, leaf, new_trace, unbox

__all__ = ["grad", "value_and_grad", "vjp", "jacobian", "NoGradientRule"]

_ENGINES = ("tape", "torch", "jax")
#: how many tape traces are open now (in this thread or task): inside one, nested calls
#: use the tape too, so that an inner gradient stays differentiable by the outer one
_open_traces: ContextVar[int] = ContextVar("unitensor_open_traces", default=0)
#: how many native gradient computations are running now: inside one, a native
#: backward pass must build a graph itself (torch's create_graph) so the outer one
#: can differentiate it
_open_native: ContextVar[int] = ContextVar("unitensor_open_native", default=0)


# -- public API -----------------------------------------------------------------


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False, engine: str | None = None
) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    Parameters
    ----------
    f
        A function of Tensors (or of nested dicts, lists and tuples of
        Tensors) returning a Tensor with one element, or ``(value, aux)``
        when ``has_aux``.
    argnums
        The position of the argument to differentiate, or a tuple of them
        (the gradient is then a tuple).
    has_aux
        Whether ``f`` returns ``(value, aux)``; the gradient function then
        returns ``(gradient, aux)``.
    engine
        ``"tape"``, ``"torch"`` or ``"jax"``; by default the backend's native
        engine where it has one, else the tape.

    Returns
    -------
    callable
        Takes ``f``'s arguments, returns the gradient in the structure,
        backend, device and dtype of the differentiated argument(s).

    Examples
    --------
    >>> import unitensor as ut
    >>> x = ut.asarray([1.0, 2.0, 3.0])
    >>> ut.grad(lambda x: ut.sum(x ** 2))(x).tolist()
    [2.0, 4.0, 6.0]
    >>> ut.grad(ut.grad(lambda x: ut.sum(x ** 3)))(ut.asarray(2.0)).tolist()
    12.0
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux, engine)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, gradient = value_and_grad_f(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False, engine: str | None = None
) -> Callable[..., Any]:
    """Like :func:`grad`, returning ``(value, gradient)`` (``((value, aux), gradient)`` with ``has_aux``).

    Examples
    --------
    >>> import unitensor as ut
    >>> params = {"w": ut.asarray([1.0, -1.0]), "b": ut.asarray(0.5)}
    >>> x = ut.asarray([[1.0, 2.0], [3.0, 4.0]])
    >>> loss = lambda p, x: ut.mean((x @ p["w"] + p["b"]) ** 2)
    >>> value, grads = ut.value_and_grad(loss)(params, x)
    >>> float(value), grads["w"].tolist(), float(grads["b"])
    (0.25, [-2.0, -3.0], -1.0)
    """
    _check_engine(engine)

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        out, vjp_fn = _vjp(f, args, kwargs, argnums, has_aux, engine, "grad")
        value = out[0] if has_aux else out
        if not isinstance(value, Tensor) or (len(value._raw.shape) != 0 and value.size != 1):
            what = f"a Tensor of shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
            raise TypeError(
                f"grad() needs f to return a Tensor with one element, got {what}; "
                f"use ut.vjp or ut.jacobian for other outputs"
                + ("" if has_aux else ", or has_aux=True if f returns (value, aux)")
            )
        if not _is_floating(value):
            raise TypeError(f"grad() needs f to return a floating-point Tensor, got {value.dtype}")
        gradient = vjp_fn(value, _final=True)  # _final: the cotangent is ones like this value
        return out, gradient if not isinstance(argnums, int) else gradient[0]

    return value_and_grad_f


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False, engine: str | None = None) -> tuple[Any, ...]:
    """``f(*primals)`` and a function mapping output cotangents to input cotangents.

    Returns ``(out, vjp_fn)``, or ``(out, vjp_fn, aux)`` with ``has_aux``.
    ``vjp_fn(cotangent)`` takes a cotangent in the structure of ``out`` and
    returns a tuple with one cotangent per primal, in the primals' structure.

    Examples
    --------
    >>> import unitensor as ut
    >>> x = ut.asarray([1.0, 2.0])
    >>> out, vjp_fn = ut.vjp(lambda x: x * x, x)
    >>> vjp_fn(ut.asarray([1.0, 10.0]))[0].tolist()
    [2.0, 40.0]
    """
    _check_engine(engine)
    argnums = tuple(range(len(primals)))
    out, vjp_fn = _vjp(f, primals, {}, argnums, has_aux, engine, "vjp")
    return (out[0], vjp_fn, out[1]) if has_aux else (out, vjp_fn)


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, engine: str | None = None) -> Callable[..., Any]:
    """The Jacobian of a Tensor-valued ``f``: shape ``out.shape + x.shape``, built on :func:`vjp`.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.jacobian(lambda x: x ** 2)(ut.asarray([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    _check_engine(engine)
    import unitensor as ut

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        out, vjp_fn = _vjp(f, args, kwargs, argnums, False, engine, "jacobian")
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian() needs f to return a Tensor, got {type(out).__name__}")
        size = out.size
        basis = ut.eye(size, dtype=out.dtype, backend=out.backend, device=out.device)
        rows = [vjp_fn(ut.reshape(basis[i, ...], out.shape)) for i in range(size)]
        picked = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        result = []
        for k, position in enumerate(picked):
            x = args[position]
            if not isinstance(x, Tensor):
                raise TypeError("jacobian() differentiates with respect to Tensors, not containers")
            stacked = (
                ut.stack([row[k] for row in rows])
                if rows
                else ut.zeros((0,) + x.shape, dtype=x.dtype, backend=x.backend, device=x.device)
            )
            result.append(ut.reshape(stacked, out.shape + x.shape))
        return result[0] if isinstance(argnums, int) else tuple(result)

    return jacobian_f


# -- shared glue ------------------------------------------------------------------


def _check_engine(engine: str | None) -> None:
    if engine is not None and engine not in _ENGINES:
        raise ValueError(
            f"engine must be one of {', '.join(map(repr, _ENGINES))} or None (the backend's "
            f"native engine if it has one, else the tape), not {engine!r}"
        )


def _ones_like(value: Tensor) -> Tensor:
    import unitensor as ut

    return ut.ones_like(value)


def _vjp(
    f: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    argnums: int | Sequence[int],
    has_aux: bool,
    engine: str | None,
    caller: str,
) -> tuple[Any, Callable[..., Any]]:
    """Run ``f`` recording what the chosen engine needs; returns ``(out, vjp_fn)``."""
    picked = _argnums(argnums, len(args), caller)
    trees = [flatten(args[i]) for i in picked]
    leaves = [x for tree_leaves, _ in trees for x in tree_leaves]
    _check_leaves(leaves, picked, trees, caller)
    chosen = _engine(engine, leaves)

    def rebuild(new_leaves: Sequence[Any]) -> list[Any]:
        full = list(args)
        start = 0
        for i, (tree_leaves, structure) in zip(picked, trees):
            full[i] = unflatten(structure, new_leaves[start : start + len(tree_leaves)])
            start += len(tree_leaves)
        return full

    def split(grads: Sequence[Any]) -> tuple[Any, ...]:
        out, start = [], 0
        for tree_leaves, structure in trees:
            out.append(unflatten(structure, grads[start : start + len(tree_leaves)]))
            start += len(tree_leaves)
        return tuple(out)

    run = _tape_vjp if chosen == "tape" else _native_vjp
    return run(f, rebuild, kwargs, leaves, has_aux, split)


def _argnums(argnums: int | Sequence[int], n_args: int, caller: str) -> tuple[int, ...]:
    picked = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not picked:
        raise ValueError(f"{caller}() needs at least one argument to differentiate; argnums is empty")
    for i in picked:
        if not isinstance(i, int) or not -n_args <= i < n_args:
            raise ValueError(
                f"{caller}() got argnums={argnums!r}, but f was called with {n_args} positional argument(s)"
            )
    return tuple(i % n_args for i in picked)


#: (backend, native dtype) -> whether Tensors of it can be differentiated: every step checks
#: every parameter, and reading the native dtype is cheaper than mapping it to a unitensor one
_FLOATING: dict[tuple[Any, Any], bool] = {}


def _is_floating(x: Tensor) -> bool:
    try:
        key = (x._backend, x._raw.dtype)
        return _FLOATING[key]
    except KeyError:
        floating = _FLOATING[key] = x.dtype.kind in ("real floating", "complex floating")
        return floating
    except TypeError:  # a native dtype that cannot be hashed
        return x.dtype.kind in ("real floating", "complex floating")


def _check_leaves(leaves: list[Any], picked: tuple[int, ...], trees: list[Any], caller: str) -> None:
    if not leaves:
        raise ValueError(f"{caller}() found no Tensor to differentiate in argument(s) {picked}")
    first = leaves[0]._backend if isinstance(leaves[0], Tensor) else None
    mixed = False
    for x in leaves:
        if not isinstance(x, Tensor):
            raise TypeError(
                f"{caller}() differentiates with respect to Tensors (or dicts, lists and tuples "
                f"of them), but argument(s) {picked} hold a {type(x).__name__}; wrap it with "
                f"ut.asarray(...) or leave it out of argnums"
            )
        if not _is_floating(x):
            raise TypeError(
                f"{caller}() can only differentiate with respect to floating-point Tensors, "
                f"but argument(s) {picked} hold a {x.dtype} Tensor; cast it with "
                f"ut.astype(x, ut.float64) or leave it out of argnums"
            )
        mixed = mixed or x._backend is not first
    if mixed:
        raise TypeError(
            f"{caller}() got Tensors of several backends "
            f"({', '.join(sorted({x.backend.name for x in leaves}))}); move them to one first"
        )


def _native_engine(backend: Any) -> str | None:
    """The backend's native engine: ``native_autodiff``, or its name if it implements ``native_vjp``."""
    if backend.native_autodiff:
        return backend.native_autodiff
    return backend.name if callable(getattr(backend, "native_vjp", None)) else None


def _engine(engine: str | None, leaves: list[Tensor]) -> str:
    native = _native_engine(leaves[0].backend)
    if engine is None:
        if _open_traces.get() or any(type(x) is Traced for x in leaves):
            return "tape"
        return native or "tape"
    if engine != "tape" and engine != native:
        raise ValueError(
            f"engine={engine!r} cannot differentiate {leaves[0].backend.name} Tensors; "
            f"use engine='tape' (or None), or move the Tensors with .to(backend={engine!r})"
        )
    return engine


def _split_output(result: Any, has_aux: bool) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("with has_aux=True, f must return a pair (value, aux)")
    return result[0], result[1]


# -- the tape engine ----------------------------------------------------------------


def _tape_vjp(
    f: Callable[..., Any],
    rebuild: Callable[..., Any],
    kwargs: dict[str, Any],
    leaves: list[Tensor],
    has_aux: bool,
    split: Callable[..., Any],
) -> tuple[Any, Callable[..., Any]]:
    trace = new_trace()
    boxed = [leaf(x, trace) for x in leaves]
    token = _open_traces.set(_open_traces.get() + 1)
    try:
        result = f(*rebuild(boxed), **kwargs)
    finally:
        _open_traces.reset(token)
    out, aux = _split_output(result, has_aux)
    out_leaves, out_structure = flatten(out)
    values = [unbox(y, trace) for y in out_leaves]
    tails = [(i, y._node) for i, y in enumerate(out_leaves) if type(y) is Traced and y._node.trace == trace]
    leaf_nodes = [x._node for x in boxed]

    def vjp_fn(cotangent: Any, _final: bool = False) -> tuple[Any, ...]:
        cotangents, structure = flatten(_ones_like(cotangent) if _final else cotangent)
        if structure != out_structure:
            raise ValueError("vjp_fn() needs a cotangent in the structure of f's output")
        grads = backward([(node, cotangents[i]) for i, node in tails], leaf_nodes) if tails else [None] * len(leaves)
        return split([_zeros_like(x) if g is None else g for x, g in zip(leaves, grads)])

    out_value = unflatten(out_structure, values)
    if has_aux:
        out_value = (out_value, _unbox_tree(aux, trace))
    return out_value, vjp_fn


def _unbox_tree(tree: Any, trace: int) -> Any:
    tree_leaves, structure = flatten(tree)
    return unflatten(structure, [unbox(x, trace) for x in tree_leaves])


def _zeros_like(x: Tensor) -> Tensor:
    import unitensor as ut

    return ut.zeros_like(x)


# -- native engines (torch.autograd, jax.vjp) -----------------------------------------


def _native_vjp(
    f: Callable[..., Any],
    rebuild: Callable[..., Any],
    kwargs: dict[str, Any],
    leaves: list[Tensor],
    has_aux: bool,
    split: Callable[..., Any],
) -> tuple[Any, Callable[..., Any]]:
    """Wrap raw arrays into Tensors, call ``f``, unwrap: the framework sees a function of raw arrays."""
    backend = leaves[0].backend
    layout: dict[str, Any] = {}

    def fun(*raws: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        result = f(*rebuild([new_tensor(raw, backend) for raw in raws]), **kwargs)
        out, aux = _split_output(result, has_aux)
        out_leaves, layout["out"] = flatten(out)
        aux_leaves, layout["aux"] = flatten(aux)
        layout["aux_arrays"] = [isinstance(a, Tensor) for a in aux_leaves]
        layout["aux_static"] = [a for a in aux_leaves if not isinstance(a, Tensor)]
        for y in out_leaves:
            if not isinstance(y, Tensor):
                raise TypeError(
                    f"f must return Tensors (or containers of them) to be differentiated, not {type(y).__name__}"
                )
        return tuple(y.raw for y in out_leaves), tuple(a.raw for a in aux_leaves if isinstance(a, Tensor))

    outer = bool(_open_native.get() or _open_traces.get())
    token = _open_native.set(_open_native.get() + 1)
    try:
        raw_out, raw_aux, raw_vjp = backend.native_vjp(fun, tuple(x.raw for x in leaves))
    finally:
        _open_native.reset(token)

    def wrap(raw: Any) -> Tensor:
        # values handed back leave the graph, unless an outer gradient needs them in it
        return new_tensor(raw if outer else backend.detach(raw), backend)

    out_value = unflatten(layout["out"], [wrap(r) for r in raw_out])
    if has_aux:
        arrays, static = iter(raw_aux), iter(layout["aux_static"])
        aux_leaves = [wrap(next(arrays)) if is_array else next(static) for is_array in layout["aux_arrays"]]
        out_value = (out_value, unflatten(layout["aux"], aux_leaves))

    def vjp_fn(cotangent: Any, _final: bool = False) -> tuple[Any, ...]:
        cotangents, structure = flatten(cotangent)
        if structure != layout["out"]:
            raise ValueError("vjp_fn() needs a cotangent in the structure of f's output")
        nested = bool(_open_native.get() or _open_traces.get())
        if _final:  # grad(): ones like the output; for a 0-d one the framework makes them, cheaper
            raw_cotangents: tuple[Any, ...] = (None,) if cotangent.ndim == 0 else (_ones_like(cotangent).raw,)
        else:
            raw_cotangents = tuple(c.raw for c in cotangents)
        raws = raw_vjp(raw_cotangents, create_graph=nested, retain_graph=nested or not _final)
        return split([new_tensor(r, backend) for r in raws])

    return out_value, vjp_fn
