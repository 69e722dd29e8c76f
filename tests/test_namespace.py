"""unitensor is a complete array API 2025.12 namespace.

The list of functions is the standard's, read from ``array_api_strict``
(``__all__``, ``linalg.__all__``, ``fft.__all__``), never typed by hand. Each
function runs on a small input from a table keyed by function category and
its result is compared with array_api_strict's on the same input: values,
dtype and shape. A function the standard gains later fails
``test_every_standard_function_has_an_input`` until the table covers it.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any, NamedTuple

import array_api_compat.numpy
import numpy as np
import pytest

import unitensor as ut

xps = pytest.importorskip("array_api_strict")

#: array_api_strict's own helpers, not part of the standard
STRICT_ONLY = {
    "ArrayAPIStrictFlags",
    "get_array_api_strict_flags",
    "set_array_api_strict_flags",
    "reset_array_api_strict_flags",
    "Device",
    "__version__",
}
CONSTANTS = ("e", "pi", "inf", "nan", "newaxis")
DTYPE_NAMES = (
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
)


def standard_functions() -> list[str]:
    """Every function of the standard and its extensions, dotted for extensions ("linalg.inv")."""
    names = [
        name
        for name in xps.__all__
        if name not in STRICT_ONLY and not name.startswith("__") and inspect.isfunction(getattr(xps, name))
    ]
    names += [f"linalg.{name}" for name in xps.linalg.__all__]
    names += [f"fft.{name}" for name in xps.fft.__all__]
    return names


def lookup(namespace: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        namespace = getattr(namespace, part)
    return namespace


# -- the input table -------------------------------------------------------------


class Arr(NamedTuple):
    """An array to build in each namespace: its data and dtype name."""

    data: Any
    dtype: str = "float64"


class Dt(NamedTuple):
    """A dtype of each namespace, by name."""

    name: str


class Case(NamedTuple):
    args: tuple = ()
    kwargs: dict = {}
    #: "values": compare values; "shape": shape and dtype only (empty); "abs": values up to sign
    compare: str = "values"


def build(spec: Any, xp: Any) -> Any:
    """Turn a table entry into arguments of namespace ``xp``."""
    if isinstance(spec, Arr):
        return xp.asarray(spec.data, dtype=getattr(xp, spec.dtype))
    if isinstance(spec, Dt):
        return getattr(xp, spec.name)
    if isinstance(spec, list):
        return [build(item, xp) for item in spec]
    if isinstance(spec, tuple):
        return tuple(build(item, xp) for item in spec)
    if isinstance(spec, dict):
        return {key: build(value, xp) for key, value in spec.items()}
    return spec


M = Arr([[0.25, 0.5], [0.75, 0.125]])
V = Arr([0.5, 0.25])
SPD = Arr([[4.0, 1.0], [1.0, 3.0]])
RECT = Arr([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
CPLX = Arr([[1 + 2j, 0.5 - 1j], [-0.25 + 0.5j, 2 - 0.5j]], "complex128")
SIGNAL = Arr([0.0, 1.0, 0.5, -0.5, 2.0, 1.5, -1.0, 0.25])
I = Arr([[3, 1], [2, 3]], "int64")
IV = Arr([1, 2], "int64")
REPEATS = Arr([3, 1, 2, 3, 3, 1], "int64")
B = Arr([[True, False], [True, True]], "bool")
BV = Arr([True, False], "bool")
VEC3 = Arr([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])

CASES: dict[str, list[Case]] = {}


def add_cases(names: str, *cases: Case) -> None:
    for name in names.split():
        CASES.setdefault(name, []).extend(cases)


# elementwise, by the domain they need
add_cases(
    """abs acos asin asinh atan atanh ceil cos cosh exp expm1 floor isfinite isinf isnan log log10
log1p log2 negative positive reciprocal round sign signbit sin sinh sqrt square tan tanh trunc""",
    Case((M,)),
)
add_cases("acosh", Case((Arr([1.5, 2.0, 3.0]),)))
add_cases("abs exp sqrt sign", Case((CPLX,)))
add_cases("conj real imag", Case((CPLX,)))
add_cases("logical_not", Case((B,)))
add_cases("bitwise_invert abs negative", Case((I,)))
add_cases(
    """add atan2 copysign divide equal floor_divide greater greater_equal hypot less less_equal logaddexp
