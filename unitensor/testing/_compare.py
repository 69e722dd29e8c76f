"""``assert_close``: compare arrays of any backends and devices, with tolerances from the dtype.

Both sides are brought to host NumPy-backend Tensors (detached, copied from
the device where needed) and compared there with unitensor's own namespace,
so nothing here names a framework.
"""

from __future__ import annotations

from typing import Any

__all__ = ["assert_close", "default_tolerances"]

#: (rtol, atol) by dtype name; the values PyTorch's ``assert_close`` uses
_TOLERANCES = {
    "float32": (1.3e-6, 1e-5),
    "complex64": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex128": (1e-7, 1e-7),
}


def default_tolerances(*dtypes: Any) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing arrays of these dtypes: exact for bool and integers,
    and the loosest floating-point tolerance among them otherwise."""
    pairs = [_TOLERANCES.get(str(getattr(d, "name", d)), (0.0, 0.0)) for d in dtypes]
    return max((p[0] for p in pairs), default=0.0), max((p[1] for p in pairs), default=0.0)


def _describe(x: Any) -> str:
    import unitensor as ut

    if isinstance(x, ut.Tensor):
        return f"{x.backend.name} Tensor on {x.device}, dtype {x.dtype}, shape {x.shape}"
    return type(x).__name__


def _on_host(x: Any) -> tuple[Any, bool]:
    """``x`` as a NumPy-backend Tensor on the host, and whether it carried a dtype of its own."""
    import unitensor as ut

    if isinstance(x, ut.Tensor) or ut.backends.backend_of(x) is not None:
        t = ut.astensor(x).detach()
        return t.to("cpu", backend="numpy"), True
    return ut.asarray(x, backend="numpy"), False


def assert_close(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    *,
    check_dtype: bool = True,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """Assert that two arrays hold the same values, within a tolerance.

    The arrays may be Tensors of any backends and devices, native arrays
    (torch, JAX, NumPy ...) or Python data. Shapes must be equal (no
    broadcasting) and, with ``check_dtype``, dtypes too.

    Parameters
    ----------
    actual, expected
        The arrays to compare.
    rtol, atol
        Relative and absolute tolerance: elements match when
        ``|actual - expected| <= atol + rtol * |expected|``. By default they
        come from the dtype (see :func:`default_tolerances`): exact for bool
        and integers, about ``1e-5`` for float32 and ``1e-7`` for float64.
    check_dtype
        Require equal dtypes (ignored when a side is Python data).
    equal_nan
        Count NaN as equal to NaN.
    msg
        Prefix for the failure message.

    Raises
    ------
    AssertionError
        Naming the mismatch: shapes, dtypes, or how many elements differ and
        the worst of them.

    Examples
    --------
    >>> import unitensor as ut
    >>> from unitensor.testing import assert_close
    >>> x = ut.asarray([0.0, 1.0], dtype=ut.float32)
    >>> assert_close(ut.exp(x), [1.0, 2.7182817], check_dtype=False)
    """
    import unitensor as ut

    prefix = f"{msg}: " if msg else ""
    a, a_typed = _on_host(actual)
    b, b_typed = _on_host(expected)
    if a.shape != b.shape:
        raise AssertionError(
            f"{prefix}shapes differ: {a.shape} ({_describe(actual)}) != {b.shape} ({_describe(expected)})"
        )
    if check_dtype and a_typed and b_typed and a.dtype != b.dtype:
        raise AssertionError(
            f"{prefix}dtypes differ: {a.dtype} ({_describe(actual)}) != {b.dtype} ({_describe(expected)})"
        )
    default_rtol, default_atol = default_tolerances(a.dtype, b.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    close = _close(a, b, rtol, atol, equal_nan)
    if a.size == 0 or bool(ut.all(close)):
        return
    bad = ut.reshape(ut.logical_not(close), (-1,))
    count = int(ut.sum(ut.astype(bad, ut.int64)))
    first = int(ut.argmax(ut.astype(bad, ut.int8)))
    index = _unravel(first, a.shape)
    a_item = ut.reshape(a, (-1,))[first].item()
    b_item = ut.reshape(b, (-1,))[first].item()
    raise AssertionError(
        f"{prefix}{count} of {a.size} elements differ beyond rtol={rtol:g}, atol={atol:g}; "
        f"first at index {index}: {a_item!r} != {b_item!r}\n"
        f"  actual:   {_describe(actual)}\n  expected: {_describe(expected)}"
    )


def _close(a: Any, b: Any, rtol: float, atol: float, equal_nan: bool) -> Any:
    import unitensor as ut

    kinds = {a.dtype.kind, b.dtype.kind}
    if kinds <= {"bool", "signed integer", "unsigned integer"} and rtol == 0 and atol == 0:
        if a.dtype != b.dtype and "bool" not in kinds:
            # mixed signedness has no common dtype in the standard: compare as Python ints
            return ut.asarray([x == y for x, y in zip(_flat(a), _flat(b))], dtype=ut.bool, backend="numpy")
        return ut.equal(a, b) if a.dtype == b.dtype else ut.equal(ut.astype(a, ut.int64), ut.astype(b, ut.int64))
    wide = ut.complex128 if "complex floating" in kinds else ut.float64
    a, b = ut.astype(a, wide), ut.astype(b, wide)
    finite = ut.isfinite(a) & ut.isfinite(b)
    # inf - inf would warn; non-finite pairs are settled by equality alone
    a_fin, b_fin = ut.where(finite, a, 0.0), ut.where(finite, b, 0.0)
    within = ut.abs(a_fin - b_fin) <= atol + rtol * ut.abs(b_fin)
    close = ut.equal(a, b) | (finite & within)
    if equal_nan:
        close = close | (ut.isnan(a) & ut.isnan(b))
    return close


def _flat(t: Any) -> list[Any]:
    import unitensor as ut

    return ut.reshape(t, (-1,)).tolist()


def _unravel(flat_index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for n in reversed(shape):
        flat_index, i = divmod(flat_index, n)
        index.append(i)
    return tuple(reversed(index))
