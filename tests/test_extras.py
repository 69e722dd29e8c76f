"""ut.extras on every backend: values against NumPy, gradients against finite differences, clear errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import unitensor as ut

X = ut.extras
RNG = np.random.default_rng(0)
A = RNG.uniform(-2, 2, (3, 4))
B = RNG.uniform(-2, 2, (4, 5))
C = RNG.uniform(-2, 2, (2, 3, 4))
S = RNG.uniform(-2, 2, (4, 4))


def _float(backend: str) -> Any:
    return ut.float64 if ut.float64 in ut.backends.get(backend).dtypes() else ut.float32


def _t(backend: str, values: Any) -> ut.Tensor:
    return ut.asarray(values, dtype=_float(backend), backend=backend)


def _close(got: ut.Tensor, expected: Any, backend: str, tolerance: float = 1e-10) -> None:
    assert got.backend.name == backend
    np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, atol=tolerance)


def _np_logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


EINSUMS = [
    ("ij,jk->ik", (A, B)),
    ("ij,jk", (A, B)),
    ("bij,jk->bik", (C, B)),
    ("...j,jk->...k", (C, B)),
    ("ii->", (S,)),
    ("ii->i", (S,)),
    ("ij->j", (A,)),
    ("ij,ij->", (A, A)),
    ("i,j->ij", (A[0], B[0])),
    ("bij->jb", (C,)),
]


@pytest.mark.parametrize(("spec", "operands"), EINSUMS, ids=[spec for spec, _ in EINSUMS])
def test_einsum(backend: str, spec: str, operands: tuple[np.ndarray, ...]) -> None:
    _close(X.einsum(spec, *[_t(backend, o) for o in operands]), np.einsum(spec, *operands), backend)


def test_einsum_promotes(backend: str) -> None:
    a = ut.asarray(A, dtype=ut.float32, backend=backend)
    b = ut.asarray(B, dtype=_float(backend), backend=backend)
    assert X.einsum("ij,jk->ik", a, b).dtype is _float(backend)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) = -inf, asked for below
def test_softmax_family(backend: str) -> None:
    x = _t(backend, C * 40)  # large values: a naive exp would overflow in float32
    for axis in (-1, 0):
        shifted = C * 40 - np.max(C * 40, axis=axis, keepdims=True)
        expected = np.exp(shifted) / np.sum(np.exp(shifted), axis=axis, keepdims=True)
        _close(X.softmax(x, axis=axis), expected, backend, 1e-6)
        _close(X.log_softmax(x, axis=axis), np.log(expected), backend, 1e-6)
    for axis, keepdims in [(None, False), (1, False), (-1, True), ((0, 2), False)]:
        _close(X.logsumexp(x, axis=axis, keepdims=keepdims), _np_logsumexp(C * 40, axis, keepdims), backend, 1e-6)
    assert X.logsumexp(_t(backend, [-math.inf, -math.inf])).item() == -math.inf


def test_top_k(backend: str) -> None:
    x = _t(backend, C)
    for axis in (-1, 1):
        values, indices = X.top_k(x, 2, axis=axis)
        order = np.flip(np.argsort(C, axis=axis, kind="stable"), axis=axis)
        expected = np.take(order, [0, 1], axis=axis)
        np.testing.assert_array_equal(indices.numpy(), expected)
        _close(values, np.take_along_axis(C, expected, axis=axis), backend)
    assert X.top_k(x, 0).values.shape == (2, 3, 0)


def test_pad(backend: str) -> None:
    x = _t(backend, A)
    _close(X.pad(x, 1), np.pad(A, 1), backend)
    _close(X.pad(x, ((0, 2), (1, 0)), constant_values=7.0), np.pad(A, ((0, 2), (1, 0)), constant_values=7.0), backend)
    _close(X.pad(x, (2, 1)), np.pad(A, (2, 1)), backend)


def test_one_hot(backend: str) -> None:
    labels = ut.asarray([0, 2, 1, 2], backend=backend)
    encoded = X.one_hot(labels, 3)
    assert encoded.dtype is ut.__array_namespace_info__(backend).default_dtypes()["real floating"]
    np.testing.assert_array_equal(encoded.numpy(), np.eye(3)[[0, 2, 1, 2]])
    assert X.one_hot(labels, 3, dtype=ut.int32, axis=0).shape == (3, 4)


def test_isclose_allclose(backend: str) -> None:
    a = _t(backend, [1.0, 2.0, math.nan, 4.0])
    b = _t(backend, [1.0 + 1e-9, 2.1, math.nan, 4.0])
    assert X.isclose(a, b).tolist() == [True, False, False, True]
    assert X.isclose(a, b, equal_nan=True).tolist() == [True, False, True, True]
    assert X.isclose(a, b, atol=0.2, equal_nan=True).tolist() == [True] * 4
    assert X.allclose(a, b, atol=0.2, equal_nan=True) is True
    assert X.allclose(a, b) is False


def test_nan_reductions(backend: str) -> None:
    values = np.array([[1.0, math.nan, 3.0], [math.nan, math.nan, 6.0]])
    x = _t(backend, values)
    _close(X.nansum(x), np.nansum(values), backend)
    _close(X.nansum(x, axis=0, keepdims=True), np.nansum(values, axis=0, keepdims=True), backend)
    _close(X.nanmean(x, axis=1), np.nanmean(values, axis=1), backend)
    _close(X.nanmean(x, axis=(0, 1), keepdims=True), np.nanmean(values, axis=(0, 1), keepdims=True), backend)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(backend: str, method: str) -> None:
    x = _t(backend, C)
    for q in (0.0, 0.3, 0.5, 1.0, [0.1, 0.75]):
        for axis, keepdims in [(None, False), (1, False), (-1, True), (None, True)]:
            expected = np.quantile(C, q, axis=axis, keepdims=keepdims, method=method)
            _close(X.quantile(x, q, axis=axis, keepdims=keepdims, method=method), expected, backend)


def test_median(backend: str) -> None:
    x = _t(backend, C)
    _close(X.median(x), np.median(C), backend)
    _close(X.median(x, axis=0, keepdims=True), np.median(C, axis=0, keepdims=True), backend)


def test_split(backend: str) -> None:
    x = _t(backend, C)
    for how, axis in [(2, 0), (3, 1), ([1, 3], -1), ([0, 2, 2], 2)]:
        got = X.split(x, how, axis=axis)
        expected = np.split(C, how, axis=axis)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _close(g, e, backend)


def test_moveaxis_is_standard() -> None:
    assert ut.moveaxis(ut.zeros((2, 3, 4)), 0, -1).shape == (3, 4, 2)
    # the standard's namespace stays the standard's: extras live apart
    for name in X.__all__:
        assert not hasattr(ut, name), name


def test_errors(backend: str) -> None:
    x = _t(backend, A)
    with pytest.raises(TypeError, match="floating-point.*ut.astype"):
        X.softmax(ut.asarray([1, 2], backend=backend))
    with pytest.raises(ValueError, match="name 2 operands, got 1"):
        X.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="3 labels for an operand of 2"):
        X.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="output labels"):
        X.einsum("ij->q", x)
    with pytest.raises(TypeError, match="subscripts string first"):
        X.einsum(x, "ij")
    with pytest.raises(ValueError, match="mode='constant'"):
        X.pad(x, 1, mode="reflect")
    with pytest.raises(ValueError, match="pad_width"):
        X.pad(x, ((1, 1),) * 3)
    with pytest.raises(ValueError, match="0 <= k <= 4"):
        X.top_k(x, 5)
    with pytest.raises(ValueError, match=r"q in \[0, 1\]"):
        X.quantile(x, 1.5)
    with pytest.raises(ValueError, match="equal sections"):
        X.split(x, 5)
    with pytest.raises(TypeError, match="integer Tensor"):
        X.one_hot(x, 3)


# -- gradients ------------------------------------------------------------------------------


def _einsum(spec: str) -> Callable[..., ut.Tensor]:
    return lambda *xs: X.einsum(spec, *xs)


GRADIENTS: list[tuple[str, Callable[..., ut.Tensor], tuple[tuple[int, ...], ...]]] = [
    ("einsum-matmul", _einsum("ij,jk->ik"), ((3, 4), (4, 2))),
    ("einsum-batch", _einsum("...ij,jk->...k"), ((2, 3, 4), (4, 2))),
    ("einsum-summed-alone", _einsum("ij,j->"), ((3, 4), (4,))),
    ("einsum-outer", _einsum("i,j->ij"), ((3,), (2,))),
    ("softmax", lambda x: X.softmax(x, axis=0), ((3, 4),)),
    ("log_softmax", lambda x: X.log_softmax(x), ((3, 4),)),
    ("logsumexp", lambda x: X.logsumexp(x), ((3, 4),)),
    ("logsumexp-axis", lambda x: X.logsumexp(x, axis=1, keepdims=True), ((3, 4),)),
    ("pad", lambda x: X.pad(x, ((1, 0), (2, 1)), constant_values=0.5), ((3, 4),)),
    ("top_k", lambda x: X.top_k(x, 2, axis=0).values, ((3, 4),)),
    ("quantile", lambda x: X.quantile(x, [0.3, 0.8], axis=1), ((3, 5),)),
    ("median", lambda x: X.median(x), ((3, 5),)),
    ("nansum", lambda x: X.nansum(x, axis=0), ((3, 4),)),
    ("nanmean", lambda x: X.nanmean(x, axis=1), ((3, 4),)),
    ("split", lambda x: X.split(x, [1, 3], axis=1)[1] * 2, ((3, 4),)),
]


def _loss(function: Callable[..., ut.Tensor]) -> Callable[..., ut.Tensor]:
    return lambda *xs: ut.sum(ut.sin(1.3 * function(*xs) + 0.2))


def _finite_differences(
    function: Callable[..., ut.Tensor], values: list[np.ndarray], h: float = 1e-6
) -> list[np.ndarray]:
    loss = _loss(function)
    grads = []
    for k, value in enumerate(values):
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):

            def at(delta: float, k: int = k, index: tuple[int, ...] = index) -> float:
                moved = [v.copy() for v in values]
                moved[k][index] += delta
                return float(loss(*[ut.asarray(m) for m in moved]))

            grad[index] = (at(h) - at(-h)) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize(("name", "function", "shapes"), GRADIENTS, ids=[row[0] for row in GRADIENTS])
@pytest.mark.parametrize("engine", ["tape", None])
def test_gradients_match_finite_differences(
    backend: str, engine: str | None, name: str, function: Callable[..., ut.Tensor], shapes: tuple[tuple[int, ...], ...]
) -> None:
    """The tape's rules (engine="tape") and the native engines (None) against central differences."""
    rng = np.random.default_rng(len(name))
    values = [rng.uniform(-2, 2, shape) for shape in shapes]
    expected = _finite_differences(function, values)
    xs = [_t(backend, v) for v in values]
    got = ut.grad(_loss(function), argnums=tuple(range(len(xs))), engine=engine)(*xs)
    tolerance = 1e-5 if _float(backend) is ut.float64 else 2e-3
    for x, g, e in zip(xs, got, expected):
        assert g.backend.name == backend and g.shape == x.shape and g.dtype is x.dtype
        np.testing.assert_allclose(g.numpy(), e, rtol=tolerance, atol=tolerance)
