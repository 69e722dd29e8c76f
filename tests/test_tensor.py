"""The Tensor facade: operators, indexing, conversion, interchange, in-place rules and errors.

Every test runs on each backend through the ``backend`` fixture and compares
against NumPy on the same data.
"""

from __future__ import annotations

import copy
import operator
import pickle
import threading

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

import unitensor as ut
from unitensor.backends import Backend, BackendError
from unitensor.backends.numpy import NumpyBackend

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([2.0, -0.5, 1.0])
IA = np.array([[5, -3, 2], [7, 6, -8]], dtype=np.int64)  # no zero: x // 0 is unspecified
IB = np.array([2, 1, 3], dtype=np.int64)


def tensor(data, backend, dtype=None):
    """A Tensor holding its own copy of ``data`` (in-place tests must not write into the expectations)."""
    return ut.asarray(np.array(data, copy=True), backend=backend, dtype=dtype)


def assert_matches(t, expected):
    """``t`` is a Tensor holding NumPy's ``expected``: dtype, shape and values."""
    assert isinstance(t, ut.Tensor), type(t)
    expected = np.asarray(expected)
    assert str(t.dtype) == expected.dtype.name
    # a lazy backend may not know a data-dependent length (None) until computed
    assert len(t.shape) == expected.ndim and all(n in (None, e) for n, e in zip(t.shape, expected.shape))
    np.testing.assert_allclose(t.numpy(force=True), expected, rtol=1e-12, atol=0)


# -- operators ---------------------------------------------------------------------

FLOAT_OPERATORS = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
]
INT_OPERATORS = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.floordiv,
    operator.mod,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lt,
    operator.eq,
    operator.ne,
    operator.ge,
]
SHIFTS = [operator.lshift, operator.rshift]


def _ids(ops):
    return [op.__name__ for op in ops]


@pytest.mark.parametrize("op", FLOAT_OPERATORS, ids=_ids(FLOAT_OPERATORS))
def test_float_operators(backend, op):
    a, b = np.abs(A) if op is operator.pow else A, B
    assert_matches(op(tensor(a, backend), tensor(b, backend)), op(a, b))
    assert_matches(op(tensor(a, backend), 2.0), op(a, 2.0))
    assert_matches(op(3.0, tensor(a, backend)), op(3.0, a))  # reflected (or swapped comparison)
    assert_matches(op(tensor(a, backend), 2), op(a, 2))


@pytest.mark.parametrize("op", INT_OPERATORS, ids=_ids(INT_OPERATORS))
def test_integer_operators(backend, op):
    assert_matches(op(tensor(IA, backend), tensor(IB, backend)), op(IA, IB))
    assert_matches(op(tensor(IA, backend), 3), op(IA, np.int64(3)))
    assert_matches(op(3, tensor(IA, backend)), op(np.int64(3), IA))


@pytest.mark.parametrize("op", SHIFTS, ids=_ids(SHIFTS))
def test_shift_operators(backend, op):
    a = np.abs(IA)
    assert_matches(op(tensor(a, backend), tensor(IB, backend)), op(a, IB))
    assert_matches(op(tensor(a, backend), 1), op(a, np.int64(1)))
    assert_matches(op(8, tensor(IB, backend)), op(np.int64(8), IB))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor], ids=["and", "or", "xor"])
def test_bool_operators(backend, op):
    a, b = A > 0, B > 0
    assert_matches(op(tensor(a, backend), tensor(b, backend)), op(a, b))
    assert_matches(op(tensor(a, backend), True), op(a, True))
    assert_matches(op(False, tensor(a, backend)), op(False, a))


def test_matmul(backend):
    assert_matches(tensor(A, backend) @ tensor(B, backend), A @ B)
    assert_matches(tensor(A, backend) @ tensor(A.T, backend), A @ A.T)
    with pytest.raises(Exception):
        tensor(A, backend) @ tensor(A, backend)  # (2, 3) @ (2, 3)


@pytest.mark.parametrize("op", [operator.neg, operator.pos, operator.abs], ids=["neg", "pos", "abs"])
def test_unary_operators(backend, op):
    assert_matches(op(tensor(A, backend)), op(A))
    assert_matches(op(tensor(IA, backend)), op(IA))


