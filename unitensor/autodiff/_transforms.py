"""Function transformations on every backend: ``jit``, ``vmap``, forward mode, custom and stopped gradients.

Each transformation is native where the framework has it and correct
everywhere else:

==================  ===========================  ==============================  =============================
transformation      JAX                          PyTorch                         NumPy, Dask, strict, plugins
==================  ===========================  ==============================  =============================
``jit``             ``jax.jit``                  ``torch.compile``               a plain call
``vmap``            ``jax.vmap``                 ``torch.func.vmap``             a loop, then ``stack``
``jvp``             ``jax.jvp``                  ``torch.func.jvp``              the tape, by the double-VJP trick
``custom_vjp``      ``jax.custom_vjp``           ``torch.autograd.Function``     a tape rule
``checkpoint``      ``jax.checkpoint``           ``torch.utils.checkpoint``      a plain call
``stop_gradient``   ``lax.stop_gradient``        ``detach``                      off the tape
==================  ===========================  ==============================  =============================

The backend is chosen at call time from the Tensors among the arguments.
While unitensor's tape records (``engine="tape"``, or any gradient on NumPy),
``jit`` and ``checkpoint`` are plain calls and ``vmap`` loops, so the tape
sees every operation. Framework-specific code lives in the backends'
transformation hooks (:class:`unitensor.backends.Backend`); this module names
no framework.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from .._tensor import Tensor, new_tensor
from . import _engine, _open_native, _open_traces, _zeros_like, jacobian
from ._pytree import flatten, tree_map, unflatten
from ._tape import SELECT, Node, Traced, _top_trace, _unbox_argument, box, unbox

__all__ = ["checkpoint", "custom_vjp", "hessian", "jacfwd", "jacrev", "jit", "jvp", "stop_gradient", "vmap"]


# -- helpers --------------------------------------------------------------------------


def _positions(argnums: int | Sequence[int], name: str) -> tuple[int, ...]:
    picked = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in picked:
        if not isinstance(i, int) or i < 0:
            raise ValueError(f"{name} must hold non-negative argument positions, got {argnums!r}")
    return picked


def _tensors(leaves: list[Any]) -> list[Tensor]:
    return [x for x in leaves if isinstance(x, Tensor)]


def _on_tape(tensors: list[Tensor]) -> bool:
    """Whether unitensor's tape records now: transformations must then let it see every operation."""
    return bool(_open_traces.get()) or Traced in set(map(type, tensors))


def _raw_tree(tree: Any) -> Any:
    return tree_map(lambda y: y._raw if isinstance(y, Tensor) else y, tree)


def _tensor_tree(tree: Any, backend: Any) -> Any:
    return tree_map(lambda r: new_tensor(r, backend) if backend.owns(r) else r, tree)


def _backend_of(tensors: list[Tensor], caller: str) -> Any:
    backend = tensors[0]._backend
    for x in tensors:
        if x._backend is not backend:
            raise TypeError(
                f"{caller}() got Tensors of several backends ({backend.name}, {x._backend.name}); "
                f"move them to one first with .to(backend=...)"
            )
    return backend


