"""CUDA devices on torch, JAX and CuPy: movement, the NumPy/CuPy family, export errors, zero-copy.

Run on a machine with an NVIDIA GPU (one short call)::

    python -m pytest tests/gpu -m gpu -q

Every test carries the ``gpu`` marker (the root conftest skips them all where
no CUDA device is visible); a test of one framework also skips when that
framework is not installed or was built without CUDA.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import unitensor as ut
from unitensor.backends import BackendError

pytestmark = pytest.mark.gpu

HOST_ERROR = (
    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."
)
DATA = np.array([[1.5, -0.0, np.inf], [np.nan, 2.0, -3.25]], dtype=np.float32)


# -- which frameworks have CUDA here ----------------------------------------------------------


@functools.cache
def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@functools.cache
def _jax_cuda() -> bool:
    try:
        import jax

        return bool(jax.devices("gpu"))
    except Exception:  # not installed, or a CPU-only jaxlib ("Unknown backend gpu")
        return False


@functools.cache
def _cupy_cuda() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # not installed, or no driver
        return False


CUDA_BACKENDS = {"torch": _torch_cuda, "jax": _jax_cuda, "cupy": _cupy_cuda}


def _missing(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not CUDA_BACKENDS[name]()]


def needs_cuda(*names: str) -> pytest.MarkDecorator:
    """Skip unless every framework named has CUDA here (a decorator)."""
    missing = _missing(names)
    return pytest.mark.skipif(bool(missing), reason=f"no CUDA build of {', '.join(missing)} here")


def require_cuda(*names: str) -> None:
    """Skip the running test unless every framework named has CUDA here (for parametrized names)."""
    missing = _missing(names)
    if missing:
        pytest.skip(f"no CUDA build of {', '.join(missing)} here")


def on_gpu(name: str) -> ut.Tensor:
    """DATA as a Tensor of backend ``name`` on cuda:0."""
    return ut.asarray(DATA, backend=name, device="cuda:0")


def pointer(t: ut.Tensor) -> int:
    """Address of the first element of a Tensor's device memory."""
    raw = t.raw
    return {"torch": lambda: raw.data_ptr(), "cupy": lambda: raw.data.ptr, "jax": lambda: raw.unsafe_buffer_pointer()}[
        t.backend.name
    ]()


def assert_data(t: ut.Tensor, expected: np.ndarray = DATA) -> None:
    host = t.numpy(force=True)
    assert host.dtype == expected.dtype
    np.testing.assert_array_equal(host, expected)
    assert host.tobytes() == expected.tobytes()  # -0.0 and NaN bits survive too


# -- device lists --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_cuda_devices_are_listed(name):
    require_cuda(name)
    assert ut.Device("cuda:0") in ut.devices(name)


# -- moving to and from the GPU, within one backend ------------------------------------------


@needs_cuda("torch")
@pytest.mark.parametrize(
    "move",
    [
        lambda t: t.cuda(),
        lambda t: t.cuda(0),
        lambda t: t.to("cuda:0"),
        lambda t: t.to(ut.Device("cuda", 0)),
        lambda t: t.to_device("cuda:0"),
    ],
    ids=["cuda()", "cuda(0)", "to('cuda:0')", "to(Device)", "to_device"],
)
def test_torch_moves_to_cuda_and_back(move):
    x = ut.asarray(DATA, backend="torch")
    gpu = move(x)
    assert gpu.backend.name == "torch" and gpu.device == "cuda:0" and gpu.raw.is_cuda
    assert_data(gpu)
    back = gpu.cpu()
    assert back.backend.name == "torch" and back.device == "cpu"
    assert_data(back)


@needs_cuda("jax")
def test_jax_moves_to_cuda_and_back():
    x = ut.asarray(DATA, backend="jax", device="cpu")
    gpu = x.cuda()
    assert gpu.backend.name == "jax" and gpu.device == "cuda:0"
    assert {d.platform for d in gpu.raw.devices()} == {"gpu"}
    back = gpu.cpu()
    assert back.backend.name == "jax" and back.device == "cpu"
    assert_data(back)


@needs_cuda("torch")
def test_creation_on_a_cuda_device():
    for make in (
        lambda: ut.zeros((2, 3), backend="torch", device="cuda:0"),
        lambda: ut.asarray([1.0, 2.0], backend="torch", device="cuda:0"),
        lambda: ut.arange(4, backend="torch", device="cuda:0"),
    ):
        assert make().device == "cuda:0"


@needs_cuda("cupy")
def test_cupy_creation_and_operations_stay_on_the_gpu():
    x = ut.asarray(DATA, backend="cupy")
    assert x.device == "cuda:0"
    y = ut.exp(x) * 2 + x
    assert y.backend.name == "cupy" and y.device == "cuda:0"
    np.testing.assert_allclose(y.numpy(force=True), np.exp(DATA) * 2 + DATA)


# -- NumPy and CuPy are one family ------------------------------------------------------------


