"""The dispatch fast paths give the slow path's answers, and the NumPy backend's direct bindings the standard's.

The fast paths (operators, generated functions, ``where``/``matmul`` & co.,
mask and tuple indexing) skip the slow path's scan only for plain Tensors of
one single-device backend; everything they skip must still hold: promotion,
mixing errors, the NumPy reference values.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import unitensor as ut
from unitensor._namespace import FUNCTIONS
from unitensor.backends.numpy import COMPAT_WRAPPED, NumpyBackend

X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)
Y = np.array([[2.0, -0.5, 1.0], [1.0, 3.0, -2.0]], dtype=np.float32)
NUMPY_2_1 = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 1)


def tensor(data, backend, dtype=None):
    return ut.asarray(np.array(data, dtype=dtype), backend=backend)


def test_where_same_dtypes_matches_numpy(backend):
    x, y = tensor(X, backend), tensor(Y, backend)
    out = ut.where(x > y, x, y)
    assert out.dtype == ut.float32 and out.backend.name == backend
    np.testing.assert_array_equal(out.numpy(force=True), np.where(X > Y, X, Y))


@pytest.mark.parametrize(("dtype1", "dtype2", "expected"), [
    (np.float32, np.float64, ut.float64), (np.int8, np.int32, ut.int32), (np.uint8, np.int16, ut.int16)])
def test_where_promotes_by_the_standard(backend, dtype1, dtype2, expected):
    if expected is ut.float64 and ut.float64 not in ut.backends.get(backend).dtypes():
        pytest.skip(f"{backend} has no float64 here")
    x, y = tensor([1, 2, 3], backend, dtype1), tensor([4, 5, 6], backend, dtype2)
    out = ut.where(tensor([True, False, True], backend), x, y)
    assert out.dtype is expected
    np.testing.assert_array_equal(out.numpy(force=True), [1, 5, 3])


def test_matmul_and_vecdot_match_numpy(backend):
    x, y = tensor(X, backend), tensor(Y, backend)
    np.testing.assert_allclose(ut.matmul(x, ut.matrix_transpose(y)).numpy(force=True), X @ Y.T, rtol=1e-6)
    np.testing.assert_allclose(ut.vecdot(x, y, axis=-1).numpy(force=True), (X * Y).sum(axis=-1), rtol=1e-6)


def test_mixing_backends_in_where_still_raises(backend):
    other = "strict" if backend != "strict" else "numpy"
    if other not in ut.backends.available():
        pytest.skip(f"{other} is not installed")
    x, y = tensor(X, backend), tensor(Y, other)
    with pytest.raises(TypeError, match="backends"):
        ut.where(x > 0, x, y)


@pytest.mark.parametrize("key", [(1, slice(None)), (slice(None), None, 0), (Ellipsis, 1), (slice(1, None), Ellipsis)],
                         ids=["int,slice", "slice,None,int", "ellipsis,int", "slice,ellipsis"])
def test_plain_tuple_keys_match_numpy(backend, key):
    x = tensor(X, backend)
    out = x[key]
    assert type(out) is ut.Tensor and out.backend.name == backend
    np.testing.assert_array_equal(out.numpy(force=True), X[key])


def test_mask_and_index_array_keys_match_numpy(backend):
    x = tensor(X, backend)
    mask = X > 0
    np.testing.assert_array_equal(x[tensor(mask, backend)].numpy(force=True), X[mask])
    index = np.array([2, 0, 2])  # one index array for a 1-D Tensor: what every backend must support
    got = tensor(X[0], backend)[tensor(index, backend)]
    np.testing.assert_array_equal(got.numpy(force=True), X[0][index])


def test_mask_of_another_backend_is_refused(backend):
    other = "strict" if backend != "strict" else "numpy"
    if other not in ut.backends.available():
        pytest.skip(f"{other} is not installed")
    with pytest.raises(TypeError, match=other):
        tensor(X, backend)[tensor(X > 0, other)]


def test_fast_path_flags_are_instance_attributes_that_keep_each_backends_value(backend):
    loaded = ut.backends.get(backend)
    cls = type(loaded)
    for flag in ("fast_binary", "fast_scalars"):
        assert flag in vars(loaded) or isinstance(getattr(cls, flag, None), property)
    assert loaded.fast_scalars is getattr(cls, "fast_scalars")
    if backend == "strict":  # fake devices: operators must compare them
        assert loaded.fast_binary is False


# -- the NumPy backend's direct bindings -----------------------------------------

@pytest.mark.skipif(not NUMPY_2_1, reason="the direct bindings are used on NumPy >= 2.1 only")
def test_compat_wraps_exactly_the_listed_functions():
    """Every standard function outside COMPAT_WRAPPED must be NumPy's own object in array_api_compat."""
    import array_api_compat.numpy as compat

    names = [name for name in FUNCTIONS if "." not in name and hasattr(compat, name)]
    wrapped = {name for name in names if getattr(compat, name) is not getattr(np, name, None)}
    assert wrapped <= COMPAT_WRAPPED, (
        f"array_api_compat now wraps {sorted(wrapped - COMPAT_WRAPPED)}: add them to COMPAT_WRAPPED")


@pytest.mark.skipif(not NUMPY_2_1, reason="the direct bindings are used on NumPy >= 2.1 only")
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32, np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": (0, 1), "keepdims": True}, {"axis": -1}])
def test_reductions_match_array_api_compat(name, dtype, kwargs):
    import array_api_compat.numpy as compat

    if name in ("max", "min") and dtype is np.complex64:
        pytest.skip("the standard defines no ordering of complex numbers")
    data = (np.arange(1, 7).reshape(2, 3) % 4).astype(dtype)
    expected = getattr(compat, name)(data, **kwargs)
    got = NumpyBackend().function(name)(data, **kwargs)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not NUMPY_2_1, reason="the direct bindings are used on NumPy >= 2.1 only")
def test_reshape_and_astype_keep_the_standards_copy_rules():
    backend = NumpyBackend()
    data = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError):
        backend.function("reshape")(data.T, (6,), copy=False)
    view = backend.function("reshape")(data, (3, 2), copy=False)
    assert np.shares_memory(view, data)
    assert not np.shares_memory(backend.function("reshape")(data, (3, 2), copy=True), data)
    assert backend.function("astype")(data, np.dtype("float64"), copy=False) is data
    assert backend.function("astype")(data, np.dtype("float64")) is not data
    with pytest.raises(ValueError, match="cpu"):
        backend.function("astype")(data, np.dtype("float32"), device="cuda:0")


@pytest.mark.skipif(not NUMPY_2_1, reason="array_api_compat is imported eagerly on older NumPy")
def test_elementwise_code_does_not_import_array_api_compat():
    code = ("import sys, unitensor as ut; t = ut.asarray([1.0, 2.0]); "
            "ut.sum(ut.exp(t) * 2 + t)[()]; ut.where(t > 1, t, -t); t[t > 1]; ut.reshape(t, (2, 1)); "
            "print('array_api_compat.numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mask_on_another_device_is_refused(backend):
    devices = ut.devices(backend)
    if len(devices) < 2:
        pytest.skip(f"{backend} has one device here")
    x = ut.asarray(X, backend=backend, device=devices[0])
    mask = ut.asarray(X > 0, backend=backend, device=devices[1])
    with pytest.raises(ValueError, match="two devices"):
        x[mask]
