"""unitensor's reverse-mode tape: gradients on every backend, written against the array API only.

How it works (the design of HIPS autograd):

* Each gradient computation opens a *trace* with a new, increasing id. Its
  inputs become :class:`Traced` Tensors: a Tensor subclass that points at a
  :class:`Node` of the trace (the node holds the plain value).
* The core hands every namespace call that involves a Traced Tensor to
  :meth:`Traced.__ut_function__`. It takes the highest trace among the
  arguments, unboxes the arguments of that trace, calls the function on the
  unboxed values and boxes the result in a new node that remembers the
  function's VJP rule, its arguments and its parents. An unboxed value may
  itself be a Traced Tensor of an outer trace: that is how ``grad(grad(f))``
  records the inner backward pass on the outer trace and gives second
  derivatives.
* The backward pass walks the nodes of one trace in topological order once
  and accumulates cotangents in a dict keyed by node.

Plain Tensors never come here (their fast paths check ``type(x) is Tensor``),
so recording costs nothing when no gradient is being taken.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from .._namespace import FUNCTIONS, _getitem, _setitem
from .._tensor import _BINARY_OPERATORS, _REFLECTED, Tensor, _object_new, new_tensor

__all__ = ["Traced", "Node", "new_trace", "leaf", "backward", "unbox", "functional_setitem", "NoGradientRule"]

_trace_ids = itertools.count(1)
_FLOATING = frozenset({"real floating", "complex floating"})


class NoGradientRule(NotImplementedError):
    """A differentiable-looking function without a VJP rule was hit while differentiating."""


class Node:
    """One recorded operation (or an input) of a trace.

    ``rule`` maps an argument position (int) or keyword (str) to the VJP
    function of that argument; ``parents`` holds ``(node, position, index)``
    for every traced argument, ``index`` being the position inside a list
    argument (``concat``) or None. An input (leaf) has no rule; the output
    ``i`` of a multi-output function is a node with rule ``SELECT`` whose one
    parent is the function's node.
    """

    __slots__ = ("rule", "parents", "args", "kwargs", "ans", "trace")

    def __init__(
        self,
        rule: Any,
        parents: tuple[tuple[Node, Any, Any], ...],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        ans: Any,
        trace: int,
    ) -> None:
        self.rule = rule
        self.parents = parents
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.trace = trace


SELECT = object()


class Traced(Tensor):
    """A Tensor recorded on a gradient tape.

    ``_raw`` and ``_backend`` mirror the innermost plain value, so shape,
    dtype, device and ``float(t)`` cost what they cost on a Tensor; ``_node``
    (a slot of Tensor, unused by plain Tensors) is this value's node.
    """

    __slots__ = ()

    @property
    def requires_grad(self) -> bool:
        return True

    def _traced(self) -> bool:
        return True

    @classmethod
    def __ut_function__(cls, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return record(func, args, kwargs)


def box(value: Tensor, node: Node) -> Traced:
    out = _object_new(Traced)
    out._raw = value._raw
    out._backend = value._backend
    out._node = node
    return out


def new_trace() -> int:
    """A fresh trace id, higher than every id before it."""
    return next(_trace_ids)


def leaf(value: Tensor, trace: int) -> Traced:
    """``value`` as an input of ``trace``."""
    return box(value, Node(None, (), (), {}, value, trace))


def unbox(x: Any, trace: int) -> Any:
    """The value of ``x`` with ``trace`` taken off (``x`` itself if it is not of that trace)."""
    while type(x) is Traced and x._node.trace >= trace:
        x = x._node.ans
    return x


# -- recording -----------------------------------------------------------------

#: func -> {argument position or keyword: vjp(g, ans, *args, **kwargs)}; filled by _rules
RULES: dict[Callable[..., Any], dict[Any, Callable[..., Any]]] = {}
#: func -> the same function written with recorded primitives (linalg.trace, matrix_norm ...)
COMPOSITES: dict[Callable[..., Any], Callable[..., Any]] = {}
#: functions whose result is constant with respect to their inputs (floor, sign, ones_like ...)
CONSTANT: set[Callable[..., Any]] = set()
#: func -> the name users know it by, for error messages
NAMES: dict[Callable[..., Any], str] = {}


def _top_trace(args: Iterable[Any]) -> int:
    top = 0
    for a in args:
        kind = type(a)
        if kind is Traced:
            if a._node.trace > top:
                top = a._node.trace
        elif kind is list or kind is tuple:
            for item in a:
                if type(item) is Traced and item._node.trace > top:
                    top = item._node.trace
    return top


def _unbox_argument(a: Any, trace: int, key: Any, parents: list[tuple[Node, Any, Any]]) -> Any:
    kind = type(a)
    if kind is Traced:
        node = a._node
        if node.trace == trace:
            parents.append((node, key, None))
            return node.ans
        return a
    if (kind is list or kind is tuple) and any(type(item) is Traced for item in a):
        items = []
        for index, item in enumerate(a):
            if type(item) is Traced and item._node.trace == trace:
                parents.append((item._node, key, index))
                items.append(item._node.ans)
            else:
                items.append(item)
        return kind(items)
    return a


def record(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``func`` on unboxed arguments and record the result on the highest trace among them."""
    if func is _setitem:
        # x[key] = v is recorded functionally; Tensor.__setitem__ rebinds x to the result
        func = functional_setitem
    composite = COMPOSITES.get(func)
    if composite is not None:
        return composite(*args, **kwargs)
    trace = _top_trace(itertools.chain(args, kwargs.values()) if kwargs else args)
    parents: list[tuple[Node, Any, Any]] = []
    uargs = tuple([_unbox_argument(a, trace, i, parents) for i, a in enumerate(args)])
    ukwargs = {k: _unbox_argument(v, trace, k, parents) for k, v in kwargs.items()} if kwargs else kwargs
    ans = func(*uargs, **ukwargs)
    if func in CONSTANT:
        return ans
    rule = RULES.get(func)
    if rule is not None and func is not _astype and (type(ans) is Tensor or type(ans) is Traced):
        # a function with a rule maps floating inputs to floating outputs (astype aside)
        return box(ans, _new_node(func, rule, parents, uargs, ukwargs, ans, trace))
    if isinstance(ans, (tuple, list)):
        if not any(_differentiable(a) for a in ans):
            return ans
        node = _new_node(func, rule, parents, uargs, ukwargs, ans, trace)
        boxed = [_box_output(node, i, a) for i, a in enumerate(ans)]
        return type(ans)(*boxed) if hasattr(ans, "_fields") else type(ans)(boxed)
    if not _differentiable(ans):
        return ans
    return box(ans, _new_node(func, rule, parents, uargs, ukwargs, ans, trace))


