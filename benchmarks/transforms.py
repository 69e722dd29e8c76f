"""``ut.jit`` and ``ut.vmap`` against the frameworks' own transformations, one loss for every library.

* A small-MLP training step (``value_and_grad`` and an SGD update) under
  ``ut.jit`` against the same step written natively: ``jax.jit`` on JAX,
  ``torch.compile`` on torch (or both eager where torch.compile cannot build).
* Per-example gradients, ``ut.vmap(ut.grad(loss))`` against
  ``jax.vmap(jax.grad(loss))`` and ``torch.func.vmap(torch.func.grad(loss))``,
  eager (each call traces, as the native code does).

JAX results are waited for (``block_until_ready``). torch.compile takes tens
of seconds per function on a small machine; it is compiled once, before timing.
Each ratio's two variants are timed together, interleaved, apart from the others.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from ._timing import Timing, interleaved
from .gradients import SIZES, _data, loss

#: ratio name -> (numerator variant, denominator variant); the targets read these
RATIOS = {
    "ut.jit step jax/jax.jit": ("ut.jit step (jax)", "jax.jit step"),
    "ut.jit step torch/torch.compile": ("ut.jit step (torch)", "torch.compile step"),
    "ut.vmap per-example grads jax/jax.vmap": ("ut.vmap(ut.grad) (jax)", "jax.vmap(jax.grad)"),
    "ut.vmap per-example grads torch/torch.func.vmap": ("ut.vmap(ut.grad) (torch)", "torch.func.vmap(torch.func.grad)"),
}
#: ratio name -> the issue's target
TARGETS = {
    "ut.jit step jax/jax.jit": 1.02,
    "ut.jit step torch/torch.compile": 1.10,
    "ut.vmap per-example grads jax/jax.vmap": 1.10,
    "ut.vmap per-example grads torch/torch.func.vmap": 1.10,
}
LR = 0.1


def sgd_step(value_and_grad: Callable[..., Any], params: dict[str, Any], x: Any, y: Any) -> Any:
    value, grads = value_and_grad(params, x, y)
    return value, {name: p - LR * grads[name] for name, p in params.items()}


def example_loss(params: dict[str, Any], x: Any, y: Any, xp: Any) -> Any:
    """The MLP loss of one example (``x`` of shape ``(inputs,)``)."""
    hidden = xp.tanh(x @ params["w1"] + params["b1"])
    return xp.sum((hidden @ params["w2"] + params["b2"] - y) ** 2)


def _variants() -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    import numpy as np

    import unitensor as ut

    params, x, y = _data("small")
    variants: dict[str, Callable[[], Any]] = {}
    missing: dict[str, str] = {}

    def add(name: str, build: Callable[[], Callable[[], Any]]) -> None:
        try:
            step = build()
            step()  # compile / warm up, and fail here rather than in the timing loop
            step()
            variants[name] = step
        except Exception as exc:  # noqa: BLE001 - a variant that cannot run is reported, not fatal
            missing[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"

    def tensors(backend: str) -> tuple[dict[str, Any], Any, Any]:
        def convert(a: Any) -> Any:
            return ut.asarray(np.asarray(a, dtype=np.float32), backend=backend)

        return {k: convert(v) for k, v in params.items()}, convert(x), convert(y)

    ut_step = ut.jit(functools.partial(sgd_step, ut.value_and_grad(functools.partial(loss, xp=ut))))
    ut_per_example = ut.vmap(ut.grad(functools.partial(example_loss, xp=ut)), in_axes=(None, 0, 0))

    def ut_jit(backend: str, wait: Callable[[Any], Any]) -> Callable[[], Any]:
        tp, tx, ty = tensors(backend)
        return lambda: wait(ut_step(tp, tx, ty))

    def ut_vmap(backend: str, wait: Callable[[Any], Any]) -> Callable[[], Any]:
        tp, tx, ty = tensors(backend)
        return lambda: wait(ut_per_example(tp, tx, ty))

    if importlib.util.find_spec("jax"):
        import jax

        def jax_wait(tree: Any) -> Any:
            return jax.block_until_ready(tree)  # Tensor is a JAX pytree node

        add("jax.jit step", lambda: _jax_native(params, x, y, jit=True))
        add("ut.jit step (jax)", lambda: ut_jit("jax", jax_wait))
        add("jax.vmap(jax.grad)", lambda: _jax_native(params, x, y, jit=False))
        add("ut.vmap(ut.grad) (jax)", lambda: ut_vmap("jax", jax_wait))
    if importlib.util.find_spec("torch"):
        add("torch.compile step", lambda: _torch_native(params, x, y, compiled=True))
        add("ut.jit step (torch)", lambda: ut_jit("torch", lambda out: out))
        add("torch.func.vmap(torch.func.grad)", lambda: _torch_native(params, x, y, compiled=False))
        add("ut.vmap(ut.grad) (torch)", lambda: ut_vmap("torch", lambda out: out))
    return variants, missing


def _jax_native(params: dict[str, Any], x: Any, y: Any, jit: bool) -> Callable[[], Any]:
    import jax
    import jax.numpy as jnp

    jp = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in params.items()}
    jx, jy = jnp.asarray(x, dtype=jnp.float32), jnp.asarray(y, dtype=jnp.float32)
    if jit:
        step = jax.jit(functools.partial(sgd_step, jax.value_and_grad(functools.partial(loss, xp=jnp))))
    else:
        step = jax.vmap(jax.grad(functools.partial(example_loss, xp=jnp)), in_axes=(None, 0, 0))
    return lambda: jax.block_until_ready(step(jp, jx, jy))


def _torch_native(params: dict[str, Any], x: Any, y: Any, compiled: bool) -> Callable[[], Any]:
    import torch

    torch.set_num_threads(1)
    tp = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in params.items()}
    tx, ty = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    if compiled:
        grad_and_value = torch.func.grad_and_value(functools.partial(loss, xp=torch))

        def value_and_grad(*args: Any) -> Any:
            grads, value = grad_and_value(*args)
            return value, grads

        step = torch.compile(functools.partial(sgd_step, value_and_grad))
        return lambda: step(tp, tx, ty)
    per_example = torch.func.vmap(torch.func.grad(functools.partial(example_loss, xp=torch)), in_dims=(None, 0, 0))
    return lambda: per_example(tp, tx, ty)


def run(*, rounds: int, sample_s: float) -> dict[str, Any]:
    import unitensor as ut

    if not hasattr(ut, "jit"):
        return {"error": "not available: ut.jit / ut.vmap are not implemented"}
    variants, missing = _variants()
    timings: dict[str, Any] = {}
    for numerator, denominator in RATIOS.values():
        # each pair on its own: a framework's busy threads or tracing caches then weigh on both alike
        pair = {name: variants[name] for name in (denominator, numerator) if name in variants}
        timings.update(interleaved(pair, rounds=rounds, sample_s=sample_s))
    medians = {name: t.median / 1e3 for name, t in timings.items() if isinstance(t, Timing)}
    bests = {name: t.best / 1e3 for name, t in timings.items() if isinstance(t, Timing)}
    return {
        "shape (batch, in, hidden, out)": SIZES["small"],
        "us": medians,
        "best_us": bests,
        "ratios": _ratios(medians),
        "ratios_best": _ratios(bests),
        "not available": missing,
        "torch step": _torch_mode(),
    }


def _torch_mode() -> str:
    import os

    if os.environ.get("UNITENSOR_TORCH_COMPILE", "1") == "0":
        return "eager (UNITENSOR_TORCH_COMPILE=0)"
    try:
        from unitensor.backends import torch as torch_backend
    except ImportError:
        return "n/a"
    failure = torch_backend._compile_failure
    return f"eager (torch.compile failed: {failure})" if failure else "torch.compile"


def _ratios(times: dict[str, float]) -> dict[str, float]:
    return {name: times[num] / times[den] for name, (num, den) in RATIOS.items() if num in times and den in times}


def table(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"transforms: {result['error']}"
    shape = tuple(result["shape (batch, in, hidden, out)"])
    title = (
        f"\n## ut.jit and ut.vmap, small MLP {shape} (us per call; median, and best round; "
        f"torch step: {result['torch step']})"
    )
    lines = [title]
    for name, us in result["us"].items():
        lines.append(f"    {name:<42}{us:>12.1f} us   (best {result['best_us'][name]:.1f})")
    for name, why in result["not available"].items():
        lines.append(f"    {name:<42}{'not available':>15}  ({why})")
    for name, ratio in result["ratios"].items():
        lines.append(f"    ratio {name:<48}{ratio:>8.2f}x   (best {result['ratios_best'][name]:.2f}x)")
    return "\n".join(lines)


def targets(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The issue's target rows (read by :func:`benchmarks.report.targets`)."""
    from .report import _row

    if not result:
        return []
    if "error" in result:
        return [_row("transforms", result["error"], None)]
    rows = []
    for name, limit in TARGETS.items():
        ratio = result["ratios"].get(name)
        best = result["ratios_best"].get(name)
        label = name + (f" ({result['torch step']})" if "torch.compile" in name else "")
        rows.append(
            _row(
                f"{label} <= {limit:.2f}x",
                f"{ratio:.2f}x (best rounds {best:.2f}x)" if ratio is not None else "not available",
                None if ratio is None else ratio <= limit,
                "" if ratio is None else f"{(ratio - 1) * 100:+.0f}% overhead",
            )
        )
    return rows