class _Lowered:
    """``f`` as a function of the native arrays of the Tensors among its arguments; the rest stays fixed."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.f = f
        self.leaves, self.structure = flatten((args, kwargs))
        self.where = [i for i, x in enumerate(self.leaves) if isinstance(x, Tensor)]
        self.tensors = [self.leaves[i] for i in self.where]
        self.backend = _backend_of(self.tensors, "a transformation") if self.tensors else None

    def raws(self) -> tuple[Any, ...]:
        return tuple(x._raw for x in self.tensors)

    def rebuild(self, tensors: Sequence[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        leaves = list(self.leaves)
        for i, x in zip(self.where, tensors):
            leaves[i] = x
        return unflatten(self.structure, leaves)

    def call(self, tensors: Sequence[Any]) -> Any:
        args, kwargs = self.rebuild(tensors)
        return self.f(*args, **kwargs)

    def __call__(self, *raws: Any) -> Any:
        """``f`` on native arrays: the output as a tree of native arrays."""
        backend: Any = self.backend
        return _raw_tree(self.call([new_tensor(r, backend) for r in raws]))


# -- jit --------------------------------------------------------------------------------


def jit(
    f: Callable[..., Any] | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    donate_argnums: int | Sequence[int] = (),
) -> Any:
    """``f`` compiled by the framework that holds its Tensors: ``jax.jit``, ``torch.compile``, or none.

    Parameters
    ----------
    f
        A function of Tensors and of dicts, lists and tuples of them, returning
        the same. Usable as ``@ut.jit`` or ``@ut.jit(static_argnums=...)``.
    static_argnums
        Positions of arguments that are compile-time constants (hashable:
        sizes, flags, strings), passed positionally. A new value compiles
        (JAX: retraces) again.
    donate_argnums
        Positions of arguments whose buffers the result may reuse (JAX);
        Tensors passed there must not be used after the call. Other backends
        ignore it.

    Returns
    -------
    callable
        Takes ``f``'s arguments and returns its result.

    Notes
    -----
    Only Tensors are traced. Every other leaf of the arguments (Python
    numbers, strings, None) is a compile-time constant, like the arguments
    at ``static_argnums``: it must be hashable, and a new value compiles
    again. A function is traced once per combination of constants and of its
    Tensors' shapes and dtypes, so Python control flow may depend on those but
    not on Tensor values. Native arrays in the output come back as Tensors.

    * JAX: ``jax.jit``; the trace is cached across calls.
    * torch: the function traced once per signature into one graph of torch
      operations (``make_fx``), compiled by ``torch.compile`` where it works on
      the machine, else eager with a one-time warning saying why;
      ``UNITENSOR_TORCH_COMPILE=0`` turns it off. Compiling takes seconds, so
      compile steps that run often. A function that reads Tensor values into
      Python cannot be traced and runs eagerly, with a warning. Inside
      ``ut.vmap``, ``ut.jvp`` or another compiled function it is eager.
    * NumPy, Dask, array-api-strict and plugins without a compiler: ``f``
      itself is called; nothing changes.

    It composes with the gradient API both ways: ``ut.jit(ut.grad(f))``
    compiles the backward pass too, ``ut.grad(ut.jit(f))`` differentiates
    the compiled function. While unitensor's tape records, the call is plain.

    Examples
    --------
    >>> import unitensor as ut
    >>> @ut.jit
    ... def step(w, x):
    ...     return w - 0.1 * ut.grad(lambda w: ut.sum((x @ w) ** 2))(w)
    >>> step(ut.asarray([1.0, -1.0]), ut.asarray([[1.0, 2.0]])).tolist()
    [1.2, -0.6]
    """
    if f is None:
        return functools.partial(jit, static_argnums=static_argnums, donate_argnums=donate_argnums)
    if not callable(f):
        raise TypeError(f"jit() needs a function, got {type(f).__name__}")
    static = _positions(static_argnums, "static_argnums")
    donate = _positions(donate_argnums, "donate_argnums")
    if set(static) & set(donate):
        raise ValueError(f"an argument cannot be both static and donated: {sorted(set(static) & set(donate))}")
    compiled: dict[tuple[Any, int], Callable[..., Any] | None] = {}

    def lowered(layout: Any, kept: tuple[Any, ...], donated: tuple[Any, ...], *static_values: Any) -> Any:
        """``f`` on native arrays: ``layout`` says where each array and constant goes."""
        backend, structure, constants = layout
        kept_arrays, donated_arrays, statics = iter(kept), iter(donated), iter(static_values)
        leaves = [
            new_tensor(next(kept_arrays), backend)
            if c is _ARRAY
            else new_tensor(next(donated_arrays), backend)
            if c is _DONATED
            else next(statics)
            if c is _STATIC
            else c
            for c in constants
        ]
        args, kwargs = unflatten(structure, leaves)
        return _raw_tree(f(*args, **kwargs))

    @functools.wraps(f)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        tensors: list[Tensor] = []
        constants: list[Any] = []
        statics: list[Any] = []
        donated: list[Any] = []
        arg_structures: list[Any] = []
        for i, a in enumerate(args):
            if i in static:
                statics.append(a)
                constants.append(_STATIC)
                arg_structures.append(None)
            else:
                arg_structures.append(_scan(a, donated if i in donate else None, tensors, constants))
        structure = (tuple, None, ((tuple, None, tuple(arg_structures)), _scan(kwargs, None, tensors, constants)))
        if not tensors or _on_tape(tensors):
            return f(*args, **kwargs)
        backend = _backend_of(tensors, "jit")
        key = (backend, len(statics))  # static_argnums past the arguments given are not passed
        try:
            run = compiled[key]
        except KeyError:
            run = compiled[key] = backend.jit(lowered, (0, *range(3, 3 + len(statics))), (2,) if donate else ())
        if run is None:
            return f(*args, **kwargs)
        kept = (
            tuple([x._raw for x in tensors])
            if not donated
            else tuple(
                [x._raw for x, c in zip(tensors, [c for c in constants if c is _ARRAY or c is _DONATED]) if c is _ARRAY]
            )
        )
        layout = (backend, structure, tuple(constants))
        try:
            return _tensors_of(run(layout, kept, tuple(donated), *statics), backend)
        except (TypeError, ValueError):
            bad = [type(x).__name__ for x in (*constants, *statics) if not _hashable(x)]
            if bad:
                raise TypeError(
                    f"jit() traces Tensors only; every other argument is a compile-time constant and "
                    f"must be hashable, but one is a {bad[0]}. Wrap array data with "
                    f"ut.asarray(...)"
                ) from None
            raise

    return jitted


def _scan(tree: Any, donated: list[Any] | None, tensors: list[Tensor], constants: list[Any]) -> Any:
    """``flatten`` for jit, in one pass: the structure; Tensors and constants appended in order.

    The arrays of a donated argument also go to ``donated``.
    """
    kind = type(tree)
    if kind is dict or isinstance(tree, dict):
        return (kind, tuple(tree), tuple([_scan(v, donated, tensors, constants) for v in tree.values()]))
    if kind is list or kind is tuple or isinstance(tree, (list, tuple)):
        return (kind, None, tuple([_scan(v, donated, tensors, constants) for v in tree]))
    if isinstance(tree, Tensor):
        tensors.append(tree)
        if donated is None:
            constants.append(_ARRAY)
        else:
            constants.append(_DONATED)
            donated.append(tree._raw)
    else:
        constants.append(tree)
    return None


def _tensors_of(tree: Any, backend: Any) -> Any:
    """A tree of native arrays as a tree of Tensors (one pass, for speed)."""
    kind = type(tree)
    if kind is tuple or kind is list:
        return kind([_tensors_of(x, backend) for x in tree])
    if kind is dict:
        return {k: _tensors_of(v, backend) for k, v in tree.items()}
    if isinstance(tree, (list, tuple, dict)):
        return tree_map(lambda r: new_tensor(r, backend) if backend.owns(r) else r, tree)
    return new_tensor(tree, backend) if backend.owns(tree) else tree


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_ARRAY = _Marker("<traced Tensor>")  # where a Tensor sits in jit's layout of constants
_DONATED = _Marker("<donated Tensor>")  # a Tensor of a donated argument
_STATIC = _Marker("<static argument>")  # a static argument, passed on its own


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


# -- vmap -------------------------------------------------------------------------------


def vmap(f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0) -> Callable[..., Any]:
    """``f`` mapped over an axis of its arguments: ``jax.vmap``, ``torch.func.vmap``, or a loop.

    Parameters
    ----------
    f
        A function of Tensors (and of dicts, lists and tuples of them)
        returning the same.
    in_axes
        The axis to map of every argument (an int, or None for an argument
        used whole by every call), or one such entry per positional argument;
        an entry may be a tree matching its argument.
    out_axes
        Where the mapped axis goes in each output: an int, None (the output
        does not depend on the mapped axis), or a tree matching the output.

    Returns
    -------
    callable
        Takes ``f``'s arguments, each with the extra axis, and returns ``f``'s
        outputs with the mapped axis at ``out_axes``.

    Notes
    -----
    On JAX and torch this is the framework's vectorizing map. Elsewhere
    (NumPy, Dask, array-api-strict, plugins), and while unitensor's tape
    records, ``f`` is called once per index along the mapped axis and the
    results are stacked: the same results, at the cost of a Python loop.
    Nested ``vmap`` and ``vmap`` of ``grad`` (per-example gradients) work
    on every backend.

    Examples
    --------
    >>> import unitensor as ut
    >>> loss = lambda w, x: ut.sum(w * x) ** 2
    >>> w, xs = ut.asarray([1.0, 2.0]), ut.asarray([[1.0, 0.0], [0.0, 1.0]])
    >>> ut.vmap(ut.grad(loss), in_axes=(None, 0))(w, xs).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    if not callable(f):
        raise TypeError(f"vmap() needs a function, got {type(f).__name__}")

    @functools.wraps(f)
    def vmapped(*args: Any) -> Any:
        per_arg = _per_argument(in_axes, len(args))
        leaves, structure = flatten(args)
        axes = [a for arg, axis in zip(args, per_arg) for a in _leaf_axes(axis, arg, "in_axes")]
        mapped = [(x, a) for x, a in zip(leaves, axes) if a is not None]
        for x, a in mapped:
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"vmap() maps Tensors only, but in_axes maps a {type(x).__name__}; "
                    f"give it in_axes None or wrap it with ut.asarray(...)"
                )
            if not -x.ndim <= a < x.ndim:
                raise ValueError(f"vmap() cannot map axis {a} of a Tensor of shape {x.shape}")
        if not mapped:
            raise ValueError("vmap() needs at least one Tensor to map over; in_axes maps none")
        sizes = {x.shape[a] for x, a in mapped}
        if len(sizes) != 1 or None in sizes:
            raise ValueError(
                f"vmap() needs the mapped axes to have one known size, got sizes {sorted(map(str, sizes))}"
            )
        tensors = _tensors(leaves)
        backend = _backend_of(tensors, "vmap")
        if not _on_tape(tensors):
            lowered = _Lowered(lambda *a: f(*a), args, {})
            in_flat = tuple(a for x, a in zip(leaves, axes) if isinstance(x, Tensor))
            native = backend.vmap(lowered, in_flat, _native_out_axes(out_axes))
            if native is not None:
                return _tensor_tree(native(*lowered.raws()), backend)
        return _loop_and_stack(f, leaves, structure, axes, out_axes)

    return vmapped


