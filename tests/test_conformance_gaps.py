"""Regression tests for the conformance gaps of issue 17: framework scalars where the standard takes
Python numbers, mixed-kind promotion, and the single-backend bugs the official suite found."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut

# -- NumPy scalars and 0-d integer Tensors are numbers -----------------------------------------


def test_broadcast_to_takes_numpy_integers(backend):
    t = ut.asarray([1.0, 2.0], backend=backend)
    out = ut.broadcast_to(t, (np.int64(3), np.int64(2)))
    assert out.backend.name == backend and out.shape == (3, 2)


@pytest.mark.parametrize("scalar", [np.int64(2), np.float32(2.0), np.float64(2.0)], ids=lambda s: type(s).__name__)
def test_operators_take_numpy_scalars_as_python_scalars(backend, scalar):
    t = ut.asarray([1.0, 2.0], dtype=ut.float32, backend=backend)
    for result in (t * scalar, scalar * t, ut.multiply(t, scalar), ut.multiply(scalar, t)):
        assert result.backend.name == backend
        assert result.dtype == ut.float32  # weak, as a Python scalar would be
        assert result.tolist() == [2.0, 4.0]


def test_numpy_bool_is_a_python_bool(backend):
    m = ut.asarray([True, False], backend=backend)
    assert ut.logical_and(m, np.bool_(True)).tolist() == [True, False]


def test_in_place_and_setitem_take_numpy_scalars(backend):
    t = ut.asarray([1.0, 2.0], dtype=ut.float32, backend=backend)
    t += np.float64(1.0)
    t[np.int64(0)] = np.float32(5.0)
    assert t.dtype == ut.float32 and t.tolist() == [5.0, 3.0]


def test_axes_fill_values_and_indices_take_numpy_scalars(backend):
    t = ut.asarray([[1.0, 2.0], [3.0, 4.0]], backend=backend)
    assert ut.sum(t, axis=np.int64(0)).tolist() == [4.0, 6.0]
    assert t[np.int64(1), np.int64(0)].tolist() == 3.0
    assert ut.full((np.int64(2),), np.float32(1.5), backend=backend).tolist() == [1.5, 1.5]
    assert ut.full_like(t, np.float32(0.5)).tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_slice_bounds_take_0d_integer_tensors_and_numpy_integers(backend):
    x = ut.asarray([1, 2, 3, 4], backend=backend)
    n = ut.asarray(2, backend=backend)
    assert x[0:n].tolist() == [1, 2]
    assert x[np.int64(1) :].tolist() == [2, 3, 4]
    assert ut.broadcast_to(x[:1], (n, 1)).shape == (2, 1)


def test_numpy_scalars_alone_stay_numpy_arrays():
    assert ut.exp(np.float32(0.0)).dtype == ut.float32


def test_scipy_stats_through_unitensor():
    stats = pytest.importorskip("scipy.stats")
    data = [1.0, 2.0, 4.0]
    got = stats.moment(ut.asarray(data, backend="torch"), 2)
    assert float(got) == pytest.approx(stats.moment(np.asarray(data), 2), rel=1e-6)


# -- the single-backend bugs ---------------------------------------------------------------------


def test_asarray_of_0d_tensors(backend):
    with ut.use_backend(backend):
        x = ut.asarray([1, 2, 3])
        m = ut.asarray([True, False])
        assert ut.asarray([x[0], x[1]]).tolist() == [1, 2]
        assert ut.asarray([x[0], 5]).tolist() == [1, 5]
        got = ut.asarray([[m[0], m[1]]], dtype=ut.bool)
        assert got.dtype == ut.bool and got.tolist() == [[True, False]]


def test_searchsorted_takes_a_python_scalar(backend):
    x = ut.asarray([1, 2, 3, 4], backend=backend)
    assert int(ut.searchsorted(x, 2)) == 1
    assert int(ut.searchsorted(x, 2, side="right")) == 2


def test_pinv_of_a_stack_with_an_array_rtol(backend):
    stack = ut.asarray(np.random.default_rng(0).random((3, 4, 2)), backend=backend)
    got = ut.linalg.pinv(stack, rtol=ut.asarray([0.0], dtype=stack.dtype, backend=backend))
    np.testing.assert_allclose(got.numpy(), np.linalg.pinv(stack.numpy()), rtol=1e-4, atol=1e-5)
    rank = ut.linalg.matrix_rank(stack, rtol=ut.asarray([0.5, 0.0, 0.0], dtype=stack.dtype, backend=backend))
    assert rank.tolist() == np.linalg.matrix_rank(stack.numpy(), rtol=np.array([0.5, 0.0, 0.0])).tolist()


@pytest.mark.parametrize("correction", [0, 1, 1.5, 2.5])  # N - correction > 0: the standard leaves the rest open
@pytest.mark.parametrize("axis", [None, 1])
def test_fractional_correction(backend, correction, axis):
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = ut.asarray(data, backend=backend)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in ("std", "var"):
            expected = getattr(np, name)(data, ddof=correction, axis=axis)
            got = getattr(ut, name)(x, correction=correction, axis=axis)
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_meshgrid_and_broadcast_arrays_return_tuples(backend):
    x = ut.asarray([1, 2], backend=backend)
    assert type(ut.meshgrid(x, x)) is tuple
    assert type(ut.broadcast_arrays(x, x)) is tuple


def test_permute_dims_takes_negative_axes(backend):
    x = ut.asarray(np.arange(6).reshape(2, 3), backend=backend)
    assert ut.permute_dims(x, (-1, 0)).tolist() == np.arange(6).reshape(2, 3).T.tolist()


def test_namespace_info_devices_is_a_tuple(backend):
    devices = ut.__array_namespace_info__(backend).devices()
    assert type(devices) is tuple and devices == tuple(ut.backends.get(backend).devices())


# -- mixed-kind promotion: one rule on every backend ---------------------------------------------

MIXED = [
    (ut.int32, ut.float64, ut.float64),
    (ut.int64, ut.float32, ut.float32),
    (ut.uint8, ut.float32, ut.float32),
    (ut.uint64, ut.float64, ut.float64),
    (ut.int8, ut.complex64, ut.complex64),
    (ut.int64, ut.complex64, ut.complex64),
    (ut.uint16, ut.complex128, ut.complex128),
]


@pytest.mark.parametrize(("a", "b", "expected"), MIXED, ids=str)
def test_result_type_of_mixed_kinds(a, b, expected):
    assert ut.result_type(a, b) is expected
    assert ut.result_type(b, a) is expected
    assert not ut.can_cast(a, b)  # can_cast stays the standard's: an int does not cast safely to a float


@pytest.mark.parametrize(("a", "b"), [(ut.bool, ut.int8), (ut.bool, ut.float32), (ut.uint64, ut.int64)], ids=str)
def test_pairs_left_undefined_raise(a, b):
    with pytest.raises(TypeError, match="astype"):
        ut.result_type(a, b)


def _pair(backend, a, b):
    have = ut.backends.get(backend).dtypes()
    if a not in have or b not in have:
        pytest.skip(f"the {backend} backend has no {a if a not in have else b} here")  # JAX without x64
    return ut.asarray([1, 2], dtype=a, backend=backend), ut.asarray([3, 4], dtype=b, backend=backend)


@pytest.mark.parametrize(("a", "b", "expected"), MIXED, ids=str)
def test_mixed_kind_operators_and_functions_promote_alike(backend, a, b, expected):
    x, y = _pair(backend, a, b)
    results = {
        "x + y": x + y,
        "y * x": y * x,
        "subtract": ut.subtract(x, y),
        "divide": ut.divide(y, x),
        "stack": ut.stack([x, y]),
        "concat": ut.concat([y, x]),
        "where": ut.where(x > 1, x, y),
        "vecdot": ut.vecdot(x, y),
        "equal": ut.equal(x, y),
    }
    for label, result in results.items():
        want = ut.bool if label == "equal" else expected
        assert result.dtype == want, label
        assert result.backend.name == backend
    np.testing.assert_allclose((x + y).numpy(), np.array([4, 6]))


def test_in_place_cannot_change_the_dtype(backend):
    i = ut.asarray([1, 2], dtype=ut.int32, backend=backend)
    f = ut.asarray([0.5, 0.5], dtype=ut.float32, backend=backend)
    with pytest.raises(TypeError):
        i += 1.5
    with pytest.raises(TypeError):
        i += f
    assert i.dtype == ut.int32 and i.tolist() == [1, 2]
    f += i  # float32 with int32 is float32: allowed
    assert f.dtype == ut.float32 and f.tolist() == [1.5, 2.5]


# -- the standard's special cases -------------------------------------------------------------------

INF, NAN = float("inf"), float("nan")


def _floats(backend):
    return [d for d in ut.backends.get(backend).dtypes() if d in (ut.float32, ut.float64)]


def test_floor_divide_special_cases_in_every_form(backend):
    for dtype in _floats(backend):
        x = ut.asarray([INF, -INF, 2.0, -2.0, -0.0], dtype=dtype, backend=backend)
        d = ut.asarray([2.0, 2.0, -INF, INF, 2.0], dtype=dtype, backend=backend)
        expected = np.array([INF, -INF, -0.0, -0.0, -0.0])
        for got in (ut.floor_divide(x, d), x // d, ut.asarray(x, copy=True).__ifloordiv__(d)):
            assert got.dtype == dtype
            np.testing.assert_array_equal(got.numpy(), expected)
            assert np.signbit(got.numpy()).tolist() == np.signbit(expected).tolist()
        assert (INF // ut.asarray([2.0], dtype=dtype, backend=backend)).tolist() == [INF]


def test_remainder_zero_takes_the_divisors_sign(backend):
    for dtype in _floats(backend):
        x = ut.asarray([4.0, -4.0, 0.0, -0.0, 5.0], dtype=dtype, backend=backend)
        for divisor, signs in ((-2.0, [True] * 4 + [True]), (2.0, [False] * 5)):
            for got in (ut.remainder(x, divisor), x % divisor):
                assert np.signbit(got.numpy()).tolist() == signs


def test_integer_floor_divide_and_remainder_are_unchanged(backend):
    x = ut.asarray([7, -7], backend=backend)
    assert (x // 2).tolist() == [3, -4] and (x % 3).tolist() == [1, 2]
    assert (x // 2).dtype == x.dtype


@pytest.mark.parametrize(
    ("function", "z", "expected"),
    [
        ("expm1", complex(INF, 0.0), complex(INF, 0.0)),
        ("expm1", complex(NAN, 0.0), complex(NAN, 0.0)),
        ("exp", complex(INF, NAN), complex(INF, NAN)),
        ("log", complex(NAN, INF), complex(INF, NAN)),
        ("log1p", complex(-INF, NAN), complex(INF, NAN)),
        ("cosh", complex(0.0, INF), complex(NAN, 0.0)),
        ("tanh", complex(-0.0, NAN), complex(-0.0, NAN)),
        ("atanh", complex(INF, NAN), complex(0.0, NAN)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_complex_special_cases(backend, function, z, expected):
    for dtype in (d for d in ut.backends.get(backend).dtypes() if d.kind == "complex floating"):
        got = complex(getattr(ut, function)(ut.asarray([z], dtype=dtype, backend=backend)).tolist()[0])
        for part in ("real", "imag"):
            g, e = getattr(got, part), getattr(expected, part)
            assert (np.isnan(g) and np.isnan(e)) or (g == e and np.signbit(g) == np.signbit(e)), (got, expected)


def test_real_inputs_of_complex_fixes_are_untouched(backend):
    x = ut.asarray([0.0, 1.0, -INF], backend=backend)
    native = ut.astensor(ut.backends.get(backend).function("expm1")(x.raw))
    np.testing.assert_array_equal(ut.expm1(x).numpy(), native.numpy())  # the framework's own result


def test_special_case_table_rejects_a_wrong_value():
    from unitensor.testing.conformance._special import SPECIAL_CASES, matches

    case = next(c for c in SPECIAL_CASES if c.function == "floor_divide" and c.args == (2.0, -INF))
    assert matches(case, -0.0) and not matches(case, 0.0) and not matches(case, -1.0)
    free = next(c for c in SPECIAL_CASES if c.free == "both")
    assert matches(free, complex(-0.0, 0.0)) and not matches(free, complex(NAN, 0.0))
