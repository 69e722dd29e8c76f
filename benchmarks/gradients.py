"""``value_and_grad`` of an MLP loss, one definition for every library, on every engine.

The loss is written once against a namespace ``xp`` (unitensor, NumPy
through HIPS autograd, torch, jax.numpy), so each engine differentiates the
same code:

* unitensor's tape on NumPy against HIPS ``autograd`` on the same NumPy code;
* native torch autograd against unitensor on torch (native engine), and the
  tape forced on torch (``engine="tape"``);
* ``jax.value_and_grad`` against unitensor on JAX (native engine), without and
  with ``jax.jit`` around the whole gradient computation.

Each timed call does the whole step (forward, backward, gradients returned as
arrays); JAX results are waited for (``block_until_ready``).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from ._timing import Timing, interleaved

#: name -> (batch, inputs, hidden, outputs)
SIZES = {"small": (32, 16, 32, 1), "large": (256, 256, 512, 10)}
#: ratio name -> (numerator variant, denominator variant); the targets read these
RATIOS = {
    "tape/autograd": ("unitensor tape (numpy)", "HIPS autograd (numpy)"),
    "unitensor torch/torch": ("unitensor (torch, native)", "torch autograd"),
    "tape on torch/torch": ("unitensor tape (torch)", "torch autograd"),
    "unitensor jax/jax": ("unitensor (jax, native)", "jax.value_and_grad"),
    "unitensor jax jit/jax jit": ("unitensor (jax, native) under jax.jit", "jax.jit(jax.value_and_grad)"),
}


def loss(params: dict[str, Any], x: Any, y: Any, xp: Any) -> Any:
    """Mean squared error of a one-hidden-layer tanh MLP."""
    hidden = xp.tanh(x @ params["w1"] + params["b1"])
    out = hidden @ params["w2"] + params["b2"]
    return xp.mean((out - y) ** 2)


def _data(size: str) -> tuple[dict[str, Any], Any, Any]:
    return mlp_data(*SIZES[size])


def mlp_data(batch: int, n_in: int, n_hidden: int, n_out: int) -> tuple[dict[str, Any], Any, Any]:
    """NumPy parameters, inputs and targets of the MLP ``loss`` trains (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    params = {
        "w1": rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in),
        "b1": np.zeros(n_hidden),
        "w2": rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden),
        "b2": np.zeros(n_out),
    }
    return params, rng.standard_normal((batch, n_in)), rng.standard_normal((batch, n_out))


def _variants(size: str) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    """One zero-argument step per variant; and why a variant could not be set up."""
    import unitensor as ut

    params, x, y = _data(size)
    variants: dict[str, Callable[[], Any]] = {}
    missing: dict[str, str] = {}
    ut_loss = functools.partial(loss, xp=ut)

    def add(name: str, build: Callable[[], Callable[[], Any]]) -> None:
        try:
            step = build()
            step()  # compile / warm up, and fail here rather than in the timing loop
            variants[name] = step
        except Exception as exc:
            missing[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"

    def on(backend: str) -> tuple[dict[str, Any], Any, Any]:
        """The data as Tensors of ``backend``: float64 on NumPy (as autograd), float32 elsewhere."""
        import numpy as np

        dtype = np.float64 if backend == "numpy" else np.float32

        def convert(a: Any) -> Any:
            return ut.asarray(np.asarray(a, dtype=dtype), backend=backend)

        return {k: convert(v) for k, v in params.items()}, convert(x), convert(y)

    def unitensor_step(backend: str, engine: str | None = None) -> Callable[[], Any]:
        tensors = on(backend)
        value_and_grad = ut.value_and_grad(ut_loss, engine=engine)
        return lambda: value_and_grad(*tensors)

    add("unitensor tape (numpy)", lambda: unitensor_step("numpy"))
    if importlib.util.find_spec("autograd"):
        add("HIPS autograd (numpy)", _autograd_step(params, x, y))
    else:
        missing["HIPS autograd (numpy)"] = "not installed (pip install autograd)"
    if importlib.util.find_spec("torch"):
        add("torch autograd", _torch_step(params, x, y))
        add("unitensor (torch, native)", lambda: unitensor_step("torch"))
        add("unitensor tape (torch)", lambda: unitensor_step("torch", "tape"))
    if importlib.util.find_spec("jax"):
        for name, build in _jax_steps(params, x, y, ut_loss, on).items():
            add(name, build)
    return variants, missing


def _autograd_step(params: dict[str, Any], x: Any, y: Any) -> Callable[[], Callable[[], Any]]:
    def build() -> Callable[[], Any]:
        import autograd
        import autograd.numpy as anp

        value_and_grad = autograd.value_and_grad(functools.partial(loss, xp=anp))
        return lambda: value_and_grad(params, x, y)

    return build


def _torch_step(params: dict[str, Any], x: Any, y: Any) -> Callable[[], Callable[[], Any]]:
    def build() -> Callable[[], Any]:
        import torch

        torch.set_num_threads(1)
        tp = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in params.items()}
        tx, ty = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)

        def step() -> Any:
            leaves = {k: v.detach().requires_grad_() for k, v in tp.items()}
            value = loss(leaves, tx, ty, torch)
            grads = torch.autograd.grad(value, list(leaves.values()))
            return value.detach(), dict(zip(leaves, grads))

        return step

    return build