def test_invert(backend):
    assert_matches(~tensor(IA, backend), ~IA)
    assert_matches(~tensor(A > 0, backend), ~(A > 0))


def test_complex_operators(backend):
    c = A + 1j * A[::-1]
    assert_matches(tensor(c, backend) * tensor(c, backend), c * c)
    assert_matches(tensor(c, backend) + 1j, c + 1j)
    assert_matches(abs(tensor(c, backend)), np.abs(c))


def test_operators_broadcast(backend):
    col = A[:, :1]
    assert_matches(tensor(col, backend) - tensor(B, backend), col - B)


# -- in-place operators --------------------------------------------------------------

INPLACE = [
    ("iadd", operator.iadd, operator.add),
    ("isub", operator.isub, operator.sub),
    ("imul", operator.imul, operator.mul),
    ("itruediv", operator.itruediv, operator.truediv),
    ("ifloordiv", operator.ifloordiv, operator.floordiv),
    ("imod", operator.imod, operator.mod),
    ("ipow", operator.ipow, operator.pow),
]


@pytest.mark.parametrize(("iop", "op"), [p[1:] for p in INPLACE], ids=[p[0] for p in INPLACE])
def test_inplace_operators_keep_the_tensor(backend, iop, op):
    a = np.abs(A) + 1.0
    t = tensor(a, backend)
    same = t
    t = iop(t, tensor(B + 3.0, backend))
    assert t is same
    assert_matches(t, op(a, B + 3.0))
    t = iop(t, 2.0)
    assert t is same
    assert_matches(t, op(op(a, B + 3.0), 2.0))


@pytest.mark.parametrize(
    "iop, op",
    [
        (operator.iand, operator.and_),
        (operator.ior, operator.or_),
        (operator.ixor, operator.xor),
        (operator.ilshift, operator.lshift),
        (operator.irshift, operator.rshift),
    ],
    ids=["iand", "ior", "ixor", "ilshift", "irshift"],
)
def test_inplace_integer_operators(backend, iop, op):
    a = np.abs(IA)
    t = tensor(a, backend)
    same = t
    t = iop(t, tensor(IB, backend))
    assert t is same
    assert_matches(t, op(a, IB))


def test_inplace_matmul(backend):
    square = A[:, :2]
    t = tensor(square, backend)
    same = t
    t @= tensor(square, backend)
    assert t is same
    assert_matches(t, square @ square)


def test_inplace_matmul_with_a_non_square_right_operand(backend):
    t = tensor(A, backend)  # (2, 3) @= (3, 3) keeps the shape
    right = np.arange(9.0).reshape(3, 3)
    t @= tensor(right, backend)
    assert_matches(t, A @ right)


def test_inplace_matmul_of_a_vector_keeps_its_shape(backend):
    vector = np.arange(3.0)  # (3,) @= (3, 3) -> (3,), as NumPy allows
    right = np.arange(9.0).reshape(3, 3)
    t = tensor(vector, backend)
    t @= tensor(right, backend)
    assert_matches(t, vector @ right)


def test_inplace_matmul_that_would_change_shape_raises_and_leaves_tensor(backend):
    square = A[:, :2]
    for right in (A, B[:2]):  # (2, 2) @ (2, 3) -> (2, 3); (2, 2) @ (2,) -> (2,)
        t = tensor(square, backend)
        with pytest.raises(ValueError, match="shape"):
            t @= tensor(right, backend)
        assert_matches(t, square)


def test_inplace_with_a_python_scalar_of_another_kind_raises_and_leaves_tensor(backend):
    t = tensor(IA, backend)
    with pytest.raises(TypeError, match="float"):
        t += 1.5
    with pytest.raises(OverflowError):
        t += 2**70
    assert_matches(t, IA)


def test_inplace_writes_through_on_mutable_backends(backend):
    t = tensor(A, backend)
    alias = t
    alias += 1.0
    assert_matches(t, A + 1.0)


