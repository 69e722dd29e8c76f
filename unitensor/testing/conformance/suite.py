"""The conformance suite's tests, run against the backend(s) that the ``backend`` fixture names.

Every test takes a ``check`` (see :mod:`._checks`) whose id is what deviation
files name. Tests are generated from the standard's function list and the
tables in :mod:`._table` and :mod:`._gradients`: there is no test function
per operation.

Run it with ``pytest conformance --backend NAME`` from a source checkout, or
``python -m unitensor conformance --backend NAME`` from an installed
unitensor.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import unitensor as ut
from unitensor.testing import assert_close

from ..._dtypes import MIXED_KIND_TABLE
from ._checks import (
    FINDINGS,
    OPERATORS,
    SCALARS,
    Check,
    constant_checks,
    device_checks,
    export_checks,
    finding_checks,
    function_checks,
    gradient_checks,
    indexing_checks,
    invalid_input_checks,
    operator_checks,
    operator_of,
    promotion_checks,
    special_case_checks,
)
from ._compare import check_invariant, compare, same_error
from ._gradients import KINKS, finite_differences, gradient_case, objective
from ._inputs import ALL_DTYPES, Case, arrays, scalars_for, shapes
from ._special import SPECIAL_CASES, matches
from ._standard import lookup, strict_namespace
from ._table import Spec, allowed_dtypes, case_strategy, spec_for

#: examples per check under these hypothesis profiles: a backend has some 430 checks, and
#: frameworks that compile per shape (JAX) or build graphs (Dask) pay for every example (JAX's
#: conformance took 270 s of CPU with 15, most of the README's test command); the default
#: profiles run the same 5 derandomized examples, and "thorough" explores with its own max_examples
_EXAMPLES_PER_CHECK = {"ci": 5, "dev": 5}


#: the same examples on every CI run, so that a known deviation fails every time (strict xfail)
_DERANDOMIZED = {"ci"}


def _examples(known_deviation: bool = False) -> settings:
    """Settings for one check: fewer examples under CI, and no shrinking for a known deviation
    (its minimal example is not needed, and shrinking is most of a failing check's time)."""
    name = settings.get_current_profile_name()
    phases = [p for p in settings.default.phases if p is not Phase.shrink or not known_deviation]
    # a derandomized profile (the default ones) stays derandomized: every machine runs the same examples
    fixed = name in _DERANDOMIZED or settings.default.derandomize  # and no example database either
    return settings(
        max_examples=_EXAMPLES_PER_CHECK.get(name, settings.default.max_examples),
        derandomize=fixed,
        phases=phases,
        **({"database": None} if fixed else {}),
    )


@pytest.fixture
def known_deviation(request: pytest.FixtureRequest) -> bool:
    """Whether the running check is listed in the backend's deviation file."""
    return request.node.get_closest_marker("xfail") is not None


_OTHER_BACKENDS = [name for name in ut.backends.available() if name != "cupy"]


def _ids(checks: list[Check]) -> list[str]:
    return [c.id for c in checks]


def _backend_dtypes(backend: str) -> tuple[ut.DType, ...]:
    return tuple(ut.backends.get(backend).dtypes())


def _run(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, BaseException | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's divide-by-zero and invalid-value warnings are expected here
        try:
            return function(*args, **kwargs), None
        except Exception as exc:  # compared with the other side's error below
            return None, exc


def _call(name: str, spec: Spec, case: Case, backend: str, reference: bool) -> tuple[Any, BaseException | None]:
    args, kwargs = case.reference() if reference else case.on(backend)
    target = "numpy" if reference else backend
    if name == "asarray":
        source = case.args[0].reference()
        args, kwargs = (source.tolist(),), {"dtype": source.dtype}
    if spec.category == "creation" or name in ("asarray", "from_dlpack"):
        kwargs = {**kwargs, "backend": target}
    return _run(lookup(ut, name), args, kwargs)


def _compare_calls(
    name: str,
    spec: Spec,
    case: Case,
    backend: str,
    expected: Any,
    error: BaseException | None,
    actual: Any,
    actual_error: BaseException | None,
) -> None:
    if error is not None:
        assert actual_error is not None, f"NumPy raises {type(error).__name__}({error}) here, {backend} does not"
        assert same_error(actual_error, error), (
            f"NumPy raises {type(error).__name__}, {backend} raises {type(actual_error).__name__}: {actual_error}"
        )
        return
    if actual_error is not None:
        raise AssertionError(
            f"{backend} raises where NumPy does not: {type(actual_error).__name__}: {actual_error}"
        ) from actual_error
    if spec.compare in ("eigh", "svd", "qr", "unique_inverse", "unique_all"):
        check_invariant(spec.compare, actual, expected, backend, spec, case)
    else:
        compare(actual, expected, backend, spec, case)


# -- every function of the standard ------------------------------------------------------


@pytest.mark.parametrize("check", function_checks(), ids=_ids(function_checks()))
def test_function(backend: str, check: Check, known_deviation: bool) -> None:
    name = check.name
    try:
        lookup(ut, name)
    except AttributeError:
        pytest.fail(f"unitensor has no {name}(), which the standard requires", pytrace=False)
    if name in _DATA_TYPE_FUNCTIONS:
        with ut.use_backend(backend):
            _DATA_TYPE_FUNCTIONS[name]()
        return
    spec = spec_for(name)
    if spec is None:
        pytest.fail(
            f"the conformance table has no input strategy for {name}(); add a row to "
            f"unitensor/testing/conformance/_table.py",
            pytrace=False,
        )
    dtypes = tuple(d for d in allowed_dtypes(name) if d in _backend_dtypes(backend))
    if not dtypes:
        pytest.skip(f"{backend} has none of the dtypes the standard allows for {name}()")
    _check_function(name, spec, dtypes, backend, known_deviation)


def _check_function(name: str, spec: Spec, dtypes: tuple[ut.DType, ...], backend: str, known_deviation: bool) -> None:
    @_examples(known_deviation)
    @given(case=case_strategy(name, dtypes))
    def check(case: Case) -> None:
        expected, error = _call(name, spec, case, backend, reference=True)
        if name == "pow" and _unspecified_power(*case.reference()[0][:2], expected):
            return
        actual, actual_error = _call(name, spec, case, backend, reference=False)
        _compare_calls(name, spec, case, backend, expected, error, actual, actual_error)

    check()


def _strict_dtype(dtype: ut.DType) -> Any:
    return getattr(strict_namespace(), dtype.name)


def _outcome(function: Any, *args: Any) -> Any:
    try:
        result = function(*args)
    except (TypeError, ValueError) as exc:
        return "TypeError" if isinstance(exc, TypeError) else "ValueError"
    return str(result).rpartition(".")[2] if not isinstance(result, (bool, tuple)) else result


def _check_dtype_pairs(name: str) -> None:
    xs = strict_namespace()
    for a in ALL_DTYPES:
        for b in ALL_DTYPES:
            ours = _outcome(getattr(ut, name), a, b)
            standard = _outcome(getattr(xs, name), _strict_dtype(a), _strict_dtype(b))
            if name == "result_type" and (a, b) in MIXED_KIND_TABLE:  # left open by the standard: unitensor's rule
                standard = MIXED_KIND_TABLE[a, b].name
            assert ours == standard, f"ut.{name}({a}, {b}) gives {ours!r}, the standard {standard!r}"


def _check_isdtype() -> None:
    kinds = ("bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating", "numeric")
    for dtype in ALL_DTYPES:
        for kind in kinds:
            standard = strict_namespace().isdtype(_strict_dtype(dtype), kind)
            assert ut.isdtype(dtype, kind) == standard, f"ut.isdtype({dtype}, {kind!r}) != {standard}"


def _check_info(name: str) -> None:
    fields = {"finfo": ("bits", "eps", "max", "min", "smallest_normal"), "iinfo": ("bits", "max", "min")}[name]
    kinds = ("real floating", "complex floating") if name == "finfo" else ("integral",)
    for dtype in ALL_DTYPES:
        if not ut.isdtype(dtype, kinds):
            continue
        ours, standard = getattr(ut, name)(dtype), getattr(strict_namespace(), name)(_strict_dtype(dtype))
        for field in fields:
            assert getattr(ours, field) == getattr(standard, field), (
                f"ut.{name}({dtype}).{field} is {getattr(ours, field)}, the standard {getattr(standard, field)}"
            )


def _check_broadcast_shapes() -> None:
    @_examples()
    @given(first=shapes(0, 3, 0, 3), second=shapes(0, 3, 0, 3))
    def run(first: tuple[int, ...], second: tuple[int, ...]) -> None:
        ours = _outcome(ut.broadcast_shapes, first, second)
        assert ours == _outcome(strict_namespace().broadcast_shapes, first, second)

    run()


def _check_namespace_info() -> None:
    ours, standard = ut.__array_namespace_info__(), strict_namespace().__array_namespace_info__()
    assert set(ours.capabilities()) >= set(standard.capabilities()), "capabilities() lacks keys"
    assert set(ours.default_dtypes()) == set(standard.default_dtypes()), "default_dtypes() has other keys"
    assert all(isinstance(d, ut.DType) for d in ours.dtypes().values()), "dtypes() must give unitensor dtypes"
    assert ours.default_device() in ours.devices()


_DATA_TYPE_FUNCTIONS = {
    "can_cast": lambda: _check_dtype_pairs("can_cast"),
    "result_type": lambda: _check_dtype_pairs("result_type"),
    "isdtype": _check_isdtype,
    "finfo": lambda: _check_info("finfo"),
    "iinfo": lambda: _check_info("iinfo"),
    "broadcast_shapes": _check_broadcast_shapes,
    "__array_namespace_info__": _check_namespace_info,
}


@pytest.mark.parametrize("check", constant_checks(), ids=_ids(constant_checks()))
def test_constant(backend: str, check: Check) -> None:
    name = check.name
    assert hasattr(ut, name), f"unitensor has no {name}, which the standard requires"
    value, reference = getattr(ut, name), getattr(strict_namespace(), name)
    if isinstance(value, ut.DType):
        assert value.name == name
    elif isinstance(reference, float) and math.isnan(reference):
        assert math.isnan(value)
    else:
        assert value == reference, f"ut.{name} is {value!r}, the standard says {reference!r}"


# -- operators --------------------------------------------------------------------------------


@pytest.mark.parametrize("check", operator_checks(), ids=_ids(operator_checks()))
def test_operator(backend: str, check: Check, known_deviation: bool) -> None:
    core, form = operator_of(check.name)
    name = OPERATORS[core]
    dtypes = tuple(d for d in allowed_dtypes(name) if d in _backend_dtypes(backend))
    if not dtypes:
        pytest.skip(f"{backend} has none of the dtypes the standard allows for {check.name}")
    spec = spec_for(name)
    assert spec is not None
    python_op = getattr(operator, {"and": "and_", "or": "or_", "invert": "invert"}.get(core, core))

    @_examples(known_deviation)
    @given(case=case_strategy(name, dtypes))
    def run(case: Case) -> None:
        expected, error = _call(name, spec, case, backend, reference=True)
        if name == "pow" and form != "reflected" and _unspecified_power(*case.reference()[0][:2], expected):
            return
        args, _ = case.on(backend)
        if form == "plain":
            actual, actual_error = _run(python_op, args, {})
        elif form == "reflected":
            if not isinstance(args[-1], (int, float, complex, bool)):
                return  # reflected operators are for a Python scalar on the left
            if name in _DIVISIONS and _has_integer_zero(case.reference()[0][0]):
                return  # the Tensor is the divisor here: integer division by zero is implementation-defined
            actual, actual_error = _run(python_op, (args[1], args[0]), {})
            expected, error = _run(lookup(ut, name), (args[1], case.reference()[0][0]), {})
            if name == "pow" and _unspecified_power(args[1], case.reference()[0][0], expected):
                return
        else:
            if (
                error is not None
                or expected.shape != case.args[0].reference().shape
                or expected.dtype != case.args[0].base.dtype
            ):
                return  # in-place forms exist only where the result keeps the left operand's shape and dtype
            target = ut.asarray(args[0], copy=True)
            actual, actual_error = _run(getattr(operator, "i" + core.rstrip("_")), (target, args[1]), {})
        _compare_calls(name, spec, case, backend, expected, error, actual, actual_error)

    run()


#: operators whose right operand is a divisor (the table draws it nonzero; reflected, the Tensor is)
_DIVISIONS = frozenset({"floor_divide", "remainder"})


def _has_integer_zero(x: Any) -> bool:
    return x.dtype.kind in ("signed integer", "unsigned integer") and 0 in _flat(x)


def _unspecified_power(base: Any, exponent: Any, result: Any) -> bool:
    """An integer power with a negative exponent, or past its dtype's range, or a complex power of
    zero: unspecified by the standard.

    (NumPy raises for the first, torch and JAX give 0; each wraps around its own way for the second;
    torch and JAX give NaN for the third, where NumPy gives 0j or 1.)
    ``base`` and ``exponent`` are NumPy reference arrays or Python scalars; ``result`` the reference result.
    """
    exponents = _flat(exponent)
    if exponents and type(exponents[0]) is int and min(exponents) < 0:
        return True
    if any(type(b) is complex and b == 0 for b in _flat(base)):
        return True  # a complex power is exp(x2 * log(x1)) by the standard: log(0) leaves 0j ** x2 open
    if result is None or result.dtype.kind not in ("signed integer", "unsigned integer"):
        return False
    info = ut.iinfo(result.dtype)
    bases, exponents = _flat(base + 0 * exponent), _flat(exponent + 0 * base)  # broadcast, no overflow
    return not all(_power_fits(b, e, info) for b, e in zip(bases, exponents))


def _power_fits(base: int, exponent: int, info: Any) -> bool:
    if base in (-1, 0, 1):
        return True
    return exponent <= 64 and info.min <= base**exponent <= info.max  # |base| >= 2: 2**65 fits no dtype


def _flat(x: Any) -> list[Any]:
    """The elements of a Tensor or native array as Python scalars; a scalar as a list of one."""
    if isinstance(x, (int, float, complex, bool)):
        return [x]
    return ut.reshape(ut.asarray(x), (-1,)).tolist()


# -- type promotion ---------------------------------------------------------------------------


@pytest.mark.parametrize("check", promotion_checks(), ids=_ids(promotion_checks()))
def test_promotion(backend: str, check: Check) -> None:
    left, right = check.name[len("promotion[") : -1].split(",")
    dtypes = _backend_dtypes(backend)
    a = getattr(ut, left)
    if a not in dtypes:
        pytest.skip(f"{backend} has no {left}")
    x = ut.ones((2,), dtype=a, backend=backend)
    if right in SCALARS:
        scalar = SCALARS[right]
        expected = ut.result_type(a, scalar)
        result = ut.add(x, scalar) if left != "bool" else ut.logical_and(x, scalar)
        assert result.dtype == expected, (
            f"{left} array + Python {right} gives {result.dtype}, the standard says {expected}"
        )
        return
    b = getattr(ut, right)
    if b not in dtypes:
        pytest.skip(f"{backend} has no {right}")
    standard = _standard_or_mixed_kind_result(a, b)
    assert ut.result_type(a, b) == standard, (
        f"ut.result_type({left}, {right}) is {ut.result_type(a, b)}, not {standard}"
    )
    y = ut.ones((2,), dtype=b, backend=backend)
    function = ut.logical_and if standard == ut.bool else ut.add
    for result in (function(x, y), x + y if standard != ut.bool else x & y):
        assert result.dtype == standard, f"{left} with {right} gives {result.dtype}, the standard says {standard}"


def _standard_or_mixed_kind_result(a: ut.DType, b: ut.DType) -> ut.DType:
    """The standard's result dtype for ``a`` with ``b``, or unitensor's rule for the mixed kinds it leaves open."""
    if (a, b) in MIXED_KIND_TABLE:
        return MIXED_KIND_TABLE[a, b]
    xs = strict_namespace()
    return getattr(ut, str(xs.result_type(getattr(xs, a.name), getattr(xs, b.name))).rpartition(".")[2])


# -- indexing -------------------------------------------------------------------------------


def _index_key(draw: Any, rule: str, shape: tuple[int, ...]) -> Any:
    """A key for one indexing rule; keys name every axis (with a trailing ellipsis), as the
    standard leaves keys with fewer indices than dimensions unspecified."""
    n = shape[0]
    if rule == "integer":
        return draw(st.integers(0, n - 1)), ...
    if rule == "negative-integer":
        return draw(st.integers(-n, -1)), ...
    if rule == "slice":
        return slice(
            draw(st.none() | st.integers(-n, n)),
            draw(st.none() | st.integers(-n, n)),
            draw(st.none() | st.integers(1, 3)),
        ), ...
    if rule == "negative-step-slice":
        return slice(
            draw(st.none() | st.integers(-n, n - 1)),
            draw(st.none() | st.integers(-n, n - 1)),
            draw(st.integers(-3, -1)),
        ), ...
    if rule == "ellipsis":
        return ..., draw(st.integers(0, shape[-1] - 1))
    if rule == "newaxis":
        return None, slice(None), None, ...
    if rule == "multi-axis":
        return tuple(draw(st.one_of(st.integers(0, k - 1), st.just(slice(None, None, 2)))) for k in shape)
    raise KeyError(rule)


@pytest.mark.parametrize("check", indexing_checks(), ids=_ids(indexing_checks()))
def test_indexing(backend: str, check: Check, known_deviation: bool) -> None:
    rule = check.name
    dtypes = _backend_dtypes(backend)

    @_examples(known_deviation)
    @given(data=st.data())
    def run(data: Any) -> None:
        dtype = data.draw(st.sampled_from(dtypes), "dtype")
        shape = data.draw(shapes(1, 3, 1), "shape")
        x = data.draw(arrays(dtype, shape), "x")
        ref, target = x.reference(), x.on(backend)
        if rule == "boolean-mask":
            mask = data.draw(arrays(ut.bool, shape, layouts=False), "mask")
            compare(target[mask.on(backend)], ref[mask.reference()], backend, Spec("array"), Case(()))
        elif rule == "integer-array":  # one integer array per axis, broadcast together
            count = data.draw(st.integers(0, 4))
            key = tuple(
                ut.asarray(
                    data.draw(st.lists(st.integers(-n, n - 1), min_size=count, max_size=count)),
                    dtype=ut.int64,
                    backend="numpy",
                )
                for n in shape
            )
            target_key = tuple(ut.asarray(k, backend=backend) for k in key)
            compare(target[target_key], ref[key], backend, Spec("array"), Case(()))
        elif rule.startswith("setitem"):
            key = _index_key(data.draw, "slice", shape)
            value: Any = data.draw(scalars_for(dtype))
            if rule == "setitem-array":
                value_ref = ref[key]
                value = data.draw(arrays(dtype, value_ref.shape))
                ref_value, target_value = value.reference(), value.on(backend)
            else:
                ref_value = target_value = value
            expected = ut.asarray(ref, copy=True)
            expected[key] = ref_value
            target = ut.asarray(target, copy=True)
            target[key] = target_value
            compare(target, expected, backend, Spec("array"), Case(()))
        elif rule == "out-of-bounds-error":
            _, error = _run(lambda: ref[shape[0], ...], (), {})
            _, actual_error = _run(lambda: target[shape[0], ...], (), {})
            assert error is not None and actual_error is not None and same_error(actual_error, error), (
                f"x[{shape[0]}] on axis of size {shape[0]}: NumPy raises {error!r}, {backend} {actual_error!r}"
            )
        elif rule == "list-key-error":
            with pytest.raises(IndexError):
                target[[0]]
        else:
            key = _index_key(data.draw, rule, shape)
            compare(target[key], ref[key], backend, Spec("array"), Case(()))

    run()


# -- devices and conversion between backends -------------------------------------------------


@pytest.mark.parametrize("check", device_checks(_OTHER_BACKENDS), ids=_ids(device_checks(_OTHER_BACKENDS)))
def test_devices(backend: str, check: Check) -> None:
    rule = check.name
    b = ut.backends.get(backend)
    values = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, -2.25]
    if rule == "device-property":
        x = ut.asarray(values, backend=backend)
        assert x.device in ut.devices(backend), f"{x.device} is not among ut.devices({backend!r})"
        assert x.device == b.default_device()
    elif rule == "to-same-device":
        x = ut.asarray(values, backend=backend)
        assert x.to(x.device) is x, "moving a Tensor to its own device must not copy it"
    elif rule == "to-device-copy":
        x = ut.asarray(values, backend=backend)
        y = x.to(x.device, copy=True)
        assert y is not x
        _assert_identical(y, x)
    elif rule == "asarray-device":
        for device in ut.devices(backend):
            y = ut.asarray(values, backend=backend, device=device)
            assert y.device == device
    elif rule.startswith("roundtrip["):
        other = rule[len("roundtrip[") : -1]
        _roundtrip(backend, other)
    elif rule.startswith("zero-copy["):
        _zero_copy(backend, rule[len("zero-copy[") : -1])


def _sample(dtype: ut.DType) -> list[Any]:
    if dtype.kind == "bool":
        return [True, False, True]
    if dtype.kind in ("signed integer", "unsigned integer"):
        info = ut.iinfo(dtype)
        return [info.min, 0, 1, info.max]
    if dtype.kind == "real floating":
        return [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, -2.25, ut.finfo(dtype).max]
    return [complex(0.0, -0.0), complex(math.inf, 1.0), complex(math.nan, 2.0), 1.5 - 2j]


def _assert_identical(actual: ut.Tensor, expected: ut.Tensor) -> None:
    """Values exactly equal, NaN, infinities and the sign of zero included."""
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    a, e = actual.to("cpu", backend="numpy"), expected.to("cpu", backend="numpy")
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    assert a.tolist() == e.tolist() or _same_bits(a, e), f"{a.tolist()} != {e.tolist()}"


def _same_bits(a: ut.Tensor, e: ut.Tensor) -> bool:
    if a.dtype.kind not in ("real floating", "complex floating"):
        return False
    parts = (ut.real, ut.imag) if a.dtype.kind == "complex floating" else (lambda t: t,)
    for part in parts:
        pa, pe = part(a), part(e)
        same = (pa == pe) | (ut.isnan(pa) & ut.isnan(pe))
        if not bool(ut.all(same & (ut.signbit(pa) == ut.signbit(pe)) | ut.isnan(pa))):
            return False
    return True


def _roundtrip(backend: str, other: str) -> None:
    shared = [d for d in _backend_dtypes(backend) if d in _backend_dtypes(other)]
    for dtype in shared:
        x = ut.asarray(_sample(dtype), dtype=dtype, backend=backend)
        for view in (x, x[::2], ut.reshape(x, (2, -1))[:, ::-1] if x.shape[0] % 2 == 0 else x[::-1]):
            there = view.to(backend=other)
            assert there.backend.name == other
            _assert_identical(there, view)
            back = there.to(backend=backend)
            assert back.backend.name == backend
            _assert_identical(back, view)


def _zero_copy(backend: str, other: str) -> None:
    source, target = ut.backends.get(backend), ut.backends.get(other)
    x = ut.asarray([1.0, 2.0, 3.0], dtype=ut.float32, backend=backend)
    if backend == other:
        assert x.to(backend=other) is x, f"{backend} -> {backend} must return the Tensor itself"
        return
    if not (source.mutable and target.mutable) or source.lazy or target.lazy:
        pytest.skip(f"zero-copy is promised only between two eager, mutable backends ({backend} -> {other})")
    y = x.to(backend=other)
    y[0] = 42.0
    assert float(x[0]) == 42.0, f"{backend} -> {other} copied the data; both are on the host and DLPack can share it"


# -- export to NumPy ----------------------------------------------------------------------------


@pytest.mark.parametrize("check", export_checks(), ids=_ids(export_checks()))
def test_export(backend: str, check: Check) -> None:
    rule = check.name
    b = ut.backends.get(backend)
    for dtype in b.dtypes():
        x = ut.asarray(_sample(dtype), dtype=dtype, backend=backend)
        if rule == "values":
            exported = x.numpy()
            assert str(exported.dtype) == dtype.name, f"{dtype} exports as NumPy {exported.dtype}"
            _assert_identical(ut.astensor(exported), x)
        elif rule == "zero-copy":
            if b.lazy:
                pytest.skip(f"{backend} is lazy: numpy() computes the array, a copy by nature")
            first, second = x.numpy(), x.numpy()
            assert first.__array_interface__["data"][0] == second.__array_interface__["data"][0], (
                f"numpy() copied {dtype} host data; it should share it through DLPack"
            )
        elif rule == "array-protocol":
            _assert_identical(ut.astensor(x.__array__()), x)
        elif rule == "from-dlpack":
            _assert_identical(ut.from_dlpack(x, backend="numpy"), x)
        elif rule == "force":
            _assert_identical(ut.astensor(x.numpy(force=True)), x)
    if rule == "gpu-error":
        _gpu_error(backend)
    elif rule == "grad-error":
        _grad_error(backend)


def _gpu_error(backend: str) -> None:
    devices = [d for d in ut.devices(backend) if not d.is_host]
    if not devices:
        pytest.skip(f"{backend} has no non-host device here")
    x = ut.asarray([1.0], backend=backend, device=devices[0])
    message = (
        f"can't convert {devices[0]} device type tensor to numpy. "
        "Use Tensor.cpu() to copy the tensor to host memory first."
    )
    with pytest.raises(TypeError) as info:
        x.numpy()
    assert str(info.value) == message


#: every way to export a Tensor's data out of unitensor
_EXPORTS = {
    "numpy()": lambda t: t.numpy(),
    "np.asarray": lambda t: __import__("numpy").asarray(t),
    "np.from_dlpack": lambda t: __import__("numpy").from_dlpack(t),
    "__dlpack__": lambda t: t.__dlpack__(),
}


def _grad_error(backend: str) -> None:
    message = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    for path, export in _EXPORTS.items():
        seen: list[BaseException] = []

        def f(x: ut.Tensor) -> ut.Tensor:
            try:
                export(x)
            except Exception as exc:  # noqa: BLE001 - the check is which error
                seen.append(exc)
            return ut.sum(x * x)

        x = ut.asarray([1.0, 2.0], backend=backend)
        _pending_grad(lambda: ut.grad(f)(x))
        assert seen and type(seen[0]) is RuntimeError and str(seen[0]) == message, (
            f"{path} inside a gradient computation must raise RuntimeError({message!r}); got {seen!r}"
        )


def _pending_grad(run: Any) -> Any:
    try:
        return run()
    except NotImplementedError as exc:
        pytest.skip(f"pending: unitensor.autodiff does not work yet ({exc})")


# -- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize("check", gradient_checks(), ids=_ids(gradient_checks()))
def test_gradient(backend: str, check: Check, known_deviation: bool) -> None:
    name = check.name
    dtype = ut.float64 if ut.float64 in _backend_dtypes(backend) else ut.float32
    if name.startswith("kink["):
        _gradient_at_kink(name[len("kink[") : -1], backend, dtype)
        return
    rtol, atol = (1e-5, 1e-6) if dtype == ut.float64 else (1e-2, 1e-3)
    f = objective(name)

    @_examples(known_deviation)
    @given(inputs=gradient_case(name))
    def run(inputs: list[ut.Tensor]) -> None:
        on_backend = [ut.asarray(ut.astype(x, dtype), backend=backend) for x in inputs]
        argnums = tuple(range(len(inputs)))
        grads = _pending_grad(lambda: ut.grad(f, argnums=argnums)(*on_backend))
        expected = finite_differences(f, inputs)
        assert len(grads) == len(expected)
        for i, (g, e) in enumerate(zip(grads, expected)):
            assert isinstance(g, ut.Tensor) and g.backend.name == backend, f"gradient {i} is not a {backend} Tensor"
            assert g.dtype == dtype, f"gradient {i} has dtype {g.dtype}, its input {dtype}"
            assert_close(
                g,
                ut.astype(e, dtype),
                rtol=rtol,
                atol=atol * (1 + float(ut.max(ut.abs(e)))),
                msg=f"d sum({name}(...)) / d input {i}",
            )

    run()


def _gradient_at_kink(name: str, backend: str, dtype: ut.DType) -> None:
    """The gradient where ``name`` is not differentiable: PyTorch's convention, as the NumPy tape gives it."""
    f, values = KINKS[name]
    expected = ut.grad(f)(ut.asarray(values, dtype=ut.float64, backend="numpy"))
    actual = _pending_grad(lambda: ut.grad(f)(ut.asarray(values, dtype=dtype, backend=backend)))
    assert_close(
        actual,
        ut.astype(expected, dtype),
        equal_nan=True,
        msg=f"gradient of {name} at {values}: PyTorch's convention at non-differentiable points",
    )


# -- inputs exploring found ------------------------------------------------------------------------


@pytest.mark.parametrize("check", finding_checks(), ids=_ids(finding_checks()))
def test_finding(backend: str, check: Check, known_deviation: bool) -> None:
    function, arguments = FINDINGS[check.name[len("found[") : -1]]
    dtypes = _backend_dtypes(backend)
    needed = [getattr(ut, a[1]) for a in arguments if isinstance(a, tuple)]
    if any(d not in dtypes for d in needed):
        pytest.skip(f"{backend} has no {', '.join(str(d) for d in needed if d not in dtypes)}")

    def on(where: str) -> list[Any]:
        return [
            ut.asarray(a[0], dtype=getattr(ut, a[1]), backend=where) if isinstance(a, tuple) else a for a in arguments
        ]

    expected = lookup(ut, function)(*on("numpy"))
    actual = lookup(ut, function)(*on(backend))
    assert actual.dtype == expected.dtype
    assert_close(actual.to("cpu", backend="numpy"), expected, equal_nan=True, msg=f"{function}{tuple(arguments)}")


# -- invalid input --------------------------------------------------------------------------------


def _invalid_call(rule: str, backend: str) -> tuple[Any, tuple[Any, ...]]:
    def make(shape: tuple[int, ...]) -> ut.Tensor:
        return ut.ones(shape, dtype=ut.float32, backend=backend)

    if rule == "binary-shapes":
        return ut.add, (make((2, 3)), make((4,)))
    if rule == "reduction-axis":
        return lambda x: ut.sum(x, axis=2), (make((2, 3)),)
    if rule == "reshape-size":
        return lambda x: ut.reshape(x, (4,)), (make((2, 3)),)
    if rule == "concat-shapes":
        return lambda x, y: ut.concat([x, y], axis=0), (make((2, 3)), make((2, 4)))
    if rule == "matmul-shapes":
        return ut.matmul, (make((2, 3)), make((2, 3)))
    if rule == "linalg-not-square":
        return ut.linalg.inv, (make((2, 3)),)
    if rule == "mixed-backends":
        other = "strict" if backend == "numpy" else "numpy"
        if other not in ut.backends.available():
            pytest.skip(f"needs a second backend ({other})")
        return ut.add, (make((2,)), ut.ones((2,), dtype=ut.float32, backend=other))
    raise KeyError(rule)


@pytest.mark.parametrize("check", invalid_input_checks(), ids=_ids(invalid_input_checks()))
def test_invalid_input(backend: str, check: Check) -> None:
    rule = check.name[len("error[") : -1]
    function, args = _invalid_call(rule, backend)
    reference_args = tuple(
        ut.asarray(a, backend="numpy") if i == 0 or rule != "mixed-backends" else a for i, a in enumerate(args)
    )
    _, error = _run(function, reference_args, {}) if rule != "mixed-backends" else (None, TypeError("two backends"))
    _, actual_error = _run(function, args, {})
    assert error is not None, f"NumPy accepts this {rule} input"
    assert actual_error is not None, f"{backend} accepts {rule} input that NumPy rejects with {error!r}"
    assert same_error(actual_error, error), (
        f"{rule}: NumPy raises {type(error).__name__}, {backend} raises {type(actual_error).__name__}: {actual_error}"
    )


# -- special cases ------------------------------------------------------------------------------

_OPERATOR_FORMS = {"floor_divide": operator.floordiv, "remainder": operator.mod}


@pytest.mark.parametrize("check", special_case_checks(), ids=_ids(special_case_checks()))
def test_special_cases(backend: str, check: Check) -> None:
    """Every row of the special-case table, on every floating dtype of its kind the backend has
    (and through the operator, for ``//`` and ``%``)."""
    cases = [case for case in SPECIAL_CASES if case.function == check.name]
    kind = "complex floating" if isinstance(cases[0].expected, complex) else "real floating"
    dtypes = [d for d in _backend_dtypes(backend) if ut.isdtype(d, kind)]
    forms = [lookup(ut, check.name)] + ([_OPERATOR_FORMS[check.name]] if check.name in _OPERATOR_FORMS else [])
    wrong = []
    for dtype in dtypes:
        arguments = [
            ut.asarray([case.args[i] for case in cases], dtype=dtype, backend=backend)
            for i in range(len(cases[0].args))
        ]
        rel = 1e-5 if dtype.bits in (32, 64) and dtype in (ut.float32, ut.complex64) else 1e-12
        for function in forms:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = function(*arguments).tolist()
            label = getattr(function, "__name__", str(function))
            wrong += [
                f"{label}{case.args} = {got!r}, not {case.expected!r} ({dtype})"
                for case, got in zip(cases, values)
                if not matches(case, got, rel)
            ]
    assert not wrong, f"{len(wrong)} special cases differ:\n" + "\n".join(wrong)