def _jax_steps(
    params: dict[str, Any], x: Any, y: Any, ut_loss: Callable[..., Any], on: Callable[[str], Any]
) -> dict[str, Callable[[], Callable[[], Any]]]:
    def native(jit: bool) -> Callable[[], Any]:
        import jax
        import jax.numpy as jnp

        value_and_grad = jax.value_and_grad(functools.partial(loss, xp=jnp))
        if jit:
            value_and_grad = jax.jit(value_and_grad)
        jp = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in params.items()}
        jx, jy = jnp.asarray(x, dtype=jnp.float32), jnp.asarray(y, dtype=jnp.float32)
        return lambda: jax.block_until_ready(value_and_grad(jp, jx, jy))

    def facade(jit: bool) -> Callable[[], Any]:
        import jax

        import unitensor as ut

        value_and_grad = ut.value_and_grad(ut_loss)
        tp, tx, ty = on("jax")
        if not jit:
            return lambda: jax.block_until_ready(_raws(value_and_grad(tp, tx, ty)))

        @jax.jit
        def compiled(p: dict[str, Any], x: Any, y: Any) -> Any:
            wrapped = {k: ut.astensor(v) for k, v in p.items()}
            return _raws(value_and_grad(wrapped, ut.astensor(x), ut.astensor(y)))

        raw_p = {k: v.raw for k, v in tp.items()}
        return lambda: jax.block_until_ready(compiled(raw_p, tx.raw, ty.raw))

    return {
        "jax.value_and_grad": lambda: native(False),
        "jax.jit(jax.value_and_grad)": lambda: native(True),
        "unitensor (jax, native)": lambda: facade(False),
        "unitensor (jax, native) under jax.jit": lambda: facade(True),
    }


def _raws(tree: Any) -> Any:
    """The native arrays of a nest of Tensors (for jax.jit outputs and block_until_ready)."""
    if isinstance(tree, dict):
        return {k: _raws(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_raws(v) for v in tree)
    return getattr(tree, "raw", tree)


def run(*, rounds: int, sample_s: float) -> dict[str, Any]:
    import unitensor as ut

    if getattr(ut.value_and_grad, "__name__", "") == "_not_yet":
        return {"error": "not available: unitensor.autodiff (ut.value_and_grad) is not implemented yet"}
    sizes = {}
    for size in SIZES:
        variants, missing = _variants(size)
        timings = interleaved(variants, rounds=rounds, sample_s=sample_s)
        medians = {name: t.median / 1e3 for name, t in timings.items() if isinstance(t, Timing)}
        bests = {name: t.best / 1e3 for name, t in timings.items() if isinstance(t, Timing)}
        sizes[size] = {
            "shape (batch, in, hidden, out)": SIZES[size],
            "us": medians,
            "best_us": bests,
            "ratios": _ratios(medians),
            "ratios_best": _ratios(bests),
            "not available": missing,
        }
    return {"sizes": sizes}


def _ratios(times: dict[str, float]) -> dict[str, float]:
    return {name: times[num] / times[den] for name, (num, den) in RATIOS.items() if num in times and den in times}


def table(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"gradients: {result['error']}"
    lines = ["\n## value_and_grad of an MLP loss (us per step: forward + backward; median, and best round)"]
    for size, block in result["sizes"].items():
        lines.append(f"{size} MLP {tuple(block['shape (batch, in, hidden, out)'])} (batch, in, hidden, out):")
        for name, us in block["us"].items():
            lines.append(f"    {name:<42}{us:>12.1f} us   (best {block['best_us'][name]:.1f})")
        for name, why in block["not available"].items():
            lines.append(f"    {name:<42}{'not available':>15}  ({why})")
        for name, ratio in block["ratios"].items():
            lines.append(f"    ratio {name:<36}{ratio:>12.2f}x   (best {block['ratios_best'][name]:.2f}x)")
    return "\n".join(lines)
