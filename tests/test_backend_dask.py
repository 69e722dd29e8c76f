"""The Dask backend: lazy until exported, multi-chunk arrays everywhere, unknown
shapes, writes through every kind of key, and a run on a distributed cluster.

Inputs use small chunks on purpose: most of Dask's departures from the
standard appear only when an array has more than one chunk.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unitensor as ut

da = pytest.importorskip("dask.array")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4, 4))
SPD = A @ np.swapaxes(A, -1, -2) + 4 * np.eye(4)
TALL = A[:, :, :3]
INTS = np.array([[3, -1, 0, 2], [1, 1, 3, 0]])


def lazy(data, chunks=2):
    return ut.asarray(data, backend="dask", chunks=chunks)


def lookup(name):
    target = ut
    for part in name.split("."):
        target = getattr(target, part)
    return target


def build(value, make):
    if isinstance(value, np.ndarray):
        return make(value)
    if isinstance(value, (list, tuple)):
        return type(value)(build(item, make) for item in value)
    return value


def flatten(result):
    """The Tensors of a result: one, or those of a (named) tuple or list."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


#: (function, args, kwargs, whether results are defined up to sign), all on multi-chunk inputs
FUNCTIONS = [
    ("linalg.det", (SPD,), {}, False),
    ("linalg.slogdet", (SPD,), {}, False),
    ("linalg.inv", (SPD,), {}, False),
    ("linalg.cholesky", (SPD,), {"upper": True}, False),
    ("linalg.eigvalsh", (SPD,), {}, False),
    ("linalg.eigh", (SPD,), {}, True),
    ("linalg.matrix_power", (SPD, 3), {}, False),
    ("linalg.pinv", (TALL,), {}, False),
    ("linalg.svd", (TALL,), {"full_matrices": False}, True),
    ("linalg.svd", (TALL,), {}, True),
    ("linalg.svdvals", (TALL,), {}, False),
    ("linalg.qr", (A,), {}, True),
    ("linalg.qr", (TALL,), {"mode": "complete"}, True),
    ("linalg.matrix_rank", (A,), {}, False),
    ("linalg.solve", (SPD, A), {}, False),
    ("linalg.solve", (SPD[0], A[0, 0]), {}, False),
    ("linalg.cross", (A[..., :3], A[..., 1:]), {}, False),
    ("linalg.cross", (A[:, :3], A[:, 1:]), {"axis": 1}, False),
    ("linalg.matrix_norm", (A,), {"ord": "nuc", "keepdims": True}, False),
    ("linalg.matrix_norm", (A,), {"ord": -2}, False),
    ("tensordot", (INTS.astype(np.int8), INTS.T.astype(np.int8) * 50), {"axes": 1}, False),
    ("linalg.det", (np.zeros((0, 2, 2)),), {}, False),
    ("take_along_axis", (A, np.argsort(A, axis=1)), {"axis": 1}, False),
    ("take_along_axis", (A[0, 0], np.zeros(0, dtype=np.int64)), {}, False),
    ("take_along_axis", (A[0], INTS), {"axis": 0}, False),
    ("repeat", (A[0, 0], np.array([1, 0, 2, 3])), {}, False),
    ("repeat", (A[0], np.array([2, 0, 1, 1])), {"axis": 0}, False),
    ("fft.fft", (A,), {"axis": 1}, False),
    ("fft.ifft", (A,), {"n": 6}, False),
    ("fft.rfft", (A,), {}, False),
    ("fft.irfft", (A,), {"n": 6, "axis": 0}, False),
    ("fft.hfft", (A,), {"axis": 0}, False),
    ("fft.ihfft", (A,), {}, False),
    ("fft.fftn", (A,), {"axes": (0, 1)}, False),
    ("fft.ifftn", (A,), {}, False),
    ("fft.rfftn", (A,), {"s": (4, 4)}, False),
    ("fft.irfftn", (A,), {}, False),
    ("sort", (A,), {"axis": 1, "descending": True}, False),
    ("argsort", (A,), {"axis": 0}, False),
    ("cumulative_sum", (A,), {"axis": 1, "include_initial": True}, False),
    ("searchsorted", (np.sort(A.ravel()), A[0, 0]), {}, False),
    ("searchsorted", (np.sort(A.ravel()), np.array(0.5)), {"side": "right"}, False),
    ("searchsorted", (np.zeros(0), A[0]), {}, False),
    ("searchsorted", (np.zeros(1), np.zeros(0)), {}, False),
    ("roll", (np.zeros((0, 3)), 1), {}, False),
    ("repeat", (np.zeros((0, 3)), 2), {}, False),
    ("unique_values", (np.round(A),), {}, False),
    ("nonzero", (A > 0,), {}, False),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "up_to_sign"), FUNCTIONS, ids=[f"{case[0]}-{i}" for i, case in enumerate(FUNCTIONS)]
)
def test_function_on_chunked_input_matches_numpy_and_stays_lazy(name, args, kwargs, up_to_sign):
    function = lookup(name)
    expected = flatten(function(*build(args, ut.asarray), **kwargs))
    got = flatten(function(*build(args, lazy), **kwargs))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert isinstance(g.raw, da.Array), f"{name} computed eagerly"
        assert g.dtype == e.dtype
        actual, wanted = g.numpy(), e.numpy()
        if up_to_sign:
            actual, wanted = np.abs(actual), np.abs(wanted)
        np.testing.assert_allclose(actual, wanted, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize(("shape", "k"), [((3,), 0), ((3, 5), 1), ((5, 2), -2)])
def test_eye(shape, k):
    # dask.array.eye itself builds a graph that fails to compute when the shape is not square
    got = ut.eye(*shape, k=k, dtype=ut.float32, backend="dask")
    assert isinstance(got.raw, da.Array) and got.dtype == ut.float32
    np.testing.assert_array_equal(got.numpy(), np.eye(*shape, k=k, dtype=np.float32))


@pytest.mark.parametrize(
    "call",
    [
        lambda x: ut.max(x),
        lambda x: ut.min(x, axis=0),
        lambda x: ut.argmax(x, axis=0),
        lambda x: ut.linalg.vector_norm(x, ord=-np.inf),
    ],
    ids=["max", "min", "argmax", "vector_norm-inf"],
)
def test_reductions_without_identity_fail_on_empty_input_at_once(call):
    # NumPy raises here; a lazy array must not wait until it is computed to say so
    with pytest.raises(ValueError):
        call(ut.asarray(np.zeros((0, 3))))
    with pytest.raises(ValueError, match="empty"):
        call(lazy(np.zeros((0, 3))))


def test_bool_arange_fails_at_once_like_numpy():
    with pytest.raises(TypeError, match="booleans"):
        ut.arange(3, dtype=ut.bool, backend="dask")
    np.testing.assert_array_equal(ut.arange(2, dtype=ut.bool, backend="dask").numpy(), [False, True])
    np.testing.assert_array_equal(ut.arange(1, 7, 2, backend="dask").numpy(), np.arange(1, 7, 2))
    with pytest.raises(OverflowError):
        ut.arange(-1, 3, dtype=ut.uint8, backend="dask")


def test_writes_selecting_nothing():
    t = lazy(np.ones((1, 2)))
    t[1:] = lazy(np.zeros((0, 2)))
    t[ut.asarray(np.zeros(0, dtype=np.int64), backend="dask")] = 5.0
    np.testing.assert_array_equal(t.numpy(), np.ones((1, 2)))
    with pytest.raises(ValueError):
        t[1:] = lazy(np.zeros((3, 2)))


def test_an_expression_stays_lazy_until_exported():
    x = lazy(np.arange(10.0), chunks=3)
    y = ut.sum(ut.exp(x) * 2 + x[::-1], axis=0) / ut.max(x)
    assert isinstance(y.raw, da.Array)
    expected = (np.exp(np.arange(10.0)) * 2 + np.arange(10.0)[::-1]).sum() / 9.0
    np.testing.assert_allclose(y.numpy(), expected)
    np.testing.assert_allclose(np.asarray(y), expected)
    np.testing.assert_allclose(float(y), expected)


def test_export_computes_once_per_call_and_returns_numpy():
    x = lazy(np.arange(6.0).reshape(2, 3), chunks=1)
    for exported in (x.numpy(), np.asarray(x), np.from_dlpack(x), x.numpy(force=True)):
        assert isinstance(exported, np.ndarray)
        np.testing.assert_array_equal(exported, np.arange(6.0).reshape(2, 3))
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_chunks_option():
    x = lazy(np.arange(10), chunks=4)
    assert x.raw.chunks == ((4, 4, 2),)
    assert ut.asarray(list(range(6)), backend="dask", chunks=2).raw.chunks == ((2, 2, 2),)


def test_rechunking_a_dask_tensor_stays_lazy():
    x = lazy(np.arange(10.0), chunks=5) + 1
    rechunked = ut.asarray(x, chunks=2)
    assert rechunked.raw.chunks == ((2, 2, 2, 2, 2),)
    # built on x's graph, not on a computed copy of it
    assert x.raw.name in rechunked.raw.dask.layers
    np.testing.assert_array_equal(rechunked.numpy(), np.arange(10.0) + 1)


def test_boolean_mask_gives_an_unknown_dimension():
    x = lazy(np.arange(12.0).reshape(3, 4))
    selected = x[x > 4.5]
    assert selected.shape == (None,)
    assert selected.size is None
    assert selected.ndim == 1
    with pytest.raises(TypeError, match="unknown"):
        len(selected)
    np.testing.assert_array_equal(selected.numpy(), np.arange(5.0, 12.0))
    np.testing.assert_array_equal((selected * 2).numpy(), np.arange(5.0, 12.0) * 2)


def _keys(make):
    return {
        "int": 1,
        "tuple": (1, 2),
        "negative-step": (slice(None, None, -1), 0),
        "ellipsis": (Ellipsis, 1),
        "new-axis": (None, 0),
        "new-axes-inside": (slice(1, None), None, Ellipsis, None),
        "mask": make(A[:2, :3] > 0),
        "mask-leading-2d": make(A[:2, :3, 0] > 0),
        "mask-1d": make(np.array([True, False])),
        "mask-0d": make(np.array(True)),
        "mask-0d-false": make(np.array(False)),
        "int-array": make(np.array([1, 0, 1])),
        "two-int-arrays": (make(np.array([1, 0])), make(np.array([2, -1]))),
        "int-and-array": (1, make(np.array([0, 2]))),
        "2d-int-array": make(np.array([[0, 1], [1, 1]])),
        "broadcast-int-arrays": (make(np.array([[1], [0]])), make(np.array([0, 2])), make(np.array([3, -4]))),
    }


KEYS = list(_keys(lambda a: a))
DATA = A[:2, :3]


@pytest.mark.parametrize("key", KEYS)
def test_getitem_matches_numpy(key):
    expected = ut.asarray(DATA)[_keys(ut.asarray)[key]].numpy()
    got = lazy(DATA)[_keys(lambda a: ut.asarray(a, backend="dask"))[key]]
    assert isinstance(got.raw, da.Array)
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("value", ["scalar", "0-d", "full"])
@pytest.mark.parametrize("key", KEYS)
def test_setitem_matches_numpy_and_rebinds(key, value):
    reference = ut.asarray(DATA.copy())
    numpy_key = _keys(ut.asarray)[key]
    if value == "scalar":
        new, new_lazy = -1.5, -1.5
    else:
        data = (
            np.array(-2.5)
            if value == "0-d"
            else -np.arange(reference[numpy_key].size, dtype=float).reshape(reference[numpy_key].shape)
        )
        new, new_lazy = ut.asarray(data), ut.asarray(data, backend="dask")
    reference[numpy_key] = new
    t = lazy(DATA)
    before = t.raw
    t[_keys(lambda a: ut.asarray(a, backend="dask"))[key]] = new_lazy
    assert isinstance(t.raw, da.Array)
    np.testing.assert_array_equal(t.numpy(), reference.numpy())
    np.testing.assert_array_equal(before.compute(), DATA)  # the old array is left unchanged


def test_inplace_operator_rebinds():
    t = lazy(np.arange(4.0))
    before = t.raw
    t += 1
    t *= ut.asarray(np.full(4, 2.0), backend="dask")
    assert isinstance(t.raw, da.Array) and t.raw is not before
    np.testing.assert_array_equal(t.numpy(), (np.arange(4.0) + 1) * 2)
    ints = lazy(np.arange(3))
    with pytest.raises(TypeError, match="float"):
        ints += 1.5
    np.testing.assert_array_equal(ints.numpy(), np.arange(3))


def test_from_dlpack_and_conversions():
    source = np.arange(5.0)
    t = ut.from_dlpack(source, backend="dask")
    assert isinstance(t.raw, da.Array)
    np.testing.assert_array_equal(t.numpy(), source)
    n = (lazy(source) * 2).to(backend="numpy")
    assert n.backend.name == "numpy"
    np.testing.assert_array_equal(n.numpy(), source * 2)
    back = ut.asarray(ut.asarray(source), backend="dask")
    assert back.backend.name == "dask"
    np.testing.assert_array_equal(back.numpy(), source)


@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int16, np.uint8, np.int64, np.bool_, np.complex64, np.complex128]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    )
)
def test_round_trip_through_dask_is_exact(array):
    back = lazy(array).to(backend="numpy").numpy()
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    if array.dtype.kind in "fc":  # -0.0 survives
        assert np.array_equal(np.signbit(back.real), np.signbit(array.real))


def test_devices():
    assert ut.devices("dask") == [ut.Device("cpu")]
    with pytest.raises(Exception, match=r"cuda:0.*dask.*cpu"):
        ut.asarray([1.0], backend="dask", device="cuda:0")


def _portable_code(xp_module, x, w):
    """Research code written once against unitensor: it does not know the backend."""
    hidden = xp_module.tanh(x @ w)
    norms = xp_module.linalg.vector_norm(hidden, axis=1, keepdims=True)
    return xp_module.mean(hidden / norms, axis=0)


def test_runs_on_a_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    x_data, w_data = RNG.standard_normal((200, 8)), RNG.standard_normal((8, 4))
    expected = _portable_code(ut, ut.asarray(x_data), ut.asarray(w_data)).numpy()
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        x = ut.asarray(x_data, backend="dask", chunks=(50, 8))
        w = ut.asarray(w_data, backend="dask")
        result = _portable_code(ut, x, w)
        assert isinstance(result.raw, da.Array)
        with distributed.get_task_stream(client) as tasks:
            got = result.numpy()
        assert tasks.data, "the computation did not run on the cluster"
        assert {task["worker"] for task in tasks.data} <= set(client.scheduler_info()["workers"])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
