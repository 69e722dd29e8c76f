"""Devices: the ``Device`` value type, ``ut.devices``, and device rules tested on a fake two-device backend."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut
from unitensor.backends import BackendError
from unitensor.backends.numpy import NumpyBackend

# -- the Device value type -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "type_", "index", "text"),
    [
        ("cpu", "cpu", None, "cpu"),
        ("cuda:0", "cuda", 0, "cuda:0"),
        ("cuda:12", "cuda", 12, "cuda:12"),
        ("gpu", "cuda", None, "cuda"),
        ("gpu:1", "cuda", 1, "cuda:1"),
        ("GPU:1", "cuda", 1, "cuda:1"),
        (" cpu ", "cpu", None, "cpu"),
        ("host", "cpu", None, "cpu"),
        ("meta", "meta", None, "meta"),
        ("tpu:3", "tpu", 3, "tpu:3"),
    ],
)
def test_device_parsing(spelling, type_, index, text):
    device = ut.Device(spelling)
    assert (device.type, device.index, str(device)) == (type_, index, text)
    assert repr(device) == f"Device('{text}')"
    assert ut.Device(device) == device
    assert ut.Device(str(device)) == device


def test_device_with_an_index_argument():
    assert ut.Device("cuda", 2) == ut.Device("cuda:2")
    assert ut.Device(ut.Device("cuda"), 1) == "cuda:1"
    assert ut.Device(ut.Device("cuda:3")).index == 3


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("cpu", "cpu", True),
        ("cpu", "cpu:0", True),  # one host device, however spelled
        ("cuda:0", "cuda", True),
        ("gpu:1", "cuda:1", True),
        ("cuda:0", "cuda:1", False),
        ("cuda:0", "cpu", False),
        ("meta", "cpu", False),
    ],
)
def test_device_equality_and_hash(left, right, equal):
    a, b = ut.Device(left), ut.Device(right)
    assert (a == b) is equal and (a != b) is not equal
    assert (a == right) is equal  # compares with strings too
    assert (right == a) is equal
    if equal:
        assert hash(a) == hash(b)
        assert len({a, b}) == 1


def test_device_is_not_equal_to_other_objects():
    cpu = ut.Device("cpu")
    assert cpu != 0 and cpu != None and cpu != "cuda:x" and cpu != ""  # noqa: E711


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0,), TypeError, "string"),
        ((None,), TypeError, "string"),
        (("cuda:x",), ValueError, "cuda:0"),
        (("cuda:-1",), ValueError, "cuda:0"),
        (("cuda:1", 2), ValueError, "already has an index"),
        (("cuda", -1), ValueError, "non-negative"),
        (("cuda", 1.5), ValueError, "non-negative"),
        (("",), ValueError, "empty"),
        ((":1",), ValueError, "empty"),
    ],
)
def test_bad_devices_are_clear_errors(args, error, message):
    with pytest.raises(error, match=message):
        ut.Device(*args)


def test_is_host():
    assert ut.Device("cpu").is_host and ut.Device("host").is_host
    assert not ut.Device("cuda:0").is_host and not ut.Device("meta").is_host


# -- devices of the backends ---------------------------------------------------------


def test_devices_of_each_backend(backend):
    devices = ut.devices(backend)
    assert devices and all(isinstance(d, ut.Device) for d in devices)
    assert ut.backends.get(backend).default_device() in devices
    with ut.use_backend(backend):
        assert ut.devices() == devices
    t = ut.ones(2, backend=backend)
    assert t.device in devices
    assert isinstance(t.device, ut.Device)


def test_creation_on_an_explicit_device(backend):
    device = ut.backends.get(backend).default_device()
    for spelled in (device, str(device)):
        assert ut.asarray([1.0], device=spelled, backend=backend).device == device
        assert ut.zeros(2, device=spelled, backend=backend).device == device
        assert ut.arange(3, device=spelled, backend=backend).device == device


def test_an_unavailable_device_names_those_available(backend):
    chosen = ut.backends.get(backend)
    with pytest.raises(BackendError) as info:
        chosen.check_device(ut.Device("tpu:7"))
    message = str(info.value)
    assert "tpu:7" in message and backend in message
    assert all(str(d) in message for d in chosen.devices())


def test_to_the_same_device_keeps_the_tensor(backend):
    t = ut.ones(3, backend=backend)
    assert t.to(t.device) is t
    assert t.to_device(t.device) is t
    assert t.to(t.device, copy=True) is not t
    np.testing.assert_array_equal(t.to(t.device, copy=True).numpy(), t.numpy())


def test_host_tensors_stay_put_with_cpu(backend):
    t = ut.ones(3, backend=backend)
    if t.device.is_host:
        assert t.cpu() is t


# -- a fake backend with two host devices, so device rules run on any machine --------


class _Placed(np.ndarray):
    """A NumPy array that remembers which fake device it lives on."""

    placed_on = ut.Device("cpu", 0)

    def __array_finalize__(self, obj):
        self.placed_on = getattr(obj, "placed_on", ut.Device("cpu", 0))


class TwoDeviceBackend(NumpyBackend):
    """NumPy pretending to have two host devices, ``cpu:0`` and ``cpu:1``."""

    name = "twodevice"
    fast_binary = False  # devices must be compared before the framework computes

    def __init__(self) -> None:
        super().__init__()
        self.array_types = (_Placed,)

    def devices(self):
        return [ut.Device("cpu", 0), ut.Device("cpu", 1)]

    def device_of(self, raw):
        return getattr(raw, "placed_on", ut.Device("cpu", 0))

    def to_device(self, raw, device):
        device = self.check_device(device)
        if self.device_of(raw) == device:
            return raw
        moved = np.array(raw, copy=True).view(_Placed)
        moved.placed_on = device
        return moved

    def asarray(self, obj, dtype=None, device=None, copy=None):
        raw = np.asarray(super().asarray(obj, dtype=dtype, copy=copy)).view(_Placed)
        return self.to_device(raw, device) if device is not None else raw

    def normalize(self, raw):
        return raw.view(_Placed) if not isinstance(raw, _Placed) else raw


@pytest.fixture
def twodevice(register_backend):
    return register_backend("twodevice", TwoDeviceBackend)


def test_fake_backend_moves_between_its_devices(twodevice):
    t = ut.asarray([1.0, 2.0], backend=twodevice)
    assert t.device == "cpu:0"
    moved = t.to("cpu:1")
    assert moved.device == "cpu:1" and moved.backend is t.backend
    assert t.device == "cpu:0"  # the source is untouched
    np.testing.assert_array_equal(moved.numpy(), [1.0, 2.0])
    assert moved.to("cpu:1") is moved
    assert ut.asarray([3.0], device="cpu:1", backend=twodevice).device == "cpu:1"


def test_operands_on_two_devices_raise_naming_both(twodevice):
    x = ut.asarray([1.0, 2.0], backend=twodevice)
    y = x.to("cpu:1")
    for attempt in (lambda: x + y, lambda: ut.add(x, y), lambda: ut.concat([x, y]), lambda: ut.where(x > 0, x, y)):
        with pytest.raises(ValueError) as info:
            attempt()
        message = str(info.value)
        assert "cpu:0" in message and "cpu:1" in message and ".to(" in message
    np.testing.assert_array_equal((x + y.to("cpu:0")).numpy(), [2.0, 4.0])


def test_unknown_device_of_the_fake_backend_lists_its_devices(twodevice):
    with pytest.raises(BackendError, match="cpu:0, cpu:1"):
        ut.asarray([1.0], backend=twodevice).to("cpu:2")


# -- a real GPU (skipped without one) ----------------------------------------------------


@pytest.mark.gpu
def test_to_cuda_and_back(backend):
    chosen = ut.backends.get(backend)
    keeps = ut.Device("cuda:0") in chosen.devices()
    if not keeps and "cuda" not in chosen.family:
        pytest.skip(f"the {backend} backend has no CUDA device here")
    t = ut.asarray([[1.0, 2.0], [3.0, 4.0]], backend=backend)
    moved = t.cuda()
    assert moved.device == "cuda:0" and moved.to("cuda:0") is moved
    assert moved.backend.name == (backend if keeps else chosen.family["cuda"])
    with pytest.raises(TypeError, match=r"Use Tensor\.cpu\(\)"):
        moved.numpy()
    np.testing.assert_array_equal(moved.numpy(force=True), t.numpy())
    np.testing.assert_array_equal((moved * 2).cpu().numpy(), t.numpy() * 2)
    back = moved.cpu()
    assert back.device.is_host
    np.testing.assert_array_equal(back.numpy(), t.numpy())