def test_inplace_that_would_change_dtype_raises_and_leaves_tensor(backend):
    t = tensor(IA, backend)
    with pytest.raises(TypeError, match="dtype"):
        t += tensor(A, backend)
    assert_matches(t, IA)
    f32 = tensor(A, backend, dtype=ut.float32)
    with pytest.raises(TypeError, match="dtype"):
        f32 *= tensor(B, backend, dtype=ut.float64)
    assert_matches(f32, A.astype(np.float32))


def test_inplace_that_would_change_shape_raises_and_leaves_tensor(backend):
    t = tensor(B, backend)
    with pytest.raises(ValueError, match="shape"):
        t += tensor(A, backend)
    assert_matches(t, B)


def test_inplace_with_a_smaller_dtype_keeps_the_dtype(backend):
    t = tensor(A, backend)
    t += tensor(B, backend, dtype=ut.float32)
    assert t.dtype == ut.float64
    assert_matches(t, A + B.astype(np.float32))


def test_inplace_with_a_foreign_object_raises(backend):
    t = tensor(A, backend)
    with pytest.raises(TypeError):
        t += "text"
    assert_matches(t, A)


# -- Python scalars and conversions ------------------------------------------------


def test_python_scalar_conversions(backend):
    assert bool(tensor(1.5, backend)) is True
    assert bool(tensor(0.0, backend)) is False
    assert int(tensor(7, backend)) == 7 and type(int(tensor(7, backend))) is int
    assert float(tensor(2.5, backend)) == 2.5 and type(float(tensor(2.5, backend))) is float
    assert complex(tensor(1 + 2j, backend)) == 1 + 2j
    assert operator.index(tensor(3, backend)) == 3
    assert [10, 20, 30, 40][tensor(2, backend)] == 30


def test_index_needs_an_integer_tensor(backend):
    with pytest.raises(TypeError, match="integer"):
        operator.index(tensor(2.0, backend))


@pytest.mark.parametrize("convert", [bool, int, float])
def test_scalar_conversion_of_many_elements_raises(backend, convert):
    with pytest.raises(TypeError, match="shape"):
        convert(tensor(B, backend))


def test_python_scalars_adopt_the_tensor_dtype(backend):
    f32 = tensor(B, backend, dtype=ut.float32)
    assert (f32 * 2.0).dtype == ut.float32
    assert (2 + f32).dtype == ut.float32
    i8 = tensor([1, 2], backend, dtype=ut.int8)
    assert (i8 + 1).dtype == ut.int8
    assert (3 * i8).dtype == ut.int8
    assert (tensor([True], backend) & True).dtype == ut.bool


def test_item_and_tolist(backend):
    assert tensor(2.5, backend).item() == 2.5
    assert type(tensor(3, backend).item()) is int
    assert tensor(A, backend).tolist() == A.tolist()
    assert tensor(IA, backend).tolist() == IA.tolist()
    assert tensor(True, backend).tolist() is True


def test_len_and_iter(backend):
    t = tensor(A, backend)
    assert len(t) == 2
    rows = list(t)
    assert len(rows) == 2
    assert_matches(rows[1], A[1])
    with pytest.raises(TypeError):
        len(tensor(1.0, backend))


def test_tensors_are_not_hashable(backend):
    with pytest.raises(TypeError):
        hash(tensor(A, backend))


# -- attributes ---------------------------------------------------------------------


def test_attributes(backend):
    t = tensor(A, backend)
    assert t.backend is ut.backends.get(backend)
    assert t.dtype == ut.float64 and t.dtype is ut.float64
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.device == ut.backends.get(backend).default_device()
    assert ut.backends.get(backend).owns(t.raw)


def test_raw_is_read_only(backend):
    t = tensor(A, backend)
    with pytest.raises(AttributeError):
        t.raw = np.zeros(3)


def test_transposes(backend):
    assert_matches(tensor(A, backend).T, A.T)
    stack = np.stack([A, 2 * A])
    assert_matches(tensor(stack, backend).mT, np.swapaxes(stack, -1, -2))
    with pytest.raises(ValueError, match="mT"):
        tensor(stack, backend).T