def _per_argument(in_axes: Any, n_args: int) -> list[Any]:
    if in_axes is None or isinstance(in_axes, int):
        return [in_axes] * n_args
    if isinstance(in_axes, (list, tuple)):
        if len(in_axes) != n_args:
            raise ValueError(f"vmap() got in_axes with {len(in_axes)} entries for {n_args} positional arguments")
        return list(in_axes)
    raise TypeError(f"in_axes must be an int, None, or a tuple with one entry per argument, not {in_axes!r}")


def _leaf_axes(axes: Any, tree: Any, name: str) -> list[int | None]:
    """``axes``, a prefix of ``tree``, spelled out for every leaf of ``tree``."""
    if axes is None or isinstance(axes, int):
        return [axes] * len(flatten(tree)[0])
    if isinstance(axes, dict) and isinstance(tree, dict) and set(axes) == set(tree):
        return [a for key in tree for a in _leaf_axes(axes[key], tree[key], name)]
    if isinstance(axes, (list, tuple)) and isinstance(tree, (list, tuple)) and len(axes) == len(tree):
        return [a for axis, item in zip(axes, tree) for a in _leaf_axes(axis, item, name)]
    raise ValueError(f"{name} {axes!r} does not match the structure of the value it describes")


def _native_out_axes(out_axes: Any) -> Any:
    return tuple(out_axes) if isinstance(out_axes, list) else out_axes


