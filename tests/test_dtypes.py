"""Backend-independent dtypes and the standard's type promotion, checked against array_api_strict and NumPy."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import unitensor as ut
from unitensor._dtypes import MIXED_KIND_TABLE
from unitensor.backends import BackendError
from unitensor.backends.numpy import NumpyBackend

xps = pytest.importorskip("array_api_strict")

DTYPES = [
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
KINDS = ["bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating", "numeric"]
SCALARS = [True, 1, -3, 300, 2**63, 1.5, 2j]


def strict_dtype(dtype):
    return getattr(xps, dtype.name)


def reference_result_type(*args):
    """array_api_strict's result, or unitensor's rule where the standard leaves mixed kinds open."""
    expected = outcome(xps.result_type, *(strict_dtype(a) if isinstance(a, ut.DType) else a for a in args))
    dtypes = [a for a in args if isinstance(a, ut.DType)]
    if expected == "TypeError" and len(dtypes) == len(args) == 2 and tuple(dtypes) in MIXED_KIND_TABLE:
        return MIXED_KIND_TABLE[tuple(dtypes)].name
    return expected


def outcome(function, *args):
    """The result's name, or the exception type: what must agree between unitensor and the reference."""
    try:
        result = function(*args)
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__
    return str(result).rpartition(".")[2]


@pytest.mark.parametrize("a", DTYPES, ids=str)
@pytest.mark.parametrize("b", DTYPES, ids=str)
def test_result_type_matches_the_standard(a, b):
    assert outcome(ut.result_type, a, b) == reference_result_type(a, b)


@pytest.mark.parametrize("a", DTYPES, ids=str)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_result_type_with_python_scalars_matches_the_standard(a, scalar):
    expected = outcome(xps.result_type, strict_dtype(a), scalar)
    assert outcome(ut.result_type, a, scalar) == expected


@pytest.mark.parametrize("a", DTYPES, ids=str)
@pytest.mark.parametrize("b", DTYPES, ids=str)
def test_can_cast_matches_the_standard(a, b):
    assert ut.can_cast(a, b) == xps.can_cast(strict_dtype(a), strict_dtype(b))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", KINDS + [("bool", "real floating"), "float32"])
def test_isdtype_matches_the_standard(dtype, kind):
    reference_kind = getattr(xps, kind) if kind == "float32" else kind
    ours = ut.float32 if kind == "float32" else kind
    assert ut.isdtype(dtype, ours) == xps.isdtype(strict_dtype(dtype), reference_kind)


@given(st.lists(st.sampled_from(DTYPES + SCALARS), min_size=1, max_size=4))
def test_result_type_of_many_arguments_matches_the_standard(arguments):
    assume(any(isinstance(a, ut.DType) for a in arguments))  # scalars alone: test_result_type_errors
    kinds = {a.kind.split()[-1] for a in arguments if isinstance(a, ut.DType)}
    assume(len(kinds - {"bool"}) < 2 or "bool" in kinds)  # mixed kinds: test_result_type_matches_the_standard
    reference = [strict_dtype(a) if isinstance(a, ut.DType) else a for a in arguments]
    assert outcome(ut.result_type, *arguments) == outcome(xps.result_type, *reference)


@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES))
def test_result_type_is_an_upper_bound(a, b):
    try:
        result = ut.result_type(a, b)
    except TypeError:
        return
    if (a, b) not in MIXED_KIND_TABLE:  # can_cast is the standard's: an int does not cast safely to a float
        assert ut.can_cast(a, result) and ut.can_cast(b, result)
    assert ut.result_type(a, b) is ut.result_type(b, a)


def test_result_type_errors():
    with pytest.raises(ValueError, match="at least one"):
        ut.result_type()
    with pytest.raises(TypeError, match="scalars alone"):
        ut.result_type(1, 2.0)
    with pytest.raises(TypeError, match="astype"):
        ut.result_type(ut.int64, ut.uint64)
    with pytest.raises(TypeError, match="ut.float32"):
        ut.result_type("float128")


def test_result_type_of_tensors(backend):
    x = ut.ones(2, dtype=ut.int8, backend=backend)
    y = ut.ones(2, dtype=ut.uint8, backend=backend)
    assert ut.result_type(x, y) is ut.int16
    assert ut.result_type(x, 1) is ut.int8
    assert ut.result_type(x, ut.int32, y) is ut.int32


# -- finfo and iinfo against NumPy ----------------------------------------------------


@pytest.mark.parametrize("dtype", [ut.float32, ut.float64, ut.complex64, ut.complex128], ids=str)
def test_finfo_matches_numpy(dtype):
    ours, reference = ut.finfo(dtype), np.finfo(np.dtype(dtype.name))
    assert ours.bits == reference.bits
    for field in ("eps", "max", "min", "smallest_normal"):
        assert getattr(ours, field) == float(getattr(reference, field)), field
        assert type(getattr(ours, field)) is float
    assert ours.dtype is (ut.float32 if reference.bits == 32 else ut.float64)


@pytest.mark.parametrize("dtype", [d for d in DTYPES if "integer" in d.kind], ids=str)
def test_iinfo_matches_numpy(dtype):
    ours, reference = ut.iinfo(dtype), np.iinfo(np.dtype(dtype.name))
    assert (ours.bits, ours.min, ours.max) == (reference.bits, int(reference.min), int(reference.max))
    assert ours.dtype is dtype


