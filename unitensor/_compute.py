"""``ut.compute`` and ``ut.persist``: run the graphs of several lazy Tensors at once.

Exporting five results of one Dask graph one by one runs the graph five
times; ``ut.compute(a, b, c, d, e)`` runs it once and shares the work their
graphs have in common. On eager backends both return their arguments.
"""

from __future__ import annotations

from typing import Any

from ._tensor import Tensor, new_tensor

__all__ = ["compute", "persist"]


def compute(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Compute lazy Tensors in one run of their graph; Tensors of the same backend, holding the results.

    Examples
    --------
    >>> import unitensor as ut
    >>> x = ut.asarray([1.0, 2.0], backend="dask")
    >>> total, doubled = ut.compute(ut.sum(x), x * 2)
    >>> float(total), doubled.tolist()
    (3.0, [2.0, 4.0])
    """
    return _run("compute", tensors, keep=False)


def persist(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Like :func:`compute`, keeping the results where the scheduler holds them (``dask.persist``).

    On a Dask distributed cluster the chunks stay in the workers' memory, so
    later work starts from them without moving them to this process.
    """
    return _run("persist", tensors, keep=True)


def _run(name: str, tensors: tuple[Tensor, ...], keep: bool) -> tuple[Tensor, ...]:
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}() takes Tensors, got {type(t).__name__}")
    results: list[Any] = list(tensors)
    by_backend: dict[Any, list[int]] = {}
    for i, t in enumerate(tensors):
        if t._backend.lazy:
            by_backend.setdefault(t._backend, []).append(i)
    for backend, positions in by_backend.items():
        raws = backend.materialize_many([tensors[i]._raw for i in positions], keep=keep)
        for i, raw in zip(positions, raws):
            results[i] = new_tensor(raw, backend)
    return tuple(results)