def test_repr_shows_backend_device_and_dtype(backend):
    text = repr(tensor([1.0, 2.0], backend, dtype=ut.float32))
    assert text.startswith("Tensor(")
    assert f"backend='{backend}'" in text
    assert f"device='{ut.backends.get(backend).default_device()}'" in text
    assert "dtype=float32" in text
    # values as NumPy prints them; a lazy Dask Tensor is not computed to show them
    assert ("[1., 2.]" in text) if backend != "dask" else ("<not computed: shape=(2,)" in text)


def test_array_namespace_is_its_backends(backend):
    t = tensor(A, backend)
    assert t.__array_namespace__() is ut.namespace(backend)
    assert t.__array_namespace__(api_version="2025.12") is ut.namespace(backend)
    with pytest.raises(ValueError, match="2025.12"):
        t.__array_namespace__(api_version="2019.01")


def test_tensor_cannot_be_constructed_directly():
    with pytest.raises(TypeError, match="asarray"):
        ut.Tensor([1.0, 2.0])


# -- export to NumPy and DLPack -----------------------------------------------------


def test_numpy_export(backend):
    t = tensor(A, backend)
    for exported in (t.numpy(), np.asarray(t), np.from_dlpack(t), np.array(t)):
        assert isinstance(exported, np.ndarray)
        np.testing.assert_array_equal(exported, A)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32


def test_dlpack_protocol(backend):
    t = tensor(IA, backend)
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU
    capsule = t.__dlpack__()
    assert type(capsule).__name__ == "PyCapsule"
    np.testing.assert_array_equal(np.from_dlpack(t), IA)


def test_copy_rules_of_asarray(backend):
    t = tensor(A, backend)
    copied = ut.asarray(t, copy=True)
    assert copied is not t and copied.backend is t.backend
    copied[0, 0] = 100.0
    assert_matches(t, A)  # a copy never writes back
    assert ut.asarray(t) is t and ut.asarray(t, copy=False) is t
    assert ut.asarray(t, dtype=ut.float32).dtype is ut.float32
    with pytest.raises(ValueError, match="copy"):
        ut.asarray(t, dtype=ut.float32, copy=False)
    assert t.dtype is ut.float64


def test_numpy_protocol_copy_false_refuses_a_cast(backend):
    t = tensor(IA, backend)
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float64, copy=False)
    np.testing.assert_array_equal(np.array(t, dtype=np.float64), IA.astype(np.float64))


@pytest.mark.parametrize(
    "duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))], ids=["deepcopy", "pickle"]
)
def test_deepcopy_and_pickle(backend, duplicate):
    t = tensor(A, backend, dtype=ut.float32)
    twin = duplicate(t)
    assert type(twin) is ut.Tensor and twin.backend is t.backend and twin.device == t.device
    assert_matches(twin, A.astype(np.float32))
    twin[0, 0] = 100.0
    assert_matches(t, A.astype(np.float32))


def test_numpy_export_is_zero_copy_on_numpy():
    t = ut.asarray(A.copy(), backend="numpy")
    for exported in (t.numpy(), np.asarray(t), np.from_dlpack(t)):
        assert np.shares_memory(exported, t.raw)
    assert not np.shares_memory(np.array(t, copy=True), t.raw)


def test_astensor_wraps_without_copy():
    a = A.copy()
    t = ut.astensor(a)
    assert t.raw is a and ut.astensor(t) is t
    t[0, 0] = 99.0
    assert a[0, 0] == 99.0


def test_asarray_of_a_native_array_uses_the_default_backend(backend):
    native = tensor(A, backend).raw
    with ut.use_backend("numpy"):
        converted = ut.asarray(native)
    assert converted.backend.name == "numpy"
    assert_matches(converted, A)
    with ut.use_backend(backend):
        assert ut.asarray(A).backend.name == backend


def test_astensor_and_asarray_of_a_tensor_keep_its_backend(backend):
    native = tensor(A, backend).raw
    with ut.use_backend("numpy"):
        wrapped = ut.astensor(native)
        assert wrapped.backend.name == backend and wrapped.raw is native
        assert ut.asarray(wrapped) is wrapped


def test_astensor_rejects_python_data():
    with pytest.raises(TypeError, match="asarray"):
        ut.astensor([1.0, 2.0])