def _new_node(
    func: Callable[..., Any],
    rule: Any,
    parents: list[tuple[Node, Any, Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    ans: Any,
    trace: int,
) -> Node:
    if rule is None:
        raise NoGradientRule(
            f"{_name(func)}() has no gradient rule in unitensor's tape, and it was called on a Tensor "
            f"being differentiated. Take the gradient with the backend's native engine (torch, jax), "
            f"compute that value outside the differentiated function, or cut it out with .detach()"
        )
    for _, key, _ in parents:
        if key not in rule:
            where = f"argument {key}" if isinstance(key, int) else f"argument {key!r}"
            raise NoGradientRule(
                f"{_name(func)}() is not differentiable with respect to its {where} in unitensor's tape; "
                f"pass a constant there (e.g. x.detach())"
            )
    return Node(rule, tuple(parents), args, kwargs, ans, trace)


def _box_output(node: Node, index: int, value: Any) -> Any:
    if not _differentiable(value):
        return value
    return box(value, Node(SELECT, ((node, index, None),), (), {}, value, node.trace))


def _differentiable(value: Any) -> bool:
    return isinstance(value, Tensor) and value.dtype.kind in _FLOATING


def _name(func: Callable[..., Any]) -> str:
    return NAMES.get(func) or getattr(func, "__name__", repr(func))


def functional_setitem(x: Tensor, key: Any, value: Any) -> Tensor:
    """``x`` with ``x[key] = value`` written into a copy: how the tape records item assignment."""
    if type(x) is Traced or type(value) is Traced:
        return record(functional_setitem, (x, key, value), {})
    backend = x._backend
    target = new_tensor(backend.function("asarray")(x._raw, copy=True), backend) if backend.mutable else x
    return _setitem(target, key, value)


# -- the backward pass ---------------------------------------------------------------


def _toposort(root: Node) -> list[Node]:
    """Nodes reachable from ``root``, each after every node that uses it."""
    child_counts: dict[Node, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node in child_counts:
            child_counts[node] += 1
        else:
            child_counts[node] = 1
            stack.extend([parent for parent, _, _ in node.parents])
    order = []
    childless = [root]
    while childless:
        node = childless.pop()
        order.append(node)
        for parent, _, _ in node.parents:
            count = child_counts[parent]
            if count == 1:
                childless.append(parent)
            else:
                child_counts[parent] = count - 1
    return order


def backward(outputs: list[tuple[Node, Any]], leaves: list[Node]) -> list[Any]:
    """Cotangents of ``leaves`` given ``(node, cotangent)`` for the outputs; None where unreached."""
    root = Node(None, tuple((node, i, None) for i, (node, _) in enumerate(outputs)), (), {}, None, 0)
    grads: dict[Node, Any] = {}
    for node, cotangent in outputs:
        _accumulate(grads, node, cotangent)
    wanted = set(leaves)
    results: dict[Node, Any] = {}
    for node in _toposort(root)[1:]:
        g = grads.pop(node, None)
        if g is None:
            continue
        rule = node.rule
        if rule is None:
            if node in wanted:
                results[node] = g
            continue
        if rule is SELECT:
            parent, index, _ = node.parents[0]
            cotangents = grads.get(parent)
            if cotangents is None:
                cotangents = grads[parent] = [None] * len(parent.ans)
            cotangents[index] = g if cotangents[index] is None else cotangents[index] + g
            continue
        computed: dict[Any, Any] = {}
        for parent, key, index in node.parents:
            if key in computed:
                grad = computed[key]
            else:
                grad = computed[key] = rule[key](g, node.ans, *node.args, **node.kwargs)
            primal = node.args[key] if isinstance(key, int) else node.kwargs[key]
            if index is not None:
                grad, primal = grad[index], primal[index]
            _accumulate(grads, parent, fit(grad, primal))
    return [results.get(node) for node in leaves]


def _accumulate(grads: dict[Node, Any], node: Node, grad: Any) -> None:
    old = grads.get(node)
    grads[node] = grad if old is None else old + grad


def fit(grad: Any, primal: Tensor) -> Any:
    """``grad`` summed over the axes that broadcasting added to ``primal``, in ``primal``'s dtype.

    Rules compute cotangents in the shape of their output; this one helper
    undoes the broadcasting for all of them.
    """
    raw, primal_raw = grad._raw, primal._raw
    if raw.shape == primal_raw.shape and raw.dtype == primal_raw.dtype:
        return grad
    shape = primal.shape
    if grad.shape != shape:
        grad = _unbroadcast(grad, shape)
    dtype = primal.dtype
    if grad.dtype is not dtype:
        import unitensor as ut

        if grad.dtype.kind == "complex floating" and dtype.kind != "complex floating":
            grad = ut.real(grad)
        if grad.dtype is not dtype:
            grad = ut.astype(grad, dtype)
    return grad


def _unbroadcast(grad: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    import unitensor as ut

    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = ut.sum(grad, axis=tuple(range(extra)))
    axes = tuple(i for i, (n, m) in enumerate(zip(grad.shape, shape)) if m == 1 and n != 1)
    if axes:
        grad = ut.sum(grad, axis=axes, keepdims=True)
    if grad.shape != shape and None not in shape:
        grad = ut.broadcast_to(grad, shape)
    return grad


# -- operators: straight to the tape ---------------------------------------------------
#
# A Traced operand would reach ``record`` anyway, through the namespace's
# checked slow path; going there directly keeps the tape's per-operation cost
# low. The checks still run, on the unboxed values.

_astype: Any = None  # ut.astype, set by _rules (importing unitensor here would be circular)
_OPERANDS = frozenset({Tensor, Traced, int, float})


def _binary_operator(dunder: str, function: Callable[..., Any], reflected: bool) -> Callable[..., Any]:
    fallback = getattr(Tensor, dunder)

    def method(self: Traced, other: Any) -> Any:
        if type(other) not in _OPERANDS:
            return fallback(self, other)
        return record(function, (other, self) if reflected else (self, other), {})

    method.__name__ = dunder
    return method


def _unary_operator(function: Callable[..., Any]) -> Callable[[Traced], Any]:
    def method(self: Traced) -> Any:
        return record(function, (self,), {})

    return method


def _traced_getitem(self: Traced, key: Any) -> Any:
    return record(_getitem, (self, key), {})


def _install_operators() -> None:
    for dunder, name, _, _ in _BINARY_OPERATORS:
        function = FUNCTIONS[name]
        setattr(Traced, dunder, _binary_operator(dunder, function, False))
        if name in _REFLECTED:
            reflected = "__r" + dunder[2:]
            setattr(Traced, reflected, _binary_operator(reflected, function, True))
    for dunder, name in [("__neg__", "negative"), ("__pos__", "positive"), ("__abs__", "abs")]:
        setattr(Traced, dunder, _unary_operator(FUNCTIONS[name]))
    Traced.__getitem__ = _traced_getitem  # type: ignore[method-assign]


_install_operators()