@needs_cuda("cupy")
@pytest.mark.parametrize("move", [lambda t: t.cuda(), lambda t: t.to("cuda:0")], ids=["cuda()", "to"])
def test_numpy_sent_to_cuda_becomes_cupy_and_back(move):
    import cupy

    x = ut.asarray(DATA)
    gpu = move(x)
    assert gpu.backend.name == "cupy" and isinstance(gpu.raw, cupy.ndarray)
    assert gpu.device == "cuda:0"
    host = gpu.cpu()
    assert host.backend.name == "numpy" and isinstance(host.raw, np.ndarray)
    assert_data(host)
    assert_data(gpu.to(backend="numpy"))


@needs_cuda("cupy")
def test_cupy_to_device_never_returns_numpy():
    backend = ut.backends.get("cupy")
    raw = on_gpu("cupy").raw
    with pytest.raises(BackendError, match="cpu"):
        backend.to_device(raw, ut.Device("cpu"))


@needs_cuda("cupy")
def test_numpy_to_cuda_with_copy_false_is_refused():
    with pytest.raises(ValueError, match="copy"):
        ut.asarray(DATA).to("cuda:0", backend="cupy", copy=False)


# -- export to NumPy -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_gpu_export_error_is_the_same_on_every_backend(name):
    require_cuda(name)
    gpu = on_gpu(name)
    with pytest.raises(TypeError) as info:
        gpu.numpy()
    assert str(info.value) == HOST_ERROR
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        np.asarray(gpu)
    assert gpu.device == "cuda:0"  # unchanged by the failed export


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_numpy_force_copies_gpu_data_to_the_host(name):
    require_cuda(name)
    gpu = on_gpu(name)
    host = gpu.numpy(force=True)
    assert isinstance(host, np.ndarray)
    assert_data(gpu)
    assert gpu.device == "cuda:0"


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_scalars_repr_and_tolist_of_gpu_data(name):
    require_cuda(name)
    gpu = on_gpu(name)
    assert gpu[1, 2].item() == -3.25 and float(gpu[0, 0]) == 1.5
    assert gpu.tolist()[1][1] == 2.0
    assert "-3.25" in repr(gpu) and "cuda:0" in repr(gpu)


@needs_cuda("torch")
def test_force_detaches_and_copies_a_gpu_tensor_that_requires_grad():
    import torch

    raw = torch.tensor(DATA, device="cuda:0", requires_grad=True)
    x = ut.astensor(raw)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert_data(ut.asarray(x.numpy(force=True)))


# -- devices and errors -------------------------------------------------------------------------


@needs_cuda("torch")
def test_mixing_cpu_and_cuda_names_both_devices():
    gpu, cpu = on_gpu("torch"), ut.asarray(DATA, backend="torch")
    for operation in (lambda a, b: a + b, ut.multiply, ut.matmul, lambda a, b: ut.stack([a, b])):
        with pytest.raises(ValueError, match=r"cuda:0.*cpu|cpu.*cuda:0"):
            operation(gpu, cpu.mT if operation is ut.matmul else cpu)


@pytest.mark.parametrize("name", ["torch", "jax", "cupy"])
def test_a_missing_cuda_device_names_those_there_are(name):
    require_cuda(name)
    missing = f"cuda:{len([d for d in ut.devices(name) if d.type == 'cuda'])}"
    with pytest.raises(BackendError, match=r"cuda:0"):
        on_gpu(name).to(missing)


@needs_cuda("cupy")
def test_cupy_moves_between_gpus():
    if len(ut.devices("cupy")) < 2:
        pytest.skip("needs two GPUs")
    moved = on_gpu("cupy").to("cuda:1")
    assert moved.device == "cuda:1" and moved.raw.device.id == 1
    assert_data(moved)


@needs_cuda("torch")
def test_torch_moves_between_gpus():
    if len([d for d in ut.devices("torch") if d.type == "cuda"]) < 2:
        pytest.skip("needs two GPUs")
    moved = on_gpu("torch").cuda(1)
    assert moved.device == "cuda:1"
    assert_data(moved)


# -- zero-copy between frameworks on one GPU ---------------------------------------------------------

PAIRS = [("torch", "cupy"), ("cupy", "torch"), ("torch", "jax"), ("jax", "torch"), ("cupy", "jax"), ("jax", "cupy")]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_conversion_on_the_gpu_is_zero_copy(source, target):
    require_cuda(source, target)
    x = on_gpu(source)
    y = x.to(backend=target)
    assert y.backend.name == target and y.device == "cuda:0"
    assert pointer(y) == pointer(x)
    assert_data(y)
    # converting back goes through the same memory too
    assert pointer(y.to(backend=source)) == pointer(x)


@pytest.mark.parametrize(
    ("source", "target"), [("torch", "cupy"), ("cupy", "torch")], ids=["torch->cupy", "cupy->torch"]
)
def test_a_write_through_one_gpu_view_shows_in_the_other(source, target):
    require_cuda(source, target)
    x = on_gpu(source)
    y = x.to(backend=target)
    y[0, 0] = 42.0
    assert float(x[0, 0]) == 42.0


@needs_cuda("torch", "cupy")
def test_a_negative_stride_cupy_array_is_copied_not_crashed():
    import cupy

    raw = cupy.arange(6.0)[::-1]
    moved = ut.astensor(raw).to(backend="torch")
    assert moved.device == "cuda:0"
    np.testing.assert_array_equal(moved.numpy(force=True), np.arange(6.0)[::-1])