def test_numpy_operands_defer_to_tensor(backend):
    t = tensor(A, backend)
    if backend == "numpy":
        assert_matches(A + t, A + A)
        assert_matches(A.T @ t, A.T @ A)
        assert_matches(A - t, A - A)
        assert_matches(B < t, B < A)
    else:
        with pytest.raises(TypeError, match="numpy"):
            A + t  # noqa: B018 - a native NumPy array does not join another backend silently


# -- indexing ------------------------------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4)
#: keys the standard specifies for a 3-D array (it asks for an IndexError when a key without an
#: ellipsis covers fewer axes than the array has, so every key here covers all three)
KEYS = {
    "ints": lambda T: (1, 2, 3),
    "negative ints": lambda T: (-1, 0, -2),
    "slices": lambda T: (slice(None, None, 2), slice(1, None), slice(None)),
    "negative step": lambda T: (slice(None, None, -1), ...),
    "ellipsis": lambda T: (Ellipsis, 1),
    "ellipsis alone": lambda T: ...,
    "none": lambda T: (None, 0, ...),
    "mixed": lambda T: (1, slice(1, None), -2),
    "ellipsis none slice": lambda T: (0, ..., None, slice(1, 3)),
    "0-d int tensor": lambda T: (T(np.asarray(1)), 0, 2),
    "bool mask": lambda T: T(X > 10),
    "bool mask leading axis": lambda T: T(np.array([False, True])),
    "int array": lambda T: (T(np.array([1, 0, 1])), 2, 0),
    "int arrays": lambda T: (T(np.array([0, 1])), T(np.array([2, 0])), T(np.array([3, 3]))),
    "int arrays broadcast": lambda T: (T(np.array([[0], [1]])), T(np.array([0, 2])), T(np.array([0, 3]))),
    "int arrays and ints": lambda T: (1, T(np.array([2, 0])), T(np.array([3, 1]))),
}


def _key(name, backend):
    numpy_key = KEYS[name](lambda a: a)
    tensor_key = KEYS[name](lambda a: tensor(a, backend))
    return numpy_key, tensor_key


@pytest.mark.parametrize("name", KEYS)
def test_getitem(backend, name):
    numpy_key, tensor_key = _key(name, backend)
    assert_matches(tensor(X, backend)[tensor_key], X[numpy_key])


#: the standard's __setitem__ takes no None (newaxis) in its key
def _has_none(key):
    return key is None or (isinstance(key, tuple) and any(k is None for k in key))


SET_KEYS = [name for name in KEYS if not _has_none(KEYS[name](np.asarray))]


def _refuses_integer_array_writes(backend, name):
    """The standard leaves writes through integer arrays to the implementation; strict refuses them."""
    return backend == "strict" and name.startswith("int array")


@pytest.mark.parametrize("name", SET_KEYS)
def test_setitem_scalar(backend, name):
    numpy_key, tensor_key = _key(name, backend)
    expected = X.copy()
    expected[numpy_key] = -7.0
    t = tensor(X, backend)
    if _refuses_integer_array_writes(backend, name):
        with pytest.raises(IndexError, match="implementation-defined"):
            t[tensor_key] = -7.0
        assert_matches(t, X)
        return
    t[tensor_key] = -7.0
    assert_matches(t, expected)


@pytest.mark.parametrize("name", ["ints", "slices", "ellipsis", "mixed", "bool mask leading axis", "int arrays"])
def test_setitem_tensor(backend, name):
    numpy_key, tensor_key = _key(name, backend)
    expected = X.copy()
    target = expected[numpy_key]
    value = -(np.arange(target.size).reshape(target.shape) + 1.0)
    expected[numpy_key] = value
    t = tensor(X, backend)
    if _refuses_integer_array_writes(backend, name):
        with pytest.raises(IndexError, match="implementation-defined"):
            t[tensor_key] = tensor(value, backend)
        assert_matches(t, X)
        return
    t[tensor_key] = tensor(value, backend)
    assert_matches(t, expected)


def _covering(key):
    """``key`` as a tuple that covers every axis (a trailing ellipsis where it has none), as the standard asks."""
    key = key if isinstance(key, tuple) else (key,)
    return key if any(k is Ellipsis for k in key) else (*key, Ellipsis)


