"""The JAX backend: 64-bit mode, immutability, devices, DLPack, tracers and pytrees.

The shared suites (``tests/test_namespace*.py``, ``conformance/``) check the
array API on JAX like on every backend (``--backend jax``); this file checks
what only JAX has. The suite runs JAX with x64 on (root conftest.py); tests
here that depend on the mode set it themselves with ``jax.enable_x64``, and
the subprocess tests run JAX fresh: with x64 off from the start, and with four
virtual host devices.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unitensor as ut
from unitensor._tensor import new_tensor
from unitensor.backends import BackendError

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

X64_DTYPES = [ut.float64, ut.int64, ut.uint64, ut.complex128]
ROUND_TRIP_DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


@pytest.fixture
def jb():
    return ut.backends.get("jax")


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture
def x64_off():
    with jax.enable_x64(False):
        yield


def pointer(a) -> int:
    """Address of the first element of a NumPy array or a JAX array."""
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.unsafe_buffer_pointer()


def aligned(values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` at a 64-byte aligned address, which XLA needs to alias host memory."""
    buffer = np.empty(values.nbytes + 64, dtype=np.uint8)
    offset = -pointer(buffer) % 64
    out = buffer[offset : offset + values.nbytes].view(values.dtype).reshape(values.shape)
    out[...] = values
    return out


def run_python(script: str, **env: str) -> str:
    """Run ``script`` in a fresh interpreter (JAX reads its flags at import) and return its stdout."""
    environment = {**os.environ, **env}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"subprocess failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# -- the backend object --------------------------------------------------------------


def test_backend_identity(jb):
    assert jb.name == "jax" and jb.mutable is False
    assert {"jax", "jaxlib"} <= set(jb.type_modules)
    assert "jax" in jb.install_hint
    assert ut.astensor(jnp.arange(3)).backend is jb


def test_tracers_belong_to_the_jax_backend(jb):
    seen = []
    jax.jit(lambda x: seen.append(ut.astensor(x).backend) or x)(jnp.arange(3.0))
    assert seen == [jb]


# -- 64-bit mode -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", X64_DTYPES, ids=str)
def test_x64_off_refuses_64_bit_dtypes(x64_off, dtype):
    with pytest.raises(BackendError, match="jax_enable_x64.*JAX_ENABLE_X64=1"):
        ut.zeros(3, dtype=dtype, backend="jax")
    with pytest.raises(BackendError, match=str(dtype)):
        ut.asarray([1, 0], dtype=dtype, backend="jax")


@pytest.mark.parametrize("dtype", ["float64", "int64", "uint64", "complex128"])
def test_x64_off_refuses_64_bit_data_from_numpy(x64_off, dtype):
    source = ut.asarray(np.arange(3).astype(dtype))
    with pytest.raises(BackendError, match=f"convert {dtype}.*jax_enable_x64"):
        source.to(backend="jax")
    with pytest.raises(BackendError, match="jax_enable_x64"):
        ut.asarray(np.arange(3).astype(dtype), backend="jax")
    with pytest.raises(BackendError, match="jax_enable_x64"):
        ut.from_dlpack(np.arange(3).astype(dtype), backend="jax")
    assert source.dtype.name == dtype and source.tolist() == [0, 1, 2]  # the source is untouched


def test_x64_off_refuses_casts_and_promotions_to_64_bit(x64_off):
    x = ut.asarray([1, 2], dtype=ut.int32, backend="jax")
    with pytest.raises(BackendError, match="int64"):
        ut.astype(x, ut.int64)
    # the standard promotes uint32 with int32 to int64; JAX alone would give int32
    u = ut.asarray([1, 2], dtype=ut.uint32, backend="jax")
    with pytest.raises(BackendError, match="int64"):
        x + u
    assert x.dtype == ut.int32 and x.tolist() == [1, 2]
    assert (x + x).dtype == ut.int32 and (u + u).dtype == ut.uint32


