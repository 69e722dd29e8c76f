"""Nested dicts, lists and tuples of Tensors (pytrees): flattened to leaves and rebuilt.

Research code holds parameters as ``{"w": w, "b": b}`` or lists of layers;
gradients come back in the same structure. Anything that is not a dict,
list or tuple is a leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["flatten", "unflatten", "tree_map"]


def flatten(tree: Any) -> tuple[list[Any], Any]:
    """The leaves of ``tree`` in order, and a structure to rebuild it with :func:`unflatten`."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> Any:
    kind = type(tree)
    if kind is dict or isinstance(tree, dict):
        return (kind, tuple(tree), tuple(_flatten(v, leaves) for v in tree.values()))
    if kind is list or kind is tuple or isinstance(tree, (list, tuple)):
        return (kind, None, tuple(_flatten(v, leaves) for v in tree))
    leaves.append(tree)
    return None


def unflatten(structure: Any, leaves: Any) -> Any:
    """Rebuild the tree that :func:`flatten` gave ``structure`` for, with new ``leaves``."""
    return _unflatten(structure, iter(leaves))


def _unflatten(structure: Any, leaves: Any) -> Any:
    if structure is None:
        return next(leaves)
    kind, keys, children = structure
    values = [_unflatten(child, leaves) for child in children]
    if keys is not None:
        return kind(zip(keys, values))
    if kind is list or kind is tuple:
        return kind(values)
    return kind(*values) if hasattr(kind, "_fields") else kind(values)


def tree_map(function: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with ``function`` applied to every leaf."""
    leaves, structure = flatten(tree)
    return unflatten(structure, [function(leaf) for leaf in leaves])