@given(key=npst.basic_indices(X.shape, allow_newaxis=True, allow_ellipsis=True).map(_covering))
def test_getitem_basic_indices_match_numpy(backend, key):
    assert_matches(tensor(X, backend)[key], X[key])


@given(key=npst.basic_indices(X.shape, allow_newaxis=False, allow_ellipsis=True).map(_covering))
@example(key=(0, 0, slice(1, None, -1), Ellipsis))  # a negative step ending at the start (dask#10555 family)
def test_setitem_basic_indices_match_numpy(backend, key):
    expected = X.copy()
    expected[key] = -1.0
    t = tensor(X, backend)
    t[key] = -1.0
    assert_matches(t, expected)


def test_setitem_with_a_smaller_dtype_casts(backend):
    t = tensor(X, backend)
    t[0, ...] = tensor(np.ones((3, 4)), backend, dtype=ut.float32)
    assert t.dtype == ut.float64
    expected = X.copy()
    expected[0] = 1.0
    assert_matches(t, expected)


def test_setitem_that_would_lose_information_raises_and_leaves_tensor(backend):
    t = tensor(IA, backend)
    with pytest.raises(TypeError, match="astype"):
        t[0, :] = tensor(A[0], backend)
    assert_matches(t, IA)


def test_setitem_python_scalar_the_dtype_cannot_hold_raises_and_leaves_tensor(backend):
    t = tensor(IA, backend)
    for value in (1.5, 2j):
        with pytest.raises(TypeError):
            t[0, 0] = value
    flags = tensor(A > 0, backend)
    with pytest.raises(TypeError):
        flags[0, 0] = 2
    assert_matches(t, IA)
    assert_matches(flags, A > 0)
    t[0, 0] = 9  # a scalar of the Tensor's kind is fine
    f = tensor(A, backend)
    f[0, 0] = 9  # and an int into a float Tensor
    assert float(f[0, 0]) == 9.0 and int(t[0, 0]) == 9


def test_setitem_writes_through_a_shared_tensor(backend):
    t = tensor(X, backend)
    alias = t
    alias[0, 0, 0] = 100.0
    assert float(t[0, 0, 0]) == 100.0


def test_list_index_is_an_error_with_the_fix(backend):
    t = tensor(X, backend)
    with pytest.raises(IndexError, match=r"ut\.asarray"):
        t[[0, 1]]
    with pytest.raises(IndexError, match=r"ut\.asarray"):
        t[[0, 1]] = 1.0
    assert_matches(t, X)


def test_zero_dimensional_indexing(backend):
    t = tensor(2.5, backend)
    assert_matches(t[()], np.asarray(2.5))
    assert_matches(t[...], np.asarray(2.5))
    assert_matches(t[None], np.asarray([2.5]))
    t[()] = 4.0
    assert float(t) == 4.0


# -- promotion -----------------------------------------------------------------------

ALL = [
    ut.bool,
    ut.int8,
    ut.int16,
    ut.int32,
    ut.int64,
    ut.uint8,
    ut.uint16,
    ut.uint32,
    ut.uint64,
    ut.float32,
    ut.float64,
    ut.complex64,
    ut.complex128,
]


def _defined(a, b):
    try:
        ut.result_type(a, b)
    except TypeError:
        return False
    return True


PAIRS = [(a, b) for a in ALL for b in ALL if _defined(a, b)]
ARITHMETIC = {"signed integer", "unsigned integer", "real floating", "complex floating"}


def _ones(dtype, backend):
    return ut.ones((2,), dtype=dtype, backend=backend)


def _supports(backend, *dtypes):
    have = ut.backends.get(backend).dtypes()
    return all(d in have for d in dtypes)


@given(pair=st.sampled_from(PAIRS))
def test_operator_promotion_follows_the_standard(backend, pair):
    a, b = pair
    if not _supports(backend, a, b):
        return
    expected = ut.result_type(a, b)
    x, y = _ones(a, backend), _ones(b, backend)
    assert (x == y).dtype == ut.bool
    if a.kind in ARITHMETIC and b.kind in ARITHMETIC:
        assert (x + y).dtype == expected
        assert (x * y).dtype == expected
        assert ut.subtract(x, y).dtype == expected
    else:
        assert (x & y).dtype == expected
        assert ut.bitwise_or(x, y).dtype == expected
    assert ut.concat([x, y]).dtype == expected
    assert ut.stack([x, y]).dtype == expected
    assert ut.where(x == y, x, y).dtype == expected