def _loop_and_stack(
    f: Callable[..., Any], leaves: list[Any], structure: Any, axes: list[int | None], out_axes: Any
) -> Any:
    import unitensor as ut

    size = next(x.shape[a] for x, a in zip(leaves, axes) if a is not None)
    if size == 0:
        raise ValueError("vmap() on this backend calls f once per index, so the mapped axis must not be empty")

    def take(x: Any, axis: int | None, i: int) -> Any:
        return x if axis is None else x[(slice(None),) * (axis % x.ndim) + (i, ...)]

    results = [f(*unflatten(structure, [take(x, a, i) for x, a in zip(leaves, axes)])) for i in range(size)]
    columns, out_structure = flatten(results[0])
    rows = [flatten(r)[0] for r in results]
    stacked = []
    for j, (first, axis) in enumerate(zip(columns, _leaf_axes(out_axes, results[0], "out_axes"))):
        if axis is None:
            stacked.append(first)
            continue
        if not isinstance(first, Tensor):
            raise TypeError(
                f"vmap() stacks Tensor outputs only, but f returned a {type(first).__name__}; "
                f"give it out_axes None or return ut.asarray(...)"
            )
        stacked.append(ut.stack([row[j] for row in rows], axis=axis if axis >= 0 else axis + first.ndim + 1))
    return unflatten(out_structure, stacked)


