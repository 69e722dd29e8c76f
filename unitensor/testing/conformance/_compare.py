"""Comparing a backend's results with the NumPy reference: structure, backend, shape, dtype, values."""

from __future__ import annotations

import math
from typing import Any

import unitensor as ut
from unitensor.testing import assert_close

from ._inputs import Case
from ._table import Spec

__all__ = ["compare", "tolerances", "same_error"]

_ELEMENTWISE_TOL = {32: (1e-5, 1e-6), 64: (1e-10, 1e-12)}
_ACCUMULATING_TOL = {32: (1e-4, 1e-5), 64: (1e-9, 1e-12)}
_BUILTIN_ERRORS = (
    TypeError,
    ValueError,
    IndexError,
    KeyError,
    RuntimeError,
    ZeroDivisionError,
    NotImplementedError,
    ArithmeticError,
)


def tolerances(dtype: ut.DType, spec: Spec, case: Case) -> tuple[float, float]:
    """``(rtol, atol)`` for results of ``dtype``: exact for integers, scaled with the
    inputs' magnitude for functions that accumulate."""
    if dtype.kind not in ("real floating", "complex floating"):
        return 0.0, 0.0
    bits = dtype.bits if dtype.kind == "real floating" else dtype.bits // 2
    if not spec.accumulates:
        return _ELEMENTWISE_TOL[bits]
    rtol, atol = _ACCUMULATING_TOL[bits]
    scale = 0.0
    for item in case.inputs():
        ref = item.reference()
        if ref.size and ref.dtype.kind in ("real floating", "complex floating", "signed integer", "unsigned integer"):
            magnitude = ut.abs(ut.astype(ref, ut.complex128 if ref.dtype.kind == "complex floating" else ut.float64))
            scale += float(ut.sum(ut.where(ut.isfinite(magnitude), magnitude, 0.0)))
    return rtol, atol * (1.0 + scale)


def same_error(actual: BaseException, expected: BaseException) -> bool:
    """Whether two exceptions are of the same kind (share a built-in exception class)."""
    kinds = {c for c in type(expected).__mro__ if c in _BUILTIN_ERRORS}
    return any(isinstance(actual, kind) for kind in kinds)


def compare(actual: Any, expected: Any, backend: str, spec: Spec, case: Case, where: str = "result") -> None:
    """Assert that ``actual`` (from ``backend``) matches ``expected`` (from NumPy)."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{where}: expected a sequence, got {type(actual).__name__}"
        assert len(actual) == len(expected), f"{where}: expected {len(expected)} results, got {len(actual)}"
        fields = getattr(type(expected), "_fields", None)
        if fields:
            assert getattr(type(actual), "_fields", None) == fields, (
                f"{where}: expected a named tuple with fields {fields}, got {type(actual).__name__}"
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, backend, spec, case, f"{where}[{fields[i] if fields else i}]")
        return
    if not isinstance(expected, ut.Tensor):
        assert actual == expected or (isinstance(expected, float) and math.isnan(expected) and math.isnan(actual)), (
            f"{where}: {actual!r} != {expected!r}"
        )
        return
    assert isinstance(actual, ut.Tensor), f"{where}: expected a Tensor, got {type(actual).__name__}"
    assert actual.backend.name == backend, (
        f"{where}: the result is a {actual.backend.name} Tensor, expected one of backend {backend!r}"
    )
    host = actual.to("cpu", backend="numpy")
    assert host.shape == expected.shape, f"{where}: shape {host.shape} != reference shape {expected.shape}"
    assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != reference dtype {expected.dtype}"
    if spec.compare == "shape":
        return
    rtol, atol = tolerances(expected.dtype, spec, case)
    assert_close(host, expected, rtol=rtol, atol=atol, msg=where)


def host(t: ut.Tensor) -> ut.Tensor:
    return t.to("cpu", backend="numpy")


def check_invariant(kind: str, actual: Any, expected: Any, backend: str, spec: Spec, case: Case) -> None:
    """Results unique only up to sign, phase or order: compare what is unique, rebuild the rest."""
    (x,), _ = case.reference()
    plain = Spec(spec.category, accumulates=True)
    if kind in ("eigh", "svd", "qr"):
        compare_shapes = [(a, e) for a, e in zip(actual, expected)]
        for i, (a, e) in enumerate(compare_shapes):
            assert isinstance(a, ut.Tensor) and a.backend.name == backend, f"result[{i}] is not a {backend} Tensor"
            assert host(a).shape == e.shape and a.dtype == e.dtype, (
                f"result[{i}]: {host(a).shape} {a.dtype} != reference {e.shape} {e.dtype}"
            )
        parts = [host(a) for a in actual]
        if kind == "eigh":
            w, v = parts
            compare(w, expected[0], "numpy", plain, case, "eigenvalues")
            compare(x @ v, v * ut.astype(w, v.dtype)[..., None, :], "numpy", plain, case, "A @ V == V * w")
        elif kind == "svd":
            u, s, vh = parts
            compare(s, expected[1], "numpy", plain, case, "singular values")
            compare((u * ut.astype(s, u.dtype)[..., None, :]) @ vh, x, "numpy", plain, case, "U S Vh == A")
        else:
            q, r = parts
            compare(q @ r, x, "numpy", plain, case, "Q R == A")
        return
    values = host(actual.values)
    compare(actual.values, expected.values, backend, spec, case, "values")
    inverse = host(actual.inverse_indices)
    rebuilt = ut.reshape(ut.take(values, ut.reshape(inverse, (-1,))), x.shape)
    compare(rebuilt, x, "numpy", spec, case, "values[inverse_indices] == x")
    if kind == "unique_all":
        compare(actual.counts, expected.counts, backend, spec, case, "counts")
        picked = ut.take(ut.reshape(x, (-1,)), host(actual.indices))
        compare(picked, expected.values, "numpy", spec, case, "x[indices] == values")
