"""ut.jit, ut.vmap, ut.jvp, jacfwd/jacrev/hessian, stop_gradient, custom_vjp and checkpoint on every backend.

Results are compared with NumPy closed forms and central finite differences,
with the backend's default engine and with the tape forced. torch.compile
takes seconds a function here, so torch runs eagerly (UNITENSOR_TORCH_COMPILE=0)
except in the tests marked ``compiles``, which compile two tiny functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import unitensor as ut
from unitensor.autodiff._tape import Traced

ENGINES = [pytest.param(None, id="default"), pytest.param("tape", id="tape")]


@pytest.fixture(autouse=True)
def eager_torch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "compiles" not in request.node.name:
        monkeypatch.setenv("UNITENSOR_TORCH_COMPILE", "0")


def float_dtype(backend: str) -> Any:
    return ut.float64 if ut.float64 in ut.backends.get(backend).dtypes() else ut.float32


def tensor(values: Any, backend: str) -> ut.Tensor:
    return ut.asarray(np.asarray(values, dtype=np.float64), dtype=float_dtype(backend), backend=backend)


def close(got: Any, expected: Any, backend: str, loose: bool = False) -> None:
    assert isinstance(got, ut.Tensor) and got.backend.name == backend and type(got) is ut.Tensor
    tolerance = (1e-5 if loose else 1e-10) if float_dtype(backend) == ut.float64 else 2e-3
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=tolerance, atol=tolerance)


def central_differences(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The Jacobian of a NumPy function, shape ``out.shape + x.shape``."""
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        jac[(...,) + i] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h)
    return jac


def loss(w: ut.Tensor, x: ut.Tensor) -> ut.Tensor:
    return ut.sum(ut.tanh(x @ w) ** 2)


def loss_np(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.sum(np.tanh(x @ w) ** 2)


def loss_grad_np(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.tanh(x @ w)
    return x.T @ (2 * t * (1 - t**2))


W = np.array([0.3, -0.7, 0.5])
XS = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 0.8], [-1.2, 0.4, 0.1], [0.0, 1.0, 2.0]])


# -- jit ------------------------------------------------------------------------------------


def test_jit_gives_the_function_s_results_with_pytrees_in_and_out(backend: str) -> None:
    params = {"w": tensor(W, backend), "b": [tensor(0.5, backend)]}
    x = tensor(XS, backend)

    @ut.jit
    def forward(p: dict[str, Any], x: ut.Tensor, scale: float = 2.0) -> dict[str, Any]:
        out = scale * (x @ p["w"] + p["b"][0])
        return {"out": out, "pair": (ut.sum(out), None)}

    got = forward(params, x)
    expected = 2.0 * (XS @ W + 0.5)
    close(got["out"], expected, backend)
    close(got["pair"][0], expected.sum(), backend)
    assert got["pair"][1] is None
    close(forward(params, x, scale=3.0)["out"], 3.0 * (XS @ W + 0.5), backend)  # a new constant: retraced


def test_jit_static_argnums_are_constants_that_python_control_flow_may_read(backend: str) -> None:
    @ut.jit(static_argnums=1)
    def power(x: ut.Tensor, n: int = 4) -> ut.Tensor:
        out = x
        for _ in range(n - 1):
            out = out * x
        return out

    x = tensor([1.5, -2.0], backend)
    close(power(x, 3), np.array([1.5, -2.0]) ** 3, backend)
    close(power(x, 2), np.array([1.5, -2.0]) ** 2, backend)
    close(power(x), np.array([1.5, -2.0]) ** 4, backend)  # the static argument left to its default


