"""NumPy ufuncs and functions on Tensors point to the unitensor function; an unknown ut.<name> says where to look."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut

CASES = [
    (np.sin, "ut.sin"),
    (np.arccos, "ut.acos"),
    (np.mean, "ut.mean"),
    (np.concatenate, "ut.concat"),
    (np.einsum, "ut.extras.einsum"),
    (np.median, "ut.extras.median"),
    (np.add.reduce, "ut.sum"),
]


def _call(function, t):  # noqa: ANN001, ANN202
    if function is np.concatenate:
        return function([t, t])
    if function is np.einsum:
        return function("i->", t)
    return function(t)


@pytest.mark.parametrize(("function", "hint"), CASES, ids=[hint for _, hint in CASES])
def test_numpy_on_a_tensor_names_the_fix(backend: str, function, hint: str) -> None:  # noqa: ANN001
    t = ut.asarray([0.5, 1.0], backend=backend)
    with pytest.raises(TypeError, match=rf"does not take unitensor Tensors; use {hint}\(.*t\.numpy\(\)") as info:
        _call(function, t)
    assert "Traced" not in str(info.value)


@pytest.mark.parametrize("engine", ["tape", None])
def test_inside_grad_no_internal_class_is_named(backend: str, engine: str | None) -> None:
    x = ut.asarray([0.5, 1.0], backend=backend)
    with pytest.raises(TypeError, match=r"numpy\.sin\(\) does not take unitensor Tensors; use ut\.sin") as info:
        ut.grad(lambda x: ut.sum(np.sin(x)), engine=engine)(x)
    assert "Traced" not in str(info.value) and "_tape" not in str(info.value)


def test_operators_with_numpy_arrays_still_work() -> None:
    t = ut.asarray([1.0, 2.0])
    a = np.array([10.0, 1.0])
    for result, expected in [
        (a + t, [11.0, 3.0]),
        (a * t, [10.0, 2.0]),
        (a - t, [9.0, -1.0]),
        (a < t, [False, True]),
        (a**t, [10.0, 1.0]),
        (np.add(t, a), [11.0, 3.0]),
    ]:
        assert isinstance(result, ut.Tensor) and result.tolist() == expected
    # conversions are not computations: they still export
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    np.testing.assert_array_equal(np.from_dlpack(t), [1.0, 2.0])


def test_unknown_top_level_names_say_where_to_look() -> None:
    with pytest.raises(AttributeError, match="'einsum'; it is not in the array API standard: use ut.extras.einsum"):
        ut.einsum  # noqa: B018
    with pytest.raises(AttributeError, match="random numbers live in ut.random"):
        ut.randn  # noqa: B018
    with pytest.raises(
        AttributeError,
        match="'frobnicate'; unitensor's top level is the array API standard; non-standard functions live in ut.extras",
    ):
        ut.frobnicate  # noqa: B018
    assert not hasattr(ut, "__wrapped__")
    assert ut.extras.einsum and ut.random.Generator
