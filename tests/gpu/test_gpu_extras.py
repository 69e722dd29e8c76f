"""Random numbers, half precision and extras on CUDA devices (torch, JAX, CuPy).

Run on a machine with an NVIDIA GPU: ``python -m pytest tests/gpu -m gpu -q``.
"""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut

pytestmark = pytest.mark.gpu


def require_cuda(name: str) -> None:
    """Skip the running test unless ``name`` has a CUDA device here (as tests/gpu/test_gpu.py does)."""
    try:
        if name == "cupy":
            import cupy

            found = cupy.cuda.runtime.getDeviceCount() > 0
        else:
            found = any(d.type == "cuda" for d in ut.devices(name))
    except Exception:  # not installed, a CPU-only build, or no driver
        found = False
    if not found:
        pytest.skip(f"no CUDA build of {name} here")


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_random_draws_on_the_gpu_are_reproducible(name: str) -> None:
    require_cuda(name)
    a = ut.random.Generator(0).normal((100,), dtype=ut.float32, device="cuda:0", backend=name)
    b = ut.random.Generator(0).normal((100,), dtype=ut.float32, device="cuda:0", backend=name)
    assert str(a.device) == "cuda:0" and a.backend.name == name
    np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))
    assert 0.5 < float(ut.std(a)) < 1.5


@pytest.mark.parametrize(
    ("name", "half"), [("torch", ut.bfloat16), ("torch", ut.float16), ("jax", ut.bfloat16), ("cupy", ut.float16)]
)
def test_half_precision_on_the_gpu(name: str, half: ut.DType) -> None:
    require_cuda(name)
    x = ut.asarray([0.5, 1.0, 2.0], dtype=half, backend=name, device="cuda:0")
    assert (x * 2).dtype is half
    np.testing.assert_array_equal(x.cpu().numpy().astype(np.float32), [0.5, 1.0, 2.0])
    if name != "cupy":
        g = ut.grad(lambda x: ut.sum(x * x))(x)
        assert g.dtype is half and g.device == x.device


def test_cupy_has_no_bfloat16() -> None:
    require_cuda("cupy")
    with pytest.raises(ut.backends.BackendError, match="bfloat16"):
        ut.asarray([1.0], dtype=ut.bfloat16, backend="cupy")


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_extras_on_the_gpu(name: str) -> None:
    require_cuda(name)
    a = ut.asarray(np.arange(6.0, dtype=np.float32).reshape(2, 3), backend=name, device="cuda:0")
    np.testing.assert_allclose(
        ut.extras.einsum("ij,kj->ik", a, a).numpy(force=True),
        np.arange(6.0).reshape(2, 3) @ np.arange(6.0).reshape(2, 3).T,
    )
    assert ut.extras.softmax(a).device == a.device
    assert ut.extras.top_k(a, 2).values.tolist() == [[2.0, 1.0], [5.0, 4.0]]
