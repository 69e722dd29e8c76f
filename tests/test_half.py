"""ut.float16 and ut.bfloat16: mapping, promotion, export, DLPack and gradients on every CPU backend."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut
from unitensor.backends import BackendError

HALF = [ut.float16, ut.bfloat16]
HAS_HALF = {"numpy", "torch", "jax", "dask"}


@pytest.fixture(params=HALF, ids=lambda d: d.name)
def half(request: pytest.FixtureRequest) -> ut.DType:
    return request.param


def _values(backend: str, half: ut.DType) -> ut.Tensor:
    return ut.asarray([0.5, 1.0, 2.0], dtype=half, backend=backend)


def _assert_refused(backend: str, half: ut.DType) -> None:
    """A backend without ``half`` refuses it with an error that names the backends that have it."""
    with pytest.raises(BackendError, match=f"cannot represent {half}.*torch.*ut.float32"):
        _values(backend, half)


def test_half_dtypes_map_or_name_the_fix(backend: str, half: ut.DType) -> None:
    if backend not in HAS_HALF:
        _assert_refused(backend, half)
        return
    t = _values(backend, half)
    assert t.dtype is half
    assert ut.exp(t).dtype is half
    # a Python float keeps the half dtype, except NumPy's bfloat16 (ml_dtypes promotes it to float32)
    ml_dtypes_rule = half is ut.bfloat16 and backend in ("numpy", "dask")
    assert (t * 0.5).dtype is (ut.float32 if ml_dtypes_rule else half)
    assert (t * ut.asarray(0.5, dtype=half, backend=backend)).dtype is half
    assert ut.sum(t).dtype is half
    assert half in ut.backends.get(backend).half_dtypes()
    # outside the standard: the inspection API lists only the standard's dtypes
    assert half.name not in ut.__array_namespace_info__(backend).dtypes()


@pytest.mark.parametrize(
    ("other", "expected"),
    [(ut.float32, ut.float32), (ut.float64, ut.float64), (ut.complex64, ut.complex64), (ut.complex128, ut.complex128)],
)
def test_promotion_table(half: ut.DType, other: ut.DType, expected: ut.DType) -> None:
    assert ut.result_type(half, other) is expected
    assert ut.result_type(other, half) is expected
    assert ut.can_cast(half, other)
    assert not ut.can_cast(other, half)


def test_float16_with_bfloat16_gives_float32() -> None:
    assert ut.result_type(ut.float16, ut.bfloat16) is ut.float32
    assert ut.result_type(ut.bfloat16, 1.0) is ut.bfloat16
    assert ut.result_type(ut.float16, 1j) is ut.complex64


def test_promotion_on_arrays(backend: str, half: ut.DType) -> None:
    if backend not in HAS_HALF:
        _assert_refused(backend, half)
        return
    t = _values(backend, half)
    for other, expected in [(ut.float32, ut.float32), (ut.float16 if half is ut.bfloat16 else ut.bfloat16, ut.float32)]:
        u = ut.asarray([1.0, 2.0, 3.0], dtype=other, backend=backend)
        assert (t + u).dtype is expected
        assert ut.add(u, t).dtype is expected
        np.testing.assert_allclose((t + u).numpy().astype(np.float64), [1.5, 3.0, 5.0])


def test_finfo() -> None:
    assert ut.finfo(ut.float16).max == 65504.0
    assert ut.finfo(ut.float16).eps == 2.0**-10
    assert ut.finfo(ut.bfloat16).eps == 2.0**-7
    assert ut.finfo(ut.bfloat16).max == pytest.approx(3.3895313892515355e38)
    assert ut.finfo(ut.bfloat16).dtype is ut.bfloat16


def test_numpy_export_and_conversion(backend: str, half: ut.DType) -> None:
    if backend not in HAS_HALF:
        _assert_refused(backend, half)
        return
    t = _values(backend, half)
    exported = t.numpy()
    assert exported.dtype.name == half.name
    np.testing.assert_array_equal(exported.astype(np.float32), [0.5, 1.0, 2.0])
    for target in sorted(HAS_HALF - {backend}):
        moved = t.to(backend=target)
        assert moved.dtype is half and moved.backend.name == target
        np.testing.assert_array_equal(moved.numpy().astype(np.float32), [0.5, 1.0, 2.0])


def test_dlpack_float16(backend: str) -> None:
    if backend not in HAS_HALF:
        _assert_refused(backend, ut.float16)
        return
    t = _values(backend, ut.float16)
    np.testing.assert_array_equal(np.from_dlpack(t), np.array([0.5, 1.0, 2.0], dtype=np.float16))


def test_torch_bfloat16_numpy_shares_memory() -> None:
    torch = pytest.importorskip("torch")
    raw = torch.tensor([1.0, 2.0], dtype=torch.bfloat16)
    exported = ut.astensor(raw).numpy()
    raw[0] = 5.0
    assert float(exported[0]) == 5.0


@pytest.mark.parametrize("engine", ["tape", None])
def test_gradients_in_half_precision(backend: str, half: ut.DType, engine: str | None) -> None:
    """The tape on every backend, and torch's and JAX's own engines (engine=None)."""
    if backend not in HAS_HALF:
        _assert_refused(backend, half)
        return
    x = _values(backend, half)
    g = ut.grad(lambda x: ut.sum(ut.sin(x) * x), engine=engine)(x)
    assert g.dtype is half
    expected = np.sin([0.5, 1.0, 2.0]) + np.array([0.5, 1.0, 2.0]) * np.cos([0.5, 1.0, 2.0])
    tolerance = 1e-2 if half is ut.bfloat16 else 2e-3
    np.testing.assert_allclose(g.numpy().astype(np.float64), expected, rtol=tolerance, atol=tolerance)


def test_sqrt_of_int8_on_numpy_has_a_dtype() -> None:
    t = ut.asarray(np.array([1, 4], dtype=np.int8))
    root = ut.sqrt(t)
    assert root.dtype is ut.float16  # NumPy's own rule for int8; the standard leaves it open
    np.testing.assert_array_equal(root.numpy(), [1.0, 2.0])


@pytest.mark.parametrize(("source", "target"), [("torch", "jax"), ("jax", "torch")])
def test_dlpack_bfloat16_between_torch_and_jax(source: str, target: str) -> None:
    t = ut.asarray([0.5, 1.0, 2.0], dtype=ut.bfloat16, backend=source)
    moved = ut.from_dlpack(t, backend=target)
    assert moved.backend.name == target and moved.dtype is ut.bfloat16
    np.testing.assert_array_equal(moved.numpy().astype(np.float32), [0.5, 1.0, 2.0])
