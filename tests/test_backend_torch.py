"""The PyTorch backend: promotion, devices, zero-copy with NumPy, copy fallbacks, export errors.

The shared suites (``tests/test_namespace*.py``, ``tests/test_tensor*.py``,
``conformance/``) check the array API on torch like on every backend
(``--backend torch``); this file checks what only torch needs: where torch
departs from the standard and unitensor corrects it, torch's ``meta`` device
standing in for a second device, and memory sharing with NumPy proven by
writing through one side and reading through the other.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unitensor as ut
from unitensor._dtypes import PROMOTION_TABLE
from unitensor.backends import BackendError

torch = pytest.importorskip("torch")

GRAD_ERROR = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
#: every dtype of the standard (uint16/32/64 through int64 where torch has no kernel, pytorch/pytorch#58734)
COMPUTE_DTYPES = [d for d in ut.__array_namespace_info__("torch").dtypes().values()]
PAIRS = [(a, b) for a, b in itertools.product(COMPUTE_DTYPES, repeat=2) if (a, b) in PROMOTION_TABLE and a is not b]


def t(data, dtype=None):
    """A torch Tensor from NumPy data."""
    return ut.asarray(np.asarray(data, dtype=dtype), backend="torch")


def meta(shape=(3,), dtype=torch.float32):
    return ut.astensor(torch.ones(shape, dtype=dtype, device="meta"))


def sample(dtype, shape):
    """Small values every dtype holds (no bool/unsigned overflow), as NumPy."""
    values = np.arange(1, 1 + int(np.prod(shape))).reshape(shape) % 3
    return values.astype(dtype.name)


# -- promotion --------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
@pytest.mark.parametrize("b_shape", [(3,), ()], ids=["array", "0-d"])
def test_binary_promotion_follows_the_standard_table(a, b, b_shape):
    x, y = sample(a, (3,)), sample(b, b_shape)
    expected_dtype = PROMOTION_TABLE[a, b]
    wide_x, wide_y = x.astype(expected_dtype.name), y.astype(expected_dtype.name)
    for result, expected in [
        (t(x) + t(y), wide_x + wide_y),
        (ut.add(t(x), t(y)), wide_x + wide_y),
        (ut.multiply(t(y), t(x)), wide_y * wide_x),
        (t(y) - t(x), wide_y - wide_x),
    ]:
        assert result.dtype == expected_dtype
        np.testing.assert_array_equal(result.numpy(), expected)


def test_zero_d_float64_promotes_a_float32_array():
    # torch alone keeps float32 here: it promotes 0-d tensors like scalars
    assert (torch.ones(3) + torch.tensor(1.0, dtype=torch.float64)).dtype == torch.float32
    result = t(np.ones(3, np.float32)) + t(np.float64(0.5))
    assert result.dtype == ut.float64
    np.testing.assert_array_equal(result.numpy(), np.full(3, 1.5))


def test_int8_with_uint8_gives_int16():
    result = t([-100, 100], np.int8) + t([200, 200], np.uint8)
    assert result.dtype == ut.int16
    np.testing.assert_array_equal(result.numpy(), [100, 300])


def test_where_and_concat_promote():
    cond = t([True, False])
    assert ut.where(cond, t([1, 2], np.float32), t([3, 4], np.float64)).dtype == ut.float64
    assert ut.concat([t([1], np.int8), t([2], np.uint8)]).dtype == ut.int16


@pytest.mark.parametrize(
    ("dtype", "scalar", "expected"),
    [
        ("float32", 1.5, ut.float32),
        ("float64", 1.5, ut.float64),
        ("int8", 3, ut.int8),
        ("uint8", 3, ut.uint8),
        ("float32", 1j, ut.complex64),
        ("float64", 1j, ut.complex128),
        ("bool", True, ut.bool),
    ],
)
def test_python_scalars_where_the_standard_defines_the_result(dtype, scalar, expected):
    x = t(sample(ut.__dict__[dtype], (3,)))
    for result in (x * scalar, scalar * x, ut.multiply(x, scalar)):
        assert result.dtype == expected


@pytest.mark.parametrize("library", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("dtype", "scalar", "kind"),
    [
        ("int32", 1.5, "real floating"),
        ("int8", 2.5, "real floating"),
        ("int64", 1j, "complex floating"),
    ],
)
def test_python_scalars_outside_the_standard_give_the_backends_default_dtype(library, dtype, scalar, kind):
    # the standard leaves these undefined; each backend gives its own default (NumPy's float64, torch's float32)
    x = ut.asarray([1, 2], dtype=ut.__dict__[dtype], backend=library)
    default = ut.__array_namespace_info__(library).default_dtypes()[kind]
    assert (x + scalar).dtype == default
    assert (scalar + x).dtype == default


# -- devices ------------------------------------------------------------------------


def test_devices_are_cpu_every_cuda_device_and_meta():
    expected = ["cpu", *(f"cuda:{i}" for i in range(torch.cuda.device_count())), "meta"]
    assert [str(d) for d in ut.devices("torch")] == expected
    assert ut.__array_namespace_info__("torch").default_device() == "cpu"


@pytest.mark.parametrize("native", ["cpu", "meta"])
def test_torch_devices_map_both_ways(native):
    backend = ut.backends.get("torch")
    raw = torch.ones(2, device=native)
    device = ut.astensor(raw).device
    assert device == ut.Device(native)
    assert backend.native_device(device) == raw.device


def test_to_meta_and_back_keeps_backend_and_dtype():
    x = t([1.0, 2.0], np.float32)
    moved = x.to("meta")
    assert moved.device == "meta" and moved.backend is x.backend and moved.dtype == ut.float32
    assert x.to("cpu") is x


def test_missing_device_names_the_devices_there_are():
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    x = t([1.0])
    with pytest.raises(BackendError, match=r"cuda:7.*cpu, .*meta"):
        x.to("cuda:7")
    assert x.device == "cpu"


# torch's meta kernels accept a few mixes that real devices refuse (matmul with a CPU
# tensor): those are left out here and covered on CUDA by tests/gpu/
@pytest.mark.parametrize(
    "operation",
    [
        operator.add,
        operator.mul,
        ut.add,
        ut.maximum,
        ut.hypot,
        lambda a, b: ut.where(a > 0, a, b),
        lambda a, b: ut.stack([a, b]),
    ],
    ids=["+", "*", "add", "maximum", "hypot", "where", "stack"],
)
def test_two_devices_raise_naming_both(operation):
    x = t(np.ones((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"two devices, cpu and meta"):
        operation(x, meta((3, 3)))
    np.testing.assert_array_equal(x.numpy(), np.ones((3, 3)))


def test_in_place_operation_on_two_devices_raises_naming_both():
    x = t(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"two devices, cpu and meta"):
        x += meta()
    np.testing.assert_array_equal(x.numpy(), np.ones(3))


def test_meta_tensor_cannot_be_exported():
    with pytest.raises(TypeError, match="can't convert meta device type tensor to numpy"):
        meta().numpy()


# -- zero-copy with NumPy ------------------------------------------------------------------


def test_numpy_to_torch_shares_memory_both_ways():
    source = np.arange(6.0).reshape(2, 3)
    x = ut.asarray(source, backend="torch")
    assert x.raw.data_ptr() == source.ctypes.data
    x[0, 0] = 100.0
    assert source[0, 0] == 100.0
    source[1, 2] = -1.0
    assert float(x[1, 2]) == -1.0


def test_numpy_tensor_to_torch_shares_memory():
    source = ut.asarray(np.arange(4, dtype=np.int32))
    x = source.to(backend="torch")
    assert x.backend.name == "torch" and x.raw.data_ptr() == source.raw.ctypes.data
    x[1] = 7
    assert source.raw[1] == 7


@pytest.mark.parametrize(
    "export",
    [lambda x: x.numpy(), np.asarray, np.from_dlpack, lambda x: x.to(backend="numpy").raw],
    ids=["numpy()", "np.asarray", "np.from_dlpack", "to(backend=numpy)"],
)
def test_torch_to_numpy_is_zero_copy(export):
    x = t(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    array = export(x)
    assert array.ctypes.data == x.raw.data_ptr()
    array[0, 1] = 42.0
    assert float(x[0, 1]) == 42.0


def test_non_contiguous_tensor_exports_without_copy():
    base = torch.arange(12.0).reshape(3, 4)
    x = ut.astensor(base[:, ::2])
    array = x.numpy()
    np.testing.assert_array_equal(array, base.numpy()[:, ::2])
    array[2, 1] = -5.0
    assert base[2, 2] == -5.0


# -- copies where memory cannot be shared ------------------------------------------------


def _readonly(array):
    array.flags.writeable = False
    return array


FALLBACKS = {
    "negative strides": lambda: np.arange(6.0)[::-1],
    "negative strides 2-d": lambda: np.arange(12.0).reshape(3, 4)[::-1, 1::2],
    "read-only": lambda: _readonly(np.arange(4.0)),
    "big-endian": lambda: np.arange(3.0).astype(">f8"),
}
SHARED = {
    "non-contiguous": lambda: np.arange(12.0).reshape(3, 4)[:, ::2],
    "bool": lambda: np.array([True, False, True]),
    "0-d": lambda: np.array(2.5),
    "complex": lambda: np.array([1 + 2j, -0.0 - 1j], np.complex64),
    "uint16": lambda: np.array([0, 65535], np.uint16),
}


@pytest.mark.parametrize("make", FALLBACKS.values(), ids=FALLBACKS.keys())
@pytest.mark.parametrize("route", ["asarray", "to", "from_dlpack"])
def test_layouts_torch_cannot_share_are_copied(make, route):
    source = make()
    before = source.copy()
    x = _import(source, route)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.dtype == ut.__dict__[before.dtype.name]
    x[...] = 0  # writes to the copy only
    np.testing.assert_array_equal(source, before)


@pytest.mark.parametrize("make", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_copy_false_refuses_what_needs_a_copy(make):
    with pytest.raises(ValueError, match="copy"):
        ut.asarray(ut.asarray(make()), backend="torch", copy=False)


@pytest.mark.parametrize("make", SHARED.values(), ids=SHARED.keys())
@pytest.mark.parametrize("route", ["asarray", "to", "from_dlpack"])
def test_layouts_torch_can_share_are_shared(make, route):
    source = make()
    x = _import(source, route)
    assert x.raw.data_ptr() == source.ctypes.data
    np.testing.assert_array_equal(x.numpy(), source)
    assert x.numpy().dtype == source.dtype


def test_empty_array_round_trips():
    x = ut.asarray(np.empty((0, 3), np.float32), backend="torch")
    assert x.shape == (0, 3) and x.dtype == ut.float32
    assert x.numpy().shape == (0, 3)


@pytest.mark.parametrize("copy", [True, False])
def test_copy_flag_on_a_shareable_array(copy):
    source = np.arange(3.0)
    x = ut.asarray(ut.asarray(source), backend="torch", copy=copy)
    assert (x.raw.data_ptr() == source.ctypes.data) is not copy


def _import(source, route):
    if route == "asarray":
        return ut.asarray(source, backend="torch")
    if route == "to":
        return ut.asarray(source).to(backend="torch")
    return ut.from_dlpack(source, backend="torch")


@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.complex64, np.complex128, np.int8, np.uint8, np.int64, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_values_survive_the_round_trip_exactly(array):
    back = ut.asarray(array).to(backend="torch").to(backend="numpy").numpy()
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)
    # -0.0 keeps its sign, NaN stays NaN: compare the bits
    assert back.tobytes() == np.ascontiguousarray(array).tobytes()


def test_lazy_conjugate_and_negative_views_export_their_values():
    z = torch.tensor([1 + 2j, 3 - 4j])
    np.testing.assert_array_equal(ut.astensor(z.conj()).numpy(), [1 - 2j, 3 + 4j])
    negative_view = z.conj().imag  # torch marks this with its lazy negative bit
    assert negative_view.is_neg()
    np.testing.assert_array_equal(ut.astensor(negative_view).numpy(), [-2.0, 4.0])
    np.testing.assert_array_equal(ut.astensor(negative_view).to(backend="numpy").numpy(), [-2.0, 4.0])


# -- gradients and export ----------------------------------------------------------------------


def test_a_tensor_that_requires_grad_refuses_export():
    x = ut.astensor(torch.ones(2, requires_grad=True))
    assert x.requires_grad
    with pytest.raises(RuntimeError) as info:
        x.numpy()
    assert str(info.value) == GRAD_ERROR
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(x)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.to(backend="numpy")


def test_numpy_force_detaches():
    raw = torch.arange(3.0, requires_grad=True) * 2
    x = ut.astensor(raw)
    array = x.numpy(force=True)
    np.testing.assert_array_equal(array, [0.0, 2.0, 4.0])
    assert not x.detach().requires_grad and x.requires_grad


# -- mixing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", [operator.add, ut.add, ut.matmul, lambda a, b: ut.stack([a, b])], ids=["+", "add", "matmul", "stack"]
)
def test_mixing_with_a_numpy_tensor_names_both_backends(operation):
    x, y = t(np.ones((2, 2))), ut.asarray(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"'torch' and 'numpy'.*to\(backend="):
        operation(x, y)


def test_a_foreign_native_array_is_an_error_not_a_conversion():
    with pytest.raises(TypeError, match="numpy"):
        ut.add(t([1.0, 2.0]), np.ones(2))


def test_a_native_torch_tensor_combines_with_a_torch_tensor():
    result = ut.add(t([1.0, 2.0]), torch.ones(2, dtype=torch.float64))
    np.testing.assert_array_equal(result.numpy(), [2.0, 3.0])


# -- where torch departs from the standard -------------------------------------------------------

SLICES = st.slices(6)


@given(first=SLICES, second=SLICES)
def test_getitem_with_any_step_matches_numpy(first, second):
    base = np.arange(36.0).reshape(6, 6)
    np.testing.assert_array_equal(t(base)[first, second].numpy(), base[first, second])
    np.testing.assert_array_equal(t(base)[first].numpy(), base[first])
    np.testing.assert_array_equal(t(base)[..., None, second].numpy(), base[..., None, second])


@given(first=SLICES, second=SLICES)
def test_setitem_with_any_step_matches_numpy(first, second):
    expected = np.arange(36.0).reshape(6, 6)
    x = t(expected.copy())
    view = x.raw[1:]  # writes must reach existing views of the same memory
    value = -np.arange(expected[first, second].size, dtype=np.float64).reshape(expected[first, second].shape)
    expected[first, second] = value
    x[first, second] = t(value)
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected[1:])


def test_negative_step_with_a_mask_and_integer_array():
    base = np.arange(24.0).reshape(2, 3, 4)
    mask = np.array([True, False, True])
    idx = np.array([1, 0, 1])
    np.testing.assert_array_equal(t(base)[::-1, t(mask), ::-2].numpy(), base[::-1, mask, ::-2])
    np.testing.assert_array_equal(t(base)[t(idx), :, ::-3].numpy(), base[idx, :, ::-3])


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "uint16"])
def test_integer_index_arrays_of_any_dtype_index(dtype):
    # torch reads a uint8 index as a mask and refuses int8/int16/uint16 indices
    base = np.arange(10.0) * 10
    index = np.array([1, 1, 0], dtype=dtype)
    np.testing.assert_array_equal(t(base)[t(index)].numpy(), base[index])
    x = t(base.copy())
    x[t(index)] = -1.0
    expected = base.copy()
    expected[index] = -1.0
    np.testing.assert_array_equal(x.numpy(), expected)


@pytest.mark.parametrize("function", ["sum", "prod", "cumulative_sum", "cumulative_prod"])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32"])
def test_unsigned_accumulations_give_uint64(function, dtype):
    data = np.array([3, 250, 7], dtype=dtype)
    got = getattr(ut, function)(t(data))
    expected = getattr(ut, function)(ut.asarray(data))
    assert got.dtype == ut.uint64 == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_uint64_sum_wraps_like_numpy():
    data = np.array([2**64 - 1, 2], dtype=np.uint64)
    got = ut.sum(t(data))
    assert got.dtype == ut.uint64
    assert got.numpy() == np.sum(data)


def test_wide_unsigned_dtypes_are_advertised_and_convert():
    assert {ut.uint16, ut.uint32, ut.uint64} <= set(ut.__array_namespace_info__("torch").dtypes().values())
    data = np.array([0, 2**32 - 1], np.uint32)
    assert ut.asarray(data, backend="torch").dtype == ut.uint32
    np.testing.assert_array_equal(ut.asarray(data, backend="torch").numpy(), data)


@pytest.mark.parametrize("data", [[3.0, 1.0, 2.0, 1.0, 3.0], [[2, 2], [0, 2]], [True, False, True]])
def test_unique_all_matches_numpy(data):
    got, expected = ut.unique_all(t(data)), ut.unique_all(ut.asarray(np.asarray(data)))
    assert got._fields == ("values", "indices", "inverse_indices", "counts")
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("eigh", ("eigenvalues", "eigenvectors")),
        ("qr", ("Q", "R")),
        ("slogdet", ("sign", "logabsdet")),
        ("svd", ("U", "S", "Vh")),
    ],
)
def test_linalg_results_are_named_tuples(name, fields):
    matrix = np.array([[4.0, 1.0], [1.0, 3.0]])
    got, expected = getattr(ut.linalg, name)(t(matrix)), getattr(ut.linalg, name)(ut.asarray(matrix))
    assert got._fields == fields
    for field in ("eigenvalues", "sign", "logabsdet", "S"):
        if field in fields:
            np.testing.assert_allclose(getattr(got, field).numpy(), getattr(expected, field).numpy())


@pytest.mark.parametrize("op", [operator.floordiv, operator.mod], ids=["//", "%"])
def test_integer_division_by_zero_gives_numpy_result(op):
    a, b = np.array([5, -3, 0, 7]), np.array([0, 2, 0, -2])
    with np.errstate(divide="ignore"):
        expected = op(a, b), op(a, 0), op(7, a)
    np.testing.assert_array_equal(op(t(a), t(b)).numpy(), expected[0])
    np.testing.assert_array_equal(op(t(a), 0).numpy(), expected[1])
    np.testing.assert_array_equal(op(7, t(a)).numpy(), expected[2])


def test_shapes_that_do_not_broadcast_raise_value_error():
    with pytest.raises(ValueError, match="broadcast"):
        ut.add(t(np.ones((2, 3))), t(np.ones(2)))


#: calls where torch lacks a kernel or reduces differently, each compared with the NumPy backend
EDGE_CALLS = {
    "unique_values complex": lambda b: ut.unique_values(ut.asarray(np.array([2j, 1 + 0j, 2j, -1j]), backend=b)),
    "unique_counts complex": lambda b: ut.unique_counts(ut.asarray(np.array([2j, 1 + 0j, 2j]), backend=b)),
    "unique_inverse complex": lambda b: ut.unique_inverse(ut.asarray(np.array([[2j, 1 + 0j], [2j, 0j]]), backend=b)),
    "unique_all complex": lambda b: ut.unique_all(ut.asarray(np.array([2j, 1 + 0j, 2j]), backend=b)),
    "isin complex": lambda b: ut.isin(
        ut.asarray(np.array([1j, 2 + 0j]), backend=b), ut.asarray(np.array([2 + 0j, 3j]), backend=b)
    ),
    "isin bool": lambda b: ut.isin(
        ut.asarray(np.array([True, False]), backend=b), ut.asarray(np.array([True]), backend=b)
    ),
    "searchsorted complex": lambda b: ut.searchsorted(
        ut.asarray(np.array([1j, 1 + 0j, 1 + 1j]), backend=b),
        ut.asarray(np.array([1 + 0.5j, 0j]), backend=b),
        side="right",
    ),
    "searchsorted bool": lambda b: ut.searchsorted(
        ut.asarray(np.array([False, True]), backend=b), ut.asarray(np.array([True]), backend=b)
    ),
    "var over no axis": lambda b: ut.var(ut.asarray(np.arange(3.0), backend=b), axis=(), correction=1),
    "std over no axis": lambda b: ut.std(ut.asarray(np.arange(3.0), backend=b), axis=()),
    "vector_norm over no axis": lambda b: ut.linalg.vector_norm(
        ut.asarray(np.array([-2.0, 0.0]), backend=b), axis=(), ord=0
    ),
    "max norm of nothing": lambda b: ut.linalg.vector_norm(ut.asarray(np.zeros((0, 2)), backend=b), ord=float("inf")),
    "count_nonzero over no axis": lambda b: ut.count_nonzero(ut.asarray(np.array([[0, 3]]), backend=b), axis=()),
    "fftshift over no axis": lambda b: ut.fft.fftshift(ut.asarray(np.arange(4.0), backend=b), axes=()),
    "linspace bool": lambda b: ut.linspace(0, 1, 3, dtype=ut.bool, backend=b),
    "matrix_rank bool": lambda b: ut.linalg.matrix_rank(ut.asarray(np.eye(3, dtype=bool), backend=b)),
    "trace uint8": lambda b: ut.linalg.trace(ut.asarray(np.eye(3, dtype=np.uint8) * 200, backend=b)),
}


@pytest.mark.parametrize("call", EDGE_CALLS.values(), ids=EDGE_CALLS.keys())
def test_calls_torch_has_no_kernel_for_match_numpy(call):
    got, expected = call("torch"), call("numpy")
    got, expected = (got, expected) if isinstance(expected, tuple) else ((got,), (expected,))
    assert getattr(got, "_fields", None) == getattr(expected, "_fields", None)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g.numpy(), e.numpy())


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: ut.reshape(t(np.arange(6.0)), (4,)), ValueError),
        (lambda: ut.concat([t(np.ones((2, 3))), t(np.ones((2, 4)))]), ValueError),
        (lambda: ut.matmul(t(np.ones((2, 3))), t(np.ones((2, 3)))), ValueError),
        (lambda: ut.linalg.inv(t(np.ones((2, 3)))), ValueError),
        (lambda: ut.linalg.cholesky(t(-np.eye(2))), ValueError),  # torch.linalg.LinAlgError
    ],
    ids=["reshape", "concat", "matmul", "inv not square", "cholesky not positive"],
)
def test_invalid_input_raises_what_numpy_raises(call, error):
    with pytest.raises(error):
        call()


# -- direct bindings: torch itself for the common call, array_api_compat's wrapper for the rest ------
#
# Both the fast paths' table (backend._functions) and the slow path's function (backend.function)
# call torch directly for the common arguments; each must give what the complete implementation
# (the backend's override, else array_api_compat's wrapper) gives, for every argument.


def _complete(name):
    """The implementation the direct bindings stand in for."""
    import array_api_compat.torch as compat

    override = ut.backends.get("torch").overrides().get(name)
    if override is not None:
        return override
    namespace = compat
    for part in name.split("."):
        namespace = getattr(namespace, part)
    return namespace


def _outcome(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:  # a refusal must stay a refusal
        return error


def _both_paths(name):
    backend = ut.backends.get("torch")
    slow = backend.function(name)
    return {"fast": backend._functions[name], "slow": slow}


def _assert_same_outcome(got, expected):
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), f"expected a refusal like {expected!r}, got {got!r}"
        return
    assert not isinstance(got, Exception), f"{got!r} where the complete implementation gives {expected!r}"
    assert got.dtype == expected.dtype and got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)


REDUCTION_CALLS = [
    {},
    {"axis": 0},
    {"axis": -1, "keepdims": True},
    {"keepdims": True},
    {"axis": (0, 1)},
    {"axis": ()},
    {"dtype": torch.int64},
    {"axis": 1, "dtype": torch.float64},
]
REDUCTION_DTYPES = [torch.bool, torch.int8, torch.uint8, torch.int32, torch.int64, torch.float32, torch.complex64]


@pytest.mark.parametrize("path", ["fast", "slow"])
@pytest.mark.parametrize("dtype", REDUCTION_DTYPES, ids=str)
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        (name, kwargs)
        for name in ("sum", "prod", "mean", "max", "min")
        for kwargs in REDUCTION_CALLS
        if name in ("sum", "prod") or "dtype" not in kwargs
    ],
    ids=str,
)
def test_direct_reductions_match_the_complete_implementation(name, kwargs, dtype, path):
    x = torch.tensor(np.arange(1, 7).reshape(2, 3) % 4).to(dtype)
    _assert_same_outcome(_outcome(_both_paths(name)[path], x, **kwargs), _outcome(_complete(name), x, **kwargs))


@pytest.mark.parametrize("path", ["fast", "slow"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"axis": 0},
        {"axis": -1, "keepdims": True},
        {"keepdims": True},
        {"axis": (0, 1)},
        {"axis": ()},
        {"ord": 1},
        {"ord": 0, "axis": 1},
        {"ord": float("inf")},
        {"ord": -float("inf"), "axis": 0},
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex64, torch.int32], ids=str)
def test_direct_vector_norm_matches_the_complete_implementation(dtype, kwargs, path):
    x = torch.tensor([[3.0, -4.0, 0.0], [1.0, 2.0, -2.0]]).to(dtype)
    function, complete = _both_paths("linalg.vector_norm")[path], _complete("linalg.vector_norm")
    for data in (x, torch.zeros((0,), dtype=dtype)):
        _assert_same_outcome(_outcome(function, data, **kwargs), _outcome(complete, data, **kwargs))


@pytest.mark.parametrize("path", ["fast", "slow"])
@pytest.mark.parametrize(
    ("source", "target"),
    [
        (torch.float32, torch.int32),
        (torch.float32, torch.float32),
        (torch.int64, torch.bool),
        (torch.complex64, torch.float64),
    ],
    ids=str,
)
@pytest.mark.parametrize("copy", [True, False])
def test_direct_astype_keeps_the_standards_copy_rules(source, target, copy, path):
    x = torch.tensor([1.5, -2.0, 0.0]).to(source)
    function = _both_paths("astype")[path]
    got, expected = function(x, target, copy=copy), _complete("astype")(x, target, copy=copy)
    _assert_same_outcome(got, expected)
    assert (got is x) == (expected is x) == (not copy and source is target)
    _assert_same_outcome(function(x, target, device=torch.device("cpu")), expected)
    for not_a_dtype in (torch.device("cpu"), torch.zeros(2, dtype=torch.int32)):
        with pytest.raises(TypeError):  # Tensor.to would take a Tensor's dtype and device
            function(x, not_a_dtype)


def test_slow_reshape_keeps_the_standards_copy_rules():
    reshape = ut.backends.get("torch").function("reshape")
    data = torch.arange(6.0).reshape(2, 3)
    assert reshape(data, (3, 2)).data_ptr() == data.data_ptr()
    assert reshape(data, (3, 2), copy=True).data_ptr() != data.data_ptr()
    with pytest.raises(ValueError):
        reshape(data.T, (6,), copy=False)
    with pytest.raises(ValueError):
        reshape(data, (4,))


#: operands the slow path may pass on: one dtype, two dtypes, a 0-d tensor of another dtype, Python scalars
PROMOTING_OPERANDS = {
    "one dtype": lambda: (torch.tensor([1.0, -2.0, 3.0]), torch.tensor([2.0, 0.5, -1.0])),
    "int and float": lambda: (torch.tensor([1, -2, 3], dtype=torch.int32), torch.tensor([2.0, 0.5, -1.0])),
    "0-d float64": lambda: (torch.tensor([1.0, -2.0, 3.0]), torch.tensor(2.5, dtype=torch.float64)),
    "Python float": lambda: (torch.tensor([1, 2, 3], dtype=torch.int16), 2.0),
    "integers, zero": lambda: (torch.tensor([7, -7, 3], dtype=torch.int32), torch.tensor([0, 2, 0], dtype=torch.int32)),
}


@pytest.mark.parametrize("operands", PROMOTING_OPERANDS.values(), ids=PROMOTING_OPERANDS.keys())
@pytest.mark.parametrize("name", ["add", "multiply", "floor_divide", "remainder", "maximum", "less", "where"])
def test_slow_promoting_functions_match_the_complete_implementation(name, operands):
    x1, x2 = operands()
    args = (torch.tensor([True, False, True]), x1, x2) if name == "where" else (x1, x2)
    got = _outcome(ut.backends.get("torch").function(name), *args)
    _assert_same_outcome(got, _outcome(_complete(name), *args))


@pytest.mark.parametrize("operands", ["one dtype", "int and float"])
def test_slow_matmul_matches_the_complete_implementation(operands):
    x1, x2 = (
        torch.tensor(np.arange(6.0).reshape(2, 3)).to(torch.float32),
        torch.tensor(np.arange(6).reshape(3, 2)).to(torch.float32 if operands == "one dtype" else torch.int64),
    )
    for name in ("matmul", "linalg.matmul"):
        _assert_same_outcome(ut.backends.get("torch").function(name)(x1, x2), _complete(name)(x1, x2))


def test_host_conversions_share_memory_and_keep_their_checks():
    a = np.arange(6, dtype=np.float32)
    moved = ut.astensor(a).to(backend="torch")
    assert moved.raw.data_ptr() == a.ctypes.data
    back = moved.to(backend="numpy")
    assert np.shares_memory(back.raw, a) and back.backend.name == "numpy"
    read_only = a.copy()
    read_only.flags.writeable = False
    copied = ut.astensor(read_only).to(backend="torch")  # torch cannot share it: a copy, same values
    assert copied.raw.data_ptr() != read_only.ctypes.data and copied.tolist() == read_only.tolist()
    assert ut.astensor(a[::-2]).to(backend="torch").tolist() == a[::-2].tolist()
    with pytest.raises(RuntimeError, match="requires grad"):
        ut.astensor(torch.ones(2, requires_grad=True)).to(backend="numpy")
    conjugate = ut.astensor(torch.tensor([1 + 2j]).conj()).to(backend="numpy")
    assert conjugate.tolist() == [1 - 2j]