def test_x64_off_reports_its_dtypes_honestly(x64_off, jb):
    assert not set(X64_DTYPES) & set(jb.dtypes())
    assert jb.default_dtypes() == {
        "real floating": ut.float32,
        "complex floating": ut.complex64,
        "integral": ut.int32,
        "indexing": ut.int32,
    }
    assert ut.asarray([1.5], backend="jax").dtype == ut.float32
    assert ut.asarray([1], backend="jax").dtype == ut.int32
    assert ut.__array_namespace_info__("jax").dtypes() == {d.name: d for d in jb.dtypes()}


def test_x64_on_holds_64_bit_dtypes(x64, jb):
    assert set(X64_DTYPES) <= set(jb.dtypes())
    assert jb.default_dtypes()["real floating"] == ut.float64
    assert jb.default_dtypes()["indexing"] == ut.int64
    for dtype in X64_DTYPES:
        assert ut.zeros(2, dtype=dtype, backend="jax").dtype == dtype


def test_x64_setting_is_read_at_call_time(jb):
    with jax.enable_x64(True):
        assert ut.ones(2, dtype=ut.float64, backend="jax").dtype == ut.float64
        with jax.enable_x64(False):
            with pytest.raises(BackendError):
                ut.ones(2, dtype=ut.float64, backend="jax")
        assert ut.ones(2, dtype=ut.float64, backend="jax").dtype == ut.float64


@pytest.mark.parametrize("x64_mode", [True, False])
def test_searchsorted_returns_the_default_index_dtype(x64_mode):
    with jax.enable_x64(x64_mode):
        x = ut.asarray([1.0, 3.0, 5.0], backend="jax")
        found = ut.searchsorted(x, ut.asarray([0.0, 4.0, 9.0], backend="jax"))
        index = ut.__array_namespace_info__("jax").default_dtypes()["indexing"]
        assert found.dtype == index
        assert found.tolist() == np.searchsorted([1.0, 3.0, 5.0], [0.0, 4.0, 9.0]).tolist()


def test_x64_off_from_the_start_in_a_fresh_process():
    out = run_python(
        """
        import numpy as np, unitensor as ut
        from unitensor.backends import BackendError
        jb = ut.backends.get("jax")
        assert ut.float64 not in jb.dtypes()
        for make in (lambda: ut.zeros(2, dtype=ut.float64, backend="jax"),
                     lambda: ut.asarray(np.zeros(2)).to(backend="jax")):
            try:
                make()
            except BackendError as exc:
                print(exc)
            else:
                raise AssertionError("no error")
        print(ut.asarray([1.0], backend="jax").dtype)
    """,
        JAX_ENABLE_X64="0",
    )
    hint = "jax.config.update('jax_enable_x64', True)"
    assert out.count(hint) == 2 and out.count("JAX_ENABLE_X64=1") == 2
    assert out.splitlines()[-1] == "float32"


@pytest.mark.parametrize(
    "make", [lambda: ut.asarray(1.0, backend="jax"), lambda: ut.full((2,), 1.0, backend="jax")], ids=["asarray", "full"]
)
def test_tensors_made_from_python_scalars_promote_as_arrays(x64, make):
    # JAX's "weak types" would promote these like Python scalars (float64 + float32 -> float32)
    x = make()
    y = ut.asarray([1.0, 2.0], dtype=ut.float32, backend="jax")
    assert x.dtype == ut.float64
    assert (x + y).dtype == ut.float64 and ut.add(y, x).dtype == ut.float64


@pytest.mark.parametrize("x64_mode", [True, False])
@pytest.mark.parametrize("value", [True, 3, -2.5, 1 - 2j], ids=repr)
def test_python_scalars_take_the_default_dtype_of_their_kind(x64_mode, value):
    with jax.enable_x64(x64_mode):
        defaults = ut.__array_namespace_info__("jax").default_dtypes()
        expected = {
            bool: ut.bool,
            int: defaults["integral"],
            float: defaults["real floating"],
            complex: defaults["complex floating"],
        }[type(value)]
        for made in (ut.asarray(value, backend="jax"), ut.full((2,), value, backend="jax")):
            assert made.dtype == expected and not made.raw.weak_type
            np.testing.assert_array_equal(made.numpy(), np.full(made.shape, value, dtype=expected.name))


