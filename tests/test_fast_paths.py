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


@pytest.mark.parametrize(
    ("dtype1", "dtype2", "expected"),
    [(np.float32, np.float64, ut.float64), (np.int8, np.int32, ut.int32), (np.uint8, np.int16, ut.int16)],
)
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


@pytest.mark.parametrize(
    "key",
    [(1, slice(None)), (slice(None), None, 0), (Ellipsis, 1), (slice(1, None), Ellipsis)],
    ids=["int,slice", "slice,None,int", "ellipsis,int", "slice,ellipsis"],
)
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
    assert loaded.fast_scalars is cls.fast_scalars
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
        f"array_api_compat now wraps {sorted(wrapped - COMPAT_WRAPPED)}: add them to COMPAT_WRAPPED"
    )


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
    assert not np.shares_memory(backend.function("astype")(data, np.dtype("float64"), copy=True), data)
    assert backend.function("astype")(data, np.dtype("int32"), copy=False).dtype == np.int32
    assert backend.function("astype")(data, np.dtype("float32"), device="cpu").dtype == np.float32
    assert backend.function("astype")(np.float64(2.5), np.dtype("int8")) == 2  # a NumPy scalar (a reduction's result)
    with pytest.raises(ValueError, match="cpu"):
        backend.function("astype")(data, np.dtype("float32"), device="cuda:0")


@pytest.mark.skipif(not NUMPY_2_1, reason="array_api_compat is imported eagerly on older NumPy")
def test_elementwise_code_does_not_import_array_api_compat():
    code = (
        "import sys, unitensor as ut; t = ut.asarray([1.0, 2.0]); "
        "ut.sum(ut.exp(t) * 2 + t)[()]; ut.where(t > 1, t, -t); t[t > 1]; ut.reshape(t, (2, 1)); "
        "ut.linalg.vector_norm(t); ut.astype(t, ut.int32); "
        "print('array_api_compat.numpy' in sys.modules)"
    )
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


# -- fast paths against the slow path: the torch backend's direct bindings ----------------
#
# On torch the fast paths call torch's own functions where the fast path already
# guarantees what array_api_compat's wrappers fix, and retry on the slow path when
# torch raises; these tests hold both paths to the same answers on every backend.


def slow_path(name, *args, **kwargs):
    """``name`` through the namespace's slow path (the complete implementation, every check)."""
    from unitensor._namespace import call

    return call(name, FUNCTIONS[name], args, kwargs)


def assert_same_tensor(got, expected):
    assert got.dtype is expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(force=True), expected.numpy(force=True))


REDUCTION_KWARGS = [{}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"keepdims": True}, {"axis": (0, 1)}, {"axis": ()}]


@pytest.mark.parametrize("kwargs", REDUCTION_KWARGS, ids=str)
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.float32])
@pytest.mark.parametrize("name", ["sum", "prod"])
def test_sum_and_prod_fast_path_match_the_slow_path(backend, name, dtype, kwargs):
    x = tensor((np.arange(1, 7).reshape(2, 3) % 4), backend, dtype)
    assert_same_tensor(getattr(ut, name)(x, **kwargs), slow_path(name, x, **kwargs))


@pytest.mark.parametrize(
    "kwargs",
    REDUCTION_KWARGS + [{"ord": 1}, {"ord": float("inf"), "axis": 1}, {"ord": 0, "axis": -1, "keepdims": True}],
    ids=str,
)
@pytest.mark.parametrize("name", ["mean", "linalg.vector_norm"])
def test_mean_and_vector_norm_fast_path_match_the_slow_path(backend, name, kwargs):
    if name == "mean" and "ord" in kwargs:
        pytest.skip("mean has no ord")
    function = ut.linalg.vector_norm if name == "linalg.vector_norm" else ut.mean
    x = tensor(X, backend)
    got, expected = function(x, **kwargs), slow_path(name, x, **kwargs)
    assert got.dtype is expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(force=True), expected.numpy(force=True), rtol=1e-6)


def test_max_norm_of_nothing_fast_path_matches_the_slow_path(backend):
    empty = tensor(np.zeros((0,), np.float32), backend)
    try:
        expected = slow_path("linalg.vector_norm", empty, ord=float("inf"))  # 0 as in NumPy, or refused
    except ValueError:
        with pytest.raises(ValueError):
            ut.linalg.vector_norm(empty, ord=float("inf"))
        return
    assert_same_tensor(ut.linalg.vector_norm(empty, ord=float("inf")), expected)


