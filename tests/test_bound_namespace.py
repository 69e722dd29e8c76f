"""Namespaces bound to a backend (``ut.namespace``, ``t.__array_namespace__()``) and the rule for
which backend ``ut.asarray`` and the creation functions use.

``tests/test_namespace.py`` runs every standard function through each backend's namespace;
``tests/test_clients.py`` runs scikit-learn and SciPy through it.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import unitensor as ut

A = np.array([[1.5, -2.0], [0.25, 4.0]])
SOURCES = ["numpy", "torch", "jax", "dask", "strict"]


def test_one_namespace_per_backend(backend):
    xp = ut.namespace(backend)
    assert ut.namespace(ut.backends.get(backend)) is xp
    assert ut.asarray(A, backend=backend).__array_namespace__() is xp
    assert ut.zeros(2, backend=backend).__array_namespace__() is xp
    assert xp.backend is ut.backends.get(backend)
    with ut.use_backend(backend):
        assert ut.namespace() is xp


def test_a_backends_namespace_creates_on_it_whatever_the_default(backend):
    xp = ut.namespace(backend)
    with ut.use_backend("numpy"):
        made = [
            xp.zeros(3),
            xp.ones((2, 2)),
            xp.eye(2),
            xp.arange(3),
            xp.linspace(0, 1, 5),
            xp.full(2, 1.5),
            xp.empty(2),
            xp.asarray([1.0, 2.0]),
            xp.asarray(A),
            xp.fft.fftfreq(4),
            xp.fft.rfftfreq(4),
        ]
    assert [t.backend.name for t in made] == [backend] * len(made)
    info = xp.__array_namespace_info__()
    assert info.devices() == tuple(ut.devices(backend))


def test_bound_functions_have_the_signature_without_backend(backend):
    xp = ut.namespace(backend)
    for function in (xp.zeros, xp.asarray, xp.from_dlpack, xp.fft.fftfreq):
        assert "backend" not in inspect.signature(function).parameters
    with pytest.raises(TypeError, match="always makes"):
        xp.zeros(2, backend="numpy")


def test_device_of_an_array_places_the_result_there(backend):
    x = ut.asarray(A, backend=backend)
    xp = x.__array_namespace__()
    z = xp.zeros(3, device=x.device)
    assert z.backend.name == backend and z.device == x.device
    assert xp.asarray([1.0], device=x.device).device == x.device


def test_an_unknown_device_names_the_devices_the_backend_has(backend):
    xp = ut.namespace(backend)
    have = ", ".join(str(d) for d in ut.devices(backend))
    with pytest.raises(Exception, match=f"cuda:7.*{have}"):
        xp.zeros(3, device="cuda:7")
    with pytest.raises(Exception, match=f"cuda:7.*{have}"):
        xp.asarray(A, device="cuda:7")


@pytest.mark.parametrize("source", SOURCES)
def test_asarray_converts_tensors_and_native_arrays_of_any_backend(backend, source):
    xp = ut.namespace(backend)
    tensor = ut.asarray(A, backend=source)
    for given in (tensor, tensor.raw):
        got = xp.asarray(given)
        assert got.backend.name == backend
        np.testing.assert_array_equal(got.numpy(force=True), A)
    assert xp.asarray(tensor, dtype=ut.float32).dtype is ut.float32


def test_asarray_of_its_own_tensor_is_that_tensor(backend):
    t = ut.asarray(A, backend=backend)
    assert t.__array_namespace__().asarray(t) is t


def test_asarray_shares_numpy_memory_with_torch():
    data = A.copy()
    t = ut.namespace("torch").asarray(data)
    t[0, 0] = 99.0
    assert data[0, 0] == 99.0


def test_asarray_keeps_the_device_it_is_given():
    meta = ut.asarray(A, backend="torch", device="meta")
    assert ut.namespace("torch").asarray(meta).device == "meta"


def test_asarray_copy_false_that_needs_a_copy_is_a_value_error(backend):
    xp = ut.namespace(backend)
    with pytest.raises(ValueError, match="copy"):
        xp.asarray(ut.asarray(A, backend=backend), dtype=ut.float32, copy=False)


def test_asarray_copy_false_of_data_torch_cannot_share_is_a_value_error():
    read_only = np.broadcast_to(A, (3, 2, 2))  # torch takes no read-only memory through DLPack
    with pytest.raises(ValueError, match="copy"):
        ut.namespace("torch").asarray(read_only, copy=False)
    assert ut.namespace("torch").asarray(read_only).shape == (3, 2, 2)


@pytest.mark.parametrize("thing", [object(), "text", None, {"a": 1}])
def test_asarray_of_what_no_array_holds_is_a_type_error_naming_it(backend, thing):
    with pytest.raises(TypeError, match=type(thing).__name__):
        ut.namespace(backend).asarray(thing)


def test_the_module_is_the_default_backends_namespace(backend):
    t = ut.asarray(A, backend="numpy")
    with ut.use_backend(backend):
        assert ut.asarray(A).backend.name == backend
        assert ut.asarray(A.tolist()).backend.name == backend
        assert ut.zeros(2).backend.name == backend
        # a Tensor is never moved unless asked, and astensor wraps a native array in its own backend
        assert ut.asarray(t) is t
        assert ut.astensor(A).backend.name == "numpy"
        assert ut.asarray(t, backend=backend).backend.name == backend


def test_creation_from_tensors_stays_on_their_backend(backend):
    ends = ut.asarray([0.0, 1.0], backend=backend)
    with ut.use_backend("numpy"):
        assert ut.linspace(ends[0], ends[1], 3).backend.name == backend
        assert ut.from_dlpack(ends).backend.name == backend
    assert ut.linspace(ends[0], ends[1], 3, backend="numpy").backend.name == "numpy"


@pytest.mark.parametrize("source", SOURCES)
def test_asarray_of_python_data_holding_tensors(backend, source):
    t = ut.asarray([1.5, -2.0], backend=source, dtype=ut.float32)
    got = ut.namespace(backend).asarray([t[0], t[1]])
    assert got.backend.name == backend and got.dtype is ut.float32
    assert got.tolist() == [1.5, -2.0]
    assert ut.namespace(backend).asarray((t, t)).shape == (2, 2)
    with pytest.raises(ValueError, match="copy"):
        ut.namespace(backend).asarray([t[0], t[1]], copy=False)