def test_full_refuses_an_int_its_integer_dtype_cannot_hold(x64_off):
    # jnp.full((2,), 2**40) alone gives int32 zeros, jnp.full((2,), 300, dtype=int8) gives 44s
    with pytest.raises(OverflowError, match="out of bounds"):
        ut.full((2,), 2**40, backend="jax")
    with pytest.raises(OverflowError, match="out of bounds"):
        ut.full((2,), 300, dtype=ut.int8, backend="jax")
    with pytest.raises(OverflowError, match="out of bounds"):
        np.full((2,), 300, dtype=np.int8)
    assert ut.full((2,), 2**40, dtype=ut.float32, backend="jax").tolist() == [2.0**40] * 2
    assert ut.full((2,), -128, dtype=ut.int8, backend="jax").tolist() == [-128] * 2


@pytest.mark.parametrize("function", ["any", "all"])
@pytest.mark.parametrize("dtype", [ut.complex64, ut.complex128, ut.float32, ut.int8, ut.bool], ids=str)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_truth_reductions_match_numpy(x64, function, dtype, axis):
    # jnp.any(1j) alone is False: JAX converts complex to bool by the real part
    values = np.array([[1j, 0, 0], [-0.0 - 0j, 2, 1j]] if dtype.kind == "complex floating" else [[1, 0, 0], [0, 2, 1]])
    values = values.astype(dtype.name)
    expected = getattr(np, function)(values, axis=axis)
    actual = getattr(ut, function)(ut.asarray(values, backend="jax"), axis=axis)
    np.testing.assert_array_equal(actual.numpy(), expected, strict=True)


BRANCH_CUT_POINTS = [complex(re, im) for re in (-0.0, 0.0, -2.0, 2.0, -0.5, 0.5) for im in (-0.0, 0.0, -2.0, 2.0)]


@pytest.mark.parametrize("name", ["sqrt", "acos", "acosh", "asin", "atanh", "asinh", "atan"])
@pytest.mark.parametrize("dtype", [ut.complex64, ut.complex128], ids=str)
def test_branch_cuts_follow_the_sign_of_zero(x64, name, dtype):
    # sqrt(-2-0j) is -1.41j by the standard (C99); jax.numpy alone gives +1.41j
    points = np.array(BRANCH_CUT_POINTS)
    expected = getattr(ut, name)(ut.asarray(points, dtype=dtype)).numpy()
    actual = getattr(ut, name)(ut.asarray(points, dtype=dtype, backend="jax"))
    assert actual.dtype == dtype
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("bounds", [(0, 0, 1), (0, 2, 1), (1, 3, 1), (2, 0, -1), (0, 3, 1)], ids=str)
def test_bool_arange_matches_numpy(bounds):
    # XLA's iota has no bool dtype
    try:
        expected = np.arange(*bounds, dtype=bool)
    except TypeError:
        with pytest.raises(TypeError, match="at most length 2"):
            ut.arange(*bounds, dtype=ut.bool, backend="jax")
        return
    np.testing.assert_array_equal(ut.arange(*bounds, dtype=ut.bool, backend="jax").numpy(), expected, strict=True)


@pytest.mark.parametrize(
    "dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "uint32", "uint64", "float32", "complex64"]
)
@pytest.mark.parametrize("function", ["cumulative_prod", "cumulative_sum", "prod", "sum"])
def test_products_and_sums_accumulate_in_the_default_dtypes(x64, function, dtype):
    # jnp.cumulative_prod alone keeps int8 as int8
    values = np.array([[1, 2, 3], [0, 1, 1]]).astype(dtype)
    expected = getattr(ut, function)(ut.asarray(values), axis=1)
    actual = getattr(ut, function)(ut.asarray(values, backend="jax"), axis=1)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


# -- immutability: writes rebind -------------------------------------------------------------