@pytest.mark.parametrize(
    "name",
    [
        "add",
        "subtract",
        "multiply",
        "divide",
        "pow",
        "maximum",
        "atan2",
        "hypot",
        "equal",
        "less",
        "floor_divide",
        "remainder",
        "copysign",
        "logaddexp",
    ],
)
def test_binary_functions_fast_path_match_the_slow_path(backend, name):
    x, y = tensor(X, backend), tensor(Y, backend)
    assert_same_tensor(getattr(ut, name)(x, y), slow_path(name, x, y))


def test_where_matmul_reshape_astype_fast_path_match_the_slow_path(backend):
    x, y = tensor(X, backend), tensor(Y, backend)
    assert_same_tensor(ut.where(x > y, x, y), slow_path("where", x > y, x, y))
    assert_same_tensor(ut.matmul(x, ut.matrix_transpose(y)), slow_path("matmul", x, ut.matrix_transpose(y)))
    assert_same_tensor(ut.reshape(x, (3, 2)), slow_path("reshape", x, (3, 2)))
    assert_same_tensor(ut.reshape(x, (6,), copy=True), slow_path("reshape", x, (6,), copy=True))
    assert_same_tensor(ut.astype(x, ut.int32), x.astype(ut.int16).astype(ut.int32))


def test_integer_division_by_zero_retries_on_the_slow_path(backend):
    x, zero = tensor([7, -7, 3], backend, np.int32), tensor([0, 2, 0], backend, np.int32)
    np.testing.assert_array_equal(ut.floor_divide(x, zero).numpy(force=True)[1], -4)
    assert_same_tensor(ut.remainder(x, zero), slow_path("remainder", x, zero))


def test_torch_errors_raised_on_the_fast_path_come_out_translated():
    pytest.importorskip("torch")
    x = tensor(np.arange(6.0), "torch")
    with pytest.raises(ValueError, match="reshape"):
        ut.reshape(x, (4,))  # torch: RuntimeError
    with pytest.raises(ValueError, match="vector_norm"):
        ut.linalg.vector_norm(tensor([1, 2], "torch"))  # torch: RuntimeError, no integer kernel
    with pytest.raises(ValueError, match="broadcast"):
        ut.add(x, tensor(np.arange(4.0), "torch"))
    with pytest.raises(TypeError, match="logaddexp"):
        ut.logaddexp(tensor([1, 2], "torch"), tensor([1, 2], "torch"))  # torch: NotImplementedError


def test_torch_reshape_keeps_the_standards_copy_rules():
    torch = pytest.importorskip("torch")
    data = torch.arange(6.0).reshape(2, 3)
    x = ut.astensor(data)
    assert ut.reshape(x, (3, 2)).raw.data_ptr() == data.data_ptr()
    assert ut.reshape(x, (3, 2), copy=True).raw.data_ptr() != data.data_ptr()
    with pytest.raises(ValueError):
        ut.reshape(ut.astensor(data.T), (6,), copy=False)
    assert ut.astype(x, ut.float32, copy=False).raw is data
    assert ut.astype(x, ut.float32).raw is not data


def test_torch_fast_table_binds_torch_itself():
    """The fast paths call torch directly for the operations of the benchmark (no Python wrapper)."""
    torch = pytest.importorskip("torch")
    backend = ut.backends.get("torch")
    for name in ("add", "multiply", "where", "matmul"):
        backend.function(name)
    assert backend._functions["add"] is torch.add and backend._functions["where"] is torch.where
    assert backend._functions["matmul"] is torch.matmul


def test_astype_values_and_copies(backend):
    x = tensor(X, backend)
    np.testing.assert_array_equal(ut.astype(x, ut.int32).numpy(force=True), X.astype(np.int32))
    same = ut.astype(x, ut.float32, copy=True)
    assert same.raw is not x.raw and same.dtype is ut.float32
    np.testing.assert_array_equal(same.numpy(force=True), X)


def test_jax_shape_errors_raised_on_the_fast_path_come_out_as_value_errors():
    pytest.importorskip("jax")
    x = tensor(np.arange(6.0, dtype=np.float32), "jax")
    with pytest.raises(ValueError):
        ut.reshape(x, (4,))  # jax: TypeError
    with pytest.raises(ValueError):
        ut.add(x, tensor(np.arange(4.0, dtype=np.float32), "jax"))
    with pytest.raises(ValueError):
        ut.matmul(ut.reshape(x, (2, 3)), ut.reshape(x, (2, 3)))


def test_jax_fast_table_skips_the_error_translation():
    jnp = pytest.importorskip("jax.numpy")
    backend = ut.backends.get("jax")
    assert backend.function("add") is not jnp.add  # the slow path translates JAX's TypeError
    assert backend._functions["add"] is jnp.add