def test_finfo_and_iinfo_take_tensors_and_refuse_the_wrong_kind(backend):
    assert ut.finfo(ut.ones(1, dtype=ut.float32, backend=backend)).bits == 32
    assert ut.iinfo(ut.ones(1, dtype=ut.int16, backend=backend)).bits == 16
    with pytest.raises(TypeError, match="iinfo"):
        ut.finfo(ut.int32)
    with pytest.raises(TypeError, match="finfo"):
        ut.iinfo(ut.float64)
    with pytest.raises(TypeError, match="finfo"):
        ut.iinfo(ut.bool)


# -- the dtype objects -------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_dtype_objects(dtype):
    assert repr(dtype) == f"unitensor.{dtype.name}"
    assert str(dtype) == dtype.name
    assert pickle.loads(pickle.dumps(dtype)) is dtype
    assert dtype == getattr(ut, dtype.name)
    assert dtype.itemsize == np.dtype(dtype.name).itemsize
    assert len({d: 0 for d in DTYPES}) == len(DTYPES)


def test_dtypes_are_not_equal_to_foreign_dtypes():
    assert ut.float32 != np.float32
    assert ut.float32 != "float32"
    assert ut.float32 != ut.float64


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tensor_dtype_is_the_same_object_on_every_backend(backend, dtype):
    if dtype not in ut.backends.get(backend).dtypes():
        pytest.skip(f"{backend} has no {dtype}")
    t = ut.zeros(2, dtype=dtype, backend=backend)
    assert t.dtype is dtype
    assert ut.asarray([1, 0], dtype=dtype.name, backend=backend).dtype is dtype
    other = {ut.complex64: ut.complex128, ut.complex128: ut.complex64, ut.float64: ut.float32}.get(dtype, ut.float64)
    if other in ut.backends.get(backend).dtypes():
        assert ut.astype(t, other).dtype is other


def test_native_dtype_maps_both_ways(backend):
    chosen = ut.backends.get(backend)
    for dtype in chosen.dtypes():
        assert chosen.dtype_of(ut.zeros(1, dtype=dtype, backend=backend).raw) is dtype
        assert ut.zeros(1, dtype=dtype, backend=backend).raw.dtype == chosen.native_dtype(dtype)


def test_default_dtypes_are_the_standards(backend):
    defaults = ut.__array_namespace_info__(backend).default_dtypes()
    assert ut.asarray([1.0], backend=backend).dtype is defaults["real floating"]
    assert ut.asarray([1], backend=backend).dtype is defaults["integral"]
    assert ut.asarray([1j], backend=backend).dtype is defaults["complex floating"]
    assert ut.asarray([True], backend=backend).dtype is ut.bool


class NoFloat64Backend(NumpyBackend):
    """A backend that cannot hold float64 (like JAX without x64)."""

    name = "nofloat64"

    def __init__(self) -> None:
        super().__init__()
        del self._to_native[ut.float64]


def test_a_dtype_the_backend_lacks_is_a_clear_error():
    ut.backends.register("nofloat64", NoFloat64Backend)
    try:
        with pytest.raises(BackendError, match="float64"):
            ut.zeros(2, dtype=ut.float64, backend="nofloat64")
        with pytest.raises(BackendError, match="nofloat64"):
            ut.asarray([1.0], dtype=ut.float64, backend="nofloat64")
        t = ut.ones(2, dtype=ut.float32, backend="nofloat64")
        with pytest.raises(BackendError, match="float64"):
            ut.astype(t, ut.float64)
        assert t.dtype is ut.float32
        assert ut.float64 not in ut.__array_namespace_info__("nofloat64").dtypes().values()
    finally:
        ut.backends.unregister("nofloat64")


def test_native_dtype_rejects_non_dtypes(backend):
    with pytest.raises(TypeError, match="ut.float32"):
        ut.backends.get(backend).native_dtype(np.float32)


DTYPE_KEYWORD_CALLS = {
    "sum": lambda x, dtype: ut.sum(x, dtype=dtype),
    "prod": lambda x, dtype: ut.prod(x, dtype=dtype),
    "cumulative_sum": lambda x, dtype: ut.cumulative_sum(x, dtype=dtype),
    "full_like": lambda x, dtype: ut.full_like(x, 2, dtype=dtype),
    "zeros_like": lambda x, dtype: ut.zeros_like(x, dtype=dtype),
    "zeros": lambda x, dtype: ut.zeros(2, dtype=dtype, backend=x.backend),
    "arange": lambda x, dtype: ut.arange(3, dtype=dtype, backend=x.backend),
    "asarray": lambda x, dtype: ut.asarray([1, 2], dtype=dtype, backend=x.backend),
    "astype": lambda x, dtype: ut.astype(x, dtype),
}


@pytest.mark.parametrize("call", DTYPE_KEYWORD_CALLS.values(), ids=list(DTYPE_KEYWORD_CALLS))
def test_dtype_arguments_take_names_and_refuse_foreign_dtypes(backend, call):
    x = ut.asarray([1, 2, 3], dtype=ut.int32, backend=backend)
    assert call(x, ut.float32).dtype is ut.float32
    assert call(x, "float32").dtype is ut.float32
    for foreign in ("float99", np.float32, np.dtype("float32")):
        with pytest.raises(TypeError, match=r"ut\.float32"):
            call(x, foreign)
    assert x.dtype is ut.int32