KEYS = [1, -1, slice(1, 3), (Ellipsis, 0), (slice(None), slice(None, None, 2))]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_setitem_rebinds_the_tensor(x64, key):
    expected = np.arange(12.0).reshape(3, 4)
    # a copy: asarray may share an aligned NumPy buffer, which writing `expected` would change
    t = ut.asarray(expected.copy(), backend="jax")
    before = t.raw
    identity = id(t)
    t[key] = -1.0
    expected[key] = -1.0
    assert id(t) == identity and t.backend.name == "jax"
    np.testing.assert_array_equal(t.numpy(), expected)
    np.testing.assert_array_equal(np.asarray(before), np.arange(12.0).reshape(3, 4))  # no views


def test_setitem_with_masks_and_tensor_values(x64):
    expected = np.arange(6.0)
    t = ut.asarray(expected, backend="jax")
    t[t > 2.0] = ut.asarray(0.0, backend="jax")
    expected[expected > 2.0] = 0.0
    t[ut.asarray([0, 1], backend="jax")] = ut.asarray([7.0, 8.0], backend="jax")
    expected[[0, 1]] = [7.0, 8.0]
    np.testing.assert_array_equal(t.numpy(), expected)


def test_setitem_that_would_lose_precision_changes_nothing(x64):
    t = ut.asarray([1, 2, 3], dtype=ut.int32, backend="jax")
    raw = t.raw
    with pytest.raises(TypeError, match="float64"):
        t[0] = ut.asarray(1.5, backend="jax")
    assert t.raw is raw


def test_inplace_operators_rebind(x64):
    t = ut.asarray([1.0, 2.0], backend="jax")
    alias = t
    before = t.raw
    t += 1.0
    t *= ut.asarray([2.0, 3.0], backend="jax")
    assert t is alias and t.tolist() == [4.0, 9.0]
    assert np.asarray(before).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="dtype"):
        i = ut.asarray([1, 2], dtype=ut.int32, backend="jax")
        i += ut.asarray([0.5, 0.5], backend="jax")


@pytest.mark.parametrize("key", [3, -4, (0, 5), (Ellipsis, 5), (None, 3), (slice(None), 9)], ids=repr)
def test_out_of_bounds_integers_raise_instead_of_clamping(key):
    values = np.arange(12).reshape(3, 4)
    with pytest.raises(IndexError):
        values[key]
    t = ut.asarray(values, backend="jax")
    raw = t.raw
    with pytest.raises(IndexError, match="out of bounds"):
        t[key]
    with pytest.raises(IndexError, match="out of bounds"):
        t[key] = 0
    assert t.raw is raw


_BOUND = st.integers(-5, 5)
#: one part of an index: a Python int (in or out of bounds), a slice, None or a mask
_INDEX_PART = st.one_of(
    _BOUND, st.none(), st.builds(slice, st.none() | _BOUND, st.none() | _BOUND, st.sampled_from([None, 1, 2, -1, -3]))
)
_INDEX_KEY = st.one_of(
    _INDEX_PART,
    st.just(Ellipsis),
    st.lists(_INDEX_PART, max_size=4).flatmap(
        lambda parts: (
            st.integers(0, len(parts)).map(
                lambda at: tuple(parts) if at == len(parts) else (*parts[:at], Ellipsis, *parts[at:])
            )
            | st.just(tuple(parts))
        )
    ),
)


@given(key=_INDEX_KEY, mask=st.booleans())
def test_indexing_matches_numpy_and_raises_where_numpy_raises(key, mask):
    # JAX clamps Python ints: the backend checks them, and only them, before indexing
    values = np.arange(24).reshape(2, 3, 4)
    if mask:  # a mask on the first axis, then the key
        key = (values[:, 0, 0] > 0, *key) if isinstance(key, tuple) else (values[:, 0, 0] > 0, key)
    try:
        expected = values[key]
    except IndexError:
        expected = None
    t = ut.asarray(values, backend="jax")
    jax_key = (
        tuple(ut.asarray(k, backend="jax") if isinstance(k, np.ndarray) else k for k in key)
        if isinstance(key, tuple)
        else key
    )
    if expected is None:
        with pytest.raises(IndexError):
            t[jax_key]
        with pytest.raises(IndexError):
            t[jax_key] = 0
        return
    np.testing.assert_array_equal(t[jax_key].numpy(), expected)
    written = values.copy()
    written[key] = -1
    t[jax_key] = -1
    np.testing.assert_array_equal(t.numpy(), written)


