"""The array-api-strict backend: the reference that rejects non-portable code, and
the fake devices through which multi-device logic is tested on a CPU."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unitensor as ut

xps = pytest.importorskip("array_api_strict")

FAKE = ["device1", "device2"]


def strict(data, **kwargs):
    return ut.asarray(data, backend="strict", **kwargs)


def test_devices_map_the_fake_devices():
    assert ut.devices("strict") == [ut.Device("cpu"), ut.Device("device1"), ut.Device("device2")]
    t = strict([1.0, 2.0])
    assert t.device == "cpu"
    assert t.raw.device == xps.Device("CPU_DEVICE")


@pytest.mark.parametrize("device", FAKE)
def test_move_to_a_fake_device_and_back(device):
    t = strict([1.0, -0.0, np.nan])
    moved = t.to(device)
    assert moved.device == device
    assert moved.raw.device == xps.Device(device)
    back = moved.cpu()
    assert back.device == "cpu"
    np.testing.assert_array_equal(back.numpy(), [1.0, -0.0, np.nan])
    assert np.signbit(back.numpy()[1])


@pytest.mark.parametrize("device", FAKE)
def test_results_stay_on_the_device_of_their_inputs(device):
    t = strict([[2.0, 1.0], [1.0, 3.0]], device=device)
    for result in (t * 2, t + t, ut.exp(t), ut.linalg.inv(t), t[0, ...], ut.sum(t, axis=0), ut.stack([t, t])):
        assert result.device == device
    assert ut.zeros((2,), backend="strict", device=device).device == device


def test_creation_on_a_device_it_does_not_have_names_those_it_has():
    with pytest.raises(Exception, match=r"cuda:0.*cpu, device1, device2") as info:
        strict([1.0], device="cuda:0")
    assert "strict" in str(info.value)


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a @ b,
        lambda a, b: ut.add(a, b),
        lambda a, b: ut.stack([a, b]),
        lambda a, b: ut.where(a > 0, a, b),
        lambda a, b: a[ut.astype(b, ut.int64)],
    ],
    ids=["operator", "matmul", "function", "sequence", "where", "index"],
)
def test_mixing_devices_names_both(operation):
    a = strict([[1.0, 0.0], [0.0, 1.0]])
    b = strict([[0.0, 1.0], [1.0, 0.0]], device="device1")
    with pytest.raises(ValueError, match=r"cpu and device1|device1 and cpu"):
        operation(a, b)


def test_setitem_from_another_device_is_an_error_and_changes_nothing():
    a = strict([1.0, 2.0])
    with pytest.raises(ValueError, match="device1"):
        a[0] = strict(5.0, device="device1")
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def test_a_0d_integer_tensor_indexes_like_an_int():
    t = strict([[1.0, 2.0], [3.0, 4.0]])
    t[strict(1), 0] = 9.0
    np.testing.assert_array_equal(t.numpy(), [[1.0, 2.0], [9.0, 4.0]])


def test_writes_through_integer_arrays_are_rejected_as_non_portable():
    # the standard leaves them implementation-defined; NumPy accepts them, strict must not
    t = strict([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match="integer-array keys are implementation-defined"):
        t[strict([0, 2])] = 0.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])


def test_numpy_export_is_zero_copy():
    t = strict([1.0, 2.0, 3.0])
    exported = t.numpy()
    exported[0] = 10.0
    assert t[0].item() == 10.0
    assert np.from_dlpack(t)[0] == 10.0
    assert np.asarray(t)[0] == 10.0


def test_import_from_numpy_is_zero_copy():
    source = np.arange(3.0)
    t = ut.asarray(source, backend="strict")
    source[0] = 7.0
    assert t[0].item() == 7.0
    u = ut.from_dlpack(source, backend="strict")
    assert np.shares_memory(u.numpy(), source)


@pytest.mark.parametrize("device", FAKE)
def test_a_fake_device_is_not_host_memory(device):
    t = strict([1.0, 2.0], device=device)
    with pytest.raises(TypeError, match=rf"can't convert {device} device type tensor to numpy\. Use Tensor\.cpu\(\)"):
        t.numpy()
    np.testing.assert_array_equal(t.numpy(force=True), [1.0, 2.0])
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 2.0])
    assert t.device == device  # force=True copied, it did not move t


@pytest.mark.parametrize("device", FAKE)
def test_conversion_from_a_fake_device_to_numpy(device):
    t = strict([1, 2, 3], device=device)
    n = t.to(backend="numpy")
    assert n.backend.name == "numpy" and n.device == "cpu"
    np.testing.assert_array_equal(n.numpy(), [1, 2, 3])


def test_moving_between_fake_devices():
    t = strict([1.0, 2.0], device="device1").to("device2")
    assert t.device == "device2"
    np.testing.assert_array_equal(t.numpy(force=True), [1.0, 2.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: ut.sin(strict([1, 2])),  # sin is defined for floating point only
        lambda: strict([True, False]) + strict([1, 2]),  # no bool-with-number promotion (unitensor's rule neither)
        lambda: ut.sum(strict([1.0, 2.0]), axis=1.5),  # axes are integers
    ],
    ids=["sin-of-int", "bool-plus-int", "float-axis"],
)
def test_non_portable_code_is_rejected(call):
    with pytest.raises((TypeError, IndexError, ValueError)):
        call()


def test_non_portable_code_runs_on_numpy():
    # the same sin(int) the strict backend rejects is computed by NumPy: strict is what catches it
    np.testing.assert_allclose(ut.sin(ut.asarray([1, 2])).numpy(), np.sin([1, 2]))


def test_isin_invert_follows_the_standard():
    x, values = strict([[1, 2], [3, 4]]), strict([1, 4])
    np.testing.assert_array_equal(ut.isin(x, values, invert=True).numpy(), [[False, True], [True, False]])
    np.testing.assert_array_equal(ut.isin(x, values).numpy(), [[True, False], [False, True]])


@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int8, np.uint16, np.int64, np.bool_, np.complex64, np.complex128]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_round_trip_through_strict_is_exact(array):
    t = ut.asarray(array, backend="strict")
    back = t.to(backend="numpy").numpy()
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert np.array_equal(np.signbit(back.real), np.signbit(array.real)) if array.dtype.kind in "fc" else True
