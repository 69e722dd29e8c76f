"""``linalg.eig`` and ``linalg.eigvals`` (new in 2025.12) on every backend, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut

#: real matrices with real eigenvalues, with a complex pair, and a batch of random ones
MATRICES = {
    "real_spectrum": np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 0.2, -1.0]]),
    "complex_pair": np.array([[0.0, -2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 3.0]]),
    "batch": np.random.default_rng(7).standard_normal((2, 4, 4)),
}
COMPLEX_OF = {ut.float32: ut.complex64, ut.float64: ut.complex128}


def _float_dtype(backend: str) -> ut.DType:
    return ut.float64 if ut.float64 in ut.backends.get(backend).dtypes() else ut.float32


def _sorted(w: np.ndarray) -> np.ndarray:
    return np.sort_complex(w)  # eigenvalue order is left to the implementation


@pytest.mark.parametrize("case", sorted(MATRICES))
def test_eigvals_match_numpy(backend: str, case: str) -> None:
    dtype = _float_dtype(backend)
    a = MATRICES[case]
    w = ut.linalg.eigvals(ut.asarray(a, dtype=dtype, backend=backend))
    assert w.backend.name == backend and w.dtype is COMPLEX_OF[dtype] and w.shape == a.shape[:-1]
    tolerance = 1e-10 if dtype is ut.float64 else 1e-4
    expected = np.linalg.eigvals(a)
    for got, want in zip(w.numpy().reshape(-1, a.shape[-1]), expected.reshape(-1, a.shape[-1])):
        np.testing.assert_allclose(_sorted(got), _sorted(want), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("case", sorted(MATRICES))
def test_eig_decomposes_the_matrix(backend: str, case: str) -> None:
    dtype = _float_dtype(backend)
    a = MATRICES[case]
    result = ut.linalg.eig(ut.asarray(a, dtype=dtype, backend=backend))
    w, v = result
    assert result.eigenvalues is w and result.eigenvectors is v  # the standard's named tuple
    assert w.dtype is v.dtype is COMPLEX_OF[dtype]
    assert w.shape == a.shape[:-1] and v.shape == a.shape
    wn, vn = w.numpy(), v.numpy()
    tolerance = 1e-10 if dtype is ut.float64 else 1e-4
    # A v = v diag(w), with unit-length eigenvectors; the eigenvalues are NumPy's
    np.testing.assert_allclose(a @ vn, vn * wn[..., None, :], rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(np.linalg.norm(vn, axis=-2), 1.0, rtol=tolerance)
    expected = np.linalg.eigvals(a)
    for got, want in zip(wn.reshape(-1, a.shape[-1]), expected.reshape(-1, a.shape[-1])):
        np.testing.assert_allclose(_sorted(got), _sorted(want), rtol=tolerance, atol=tolerance)


def test_eig_of_a_non_square_matrix_raises(backend: str) -> None:
    x = ut.ones((2, 3), backend=backend)
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        ut.linalg.eig(x).eigenvalues.numpy()


def test_eig_gradient_on_the_tape_matches_numpy(backend: str) -> None:
    """The tape's rule on every backend (tests/test_autodiff_rules.py checks it against finite differences)."""
    dtype = _float_dtype(backend)

    def loss(a: ut.Tensor) -> ut.Tensor:
        w, v = ut.linalg.eig(a)  # phase- and order-free: |v|**2 weighted by its column's eigenvalue
        return ut.sum(ut.real(v * ut.conj(v)) * ut.expand_dims(ut.real(w), axis=-2)) + ut.sum(ut.real(w * w))

    a = MATRICES["complex_pair"] + 0.1 * MATRICES["batch"][0, :3, :3]
    expected = ut.grad(loss, engine="tape")(ut.asarray(a)).numpy()
    got = ut.grad(loss, engine="tape")(ut.asarray(a, dtype=dtype, backend=backend))
    assert got.backend.name == backend and got.dtype is dtype
    tolerance = 1e-8 if dtype is ut.float64 else 2e-3
    np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, atol=tolerance)