@pytest.mark.parametrize("key", [0, slice(1, 5), (slice(None), None)], ids=repr)
def test_backend_getitem_of_raw_arrays_with_plain_keys_and_masks(jb, key):
    # the backend's own getitem on raw arrays (the Tensor fast paths call it), beside a mask
    values = np.arange(8.0)
    raw = jnp.asarray(values)
    np.testing.assert_array_equal(np.asarray(jb.getitem(raw, key)), values[key])
    mask = values > 3
    np.testing.assert_array_equal(np.asarray(jb.getitem(raw, jnp.asarray(mask))), values[mask])
    with pytest.raises(IndexError, match="out of bounds"):
        jb.getitem(raw, 8)
    with pytest.raises(IndexError, match="out of bounds"):
        jb.setitem(raw, -9, 0.0)


def test_standard_promotion_follows_the_x64_mode_at_run_time(jb):
    # read on every operator call: it must not be cached across mode changes
    with jax.enable_x64(True):
        assert jb.standard_promotion is True
        with jax.enable_x64(False):
            assert jb.standard_promotion is False
            u, i = ut.asarray([1], dtype=ut.uint32, backend="jax"), ut.asarray([1], dtype=ut.int32, backend="jax")
            with pytest.raises(BackendError, match="int64"):
                u + i
        assert jb.standard_promotion is True
        assert (
            ut.asarray([1], dtype=ut.uint32, backend="jax") + ut.asarray([1], dtype=ut.int32, backend="jax")
        ).dtype == ut.int64


@pytest.mark.parametrize("x64_mode", [True, False])
def test_native_dtype_of_32_bit_dtypes_and_bad_arguments(jb, x64_mode):
    with jax.enable_x64(x64_mode):
        for dtype in (ut.bool, ut.int8, ut.uint32, ut.float32, ut.complex64):
            assert jb.native_dtype(dtype) == np.dtype(dtype.name)
        with pytest.raises(TypeError, match="unitensor dtype"):
            jb.native_dtype("float32")
        with pytest.raises(TypeError):
            jb.native_dtype([ut.float32])


