"""The standard's special cases where frameworks depart from them: ``floor_divide``, ``remainder``, and the
complex ``exp``, ``expm1``, ``log``, ``log1p``, ``sinh``, ``cosh``, ``tanh`` and ``atanh``.

Each fix runs the framework's function, then corrects the elements whose
inputs are special (infinities, NaNs, signed zeros) with ``where``: written
once against the namespace, so it holds on every backend and under JAX's
transformations. A fix runs only for the dtypes whose results can be wrong
(real floating for ``floor_divide`` and ``remainder``, complex for the rest):
integer and real inputs of the complex fixes pay one dtype check. The cases
are the specification's lists; ``unitensor.testing.conformance._special``
holds them as a table and checks every backend against it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["FIXES", "with_special_cases"]

INF, NAN = math.inf, math.nan


def _ns() -> Any:
    import unitensor

    return unitensor


def _floor_divide(x1: Any, x2: Any, out: Any) -> Any:
    """``floor(x1 / x2)`` where the quotient is infinite, NaN or zero (the standard's preference over Python's
    ``//``, which gives NaN for ``inf // 2`` and -1 for ``2 // -inf``); the framework's ``//`` elsewhere."""
    ut = _ns()
    quotient = ut.divide(x1, x2)
    special = ut.logical_or(ut.logical_not(ut.isfinite(quotient)), quotient == 0)
    return ut.where(special, ut.floor(quotient), out)


def _remainder(x1: Any, x2: Any, out: Any) -> Any:
    """A zero remainder takes the sign of ``x2`` (as Python's ``%``; torch and JAX give ``x1``'s)."""
    ut = _ns()
    sign = x2.detach() if isinstance(x2, ut.Tensor) else x2  # only a zero's sign changes: no gradient through it
    return ut.where(out == 0, ut.copysign(out, sign), out)


def _parts(z: Any) -> tuple[Any, Any]:
    ut = _ns()
    return ut.real(z), ut.imag(z)


def _exp(z: Any, out: Any) -> Any:
    """``exp(+-inf + (inf or NaN) j)``: ``inf + NaN j`` and ``0 + 0j`` (C99 Annex G)."""
    ut = _ns()
    a, b = _parts(z)
    b_not_finite = ut.logical_not(ut.isfinite(b))
    out = ut.where(ut.logical_and(a == INF, b_not_finite), complex(INF, NAN), out)
    return ut.where(ut.logical_and(a == -INF, b_not_finite), complex(0.0, 0.0), out)


def _expm1(z: Any, out: Any) -> Any:
    """``exp(z) - 1`` (with :func:`_exp`'s cases) where ``z`` is not finite."""
    ut = _ns()
    shifted = _exp(z, ut.exp(z)) - 1.0
    return ut.where(ut.isfinite(z), out, shifted)


def _log(z: Any, out: Any) -> Any:
    """An infinite component with a NaN one: ``+inf + NaN j``."""
    ut = _ns()
    a, b = _parts(z)
    infinite_and_nan = ut.logical_or(ut.logical_and(ut.isinf(a), ut.isnan(b)), ut.logical_and(ut.isnan(a), ut.isinf(b)))
    return ut.where(infinite_and_nan, complex(INF, NAN), out)


def _sinh(z: Any, out: Any) -> Any:
    """``sinh(+-0 + (inf or NaN) j)`` is ``0 + NaN j``, ``sinh(+-inf + (inf or NaN) j)`` ``inf + NaN j``
    (the real sign is unspecified in both)."""
    ut = _ns()
    a, b = _parts(z)
    b_not_finite = ut.logical_not(ut.isfinite(b))
    out = ut.where(ut.logical_and(a == 0, b_not_finite), complex(0.0, NAN), out)
    return ut.where(ut.logical_and(ut.isinf(a), b_not_finite), complex(INF, NAN), out)


def _cosh(z: Any, out: Any) -> Any:
    """``cosh(+-0 + (inf or NaN) j)`` is ``NaN + 0j``, ``cosh(+-inf + (inf or NaN) j)`` ``inf + NaN j``."""
    ut = _ns()
    a, b = _parts(z)
    b_not_finite = ut.logical_not(ut.isfinite(b))
    out = ut.where(ut.logical_and(a == 0, b_not_finite), complex(NAN, 0.0), out)
    return ut.where(ut.logical_and(ut.isinf(a), b_not_finite), complex(INF, NAN), out)


def _signed_zero_with_nan(a: Any, out: Any, where: Any) -> Any:
    """``+-0 + NaN j`` with the sign of ``a`` where ``where`` holds."""
    ut = _ns()
    out = ut.where(ut.logical_and(where, ut.logical_not(ut.signbit(a))), complex(0.0, NAN), out)
    return ut.where(ut.logical_and(where, ut.signbit(a)), complex(-0.0, NAN), out)


def _tanh(z: Any, out: Any) -> Any:
    """``tanh(+-0 + (inf or NaN) j)`` is ``+-0 + NaN j``."""
    ut = _ns()
    a, b = _parts(z)
    return _signed_zero_with_nan(a, out, ut.logical_and(a == 0, ut.logical_not(ut.isfinite(b))))


def _atanh(z: Any, out: Any) -> Any:
    """A NaN component gives ``NaN + NaN j``, except ``+-0 + NaN j`` and ``+-inf + NaN j`` (``+-0 + NaN j``)
    and ``NaN + inf j`` (the framework's ``+-0 + pi/2 j``)."""
    ut = _ns()
    a, b = _parts(z)
    some_nan = ut.logical_or(ut.logical_and(ut.isnan(a), ut.isfinite(b)), ut.isnan(b))
    out = ut.where(some_nan, complex(NAN, NAN), out)
    return _signed_zero_with_nan(a, out, ut.logical_and(ut.isnan(b), ut.logical_or(a == 0, ut.isinf(a))))


#: function -> (the dtype kind whose results it corrects, the correction)
FIXES: dict[str, tuple[str, Callable[..., Any]]] = {
    "floor_divide": ("real floating", _floor_divide),
    "remainder": ("real floating", _remainder),
    "exp": ("complex floating", _exp),
    "expm1": ("complex floating", _expm1),
    "log": ("complex floating", _log),
    "log1p": ("complex floating", _log),
    "sinh": ("complex floating", _sinh),
    "cosh": ("complex floating", _cosh),
    "tanh": ("complex floating", _tanh),
    "atanh": ("complex floating", _atanh),
}


def with_special_cases(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a namespace function) with the standard's special cases for ``name``."""
    kind, fix = FIXES[name]
    if name in ("floor_divide", "remainder"):

        def binary(x1: Any, x2: Any, /) -> Any:
            out = function(x1, x2)
            return fix(x1, x2, out) if out.dtype.kind == kind else out

        return binary

    def unary(x: Any, /) -> Any:
        out = function(x)
        return fix(x, out) if out.dtype.kind == kind else out

    return unary