@given(
    pair=st.sampled_from(
        [
            (a, b)
            for a, b in PAIRS
            if a.kind not in ("bool", "complex floating") and b.kind not in ("bool", "complex floating")
        ]
    )
)
def test_function_promotion_follows_the_standard(backend, pair):
    a, b = pair
    if not _supports(backend, a, b):
        return
    x, y = _ones(a, backend), _ones(b, backend)
    expected = ut.result_type(a, b)
    assert ut.maximum(x, y).dtype == expected
    assert (x < y).dtype == ut.bool
    if a.kind == "real floating" or b.kind == "real floating":
        assert ut.atan2(ut.astype(x, expected), y).dtype == expected


#: Python scalars the standard lets meet an array of each kind
SCALARS_FOR_KIND = {
    "bool": [True, False],
    "signed integer": [0, 3, -2],
    "unsigned integer": [0, 3],
    "real floating": [2, -1.5, 0.25],
    "complex floating": [2, 1.5, 1 - 2j],
}


@given(dtype=st.sampled_from(ALL), data=st.data())
def test_python_scalars_keep_the_array_dtype(backend, dtype, data):
    if not _supports(backend, dtype):
        return
    scalar = data.draw(st.sampled_from(SCALARS_FOR_KIND[dtype.kind]))
    x = _ones(dtype, backend)
    assert (x == scalar).dtype == ut.bool and (scalar != x).dtype == ut.bool
    if dtype.kind == "bool":
        assert (x & scalar).dtype == ut.bool and (scalar | x).dtype == ut.bool
        return
    for result in (
        x + scalar,
        scalar + x,
        x * scalar,
        scalar * x,
        x - scalar,
        ut.multiply(x, scalar),
        ut.add(scalar, x),
        ut.where(x == x, x, scalar),
    ):
        assert result.dtype == dtype, (result.dtype, dtype, scalar)


# -- mixing and errors -------------------------------------------------------------


def test_mixing_backends_raises_naming_both(backend, toy):
    x, y = tensor(A, backend), tensor(B, toy)
    for attempt in (
        lambda: x + y,
        lambda: y * x,
        lambda: ut.add(x, y),
        lambda: ut.concat([x[0, :], y]),
        lambda: ut.where(x > 0, x, y),
        lambda: x @ y,
    ):
        with pytest.raises(TypeError) as info:
            attempt()
        message = str(info.value)
        assert backend in message and toy in message
        assert ".to(backend=" in message


def test_inplace_mixing_backends_raises_and_leaves_tensor(backend, toy):
    x = tensor(A, backend)
    with pytest.raises(TypeError, match=r"\.to\(backend="):
        x += tensor(B, toy)
    assert x.backend.name == backend
    assert_matches(x, A)


def test_setitem_mixing_backends_raises(backend, toy):
    x = tensor(A, backend)
    with pytest.raises(TypeError, match=toy):
        x[0, :] = tensor(B, toy)
    assert_matches(x, A)


def test_foreign_native_array_raises(backend, toy):
    """A native array of another backend never joins a Tensor silently."""
    native = ut.asarray(B, backend=backend).raw
    y = tensor(B, toy)
    for attempt in (lambda: ut.add(y, native), lambda: y + native, lambda: ut.stack([y, native])):
        with pytest.raises(TypeError, match="asarray"):
            attempt()


def test_unsupported_operand_types(backend):
    t = tensor(A, backend)
    for bad in ("text", [1.0, 2.0], {1: 2}, object()):
        with pytest.raises(TypeError):
            t + bad  # noqa: B018
        with pytest.raises(TypeError):
            bad * t  # noqa: B018
    assert_matches(t, A)


def test_comparison_with_unsupported_object_is_not_equal(backend):
    t = tensor(B, backend)
    assert (t == "text") is False
    assert (t != "text") is True