@pytest.mark.parametrize("name", ["sqrt", "acos", "acosh", "asin", "atanh", "asinh", "atan"])
@pytest.mark.parametrize("dtype", [ut.float32, ut.float64], ids=str)
def test_branch_cut_functions_of_real_arrays_match_numpy(x64, name, dtype):
    points = np.array([-2.0, -0.5, -0.0, 0.0, 0.5, 2.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = getattr(ut, name)(ut.asarray(points, dtype=dtype)).numpy()
    actual = getattr(ut, name)(ut.asarray(points, dtype=dtype, backend="jax"))
    assert actual.dtype == dtype
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5)


def test_python_scalar_base_takes_the_array_dtype(x64):
    # jnp.power(0, 0-d int8 array) alone gives int64
    exponent = ut.asarray(2, dtype=ut.int8, backend="jax")
    assert ut.pow(3, exponent).dtype == ut.int8 and ut.pow(3, exponent).item() == 9
    with pytest.raises(OverflowError, match="300"):
        ut.pow(300, exponent)


SHAPE_MISMATCHES = {
    "reshape": lambda z: ut.reshape(z(6), (4,)),
    "concat": lambda z: ut.concat([z(2, 3), z(2, 2)]),
    "matmul": lambda z: z(2, 3) @ z(2, 3),
    "tensordot": lambda z: ut.tensordot(z(2, 3), z(2, 3), axes=1),
    "add": lambda z: ut.add(z(3), z(2)),
}


@pytest.mark.parametrize("mismatch", SHAPE_MISMATCHES.values(), ids=SHAPE_MISMATCHES.keys())
def test_shape_mismatches_raise_value_error_like_numpy(mismatch):
    # JAX raises TypeError for these
    with pytest.raises(ValueError):
        mismatch(lambda *shape: ut.zeros(shape))
    with pytest.raises(ValueError):
        mismatch(lambda *shape: ut.zeros(shape, backend="jax"))


# -- devices ------------------------------------------------------------------------------------


def test_devices_map_to_the_unitensor_vocabulary(jb):
    expected = [ut.Device("cpu", d.id) for d in jax.local_devices(backend="cpu")]
    assert ut.devices("jax")[: len(expected)] == expected
    assert all(d.type in ("cpu", "cuda", "tpu") for d in ut.devices("jax"))
    t = ut.asarray([1.0], backend="jax")
    assert t.device == jb.default_device()
    assert jb.native_device(t.device) in t.raw.devices()


def test_to_an_absent_device_names_the_devices_there():
    t = ut.asarray([1.0], backend="jax")
    with pytest.raises(BackendError, match=r"cpu:7 .*it has: cpu:0"):
        t.to("cpu:7")
    if not any(d.type == "cuda" for d in ut.devices("jax")):
        with pytest.raises(BackendError, match=r"cuda:0 .*it has: cpu:0"):
            t.cuda()


def test_to_the_current_device_is_a_no_op():
    t = ut.asarray([1.0], backend="jax")
    assert t.to(t.device) is t and t.cpu() is t


MULTI_DEVICE_SCRIPT = """
    import numpy as np, pytest, unitensor as ut
    from unitensor.backends import BackendError
    jb = ut.backends.get("jax")
    cpus = [ut.Device("cpu", i) for i in range(4)]
    assert ut.devices("jax") == cpus, ut.devices("jax")
    assert jb.fast_binary is False

    t = ut.asarray([1.0, 2.0, 3.0], backend="jax", device="cpu:1")
    assert t.device == "cpu:1" and [d.id for d in t.raw.devices()] == [1]
    for device in cpus:  # move to every device and back
        moved = t.to(device)
        assert moved.device == device and moved.raw.devices() == {jb.native_device(device)}
        assert moved.to("cpu:1").device == "cpu:1"
        assert moved.tolist() == [1.0, 2.0, 3.0]
    assert ut.zeros(2, backend="jax", device="cpu:3").device == "cpu:3"
    assert ut.asarray([1.0]).to("cpu:2", backend="jax").device == "cpu:2"

    a, b = t.to("cpu:2"), t.to("cpu:3")
    for mix in (lambda: a + b, lambda: ut.multiply(a, b), lambda: ut.stack([a, b]),
                lambda: ut.where(a > 0, a, b)):
        with pytest.raises(ValueError, match="cpu:2 and cpu:3"):
            mix()
    assert (a + a).device == "cpu:2" and (a * 2).device == "cpu:2"
    a[0] = 10.0  # writes rebind on the same device
    assert a.device == "cpu:2" and a.tolist() == [10.0, 2.0, 3.0]
    with pytest.raises(BackendError, match="cpu:7 .*cpu:0, cpu:1, cpu:2, cpu:3"):
        t.to("cpu:7")
    np.testing.assert_array_equal(b.numpy(), [1.0, 2.0, 3.0])
    print("ok")
"""


def test_virtual_host_devices_in_a_fresh_process():
    out = run_python(MULTI_DEVICE_SCRIPT, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_ENABLE_X64="1")
    assert out.strip() == "ok"


def test_one_device_keeps_the_fast_binary_path(jb):
    assert jb.fast_binary is (len(ut.devices("jax")) < 2)


# -- export to NumPy and DLPack ----------------------------------------------------------------


@pytest.mark.parametrize(
    "export", [lambda t: t.numpy(), np.asarray, np.from_dlpack], ids=["numpy", "asarray", "from_dlpack"]
)
def test_export_to_numpy_is_zero_copy_and_read_only(x64, export):
    t = ut.asarray(np.arange(6.0).reshape(2, 3), backend="jax")
    a = export(t)
    assert pointer(a) == pointer(t.raw)
    assert not a.flags.writeable
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3))


def test_numpy_to_jax_copies_by_default_so_the_jax_array_never_changes(x64):
    source = aligned(np.arange(16.0))
    t = ut.asarray(source, backend="jax")
    assert pointer(t.raw) != pointer(source)
    source[0] = 42.0  # JAX assumes its arrays never change: a write to the source must not reach it
    assert t[0].item() == 0.0


