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


#: the structure of a leaf among its parent's children
_LEAF = None
_CONTAINERS = (dict, list, tuple)


def _flatten(tree: Any, leaves: list[Any]) -> Any:
    kind = type(tree)
    if kind is dict:  # parameters as {"w": w, "b": b}: one pass when no value is a container
        values = tree.values()
        for value in values:
            if isinstance(value, _CONTAINERS):
                break
        else:
            leaves.extend(values)
            return (dict, tuple(tree), (_LEAF,) * len(tree))
    if kind is dict or isinstance(tree, dict):
        return (kind, tuple(tree), tuple(_flatten(v, leaves) for v in tree.values()))
    if kind is list or kind is tuple or isinstance(tree, (list, tuple)):
        return (kind, None, tuple(_flatten(v, leaves) for v in tree))
    leaves.append(tree)
    return None


def unflatten(structure: Any, leaves: Any) -> Any:
    """Rebuild the tree that :func:`flatten` gave ``structure`` for, with new ``leaves``.

    A training loop rebuilds the same structure every step: each structure is
    compiled once into a function that indexes the leaves directly.
    """
    try:
        build = _BUILDERS[structure]
    except KeyError:
        if len(_BUILDERS) >= _MAX_BUILDERS:  # a program that makes ever new structures: start over
            _BUILDERS.clear()
        build = _BUILDERS[structure] = _compile(structure, 0)[0]
    except TypeError:  # a key that cannot be hashed after all: rebuild without a cache
        build = _compile(structure, 0)[0]
    return build(leaves if type(leaves) is list or type(leaves) is tuple else list(leaves))


_BUILDERS: dict[Any, Callable[[Any], Any]] = {}
_MAX_BUILDERS = 1024


def _compile(structure: Any, start: int) -> tuple[Callable[[Any], Any], int]:
    """A function of the leaf sequence building the subtree whose first leaf is at ``start``; its leaf count."""
    if structure is None:
        return (lambda leaves: leaves[start]), 1
    kind, keys, children = structure
    if all(child is None for child in children):  # leaves only, the common case: one slice
        stop = start + len(children)
        if keys is not None:
            return (lambda leaves: kind(zip(keys, leaves[start:stop]))), len(children)
        if kind is list:
            return (lambda leaves: list(leaves[start:stop])), len(children)
        if kind is tuple:
            return (lambda leaves: tuple(leaves[start:stop])), len(children)
    builders, offset = [], start
    for child in children:
        build, count = _compile(child, offset)
        builders.append(build)
        offset += count
    if keys is not None:
        return (lambda leaves: kind(zip(keys, [build(leaves) for build in builders]))), offset - start
    if kind is list or kind is tuple:
        return (lambda leaves: kind([build(leaves) for build in builders])), offset - start
    if hasattr(kind, "_fields"):
        return (lambda leaves: kind(*[build(leaves) for build in builders])), offset - start
    return (lambda leaves: kind([build(leaves) for build in builders])), offset - start


def tree_map(function: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with ``function`` applied to every leaf."""
    leaves, structure = flatten(tree)
    return unflatten(structure, [function(leaf) for leaf in leaves])