def test_functions_reject_non_tensors():
    with pytest.raises(TypeError, match="asarray"):
        ut.sum([1.0, 2.0])
    with pytest.raises(TypeError, match="array"):
        ut.add(1.0, 2.0)


def test_unknown_dtype_errors_list_the_dtypes(backend):
    for bad in ("float128", "double", object()):
        with pytest.raises(TypeError, match=r"ut\.float32"):
            ut.asarray([1.0], dtype=bad, backend=backend)
        with pytest.raises(TypeError, match=r"ut\.float32"):
            ut.zeros(2, dtype=bad, backend=backend)
    t = tensor(A, backend)
    with pytest.raises(TypeError, match=r"ut\.float32"):
        ut.astype(t, "float128")
    assert t.dtype == ut.float64


def test_shape_mismatch_errors(backend):
    x, y = tensor(A, backend), tensor(np.ones(2), backend)
    with pytest.raises(ValueError, match="broadcast"):
        x + y  # noqa: B018
    with pytest.raises(ValueError, match="broadcast"):
        ut.multiply(x, y)
    assert_matches(x, A)


class LackingBackend(NumpyBackend):
    """A backend whose namespace lacks ``sinh`` and ``linalg.inv``; every function comes from that namespace."""

    name = "lacking"
    function = Backend.function  # the generic lookup, not NumPy's shortcuts to its own functions

    def __init__(self) -> None:
        super().__init__()
        self._functions.clear()
        self.xp = _Without(self.xp, {"sinh", "inv"})

    def overrides(self):
        return {}


class _Without:
    def __init__(self, namespace, missing):
        self._namespace, self._missing = namespace, missing

    def __getattr__(self, name):
        if name in self._missing:
            raise AttributeError(name)
        value = getattr(self._namespace, name)
        return _Without(value, self._missing) if name in ("linalg", "fft") else value


@pytest.fixture
def lacking(register_backend):
    return register_backend("lacking", LackingBackend)


def test_a_function_the_backend_lacks_says_so_and_how_to_fix(lacking):
    t = ut.asarray(np.eye(2), backend=lacking)
    for call, name in ((lambda: ut.sinh(t), "sinh"), (lambda: ut.linalg.inv(t), "linalg.inv")):
        with pytest.raises(BackendError) as info:
            call()
        message = str(info.value)
        assert name in message and lacking in message and ".to(backend=" in message
    assert_matches(ut.cosh(t), np.cosh(np.eye(2)))


def test_wrong_device_errors_name_the_devices(backend):
    with pytest.raises(Exception, match="cuda:99"):
        ut.asarray([1.0], device="cuda:99", backend=backend)
    with pytest.raises(Exception, match="cuda:99"):
        ut.zeros(2, device="cuda:99", backend=backend)


def test_operators_are_thread_safe_with_different_defaults(backend, toy):
    results = {}

    def work(name):
        with ut.use_backend(name):
            results[name] = (ut.ones(3) * 2).backend.name

    threads = [threading.Thread(target=work, args=(name,)) for name in (backend, toy)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {backend: backend, toy: toy}


# -- moving between backends ------------------------------------------------------------


@pytest.mark.parametrize("data", [A, IA, A > 0, A + 1j], ids=["float64", "int64", "bool", "complex128"])
def test_round_trip_through_numpy(backend, data):
    t = tensor(data, backend)
    on_numpy = t.to(backend="numpy")
    assert on_numpy.backend.name == "numpy"
    assert_matches(on_numpy, data)
    back = on_numpy.to(backend=backend)
    assert back.backend.name == backend and back.device == t.device
    assert_matches(back, data)
    assert_matches(ut.asarray(on_numpy, backend=backend), data)
    assert t.to(backend=backend) is t


def test_to_another_backend_leaves_the_source(backend, toy):
    t = tensor(A, backend)
    moved = t.to(backend=toy, copy=True)
    moved[0, 0] = 100.0
    assert_matches(t, A)
    assert moved.backend.name == toy and t.backend.name == backend


def test_to_an_unknown_backend_raises(backend):
    with pytest.raises(ut.backends.UnknownBackendError):
        tensor(A, backend).to(backend="no_such_backend")