def test_numpy_to_jax_with_copy_false_shares_when_aligned(x64):
    source = aligned(np.arange(16.0))
    t = ut.asarray(source, backend="jax", copy=False)
    assert pointer(t.raw) == pointer(source)
    source[0] = 42.0  # the JAX array reads the NumPy buffer: the caller took the responsibility
    assert t[0].item() == 42.0


def test_numpy_to_jax_copies_unaligned_data(x64):
    source = aligned(np.arange(17.0))[1:]  # 8 bytes past a 64-byte boundary
    t = ut.asarray(source, backend="jax")
    assert pointer(t.raw) != pointer(source)
    np.testing.assert_array_equal(t.numpy(), source)


def test_torch_and_jax_share_memory():
    torch = pytest.importorskip("torch")
    source = torch.arange(8, dtype=torch.float32)
    t = ut.from_dlpack(source, backend="jax")
    assert pointer(t.raw) == source.data_ptr()
    back = torch.from_dlpack(t)
    assert back.data_ptr() == source.data_ptr()


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


COPY_CASES = {
    "negative strides": lambda: np.arange(6.0)[::-1],
    "strided": lambda: np.arange(12.0).reshape(3, 4)[:, ::2],
    "fortran order": lambda: np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "read-only": lambda: _read_only(np.arange(4.0)),
    "bool": lambda: np.array([True, False, True]),
    "0-d": lambda: np.array(-0.0),
    "empty": lambda: np.zeros((0, 3), dtype=np.int16),
    "complex": lambda: np.array([1 + 2j, np.nan - 1j], dtype=np.complex64),
}


@pytest.mark.parametrize("make", COPY_CASES.values(), ids=COPY_CASES.keys())
@pytest.mark.parametrize("route", ["asarray", "from_dlpack"])
def test_layouts_dlpack_cannot_share_convert_correctly(x64, make, route):
    source = make()
    if route == "asarray":
        t = ut.asarray(source, backend="jax")
    else:
        t = ut.from_dlpack(source, backend="jax")
    assert t.backend.name == "jax" and t.dtype.name == source.dtype.name and t.shape == source.shape
    np.testing.assert_array_equal(t.numpy(), source, strict=True)


def test_negative_zero_survives_a_copy(x64):
    t = ut.asarray(np.array([-0.0, 0.0])[::-1], backend="jax")
    assert np.signbit(t.numpy()).tolist() == [False, True]


def test_torch_strided_source_is_copied():
    torch = pytest.importorskip("torch")
    source = torch.arange(12.0).reshape(3, 4)[:, ::2]
    t = ut.from_dlpack(source, backend="jax")
    np.testing.assert_array_equal(t.numpy(), source.numpy())


def test_copy_false_refuses_a_copy(x64):
    with pytest.raises((ValueError, RuntimeError, BufferError)):
        ut.from_dlpack(np.arange(12.0)[::2], backend="jax", copy=False)
    with pytest.raises(ValueError, match="copy=False"):
        ut.asarray([1.0, 2.0], backend="jax", copy=False)
    source = aligned(np.arange(8.0))
    shared = ut.from_dlpack(source, backend="jax", copy=False)
    assert pointer(shared.raw) == pointer(source)


