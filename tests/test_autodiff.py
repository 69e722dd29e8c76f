"""The gradient API on every backend: structures, argnums, aux, nesting, the seed's semantics, errors.

Each test runs with the backend's default engine (native on torch and JAX)
and with the tape forced, and compares against NumPy or closed forms
computed with NumPy.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unitensor as ut
from unitensor.autodiff import NoGradientRule
from unitensor.autodiff._tape import Traced

ENGINES = [pytest.param(None, id="default"), pytest.param("tape", id="tape")]
GRAD_MESSAGE = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."


def float_dtype(backend: str) -> Any:
    return ut.float64 if ut.float64 in ut.backends.get(backend).dtypes() else ut.float32


def tensor(values: Any, backend: str) -> ut.Tensor:
    return ut.asarray(np.asarray(values, dtype=np.float64), dtype=float_dtype(backend), backend=backend)


def close(got: ut.Tensor, expected: Any, backend: str) -> None:
    tolerance = 1e-10 if float_dtype(backend) == ut.float64 else 1e-5
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=tolerance, atol=tolerance)


# -- structures and arguments ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_gradients_come_back_in_the_structure_backend_and_dtype_of_the_inputs(backend: str, engine: str | None) -> None:
    w, b, v = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([0.1, -0.2]), np.array([1.5, 0.5])
    params = {"layer": [tensor(w, backend), tensor(b, backend)], "head": (tensor(v, backend),)}
    x = tensor([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]], backend)

    def loss(p: dict[str, Any], x: ut.Tensor) -> ut.Tensor:
        hidden = ut.tanh(x @ p["layer"][0] + p["layer"][1])
        return ut.mean((hidden @ p["head"][0]) ** 2)

    grads = ut.grad(loss, engine=engine)(params, x)
    assert isinstance(grads, dict) and isinstance(grads["layer"], list) and isinstance(grads["head"], tuple)
    # closed form with NumPy
    xs = x.numpy()
    hidden = np.tanh(xs @ w + b)
    out = hidden @ v
    d_out = 2 * out / len(out)
    d_pre = np.outer(d_out, v) * (1 - hidden**2)
    for got, expected, like in [
        (grads["layer"][0], xs.T @ d_pre, params["layer"][0]),
        (grads["layer"][1], d_pre.sum(0), params["layer"][1]),
        (grads["head"][0], hidden.T @ d_out, params["head"][0]),
    ]:
        assert got.backend.name == backend and got.dtype == like.dtype and got.device == like.device
        close(got, expected, backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_one_gradient_function_follows_each_calls_structure_and_checks(backend: str, engine: str | None) -> None:
    """Structures and leaf checks are cached from call to call: a new structure, or a leaf of a
    dtype that cannot be differentiated, must still be seen on the next call."""
    value_and_grad = ut.value_and_grad(
        lambda p: functools.reduce(operator.add, [ut.sum(x * x) for x in _leaves(p)]), engine=engine
    )
    a, b, c = tensor([1.0, 2.0], backend), tensor([3.0], backend), tensor([[-1.0]], backend)
    for params in ({"a": a, "b": b}, {"a": a, "b": b}, {"b": b, "a": a}, [a, (b, {"c": c})], (a,), {"a": a, "b": b}):
        value, grads = value_and_grad(params)
        assert type(grads) is type(params)
        assert [g.tolist() for g in _leaves(grads)] == [(2 * x).tolist() for x in _leaves(params)]
        assert list(grads) == list(params) if isinstance(params, dict) else True
    with pytest.raises(TypeError, match="floating-point"):
        value_and_grad({"a": a, "b": ut.asarray([1, 2], backend=backend)})
    with pytest.raises(TypeError, match="Tensors"):
        value_and_grad({"a": a, "b": 2.0})


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _leaves(value)]
    if isinstance(tree, (list, tuple)):
        return [leaf for value in tree for leaf in _leaves(value)]
    return [tree]


@pytest.mark.parametrize("engine", ENGINES)
def test_argnums_tuple_and_has_aux(backend: str, engine: str | None) -> None:
    x, y = tensor([1.0, 2.0], backend), tensor([3.0, -1.0], backend)

    def f(x: ut.Tensor, y: ut.Tensor, scale: float) -> tuple[ut.Tensor, dict[str, Any]]:
        product = x * y
        return scale * ut.sum(product * x), {"product": product, "note": "kept"}

    (value, aux), (gx, gy) = ut.value_and_grad(f, argnums=(0, 1), has_aux=True, engine=engine)(x, y, 2.0)
    close(value, 2 * np.sum([1.0 * 3 * 1, 2.0 * -1 * 2]), backend)
    close(gx, 4 * x.numpy() * y.numpy(), backend)
    close(gy, 2 * x.numpy() ** 2, backend)
    assert aux["note"] == "kept" and not aux["product"].requires_grad
    close(aux["product"], x.numpy() * y.numpy(), backend)
    g, aux = ut.grad(f, argnums=1, has_aux=True, engine=engine)(x, y, 1.0)
    close(g, x.numpy() ** 2, backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_vjp_and_jacobian(backend: str, engine: str | None) -> None:
    a = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    x = tensor([0.3, -0.7, 1.1], backend)
    out, vjp_fn = ut.vjp(lambda x: ut.sin(tensor(a, backend) @ x), x, engine=engine)
    close(out, np.sin(a @ x.numpy()), backend)
    (g,) = vjp_fn(tensor([1.0, 2.0], backend))
    close(g, a.T @ (np.array([1.0, 2.0]) * np.cos(a @ x.numpy())), backend)
    (g_again,) = vjp_fn(tensor([0.0, 1.0], backend))  # vjp_fn can be called again
    close(g_again, a.T @ (np.array([0.0, 1.0]) * np.cos(a @ x.numpy())), backend)
    jac = ut.jacobian(lambda x: ut.sin(tensor(a, backend) @ x), engine=engine)(x)
    close(jac, np.cos(a @ x.numpy())[:, None] * a, backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_second_derivatives_nest(backend: str, engine: str | None) -> None:
    def f(x: ut.Tensor) -> ut.Tensor:
        return ut.sum(ut.sin(x) * x**3)

    x = tensor([0.5, -1.2, 2.0], backend)
    xs = x.numpy()
    second = ut.grad(lambda x: ut.sum(ut.grad(f, engine=engine)(x)), engine=engine)(x)
    close(second, -np.sin(xs) * xs**3 + 6 * np.cos(xs) * xs**2 + 6 * np.sin(xs) * xs, backend)
    hessian = ut.jacobian(ut.grad(lambda x: ut.sum(x[0] * x**2), engine=engine), engine=engine)(x)
    expected = np.diag(2 * xs[0] * np.ones(3))  # f = x0^3 + x0 (x1^2 + x2^2)
    expected[0, 1:] = expected[1:, 0] = 2 * xs[1:]
    expected[0, 0] = 6 * xs[0]
    close(hessian, expected, backend)
    third = ut.grad(ut.grad(ut.grad(lambda x: x**4, engine=engine), engine=engine), engine=engine)(x[1])
    close(third, 24 * xs[1], backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_gradient_through_a_closed_over_outer_variable(backend: str, engine: str | None) -> None:
    # d/dy [ d/dx (x^2 y^3) at x ] = 6 x y^2
    x, y = tensor(1.5, backend), tensor(-2.0, backend)
    inner = lambda y: ut.grad(lambda x: x**2 * y**3, engine=engine)(x)  # noqa: E731
    close(ut.grad(inner, engine=engine)(y), 6 * 1.5 * 4.0, backend)


def test_engines_nest_inside_each_other(backend: str) -> None:
    # the tape inside the native engine records native operations, so the outer engine sees them;
    # inside an open tape, the default engine is the tape (a native inner gradient would cut it)
    x = tensor([0.5, -1.2], backend)
    f = lambda x: ut.sum(ut.exp(x) * x)  # noqa: E731
    expected = np.exp(x.numpy()) * (x.numpy() + 2)
    for outer, inner in [(None, "tape"), ("tape", None)]:
        second = ut.grad(lambda x: ut.sum(ut.grad(f, engine=inner)(x)), engine=outer)(x)
        close(second, expected, backend)


# -- the seed's semantics ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_requires_grad_detach_and_numpy_inside_a_gradient(backend: str, engine: str | None) -> None:
    x = tensor([1.0, 2.0], backend)
    seen = {}

    def f(x: ut.Tensor) -> ut.Tensor:
        y = x * 2
        seen["inside"] = (x.requires_grad, y.requires_grad, x.detach().requires_grad)
        with pytest.raises(RuntimeError) as info:
            y.numpy()
        seen["message"] = str(info.value)
        seen["detached"] = y.detach().numpy().tolist()
        return ut.sum(y * x.detach())

    g = ut.grad(f, engine=engine)(x)
    assert seen["inside"] == (True, True, False)
    assert seen["message"] == GRAD_MESSAGE
    assert seen["detached"] == [2.0, 4.0]
    close(g, 2 * x.numpy(), backend)  # the detached factor contributes no gradient
    assert not x.requires_grad and x.numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_writing_a_traced_value_into_a_plain_tensor(backend: str, engine: str | None) -> None:
    x = tensor([1.0, 2.0, 3.0], backend)

    def f(x: ut.Tensor) -> ut.Tensor:
        y = ut.zeros((4,), dtype=x.dtype, backend=x.backend)
        y[1:] = x * x
        y[0] = x[2]
        y += x[0]
        return ut.sum(y * tensor([1.0, 2.0, 3.0, 4.0], backend))

    close(ut.grad(f, engine=engine)(x), [10.0 + 4.0, 12.0, 1.0 + 24.0], backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_non_differentiable_steps_carry_no_gradient(backend: str, engine: str | None) -> None:
    x = tensor([0.5, -2.0, 3.0], backend)

    def f(x: ut.Tensor) -> ut.Tensor:
        best = ut.argmax(x)
        positive = ut.astype(x > 0, x.dtype)
        return x[best] * 2 + ut.sum(positive * x) + ut.sum(ut.floor(x))

    close(ut.grad(f, engine=engine)(x), [1.0, 0.0, 3.0], backend)
    close(ut.grad(lambda x: ut.sum(ut.round(x)), engine=engine)(x), [0.0, 0.0, 0.0], backend)


def test_nothing_is_recorded_without_a_gradient(backend: str) -> None:
    x = tensor([1.0, 2.0], backend)
    results = [x + 1, ut.exp(x), x[0], ut.sum(x), x @ x, ut.stack([x, x])]
    assert all(type(r) is ut.Tensor for r in results)
    assert not any(r.requires_grad for r in results)


@given(st.lists(st.floats(-10, 10), min_size=1, max_size=6), st.floats(-3, 3))
def test_gradient_of_a_weighted_sum_is_its_weights(values: list[float], scale: float) -> None:
    x = ut.asarray(values)
    weights = ut.asarray(np.linspace(-1, 1, len(values)) * scale)
    np.testing.assert_allclose(ut.grad(lambda x: ut.sum(x * weights))(x).numpy(), weights.numpy())


def test_grad_under_jax_jit() -> None:
    jax = pytest.importorskip("jax")
    x = ut.asarray([0.5, 1.0, 2.0], backend="jax", dtype=ut.float32)
    g = jax.jit(ut.grad(lambda x: ut.sum(ut.sin(x) * x)))(x)
    assert g.backend.name == "jax"
    np.testing.assert_allclose(g.numpy(), np.sin([0.5, 1, 2]) + np.cos([0.5, 1, 2]) * np.array([0.5, 1, 2]), rtol=1e-6)
    batched = jax.vmap(ut.grad(lambda x: ut.sum(x**3)))(ut.asarray([[1.0, 2.0], [3.0, 4.0]], backend="jax"))
    np.testing.assert_allclose(batched.numpy(), 3 * np.array([[1.0, 2.0], [3.0, 4.0]]) ** 2, rtol=1e-6)


def test_gradients_in_several_threads_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    def second_derivative(k: int) -> float:
        x = ut.asarray(float(k))
        return float(ut.grad(ut.grad(lambda x: ut.sin(x) * x**3))(x))

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(second_derivative, range(16)))
    k = np.arange(16.0)
    np.testing.assert_allclose(got, -np.sin(k) * k**3 + 6 * np.cos(k) * k**2 + 6 * np.sin(k) * k, atol=1e-9)


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_input_is_a_clear_error(backend: str, engine: str | None) -> None:
    n = ut.asarray([1, 2, 3], backend=backend)
    with pytest.raises(TypeError, match=r"floating-point Tensors.*int64.*ut.astype"):
        ut.grad(lambda n: ut.sum(n * 1.0), engine=engine)(n)
    assert n.tolist() == [1, 2, 3]


@pytest.mark.parametrize("engine", ENGINES)
def test_non_scalar_output_is_a_clear_error(backend: str, engine: str | None) -> None:
    with pytest.raises(TypeError, match=r"one element.*ut.vjp or ut.jacobian"):
        ut.grad(lambda x: x * 2, engine=engine)(tensor([1.0, 2.0], backend))


def test_bad_arguments_are_clear_errors() -> None:
    x = ut.asarray([1.0])
    with pytest.raises(ValueError, match="engine must be one of"):
        ut.grad(ut.sum, engine="autograd")
    with pytest.raises(ValueError, match="cannot differentiate numpy Tensors"):
        ut.grad(ut.sum, engine="torch")(x)
    with pytest.raises(ValueError, match=r"argnums=3.*1 positional"):
        ut.grad(ut.sum, argnums=3)(x)
    with pytest.raises(TypeError, match=r"hold a float.*ut.asarray"):
        ut.grad(lambda p: p["a"] * 2)({"a": 1.0})
    with pytest.raises(ValueError, match="found no Tensor to differentiate"):
        ut.grad(lambda p: ut.sum(x))({})
    with pytest.raises(TypeError, match=r"several backends.*numpy.*strict"):
        ut.grad(lambda a, b: ut.sum(a), argnums=(0, 1))(x, ut.asarray([1.0], backend="strict"))
    with pytest.raises(TypeError, match=r"pair \(value, aux\)"):
        ut.grad(lambda x: ut.sum(x), has_aux=True)(x)


def test_function_without_a_rule_names_itself() -> None:
    x = ut.asarray([[2.0, 1.0], [1.0, 3.0]])
    with pytest.raises(NoGradientRule, match=r"ut\.linalg\.pinv\(\) has no gradient rule"):
        ut.grad(lambda x: ut.sum(ut.linalg.pinv(x)))(x)
    with pytest.raises(
        NoGradientRule,
        match=r"ut\.copysign\(\) is not differentiable with respect to its "
        r"argument 1",
    ):
        ut.grad(lambda x: ut.sum(ut.copysign(ut.ones_like(x), x)))(x)


def test_traced_values_do_not_leak_into_results() -> None:
    x = ut.asarray([1.0, 2.0])
    value, g = ut.value_and_grad(lambda x: ut.sum(x**2))(x)
    assert type(value) is ut.Tensor and type(g) is ut.Tensor
    out, _ = ut.vjp(lambda x: x * 3, x)
    assert type(out) is ut.Tensor and not isinstance(out, Traced)