def test_jit_donated_arguments_give_the_same_results(backend: str) -> None:
    update = ut.jit(lambda w, g: w - 0.1 * g, donate_argnums=0)
    close(update(tensor(W, backend), tensor([1.0, 2.0, 3.0], backend)), W - 0.1 * np.array([1.0, 2.0, 3.0]), backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_jit_of_grad_and_grad_of_jit(backend: str, engine: str | None) -> None:
    w, x = tensor(W, backend), tensor(XS, backend)
    expected = loss_grad_np(W, XS)
    close(ut.jit(ut.grad(loss, engine=engine))(w, x), expected, backend)
    close(ut.grad(ut.jit(loss), engine=engine)(w, x), expected, backend)
    value, g = ut.jit(ut.value_and_grad(loss, engine=engine))(w, x)
    close(value, loss_np(W, XS), backend)
    close(g, expected, backend)
    close(second_derivative(ut.jit, engine, tensor([0.7], backend)), [SECOND_AT_07], backend)


def sin_x2(x: ut.Tensor) -> ut.Tensor:
    return ut.sum(ut.sin(x) * x**2)


SECOND_AT_07 = -np.sin(0.7) * 0.49 + 4 * 0.7 * np.cos(0.7) + 2 * np.sin(0.7)


def second_derivative(transform: Callable[..., Any], engine: str | None, x: ut.Tensor) -> ut.Tensor:
    """grad(grad(transform(sin(x) x**2))): grad∘grad through a transformed function."""
    return ut.grad(lambda x: ut.sum(ut.grad(transform(sin_x2), engine=engine)(x)), engine=engine)(x)


def test_jit_training_step_matches_eager(backend: str) -> None:
    def step(p: dict[str, ut.Tensor], x: ut.Tensor) -> tuple[ut.Tensor, dict[str, ut.Tensor]]:
        value, grads = ut.value_and_grad(lambda p: loss(p["w"], x))(p)
        return value, {k: v - 0.1 * grads[k] for k, v in p.items()}

    p = {"w": tensor(W, backend)}
    compiled = ut.jit(step)
    for _ in range(3):
        v_eager, p_eager = step(p, tensor(XS, backend))
        v_jit, p = compiled(p, tensor(XS, backend))
        close(v_jit, v_eager.numpy(), backend)
        close(p["w"], p_eager["w"].numpy(), backend)


def test_jit_rejects_unhashable_constants_and_bad_argnums(backend: str) -> None:
    f = ut.jit(lambda x, table: x * 2)
    x = tensor([1.0], backend)
    native_compiler = ut.backends.get(backend).jit(lambda *a: a, (0,), ()) is not None
    if native_compiler:
        with pytest.raises(TypeError, match="hashable"):
            f(x, np.ones(2))
    with pytest.raises(ValueError, match="both static and donated"):
        ut.jit(lambda x: x, static_argnums=0, donate_argnums=0)
    with pytest.raises(TypeError, match="needs a function"):
        ut.jit(3)


@pytest.mark.slow
def test_jit_compiles_with_torch_compile(recwarn: pytest.WarningsRecorder) -> None:
    """The one test that runs torch.compile (seconds per function): gradients, both composition orders."""
    torch = pytest.importorskip("torch")
    torch._dynamo.reset()
    w, x = tensor(W, "torch"), tensor(XS, "torch")
    close(ut.jit(ut.grad(loss))(w, x), loss_grad_np(W, XS), "torch")
    close(ut.grad(ut.jit(loss))(w, x), loss_grad_np(W, XS), "torch")
    close(second_derivative(ut.jit, None, tensor([0.7], "torch")), [SECOND_AT_07], "torch")
    assert not [w for w in recwarn.list if "cannot compile" in str(w.message)], "torch.compile fell back to eager"


def test_jit_compiles_nothing_that_reads_values_and_runs_it_eagerly() -> None:
    """torch: a function that reads a Tensor value into Python cannot be traced; it runs eagerly, with a warning."""
    pytest.importorskip("torch")
    x = tensor([1.0, 2.0], "torch")
    with pytest.warns(RuntimeWarning, match="cannot be traced"):
        close(ut.jit(lambda x: x * float(ut.sum(x)))(x), [3.0, 6.0], "torch")
    with pytest.raises(ValueError):  # the function's own error, not a tracing failure
        ut.jit(lambda x: x @ ut.ones((3, 3), dtype=x.dtype, backend="torch"))(x)


# -- vmap --------------------------------------------------------------------------------------


def test_vmap_maps_an_axis_with_in_axes_and_out_axes(backend: str) -> None:
    xs, w = tensor(XS, backend), tensor(W, backend)
    close(ut.vmap(lambda x, w: x * w, in_axes=(0, None))(xs, w), XS * W, backend)
    close(ut.vmap(lambda x: ut.sum(x**2), in_axes=1)(xs), np.sum(XS**2, axis=0), backend)
    close(ut.vmap(lambda x: 2 * x, in_axes=0, out_axes=1)(xs), 2 * XS.T, backend)
    pair = ut.vmap(lambda p: {"s": ut.sum(p["a"]), "a": p["a"] + p["b"]}, in_axes=({"a": 0, "b": None},))(
        {"a": xs, "b": w}
    )
    close(pair["s"], XS.sum(axis=1), backend)
    close(pair["a"], XS + W, backend)


def test_nested_vmap_gives_the_outer_product(backend: str) -> None:
    a, b = tensor([1.0, 2.0, 3.0], backend), tensor([10.0, -1.0], backend)
    outer = ut.vmap(ut.vmap(lambda u, v: u * v, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    close(outer, np.outer([1.0, 2.0, 3.0], [10.0, -1.0]), backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_vmap_of_grad_gives_per_example_gradients(backend: str, engine: str | None) -> None:
    per_example = ut.vmap(ut.grad(loss, engine=engine), in_axes=(None, 0))(tensor(W, backend), tensor(XS, backend))
    expected = np.stack([loss_grad_np(W, x[None]) for x in XS])
    close(per_example, expected, backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_grad_of_vmap(backend: str, engine: str | None) -> None:
    def batch_loss(w: ut.Tensor, xs: ut.Tensor) -> ut.Tensor:
        return ut.sum(ut.vmap(lambda x: loss(w, x), in_axes=0)(xs))

    close(ut.grad(batch_loss, engine=engine)(tensor(W, backend), tensor(XS, backend)), loss_grad_np(W, XS), backend)


def test_vmap_errors_say_what_was_wrong(backend: str) -> None:
    xs = tensor(XS, backend)
    with pytest.raises(ValueError, match="one known size"):
        ut.vmap(lambda a, b: a + b)(xs, tensor([1.0, 2.0], backend))
    with pytest.raises(ValueError, match="cannot map axis 2"):
        ut.vmap(lambda a: a, in_axes=2)(xs)
    with pytest.raises(ValueError, match="in_axes with 1 entries"):
        ut.vmap(lambda a, b: a, in_axes=(0,))(xs, xs)
    with pytest.raises(TypeError, match="maps Tensors only"):
        ut.vmap(lambda a, b: a, in_axes=(0, 0))(xs, 3.0)


# -- forward mode and higher derivatives ------------------------------------------------------


def cubic(x: ut.Tensor) -> ut.Tensor:
    return ut.sin(x) * x**2 + ut.exp(x[0]) * x


def cubic_np(x: np.ndarray) -> np.ndarray:
    return np.sin(x) * x**2 + np.exp(x[0]) * x


X0 = np.array([0.3, -1.1, 0.8])
V0 = np.array([1.0, 0.5, -2.0])


@pytest.mark.parametrize("engine", ENGINES)
def test_jvp_matches_finite_differences(backend: str, engine: str | None) -> None:
    out, tangent = ut.jvp(cubic, (tensor(X0, backend),), (tensor(V0, backend),), engine=engine)
    close(out, cubic_np(X0), backend)
    close(tangent, central_differences(cubic_np, X0) @ V0, backend, loose=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_jvp_takes_pytrees_and_several_primals(backend: str, engine: str | None) -> None:
    def f(p: dict[str, ut.Tensor], x: ut.Tensor) -> tuple[ut.Tensor, ut.Tensor]:
        return p["w"] * x, ut.sum(p["w"] ** 2)

    p, x = {"w": tensor(W, backend)}, tensor([1.0, 2.0, 3.0], backend)
    dp, dx = {"w": tensor([1.0, 0.0, -1.0], backend)}, tensor([0.5, 0.5, 0.5], backend)
    (prod, sq), (d_prod, d_sq) = ut.jvp(f, (p, x), (dp, dx), engine=engine)
    close(prod, W * np.array([1.0, 2.0, 3.0]), backend)
    close(d_prod, np.array([1.0, 0.0, -1.0]) * [1.0, 2.0, 3.0] + W * 0.5, backend)
    close(sq, np.sum(W**2), backend)
    close(d_sq, 2 * W @ np.array([1.0, 0.0, -1.0]), backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_jvp_of_grad_is_a_hessian_vector_product(backend: str, engine: str | None) -> None:
    x = tensor(X0, backend)
    scalar = lambda x: ut.sum(cubic(x) ** 2)
    _, hvp = ut.jvp(ut.grad(scalar, engine=engine), (x,), (tensor(V0, backend),), engine=engine)
    expected = central_differences(_exact_grad_of_squared_cubic, X0) @ V0
    np.testing.assert_allclose(
        hvp.numpy(),
        expected,
        rtol=1e-5 if float_dtype(backend) == ut.float64 else 3e-3,
        atol=1e-5 if float_dtype(backend) == ut.float64 else 3e-3,
    )


def _exact_grad_of_squared_cubic(x: np.ndarray) -> np.ndarray:
    """d/dx sum(cubic(x)**2), by hand: 2 cubic(x) @ J(x)."""
    jac = np.diag(np.cos(x) * x**2 + 2 * x * np.sin(x) + np.exp(x[0]))
    jac[:, 0] += np.exp(x[0]) * x
    return 2 * cubic_np(x) @ jac


@pytest.mark.parametrize("engine", ENGINES)
def test_grad_of_grad_and_grad_of_jvp(backend: str, engine: str | None) -> None:
    x = tensor([0.7], backend)
    second = ut.grad(lambda x: ut.sum(ut.grad(lambda y: ut.sum(ut.sin(y) * y**2), engine=engine)(x)), engine=engine)(x)
    close(second, [-np.sin(0.7) * 0.49 + 4 * 0.7 * np.cos(0.7) + 2 * np.sin(0.7)], backend)
    directional = ut.grad(lambda x: ut.sum(ut.jvp(ut.sin, (x,), (ut.ones_like(x),), engine=engine)[1]), engine=engine)(
        x
    )
    close(directional, [-np.sin(0.7)], backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_jacfwd_jacrev_and_hessian_match_finite_differences(backend: str, engine: str | None) -> None:
    x = tensor(X0, backend)
    expected = central_differences(cubic_np, X0)
    close(ut.jacfwd(cubic, engine=engine)(x), expected, backend, loose=True)
    close(ut.jacrev(cubic, engine=engine)(x), expected, backend, loose=True)
    hessian = ut.hessian(lambda x: ut.sum(cubic(x) ** 2), engine=engine)(x)
    assert hessian.shape == (3, 3)
    close(hessian, central_differences(_exact_grad_of_squared_cubic, X0), backend, loose=True)


def test_jacfwd_of_several_arguments_has_one_block_each(backend: str) -> None:
    a, b = tensor([1.0, 2.0], backend), tensor([3.0], backend)
    ja, jb = ut.jacfwd(lambda a, b: a * b, argnums=(0, 1))(a, b)
    close(ja, np.diag([3.0, 3.0]), backend)
    close(jb, [[1.0], [2.0]], backend)


def test_jvp_errors_say_what_was_wrong(backend: str) -> None:
    x = tensor([1.0, 2.0], backend)
    with pytest.raises(TypeError, match="as tuples"):
        ut.jvp(ut.sin, x, x)
    with pytest.raises(ValueError, match="shape and dtype"):
        ut.jvp(ut.sin, (x,), (tensor([1.0], backend),))
    with pytest.raises(ValueError, match="structure of primals"):
        ut.jvp(ut.sin, (x,), (x, x))


# -- control over gradients -------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_gradient_cuts_every_engine(backend: str, engine: str | None) -> None:
    x = tensor([3.0, -1.0], backend)
    close(ut.grad(lambda x: ut.sum(x * ut.stop_gradient(x)), engine=engine)(x), [3.0, -1.0], backend)
    _, tangent = ut.jvp(lambda x: x * ut.stop_gradient(x), (x,), (ut.ones_like(x),), engine=engine)
    close(tangent, [3.0, -1.0], backend)
    tree = ut.stop_gradient({"a": x, "n": 1})
    assert tree["n"] == 1 and type(tree["a"]) is ut.Tensor


@ut.custom_vjp
def clipped_square(x: ut.Tensor) -> ut.Tensor:
    return x**2


def _clipped_square_fwd(x: ut.Tensor) -> tuple[ut.Tensor, tuple[ut.Tensor, str]]:
    return x**2, (x, "saved constant")


def _clipped_square_bwd(residuals: tuple[ut.Tensor, str], g: ut.Tensor) -> tuple[ut.Tensor]:
    x, constant = residuals
    assert constant == "saved constant"
    return (ut.clip(2 * x * g, -1.0, 1.0),)


clipped_square.defvjp(_clipped_square_fwd, _clipped_square_bwd)


@pytest.mark.parametrize("engine", ENGINES)
def test_custom_vjp_rule_is_used_by_every_engine(backend: str, engine: str | None) -> None:
    x = tensor([0.2, -3.0, 4.0], backend)
    close(clipped_square(x), [0.04, 9.0, 16.0], backend)
    close(ut.grad(lambda x: ut.sum(clipped_square(x)), engine=engine)(x), [0.4, -1.0, 1.0], backend)
    # under vmap (per-example gradients) and jit too
    per_example = ut.vmap(ut.grad(lambda x: clipped_square(x), engine=engine))(x)
    close(per_example, [0.4, -1.0, 1.0], backend)
    close(ut.jit(ut.grad(lambda x: ut.sum(clipped_square(x)), engine=engine))(x), [0.4, -1.0, 1.0], backend)


@pytest.mark.parametrize("engine", ENGINES)
def test_custom_vjp_with_several_arguments_and_outputs(backend: str, engine: str | None) -> None:
    @ut.custom_vjp
    def both(a: ut.Tensor, b: ut.Tensor) -> tuple[ut.Tensor, ut.Tensor]:
        return a * b, a + b

    both.defvjp(
        lambda a, b: ((a * b, a + b), (a, b)), lambda res, g: (10 * (g[0] * res[1] + g[1]), None)
    )  # a scaled rule, and no gradient for b
    a, b = tensor([1.0, 2.0], backend), tensor([3.0, 4.0], backend)
    ga, gb = ut.grad(lambda a, b: ut.sum(both(a, b)[0] + 2 * both(a, b)[1]), argnums=(0, 1), engine=engine)(a, b)
    close(ga, 10 * (np.array([3.0, 4.0]) + 2), backend)
    close(gb, [0.0, 0.0], backend)


def test_custom_vjp_needs_a_rule(backend: str) -> None:
    @ut.custom_vjp
    def f(x: ut.Tensor) -> ut.Tensor:
        return x

    with pytest.raises(TypeError, match="defvjp"):
        f(tensor([1.0], backend))


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_gives_the_same_values_and_gradients(backend: str, engine: str | None) -> None:
    block = ut.checkpoint(lambda w, x: ut.tanh(x @ w))
    w, x = tensor(W, backend), tensor(XS, backend)
    close(block(w, x), np.tanh(XS @ W), backend)
    got = ut.grad(lambda w: ut.sum(block(w, x) ** 2), engine=engine)(w)
    close(got, loss_grad_np(W, XS), backend)


def test_transformations_keep_tensors_plain_outside_gradients(backend: str) -> None:
    x = tensor([1.0, 2.0], backend)
    for result in (
        ut.jit(ut.sin)(x),
        ut.vmap(ut.sin)(x),
        ut.checkpoint(ut.sin)(x),
        ut.stop_gradient(x),
        *ut.jvp(ut.sin, (x,), (x,)),
    ):
        assert type(result) is ut.Tensor and not isinstance(result, Traced)
        assert not result.requires_grad


# -- the README's example -----------------------------------------------------------------------


def readme_blocks() -> list[str]:
    """The code blocks of the README's section on transformations."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text[text.index("## Transformations") : text.index("## Backend notes")]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def reference_train_step(
    w: np.ndarray, b: float, x: np.ndarray, y: np.ndarray, lr: float = 0.5, clip: float = 1.0
) -> tuple[np.ndarray, float, float]:
    """The README's step in NumPy, per-example gradients by hand."""
    t = np.tanh(x @ w + b)
    d = 2 * (t - y) * (1 - t**2)
    grads_w, grads_b = d[:, None] * x, d
    scale = 1.0 / np.maximum(np.sqrt(np.sum(grads_w**2, axis=1) + grads_b**2) / clip, 1.0)
    return (
        w - lr * np.mean(grads_w * scale[:, None], axis=0),
        b - lr * np.mean(grads_b * scale),
        float(np.mean((t - y) ** 2)),
    )


def test_readme_example_runs_as_shown(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    definitions, loop = readme_blocks()[1:]
    exec(definitions, namespace)  # noqa: S102 - the README's own code
    exec(loop, namespace)  # noqa: S102
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == ["numpy", "torch", "jax"]
    losses = [float(line.split("loss")[1]) for line in lines]
    assert max(losses) - min(losses) < 2e-4 and max(losses) < 0.05


def test_readme_train_step_on_every_backend(backend: str) -> None:
    namespace: dict[str, Any] = {}
    exec(readme_blocks()[1], namespace)  # noqa: S102 - the README's own code
    rng = np.random.default_rng(0)
    x_np = rng.normal(size=(8, 3))
    y_np = np.tanh(x_np @ np.array([1.0, -2.0, 0.5]))
    params = {"w": tensor(np.zeros(3), backend), "b": tensor(0.0, backend)}
    w, b = np.zeros(3), 0.0
    for _ in range(3):
        params, value = namespace["train_step"](params, tensor(x_np, backend), tensor(y_np, backend))
        w, b, expected = reference_train_step(w, b, x_np, y_np)
        close(value, expected, backend)
        close(params["w"], w, backend)
        close(params["b"], b, backend)


def test_a_plugin_backend_gets_the_fallbacks(toy: str) -> None:
    """A run-time registered backend without hooks: jit is a plain call, vmap loops, jvp runs on the tape."""
    w, xs = ut.asarray(W, backend=toy), ut.asarray(XS, backend=toy)
    per_example = ut.jit(ut.vmap(ut.grad(loss), in_axes=(None, 0)))(w, xs)
    assert per_example.backend.name == toy
    np.testing.assert_allclose(per_example.numpy(), np.stack([loss_grad_np(W, x[None]) for x in XS]), rtol=1e-10)
    _, tangent = ut.jvp(lambda w: loss(w, xs), (w,), (ut.ones_like(w),))
    np.testing.assert_allclose(float(tangent), loss_grad_np(W, XS).sum(), rtol=1e-10)