@given(hnp.arrays(st.sampled_from(ROUND_TRIP_DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_round_trip_through_jax_is_exact(values):
    with jax.enable_x64(True):
        t = ut.asarray(values, backend="jax")
        back = t.to(backend="numpy").numpy()
    assert t.dtype.name == values.dtype.name
    np.testing.assert_array_equal(back, values, strict=True)
    if values.dtype.kind in "fc":  # -0.0 keeps its sign, NaN stays NaN
        assert np.array_equal(np.signbit(back.real), np.signbit(values.real))
        assert np.array_equal(np.isnan(back), np.isnan(values))


# -- tracers: gradients and jit ---------------------------------------------------------------


def test_requires_grad_inside_jax_differentiation(x64):
    seen = {}

    def f(x):
        t = ut.astensor(x)
        seen[len(seen)] = (t.requires_grad, t.detach().requires_grad)
        return jnp.sum(x**2)

    x = jnp.arange(3.0)
    jax.grad(f)(x)
    jax.jvp(f, (x,), (jnp.ones(3),))
    jax.jit(f)(x)
    f(x)
    assert seen == {0: (True, False), 1: (True, False), 2: (False, False), 3: (False, False)}


def test_detach_stops_the_gradient(x64):
    def f(x):
        t = ut.astensor(x)
        return ut.sum(t * t.detach()).raw

    x = jnp.arange(3.0)
    np.testing.assert_array_equal(jax.grad(f)(x), np.arange(3.0))


def test_numpy_inside_differentiation_raises_the_torch_error(x64):
    def f(x):
        t = ut.astensor(x)
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
            t.numpy()
        return jnp.sum(x)

    jax.grad(f)(jnp.ones(2))


# -- pytrees: jit and vmap take and return Tensors ------------------------------------------------


def test_jit_takes_and_returns_tensors(x64):
    traces = []

    @jax.jit
    def f(a, b):
        traces.append(1)
        return {"sum": ut.sum(a * b), "scaled": ut.exp(a) + b}

    a_np, b_np = np.linspace(-1.0, 1.0, 5), np.arange(5.0)
    a, b = ut.asarray(a_np, backend="jax"), ut.asarray(b_np, backend="jax")
    out = f(a, b)
    f(b, a)
    assert len(traces) == 1  # the backend is static data: one trace for same-shaped Tensors
    assert isinstance(out["sum"], ut.Tensor) and out["sum"].backend.name == "jax"
    np.testing.assert_allclose(out["sum"].numpy(), np.sum(a_np * b_np))
    np.testing.assert_allclose(out["scaled"].numpy(), np.exp(a_np) + b_np)


def test_vmap_over_tensors(x64):
    x_np = np.arange(12.0).reshape(4, 3)
    x = ut.asarray(x_np, backend="jax")
    norms = jax.vmap(lambda row: ut.linalg.vector_norm(row))(x)
    assert isinstance(norms, ut.Tensor) and norms.shape == (4,)
    np.testing.assert_allclose(norms.numpy(), np.linalg.norm(x_np, axis=1))


def test_pytree_flatten_round_trip():
    t = ut.asarray([1.0, 2.0], backend="jax")
    leaves, tree = jax.tree_util.tree_flatten({"t": t})
    assert leaves == [t.raw]
    rebuilt = jax.tree_util.tree_unflatten(tree, leaves)["t"]
    assert isinstance(rebuilt, ut.Tensor) and rebuilt.raw is t.raw and rebuilt.backend is t.backend


def test_numpy_tensor_through_jit_comes_back_as_jax(x64):
    t = ut.asarray([1.0, 2.0])
    out = jax.jit(lambda x: x * 2)(t)
    assert out.backend.name == "jax" and out.tolist() == [2.0, 4.0]
    mapped = jax.tree_util.tree_map(lambda raw: raw, t)
    assert mapped.backend.name == "numpy"


def test_new_tensor_of_a_jax_array_is_a_pytree():
    t = new_tensor(jnp.zeros(2), ut.backends.get("jax"))
    assert jax.tree_util.tree_leaves(t)[0] is t.raw


# -- GPU -------------------------------------------------------------------------------------------


def _jax_gpus() -> list:
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


@pytest.mark.gpu
@pytest.mark.skipif(not _jax_gpus(), reason="this JAX has no GPU (install jax[cuda12])")
def test_cuda_devices_and_export():
    assert "cuda:0" in ut.devices("jax")
    t = ut.asarray([1.0, 2.0], backend="jax").cuda()
    assert t.device == "cuda:0" and t.raw.devices() == {_jax_gpus()[0]}
    with pytest.raises(
        TypeError,
        match=r"^can't convert cuda:0 device type tensor to numpy\. "
        r"Use Tensor\.cpu\(\) to copy the tensor to host memory first\.$",
    ):
        t.numpy()
    assert t.numpy(force=True).tolist() == [1.0, 2.0]
    assert t.cpu().device == "cpu"