# -- forward mode and higher derivatives --------------------------------------------------------


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], engine: str | None = None
) -> tuple[Any, Any]:
    """``f(*primals)`` and its directional derivative along ``tangents`` (a Jacobian-vector product).

    Parameters
    ----------
    f
        A function of Tensors (and of dicts, lists and tuples of them)
        returning the same.
    primals
        A tuple of ``f``'s positional arguments.
    tangents
        One tangent per primal, in its structure, shapes and dtypes.
    engine
        ``"tape"``, ``"torch"`` or ``"jax"``, as for :func:`unitensor.grad`.

    Returns
    -------
    tuple
        ``(out, tangent_out)``, both in the structure of ``f``'s output.

    Notes
    -----
    Native forward mode on JAX (``jax.jvp``) and torch (``torch.func.jvp``).
    On the tape it is two reverse passes (the double-VJP trick): the VJP is
    linear in its cotangent ``u``, so the VJP of ``u -> vjp(u)`` along the
    tangent is the JVP. It nests with ``grad`` and itself on every engine.

    Examples
    --------
    >>> import unitensor as ut
    >>> out, tangent = ut.jvp(lambda x: x ** 3, (ut.asarray([1.0, 2.0]),), (ut.asarray([1.0, 0.5]),))
    >>> out.tolist(), tangent.tolist()
    ([1.0, 8.0], [3.0, 6.0])
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp() takes primals and tangents as tuples: ut.jvp(f, (x,), (v,))")
    primal_leaves, structure = flatten(tuple(primals))
    tangent_leaves, tangent_structure = flatten(tuple(tangents))
    if tangent_structure != structure:
        raise ValueError("jvp() needs tangents in the structure of primals (one tangent per primal)")
    for p, t in zip(primal_leaves, tangent_leaves):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise TypeError(
                f"jvp() takes Tensors (or dicts, lists and tuples of them), got "
                f"{type(p if not isinstance(p, Tensor) else t).__name__}"
            )
        if p.shape != t.shape or p.dtype != t.dtype:
            raise ValueError(
                f"jvp() needs each tangent in its primal's shape and dtype: primal {p.shape} "
                f"{p.dtype}, tangent {t.shape} {t.dtype}"
            )
    if not primal_leaves:
        raise ValueError("jvp() found no Tensor among the primals")
    _backend_of(primal_leaves + tangent_leaves, "jvp")
    if _engine(engine, primal_leaves) == "tape":
        return _tape_jvp(f, tuple(primals), tuple(tangents))
    return _native_jvp(f, primal_leaves, tangent_leaves, structure)


def _tape_jvp(f: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    from . import vjp as reverse

    out, vjp_fn = reverse(f, *primals, engine="tape")
    zeros = tree_map(_zeros_like, out)
    _, vjp_of_vjp = reverse(lambda u: vjp_fn(u), zeros, engine="tape")
    (tangent_out,) = vjp_of_vjp(tangents)
    return out, tangent_out


def _native_jvp(
    f: Callable[..., Any], primal_leaves: list[Tensor], tangent_leaves: list[Tensor], structure: Any
) -> tuple[Any, Any]:
    backend = primal_leaves[0]._backend
    layout: dict[str, Any] = {}

    def fun(*raws: Any) -> tuple[Any, ...]:
        out = f(*unflatten(structure, [new_tensor(r, backend) for r in raws]))
        out_leaves, layout["out"] = flatten(out)
        for y in out_leaves:
            if not isinstance(y, Tensor):
                raise TypeError(f"jvp() needs f to return Tensors (or containers of them), not {type(y).__name__}")
        return tuple(y._raw for y in out_leaves)

    outer = bool(_open_native.get() or _open_traces.get())
    token = _open_native.set(_open_native.get() + 1)
    try:
        raw_out, raw_tangents = backend.native_jvp(
            fun, tuple(x._raw for x in primal_leaves), tuple(t._raw for t in tangent_leaves)
        )
    finally:
        _open_native.reset(token)

    def wrap(raws: Any) -> Any:
        # results leave the framework's graph, unless an outer gradient needs them in it
        return unflatten(layout["out"], [new_tensor(r if outer else backend.detach(r), backend) for r in raws])

    return wrap(raw_out), wrap(raw_tangents)


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0, engine: str | None = None) -> Callable[..., Any]:
    """The Jacobian of a Tensor-valued ``f`` by forward mode: shape ``out.shape + x.shape``.

    One :func:`jvp` per element of the input; cheaper than :func:`jacrev`
    when ``f`` has more outputs than inputs.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.jacfwd(lambda x: x[0] * x)(ut.asarray([2.0, 3.0])).tolist()
    [[4.0, 0.0], [3.0, 2.0]]
    """
    import unitensor as ut

    @functools.wraps(f)
    def jacfwd_f(*args: Any, **kwargs: Any) -> Any:
        picked = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        result = []
        for position in picked:
            x = args[position]
            if not isinstance(x, Tensor):
                raise TypeError("jacfwd() differentiates with respect to Tensors, not containers")

            def along(v: Tensor, position: int = position, x: Tensor = x) -> Any:
                def of_x(y: Tensor) -> Any:
                    return f(*args[:position], y, *args[position + 1 :], **kwargs)

                return jvp(of_x, (x,), (v,), engine=engine)

            basis = ut.eye(x.size, dtype=x.dtype, backend=x.backend, device=x.device)
            pairs = [along(ut.reshape(basis[i, ...], x.shape)) for i in range(x.size)]
            out = pairs[0][0] if pairs else f(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"jacfwd() needs f to return a Tensor, got {type(out).__name__}")
            columns = (
                ut.stack([t for _, t in pairs])
                if pairs
                else ut.zeros((0,) + out.shape, dtype=out.dtype, backend=out.backend, device=out.device)
            )
            columns = ut.reshape(columns, (x.size, out.size))
            result.append(ut.reshape(ut.matrix_transpose(columns), out.shape + x.shape))
        return result[0] if isinstance(argnums, int) else tuple(result)

    return jacfwd_f


def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0, engine: str | None = None) -> Callable[..., Any]:
    """The Jacobian of a Tensor-valued ``f`` by reverse mode (one VJP per output element); see ``jacobian``.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.jacrev(lambda x: x[0] * x)(ut.asarray([2.0, 3.0])).tolist()
    [[4.0, 0.0], [3.0, 2.0]]
    """
    return jacobian(f, argnums, engine)


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, engine: str | None = None) -> Callable[..., Any]:
    """The Hessian of a scalar-valued ``f``: ``jacfwd(jacrev(f))``, shape ``x.shape + x.shape``.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.hessian(lambda x: x[0] ** 2 * x[1])(ut.asarray([1.0, 3.0])).tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    return jacfwd(jacrev(f, argnums, engine), argnums, engine)


