"""What NumPy's ufuncs and functions do with a Tensor: operators work, everything else says what to use.

A Tensor is not a NumPy array: ``np.sin(t)`` would silently copy it to the
host (or fail on a GPU) and return a NumPy array, leaving its backend. So:

* the ufuncs behind Python's operators (``ndarray + t``, ``ndarray < t``)
  run as the Tensor's operators, as they did when NumPy deferred to them;
* every other ufunc (``np.sin(t)``) and NumPy function (``np.mean(t)``,
  ``np.stack([t, u])``) raises a TypeError that names the unitensor function
  to call instead (``ut.sin``, ``ut.extras.einsum``) and ``t.numpy()`` for those
  who want NumPy. Messages name ``Tensor``, never an internal class (the
  autodiff tape's traced Tensors included).

``np.asarray(t)``, ``np.array(t)`` and ``np.from_dlpack(t)`` are conversions,
not computations, and still export the data (``Tensor.__array__``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["array_function", "array_ufunc", "suggestion"]

#: NumPy ufuncs that implement Python operators -> unitensor's function
_OPERATOR_UFUNCS = {
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "true_divide": "divide",
    "divide": "divide",
    "floor_divide": "floor_divide",
    "remainder": "remainder",
    "power": "pow",
    "matmul": "matmul",
    "bitwise_and": "bitwise_and",
    "bitwise_or": "bitwise_or",
    "bitwise_xor": "bitwise_xor",
    "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift",
    "less": "less",
    "less_equal": "less_equal",
    "greater": "greater",
    "greater_equal": "greater_equal",
    "equal": "equal",
    "not_equal": "not_equal",
}

#: NumPy's names that unitensor spells the standard's way (or keeps in ut.extras)
_RENAMED = {
    "arccos": "acos",
    "arcsin": "asin",
    "arctan": "atan",
    "arctan2": "atan2",
    "arccosh": "acosh",
    "arcsinh": "asinh",
    "arctanh": "atanh",
    "power": "pow",
    "true_divide": "divide",
    "absolute": "abs",
    "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift",
    "invert": "bitwise_invert",
    "concatenate": "concat",
    "transpose": "permute_dims",
    "amax": "max",
    "amin": "min",
    "cumsum": "cumulative_sum",
    "cumprod": "cumulative_prod",
    "fabs": "abs",
    "conjugate": "conj",
    "array_equal": "all(x == y) via ut.all",
}


def suggestion(numpy_name: str) -> str:
    """What to call instead of NumPy's ``numpy_name`` on a Tensor."""
    import unitensor

    from . import extras

    name = _RENAMED.get(numpy_name, numpy_name)
    if " " in name:
        return f"use {name}"
    if name in extras.__all__:
        return f"use ut.extras.{name}(...)"
    if name in unitensor.__all__ and callable(getattr(unitensor, name, None)):
        return f"use ut.{name}(...)"
    return "unitensor has no function of that name (see ut.extras for the non-standard ones)"


def _refuse(what: str, numpy_name: str) -> TypeError:
    return TypeError(
        f"{what} does not take unitensor Tensors; {suggestion(numpy_name)}, or call t.numpy() "
        f"first to compute with NumPy on a NumPy array"
    )


def array_ufunc(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``Tensor.__array_ufunc__``: operators run as the Tensor's; other ufuncs raise a TypeError."""
    name = getattr(ufunc, "__name__", str(ufunc))
    operator = _OPERATOR_UFUNCS.get(name)
    if operator is not None and method == "__call__" and len(inputs) == 2 and not kwargs:
        from ._namespace import _binary_operator
        from ._tensor import Tensor

        reflected = not isinstance(inputs[0], Tensor)
        tensor, other = (inputs[1], inputs[0]) if reflected else inputs
        return _binary_operator(operator, tensor, other, reflected)
    what = f"numpy.{name}" + (f".{method}" if method != "__call__" else "") + "()"
    raise _refuse(what, _UFUNC_METHODS.get((name, method), name))


#: ufunc methods that unitensor spells as functions of their own
_UFUNC_METHODS = {
    ("add", "reduce"): "sum",
    ("multiply", "reduce"): "prod",
    ("maximum", "reduce"): "max",
    ("minimum", "reduce"): "min",
    ("add", "accumulate"): "cumulative_sum",
    ("multiply", "accumulate"): "cumulative_prod",
    ("logical_and", "reduce"): "all",
    ("logical_or", "reduce"): "any",
}


def array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """``Tensor.__array_function__``: NumPy functions raise a TypeError naming unitensor's function."""
    name = getattr(func, "__name__", str(func))
    module = getattr(func, "__module__", "numpy") or "numpy"
    public = "numpy" if module.startswith("numpy") and module.count(".") <= 1 else module
    raise _refuse(f"{public}.{name}()", name)