maximum minimum multiply nextafter not_equal pow remainder subtract""",
    Case((M, V)),
)
add_cases("add multiply subtract divide pow maximum minimum equal less", Case((M, 2.0)), Case((0.5, M)))
add_cases("add multiply equal", Case((I, 2)), Case((CPLX, M)))
add_cases("bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift", Case((I, IV)), Case((I, 1)))
add_cases("bitwise_and bitwise_or bitwise_xor", Case((B, BV)))
add_cases("logical_and logical_or logical_xor", Case((B, BV)))

# reductions and scans
add_cases("all any argmax argmin count_nonzero max mean min prod std sum var", Case((M,)), Case((M,), {"axis": 0}))
add_cases("max min prod sum mean", Case((M,), {"axis": 1, "keepdims": True}))
add_cases("sum prod", Case((I,)), Case((I,), {"dtype": Dt("float64")}))
add_cases("std var", Case((M,), {"correction": 1}))
add_cases("all any count_nonzero", Case((B,), {"axis": 1}))
add_cases("cumulative_sum cumulative_prod", Case((M,), {"axis": 1}), Case((V,), {"include_initial": True}))
add_cases("argsort sort", Case((M,)), Case((M,), {"axis": 0, "descending": True}))

# manipulation
add_cases("broadcast_arrays", Case((M, V)))
add_cases("broadcast_to", Case((V, (3, 2))))
add_cases("concat", Case(([M, M],)), Case(([M, M],), {"axis": 1}), Case(([V, V],), {"axis": None}))
add_cases("stack", Case(([V, V],)), Case(([M, M],), {"axis": -1}))
add_cases("expand_dims", Case((M,), {"axis": 0}), Case((V,), {"axis": -1}))
add_cases("flip", Case((M,)), Case((M,), {"axis": 1}))
add_cases("matrix_transpose linalg.matrix_transpose", Case((RECT,)))
add_cases("moveaxis", Case((RECT, 0, 1)))
add_cases("permute_dims", Case((RECT, (1, 0))))
add_cases("reshape", Case((RECT, (2, 3))), Case((M, (-1,))))
add_cases("roll", Case((M, 1)), Case((M, 1), {"axis": 0}))
add_cases("squeeze", Case((Arr([[0.5, 1.5]]),), {"axis": 0}))
add_cases("tile", Case((V, (2, 2))))
add_cases("tril triu", Case((M,)), Case((RECT,), {"k": -1}))
add_cases("unstack", Case((M,)), Case((RECT,), {"axis": 1}))
add_cases("repeat", Case((V, 2)), Case((M, IV), {"axis": 0}))
add_cases("diff", Case((SIGNAL,)), Case((M,), {"axis": 0, "n": 1}))
add_cases("meshgrid", Case((V, Arr([1.0, 2.0, 3.0]))), Case((V, V), {"indexing": "ij"}))
add_cases("clip", Case((M, 0.3, 0.6)), Case((M,), {"max": 0.5}))
add_cases("where", Case((B, M, Arr([[1.0, 2.0], [3.0, 4.0]]))), Case((B, M, 0.0)))
add_cases("take", Case((M, Arr([1, 0, 1], "int64")), {"axis": 0}), Case((V, Arr([1], "int64"))))
add_cases("take_along_axis", Case((M, Arr([[1, 0], [0, 0]], "int64")), {"axis": 1}))
add_cases("searchsorted", Case((Arr([0.1, 0.3, 0.5, 0.9]), V)), Case((Arr([0.1, 0.3, 0.5, 0.9]), V), {"side": "right"}))
add_cases("isin", Case((I, IV)), Case((I, IV), {"invert": True}))
add_cases("nonzero", Case((M,)), Case((B,)))
add_cases("unique_all unique_counts unique_inverse unique_values", Case((REPEATS,)))

# linear algebra
add_cases("matmul linalg.matmul", Case((M, M)), Case((RECT, V)))
add_cases("tensordot linalg.tensordot", Case((M, M)), Case((RECT, M), {"axes": 1}))
add_cases("vecdot linalg.vecdot", Case((M, V)), Case((CPLX, CPLX)))
add_cases("linalg.cholesky linalg.det linalg.eigvalsh linalg.inv linalg.slogdet", Case((SPD,)))
add_cases("linalg.eigh", Case((SPD,), compare="abs"))
add_cases("linalg.qr linalg.svd", Case((RECT,), compare="abs"))
add_cases("linalg.svdvals linalg.pinv linalg.matrix_rank", Case((RECT,)))
add_cases("linalg.cross", Case((VEC3, Arr([0.0, 1.0, 0.5]))))
add_cases("linalg.diagonal linalg.trace", Case((M,)), Case((RECT,), {"offset": 1}))
add_cases("linalg.matrix_norm", Case((M,)), Case((M,), {"ord": 2}), Case((M,), {"ord": "nuc"}))
add_cases("linalg.vector_norm", Case((M,)), Case((M,), {"ord": 1, "axis": 0}))
add_cases("linalg.matrix_power", Case((M, 3)))
add_cases("linalg.outer", Case((V, Arr([1.0, 2.0, 3.0]))))
add_cases("linalg.solve", Case((SPD, M)))

# Fourier transforms
add_cases("fft.fft fft.ifft fft.fftn fft.ifftn", Case((CPLX,)), Case((Arr(SIGNAL.data, "complex128"),)))
add_cases("fft.rfft fft.rfftn fft.ihfft", Case((SIGNAL,)))
add_cases("fft.irfft fft.irfftn fft.hfft", Case((Arr([1 + 0j, 2 - 1j, 0.5 + 0.5j, 3 + 0j], "complex128"),)))
add_cases("fft.fft fft.irfft", Case((Arr(SIGNAL.data, "complex128"),), {"n": 4}))
add_cases("fft.fftshift fft.ifftshift", Case((SIGNAL,)), Case((M,), {"axes": 0}))
add_cases("fft.fftfreq fft.rfftfreq", Case((8,)), Case((5,), {"d": 0.5}))

# creation
add_cases("arange", Case((5,)), Case((1.0, 2.0, 0.25)), Case((0, 10, 3)))
add_cases("empty zeros ones", Case(((2, 3),), compare="shape"), Case((4,), {"dtype": Dt("int32")}, compare="shape"))
add_cases("zeros ones", Case(((2, 3),)), Case((3,), {"dtype": Dt("complex64")}))
add_cases(
    "empty_like zeros_like ones_like",
    Case((M,), compare="shape"),
    Case((I,), {"dtype": Dt("float32")}, compare="shape"),
)
add_cases("zeros_like ones_like", Case((M,)), Case((B,)))
add_cases("full", Case(((2, 2), 1.5)), Case((3, 7), {"dtype": Dt("int16")}), Case(((2,), True)))
add_cases("full_like", Case((M, 2.5)), Case((I, 4)))
add_cases("eye", Case((3,)), Case((2, 3), {"k": 1}), Case((2,), {"dtype": Dt("int8")}))
add_cases("linspace", Case((0.0, 1.0, 5)), Case((0, 1, 4), {"endpoint": False}))
add_cases("asarray", Case(([[1.0, 2.0], [3.0, 4.0]],)), Case(([1, 2],)), Case((M,), {"dtype": Dt("float32")}))
add_cases("from_dlpack", Case((M,)))

# data types
add_cases("astype", Case((M, Dt("float32"))), Case((I, Dt("complex128"))), Case((M, Dt("int32"))))
add_cases("can_cast", Case((Dt("int8"), Dt("int32"))), Case((Dt("float64"), Dt("float32"))), Case((M, Dt("float32"))))
add_cases("result_type", Case((Dt("int8"), Dt("uint8"))), Case((M, Dt("complex64"))), Case((Dt("float32"), 1.0)))
add_cases(
    "isdtype",
    Case((Dt("int8"), "integral")),
    Case((Dt("float32"), ("bool", "complex floating"))),
    Case((Dt("uint16"), Dt("uint16"))),
)
add_cases("finfo", Case((Dt("float32"),)), Case((Dt("complex128"),)))
add_cases("iinfo", Case((Dt("int8"),)), Case((Dt("uint64"),)))
add_cases("broadcast_shapes", Case(((2, 1), (3,))), Case(((4, 1, 3), (2, 1), ())))


# -- comparing results -----------------------------------------------------------

#: (function, case index) where array_api_strict itself is wrong: array_api_compat.numpy is the reference
REFERENCE_BUGS = {
    ("isin", 1): "array_api_strict 2.6.1 drops invert= (it calls np.isin(x1, x2) without it)",
}
REFERENCE_ARRAYS = (type(xps.asarray(0)), np.ndarray)
REFERENCE_DTYPES = (type(xps.float64), np.dtype)


def assert_same(
    got: Any, expected: Any, backend: str, compare: str, where: str = "result", dtypes: dict[str, str] | None = None
) -> None:
    """``got`` (unitensor's) equals ``expected`` (the reference's); ``dtypes`` renames expected dtypes."""
    if isinstance(expected, REFERENCE_ARRAYS):
        assert isinstance(got, ut.Tensor), f"{where}: expected a Tensor, got {type(got).__name__}"
        assert got.backend.name == backend, f"{where}: Tensor on {got.backend.name}, expected {backend}"
        expected_dtype = str(expected.dtype).rpartition(".")[2]
        assert str(got.dtype) == (dtypes or {}).get(expected_dtype, expected_dtype), f"{where}: dtype"
        # a lazy backend may not know a data-dependent length (None) until computed
        assert len(got.shape) == len(expected.shape) and all(
            n in (None, e) for n, e in zip(got.shape, expected.shape)
        ), f"{where}: shape {got.shape} != {expected.shape}"
        if compare == "shape":
            return
        actual, wanted = got.numpy(force=True), np.from_dlpack(expected)
        if compare == "abs":
            actual, wanted = np.abs(actual), np.abs(wanted)
        single = got.dtype in (ut.float32, ut.complex64)
        np.testing.assert_allclose(
            actual, wanted, rtol=1e-5 if single else 1e-6, atol=1e-6 if single else 1e-12, equal_nan=True, err_msg=where
        )
    elif isinstance(expected, tuple) and hasattr(expected, "_fields"):  # namedtuple results (svd, finfo)
        assert tuple(got._fields) == tuple(expected._fields), where
        for field in expected._fields:
            assert_same(getattr(got, field), getattr(expected, field), backend, compare, f"{where}.{field}", dtypes)
    elif dataclasses.is_dataclass(expected):  # finfo and iinfo objects
        for field in dataclasses.fields(expected):
            assert_same(
                getattr(got, field.name), getattr(expected, field.name), backend, compare, f"{where}.{field.name}"
            )
    elif isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), f"{where}: {got!r} vs {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, backend, compare, f"{where}[{i}]", dtypes)
    elif isinstance(expected, REFERENCE_DTYPES):
        assert isinstance(got, ut.DType) and got.name == str(expected).rpartition(".")[2], where
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got), where
    else:
        assert got == expected and type(got) is type(expected), f"{where}: {got!r} != {expected!r}"


def cases_of(name: str) -> list[tuple[str, int]]:
    return [(name, i) for i in range(len(CASES.get(name, [None])))]


FUNCTION_CASES = [
    pytest.param(name, i, id=f"{name}-{i}") for name in standard_functions() for name, i in cases_of(name)
]


# -- the tests -------------------------------------------------------------------


@pytest.mark.parametrize("name", standard_functions())
def test_every_standard_function_exists(name):
    assert callable(lookup(ut, name)), f"unitensor has no {name}"


@pytest.mark.parametrize("name", standard_functions())
def test_every_standard_function_has_an_input(name):
    assert name in CASES, f"add an input for {name} to CASES in {__file__}"


def test_the_input_table_names_only_standard_functions():
    assert set(CASES) <= set(standard_functions())


@pytest.mark.parametrize(("name", "index"), FUNCTION_CASES)
def test_function_matches_array_api_strict(backend, name, index):
    if name not in CASES:
        pytest.fail(f"no input for {name}")
    case = CASES[name][index]
    reference = array_api_compat.numpy if (name, index) in REFERENCE_BUGS else xps
    expected = lookup(reference, name)(*build(case.args, reference), **build(case.kwargs, reference))
    with ut.use_backend(backend):
        got = lookup(ut, name)(*build(case.args, ut), **build(case.kwargs, ut))
    creation = not takes_arrays(case.args) and not takes_arrays(case.kwargs)
    assert_same(got, expected, backend, case.compare, dtypes=default_dtypes(backend) if creation else None)


@pytest.mark.parametrize(("name", "index"), FUNCTION_CASES)
def test_backends_namespace_matches_array_api_strict(backend, name, index):
    """The same through ``ut.namespace(backend)`` while the default backend is NumPy: every result,
    created ones included, is on ``backend``."""
    case = CASES[name][index]
    reference = array_api_compat.numpy if (name, index) in REFERENCE_BUGS else xps
    expected = lookup(reference, name)(*build(case.args, reference), **build(case.kwargs, reference))
    xp = ut.namespace(backend)
    with ut.use_backend("numpy"):
        got = lookup(xp, name)(*build(case.args, xp), **build(case.kwargs, xp))
    creation = not takes_arrays(case.args) and not takes_arrays(case.kwargs)
    assert_same(got, expected, backend, case.compare, dtypes=default_dtypes(backend) if creation else None)


@pytest.mark.parametrize("name", [*standard_functions(), *CONSTANTS, *DTYPE_NAMES, "__array_api_version__"])
def test_backends_namespace_holds_the_standard(backend, name):
    got = lookup(ut.namespace(backend), name)  # AttributeError if missing
    if name.rpartition(".")[2] in BOUND_FUNCTIONS:
        assert callable(got) and got is not lookup(ut, name)
    else:  # the very same object: no wrapper to pay for
        assert got is lookup(ut, name)


#: the functions a backend's namespace binds to it
BOUND_FUNCTIONS = {
    "asarray",
    "from_dlpack",
    "arange",
    "empty",
    "eye",
    "full",
    "linspace",
    "ones",
    "zeros",
    "fftfreq",
    "rfftfreq",
}


def takes_arrays(spec: Any) -> bool:
    if isinstance(spec, Arr):
        return True
    if isinstance(spec, dict):
        return takes_arrays(list(spec.values()))
    return isinstance(spec, (list, tuple)) and any(takes_arrays(item) for item in spec)


def default_dtypes(backend: str) -> dict[str, str]:
    """Strict's default dtype names mapped to the backend's: creation without dtype= gives the defaults."""
    ours = ut.__array_namespace_info__(backend).default_dtypes()
    theirs = xps.__array_namespace_info__().default_dtypes()
    return {str(theirs[kind]).rpartition(".")[2]: ours[kind].name for kind in theirs}


def test_array_api_version():
    assert ut.__array_api_version__ == "2025.12"
    assert ut.asarray([1.0]).__array_namespace__().__array_api_version__ == "2025.12"


@pytest.mark.parametrize("name", CONSTANTS)
def test_constants_match_the_standard(name):
    expected = getattr(xps, name)
    got = getattr(ut, name)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtypes_of_the_standard(name, backend):
    assert name in xps.__all__
    dtype = getattr(ut, name)
    assert isinstance(dtype, ut.DType) and dtype.name == name
    if dtype in ut.__array_namespace_info__(backend).dtypes().values():
        t = ut.zeros(1, dtype=dtype, backend=backend)
        assert t.dtype == dtype and t.dtype is dtype


def test_every_dtype_is_in_all():
    for name in (*DTYPE_NAMES, *CONSTANTS, *(n for n in standard_functions() if "." not in n)):
        assert name in ut.__all__, name


def test_namespace_info_matches_the_standard(backend):
    info = ut.__array_namespace_info__(backend)
    reference = xps.__array_namespace_info__()
    assert set(info.capabilities()) == set(reference.capabilities())
    assert set(info.default_dtypes()) == set(reference.default_dtypes())
    assert all(isinstance(d, ut.DType) for d in info.default_dtypes().values())
    assert info.default_device() in info.devices()
    for kind in (
        None,
        "bool",
        "signed integer",
        "unsigned integer",
        "integral",
        "real floating",
        "complex floating",
        "numeric",
        ("bool", "integral"),
    ):
        got = info.dtypes(kind=kind)
        # a backend may lack some dtypes (JAX without x64), but never reports one of another kind
        assert set(got) <= set(reference.dtypes(kind=kind)), kind
        assert all(got[name] is getattr(ut, name) for name in got)
        assert set(got) == {d.name for d in ut.backends.get(backend).dtypes() if kind is None or ut.isdtype(d, kind)}


def test_namespace_info_defaults_to_the_current_backend(backend):
    with ut.use_backend(backend):
        assert ut.__array_namespace_info__().devices() == tuple(ut.backends.get(backend).devices())


def test_namespace_info_rejects_an_unknown_device(backend):
    with pytest.raises(Exception, match="device"):
        ut.__array_namespace_info__(backend).dtypes(device="cuda:99")


@pytest.mark.parametrize(("call", "args"), [("arange", (-1, 0)), ("arange", (0, -3, -1)), ("full", ((2,), -1))])
def test_integers_an_unsigned_dtype_cannot_hold_raise_instead_of_wrapping(backend, call, args):
    with pytest.raises(OverflowError, match=r"-\d out of bounds for uint8"):
        getattr(ut, call)(*args, dtype=ut.uint8, backend=backend)
    assert ut.arange(5, -1, -1, dtype=ut.uint8, backend=backend).tolist() == [5, 4, 3, 2, 1, 0]
    assert ut.full((2,), 255, dtype=ut.uint8, backend=backend).tolist() == [255, 255]