# -- control over gradients ----------------------------------------------------------------------


def stop_gradient(x: Any) -> Any:
    """``x`` as a constant for every gradient, forward or reverse, on every engine.

    Takes a Tensor or a tree of them. Its value is ``x``'s; derivatives
    through it are zero (``jax.lax.stop_gradient``, torch's ``detach``, off
    the tape).

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.grad(lambda x: ut.sum(x * ut.stop_gradient(x)))(ut.asarray([3.0])).tolist()
    [3.0]
    """

    def stop(leaf: Any) -> Any:
        if not isinstance(leaf, Tensor):
            return leaf
        plain = unbox(leaf, 0)  # off every trace
        return new_tensor(plain._backend.detach(plain._raw), plain._backend)

    return tree_map(stop, x)


class custom_vjp:
    """A function with a backward rule of its own, defined once for every engine.

    ``fwd(*args)`` returns ``(out, residuals)``, where residuals are any tree
    of Tensors and constants; ``bwd(residuals, cotangent)`` returns one
    cotangent per positional argument of ``f`` (in its structure; None for
    zeros). The rule becomes a ``jax.custom_vjp`` on JAX, a
    ``torch.autograd.Function`` on torch (also under ``torch.func``
    transforms), and a node with this rule on unitensor's tape. Outputs are a
    Tensor or a tuple of Tensors. Non-Tensor arguments are constants.

    Second derivatives differentiate ``bwd`` on JAX and the tape; torch's
    saved residuals are not differentiable, so there the rule is first-order.

    Examples
    --------
    >>> import unitensor as ut
    >>> @ut.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (ut.clip(g, -1.0, 1.0),))
    >>> ut.grad(lambda x: ut.sum(3.0 * clip_gradient(x)))(ut.asarray([1.0, 2.0])).tolist()
    [1.0, 1.0]
    """

    def __init__(self, fun: Callable[..., Any]) -> None:
        if not callable(fun):
            raise TypeError(f"custom_vjp() decorates a function, not a {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        self._native: dict[Any, Callable[..., Any] | None] = {}

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        """Set the forward pass ``fwd(*args) -> (out, residuals)`` and the rule ``bwd(residuals, g)``."""
        if not callable(fwd) or not callable(bwd):
            raise TypeError("defvjp() takes two functions: fwd(*args) -> (out, residuals) and bwd(residuals, g)")
        self.fwd, self.bwd = fwd, bwd
        self._native.clear()

    def __call__(self, *args: Any) -> Any:
        if self.fwd is None or self.bwd is None:
            raise TypeError(
                f"{getattr(self, '__name__', 'this function')} has no backward rule yet; call .defvjp(fwd, bwd) first"
            )
        leaves, structure = flatten(args)
        tensors = _tensors(leaves)
        if not tensors:
            return self.fun(*args)
        if any(type(x) is Traced for x in tensors):
            return self._on_tape(args, leaves, structure)
        backend = _backend_of(tensors, "custom_vjp")
        if _open_traces.get():
            return self.fun(*args)  # constants of the recording tape: nothing to differentiate here
        return self._native_call(backend, args, leaves, structure)

    # -- engines --

    def _cotangents(self, residuals: Any, g: Any, args: tuple[Any, ...]) -> list[Any]:
        """``bwd`` as one cotangent (or None) per leaf of ``args``."""
        assert self.bwd is not None
        result = self.bwd(residuals, g)
        if not isinstance(result, (tuple, list)) or len(result) != len(args):
            raise TypeError(
                f"custom_vjp: bwd must return a tuple with one cotangent per argument of f "
                f"({len(args)}), got {type(result).__name__}"
            )
        out: list[Any] = []
        for arg, cotangent in zip(args, result):
            n = len(flatten(arg)[0])
            out += [None] * n if cotangent is None else flatten(cotangent)[0]
        return out

    def _on_tape(self, args: tuple[Any, ...], leaves: list[Any], structure: Any) -> Any:
        assert self.fwd is not None
        trace = _top_trace(leaves)
        parents: list[tuple[Node, Any, Any]] = []
        plain = tuple(_unbox_argument(x, trace, k, parents) for k, x in enumerate(leaves))
        out, residuals = self.fwd(*unflatten(structure, plain))
        outputs, out_structure = flatten(out)
        single = isinstance(out, Tensor)
        memo: dict[str, Any] = {}

        def cotangents(g: Any) -> list[Any]:
            if memo.get("g") is not g:
                gs = [g] if single else [_zeros_like(y) if c is None else c for y, c in zip(outputs, g)]
                memo["g"], memo["out"] = g, self._cotangents(residuals, unflatten(out_structure, gs), args)
            return memo["out"]

        def rule(k: int) -> Callable[..., Any]:
            def vjp(g: Any, ans: Any, *primals: Any) -> Any:
                cotangent = cotangents(g)[k]
                return _zeros_like(primals[k]) if cotangent is None else cotangent

            return vjp

        node = Node(
            {k: rule(k) for _, k, _ in parents}, tuple(parents), plain, {}, out if single else tuple(outputs), trace
        )
        if single:
            return box(out, node)
        boxed = [box(y, Node(SELECT, ((node, i, None),), (), {}, y, trace)) for i, y in enumerate(outputs)]
        return unflatten(out_structure, boxed)

    def _native_call(self, backend: Any, args: tuple[Any, ...], leaves: list[Any], structure: Any) -> Any:
        where = [i for i, x in enumerate(leaves) if isinstance(x, Tensor)]
        layout: dict[str, Any] = {}

        def rebuild(raws: Sequence[Any]) -> tuple[Any, ...]:
            new = list(leaves)
            for i, r in zip(where, raws):
                new[i] = new_tensor(r, backend)
            return unflatten(structure, new)

        def lower(out: Any) -> tuple[Any, ...]:
            outputs, layout["out"] = flatten(out)
            if not all(isinstance(y, Tensor) for y in outputs):
                raise TypeError("custom_vjp: f must return a Tensor or a tuple of Tensors")
            return tuple(y._raw for y in outputs)

        def fun(*raws: Any) -> tuple[Any, ...]:
            return lower(self.fun(*rebuild(raws)))

        def fwd(*raws: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            assert self.fwd is not None
            out, residuals = self.fwd(*rebuild(raws))
            res_leaves, layout["res"] = flatten(residuals)
            layout["res_constants"] = [None if isinstance(r, Tensor) else r for r in res_leaves]
            return lower(out), tuple(r._raw for r in res_leaves if isinstance(r, Tensor))

        def bwd(res_raws: tuple[Any, ...], cotangents: tuple[Any, ...]) -> tuple[Any, ...]:
            arrays = iter(res_raws)
            res_leaves = [new_tensor(next(arrays), backend) if c is None else c for c in layout["res_constants"]]
            g = unflatten(layout["out"], [new_tensor(c, backend) for c in cotangents])
            per_leaf = self._cotangents(unflatten(layout["res"], res_leaves), g, args)
            tensors = [leaves[i] for i in where]
            grads = [per_leaf[i] for i in where]
            return tuple((_zeros_like(x) if c is None else c)._raw for x, c in zip(tensors, grads))

        native = backend.custom_vjp(fun, fwd, bwd)
        if native is None:
            return self.fun(*args)
        raw_out = native(*(leaves[i]._raw for i in where))
        return unflatten(layout["out"], [new_tensor(r, backend) for r in raw_out])


def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` recomputed in the backward pass instead of keeping its intermediate values (rematerialization).

    ``jax.checkpoint`` on JAX, ``torch.utils.checkpoint`` on torch (not
    inside ``torch.func`` transforms, where it is a plain call). On
    unitensor's tape it is a plain call: the tape keeps what its rules need.
    Values and gradients are the same either way; only memory use changes.

    Examples
    --------
    >>> import unitensor as ut
    >>> block = ut.checkpoint(lambda x: ut.sin(ut.sin(x)))
    >>> round(float(ut.grad(lambda x: ut.sum(block(x)))(ut.asarray([0.0]))[0]), 6)
    1.0
    """
    if not callable(f):
        raise TypeError(f"checkpoint() needs a function, got {type(f).__name__}")

    @functools.wraps(f)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        lowered = _Lowered(f, args, kwargs)
        if lowered.backend is None or _on_tape(lowered.tensors):
            return f(*args, **kwargs)
        native = lowered.backend.checkpoint(lowered)
        if native is None:
            return f(*args, **kwargs)
        return _tensor_tree(native(*lowered.raws()), lowered.backend)

    return checkpointed