# -- Python scalars and sequences: the cheap entry of the slow path -----------------

NAN_X = np.array([[1.5, np.nan, -3.0], [0.25, 4.0, -1.0]], dtype=np.float32)

SCALAR_CALLS = {
    "maximum(t, 0.0)": (lambda t, c: ut.maximum(t, 0.0), lambda x, c: np.maximum(x, np.float32(0.0))),
    "maximum(0, t)": (lambda t, c: ut.maximum(0, t), lambda x, c: np.maximum(np.float32(0), x)),
    "minimum(t, 1)": (lambda t, c: ut.minimum(t, 1), lambda x, c: np.minimum(x, np.float32(1))),
    "maximum(t, nan)": (lambda t, c: ut.maximum(t, float("nan")), lambda x, c: np.maximum(x, np.float32("nan"))),
    "where(c, t, 0.0)": (lambda t, c: ut.where(c, t, 0.0), lambda x, c: np.where(c, x, np.float32(0.0))),
    "where(c, 2.5, t)": (lambda t, c: ut.where(c, 2.5, t), lambda x, c: np.where(c, np.float32(2.5), x)),
    "clip(t, 0, 1)": (lambda t, c: ut.clip(t, 0, 1), lambda x, c: np.clip(x, np.float32(0), np.float32(1))),
    "clip(t, max=0.5)": (lambda t, c: ut.clip(t, max=0.5), lambda x, c: np.minimum(x, np.float32(0.5))),
    "clip(t, -1.0)": (lambda t, c: ut.clip(t, -1.0), lambda x, c: np.maximum(x, np.float32(-1.0))),
}


@pytest.mark.parametrize("case", list(SCALAR_CALLS))
def test_python_scalars_in_functions_keep_the_tensors_dtype_and_numpys_values(backend, case):
    ours, reference = SCALAR_CALLS[case]
    t = tensor(NAN_X, backend)
    condition = NAN_X > 0.5
    got = ours(t, tensor(condition, backend))
    assert got.dtype is ut.float32 and got.backend is t.backend
    np.testing.assert_array_equal(got.numpy(force=True), reference(NAN_X, condition))


def test_python_scalars_in_integer_functions_follow_the_integer_dtype(backend):
    t = tensor([[1, -5, 3]], backend, np.int16)
    got = ut.maximum(t, 2)
    assert got.dtype is ut.int16
    np.testing.assert_array_equal(got.numpy(force=True), [[2, 2, 3]])
    assert ut.where(t > 0, t, 0).dtype is ut.int16
    assert ut.clip(t, 0, 2).tolist() == [[1, 0, 2]]


def test_python_scalars_cannot_hide_bad_input(backend):
    t = tensor(X, backend)
    with pytest.raises(TypeError, match="two Python scalars"):
        ut.maximum(1.0, 2.0)
    other = "strict" if backend != "strict" else "numpy"
    if other in ut.backends.available():
        with pytest.raises(TypeError, match="backends"):
            ut.where(tensor(X > 0, other), t, 0.0)


@pytest.mark.parametrize("join", ["concat", "stack"])
@pytest.mark.parametrize("sequence", [list, tuple])
def test_sequences_of_tensors_match_numpy(backend, join, sequence):
    x, y = tensor(X, backend), tensor(Y, backend)
    for kwargs in ({}, {"axis": 1}, {"axis": -1}):
        got = getattr(ut, join)(sequence([x, y, x]), **kwargs)
        expected = getattr(np, "concatenate" if join == "concat" else "stack")([X, Y, X], **kwargs)
        assert got.dtype is ut.float32
        np.testing.assert_array_equal(got.numpy(force=True), expected)


@pytest.mark.parametrize("join", ["concat", "stack"])
def test_sequences_of_tensors_promote_by_the_standard_and_refuse_mixing(backend, join):
    x = tensor([1, 2], backend, np.int8)
    y = tensor([3, 4], backend, np.int32)
    assert getattr(ut, join)([x, y]).dtype is ut.int32
    with pytest.raises(ValueError):
        ut.stack([x, tensor([1, 2, 3], backend, np.int8)]) if join == "stack" else ut.concat(
            [tensor(X, backend), tensor([1.0], backend, np.float32)]
        )
    other = "strict" if backend != "strict" else "numpy"
    if other in ut.backends.available():
        with pytest.raises(TypeError, match="backends"):
            getattr(ut, join)([x, tensor([1, 2], other, np.int8)])
