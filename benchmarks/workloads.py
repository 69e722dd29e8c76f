"""What research code runs: training loops and numerical kernels, unitensor on each backend against native code.

* **training**: 100 steps of ``value_and_grad`` of an MLP loss plus an SGD
  update, on a small MLP (batch 64, 3 inputs, hidden 8) and a large one
  (batch 512, 256 inputs, hidden 256). Each backend against its native
  idiom: the unitensor tape on NumPy against HIPS ``autograd``; unitensor
  on torch against plain ``torch.autograd`` (``loss.backward()`` and an
  in-place update under ``no_grad``); unitensor on JAX against
  ``jax.value_and_grad``, without ``jit`` and with the whole step under
  ``jax.jit``.
* **kernels** (no gradients): conjugate gradient on a 64x64 SPD system
  (100 iterations), and k-means on 1e4 points of 16 features (8 clusters,
  10 iterations), written once against a namespace ``xp`` and run with
  ``xp`` the framework itself and ``xp = unitensor``.

Every variant of one workload is timed interleaved (:mod:`benchmarks._timing`),
one sample being the whole workload; ratios are unitensor's median over the
native median of the same run.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from ._timing import Timing, interleaved
from .gradients import loss, mlp_data

STEPS = 100
LEARNING_RATE = 0.05
#: name -> (batch, inputs, hidden, outputs)
MLPS = {"small": (64, 3, 8, 1), "large": (512, 256, 256, 1)}
CG_SIZE, CG_ITERATIONS = 64, 100
KMEANS_POINTS, KMEANS_FEATURES, KMEANS_CLUSTERS, KMEANS_ITERATIONS = 10_000, 16, 8, 10

#: ratio name -> (unitensor variant, native variant); the targets read these
TRAINING_RATIOS = {
    "numpy tape / HIPS autograd": ("unitensor tape (numpy)", "HIPS autograd (numpy)"),
    "torch / torch autograd": ("unitensor (torch)", "torch autograd"),
    "jax / jax (no jit)": ("unitensor (jax)", "jax.value_and_grad"),
    "jax jit / jax jit": ("unitensor (jax) under jax.jit", "jax.jit(step)"),
}


# -- training: one builder per variant, each returning a zero-argument "run 100 steps" -------------


def _train_unitensor(backend: str, params: dict[str, Any], x: Any, y: Any) -> Callable[[], Any]:
    import numpy as np

    import unitensor as ut

    dtype = np.float64 if backend == "numpy" else np.float32  # float64 on NumPy, as HIPS autograd
    start = {k: ut.asarray(np.asarray(v, dtype), backend=backend) for k, v in params.items()}
    tx, ty = (ut.asarray(np.asarray(a, dtype), backend=backend) for a in (x, y))
    value_and_grad = ut.value_and_grad(functools.partial(loss, xp=ut))

    def train() -> Any:
        p = start
        for _ in range(STEPS):
            value, grads = value_and_grad(p, tx, ty)
            p = {k: p[k] - LEARNING_RATE * grads[k] for k in p}
        return value

    return train


def _train_autograd(params: dict[str, Any], x: Any, y: Any) -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    value_and_grad = autograd.value_and_grad(functools.partial(loss, xp=anp))

    def train() -> Any:
        p = params
        for _ in range(STEPS):
            value, grads = value_and_grad(p, x, y)
            p = {k: p[k] - LEARNING_RATE * grads[k] for k in p}
        return value

    return train


def _train_torch(params: dict[str, Any], x: Any, y: Any) -> Callable[[], Any]:
    import torch

    start = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in params.items()}
    tx, ty = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)

    def train() -> Any:  # the tutorials' loop: backward(), then an in-place update without grad
        p = {k: v.clone().requires_grad_() for k, v in start.items()}
        for _ in range(STEPS):
            value = loss(p, tx, ty, torch)
            value.backward()
            with torch.no_grad():
                for v in p.values():
                    v -= LEARNING_RATE * v.grad
                    v.grad = None
        return value.detach()

    return train


def _train_jax(params: dict[str, Any], x: Any, y: Any, jit: bool) -> Callable[[], Any]:
    import jax
    import jax.numpy as jnp

    start = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in params.items()}
    jx, jy = jnp.asarray(x, dtype=jnp.float32), jnp.asarray(y, dtype=jnp.float32)
    value_and_grad = jax.value_and_grad(functools.partial(loss, xp=jnp))

    def step(p: dict[str, Any], x: Any, y: Any) -> Any:
        value, grads = value_and_grad(p, x, y)
        return value, jax.tree_util.tree_map(lambda v, g: v - LEARNING_RATE * g, p, grads)

    step = jax.jit(step) if jit else step

    def train() -> Any:
        p = start
        for _ in range(STEPS):
            value, p = step(p, jx, jy)
        return jax.block_until_ready(value)

    return train


def _train_unitensor_jit(params: dict[str, Any], x: Any, y: Any) -> Callable[[], Any]:
    import jax
    import jax.numpy as jnp

    import unitensor as ut

    start = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in params.items()}
    jx, jy = jnp.asarray(x, dtype=jnp.float32), jnp.asarray(y, dtype=jnp.float32)
    value_and_grad = ut.value_and_grad(functools.partial(loss, xp=ut))

    @jax.jit
    def step(p: dict[str, Any], x: Any, y: Any) -> Any:
        tensors = {k: ut.astensor(v) for k, v in p.items()}
        value, grads = value_and_grad(tensors, ut.astensor(x), ut.astensor(y))
        return value.raw, {k: (tensors[k] - LEARNING_RATE * grads[k]).raw for k in tensors}

    def train() -> Any:
        p = start
        for _ in range(STEPS):
            value, p = step(p, jx, jy)
        return jax.block_until_ready(value)

    return train


def _training_variants(size: str) -> dict[str, Callable[[], Callable[[], Any]]]:
    params, x, y = mlp_data(*MLPS[size])
    builders: dict[str, Callable[[], Callable[[], Any]]] = {
        "unitensor tape (numpy)": lambda: _train_unitensor("numpy", params, x, y),
        "HIPS autograd (numpy)": lambda: _train_autograd(params, x, y),
    }
    if importlib.util.find_spec("torch"):
        builders["torch autograd"] = lambda: _train_torch(params, x, y)
        builders["unitensor (torch)"] = lambda: _train_unitensor("torch", params, x, y)
    if importlib.util.find_spec("jax"):
        builders["jax.value_and_grad"] = lambda: _train_jax(params, x, y, jit=False)
        builders["unitensor (jax)"] = lambda: _train_unitensor("jax", params, x, y)
        builders["jax.jit(step)"] = lambda: _train_jax(params, x, y, jit=True)
        builders["unitensor (jax) under jax.jit"] = lambda: _train_unitensor_jit(params, x, y)
    return builders


# -- kernels without gradients ---------------------------------------------------------------


def conjugate_gradient(a: Any, b: Any, xp: Any) -> Any:
    """``CG_ITERATIONS`` steps of conjugate gradient for ``a @ x = b`` (no early stop: a fixed amount of work)."""
    x = xp.zeros_like(b)
    r = b - a @ x
    p = r
    rs = xp.sum(r * r)
    for _ in range(CG_ITERATIONS):
        ap = a @ p
        alpha = rs / xp.sum(p * ap)
        x = x + alpha * p
        r = r - alpha * ap
        rs_new = xp.sum(r * r)
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x


def kmeans(points: Any, centroids: Any, clusters: Any, xp: Any, as_float: Callable[[Any], Any]) -> Any:
    """``KMEANS_ITERATIONS`` Lloyd iterations: nearest centroid, then each centroid the mean of its points."""
    for _ in range(KMEANS_ITERATIONS):
        difference = points[:, None, :] - centroids[None, :, :]
        labels = xp.argmin(xp.sum(difference * difference, axis=-1), axis=1)
        members = as_float(labels[:, None] == clusters[None, :])  # (points, clusters) one-hot
        counts = xp.sum(members, axis=0)
        centroids = (members.T @ points) / xp.clip(counts, 1.0, None)[:, None]  # empty clusters: 0
    return centroids


def _kernel_data() -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    m = rng.standard_normal((CG_SIZE, CG_SIZE))
    points = rng.standard_normal((KMEANS_POINTS, KMEANS_FEATURES))
    return {
        "a": (m @ m.T / CG_SIZE + np.eye(CG_SIZE)).astype(np.float32),
        "b": rng.standard_normal(CG_SIZE).astype(np.float32),
        "points": points.astype(np.float32),
        "centroids": points[:KMEANS_CLUSTERS].astype(np.float32),
        "clusters": np.arange(KMEANS_CLUSTERS, dtype=np.int32),
    }


def _native(framework: str) -> tuple[Any, Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]:
    """``xp``, NumPy data to a native array, a bool array to float32, and "wait for the result"."""
    if framework == "numpy":
        import numpy as np

        return np, np.asarray, lambda m: m.astype(np.float32), lambda r: r
    if framework == "torch":
        import torch

        return torch, torch.from_numpy, lambda m: m.to(torch.float32), lambda r: r
    import jax
    import jax.numpy as jnp

    return jnp, jnp.asarray, lambda m: m.astype(jnp.float32), jax.block_until_ready


def _kernel_variants(framework: str) -> dict[str, dict[str, Callable[[], Any]]]:
    """kernel -> {"native": run, "unitensor": run} on ``framework``."""
    import unitensor as ut

    xp, make, as_float, ready = _native(framework)
    data = _kernel_data()
    raw = {k: make(v) for k, v in data.items()}
    ours = {k: ut.asarray(v, backend=framework) for k, v in data.items()}

    def ut_float(m: Any) -> Any:
        return ut.astype(m, ut.float32)

    return {
        "conjugate gradient": {
            "native": lambda: ready(conjugate_gradient(raw["a"], raw["b"], xp)),
            "unitensor": lambda: ready(conjugate_gradient(ours["a"], ours["b"], ut).raw),
        },
        "k-means": {
            "native": lambda: ready(kmeans(raw["points"], raw["centroids"], raw["clusters"], xp, as_float)),
            "unitensor": lambda: ready(kmeans(ours["points"], ours["centroids"], ours["clusters"], ut, ut_float).raw),
        },
    }


# -- running ---------------------------------------------------------------------------------


def _build(builders: dict[str, Callable[[], Callable[[], Any]]]) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    variants, missing = {}, {}
    for name, build in builders.items():
        try:
            run = build()
            run()  # compile / warm up, and fail here rather than in the timing loop
            variants[name] = run
        except Exception as exc:
            missing[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
    return variants, missing


def _medians(timings: dict[str, Timing | str]) -> tuple[dict[str, float], dict[str, float]]:
    ok = {name: t for name, t in timings.items() if isinstance(t, Timing)}
    return {n: t.median / 1e6 for n, t in ok.items()}, {n: t.best / 1e6 for n, t in ok.items()}


def run(*, rounds: int) -> dict[str, Any]:
    """Every workload, its variants interleaved; times in ms per whole workload."""
    training = {}
    for size in MLPS:
        variants, missing = _build(_training_variants(size))
        ms, best = _medians(interleaved(variants, rounds=rounds, sample_s=0.0))
        ratios = {r: ms[num] / ms[den] for r, (num, den) in TRAINING_RATIOS.items() if num in ms and den in ms}
        ratios_best = {
            r: best[num] / best[den] for r, (num, den) in TRAINING_RATIOS.items() if num in best and den in best
        }
        training[size] = {
            "mlp (batch, in, hidden, out)": MLPS[size],
            "steps": STEPS,
            "ms": ms,
            "best_ms": best,
            "ratios": ratios,
            "ratios_best": ratios_best,
            "not available": missing,
        }
    kernels: dict[str, Any] = {}
    for framework in ("numpy", "torch", "jax"):
        if importlib.util.find_spec(framework) is None:
            continue
        for kernel, pair in _kernel_variants(framework).items():
            variants, missing = _build({name: (lambda run=run_: run) for name, run_ in pair.items()})
            ms, best = _medians(interleaved(variants, rounds=rounds, sample_s=0.0))
            ratio = ms["unitensor"] / ms["native"] if len(ms) == 2 else None
            kernels[f"{kernel} ({framework})"] = {
                "framework": framework,
                "ms": ms,
                "best_ms": best,
                "ratio": ratio,
                "ratio_best": best["unitensor"] / best["native"] if len(best) == 2 else None,
                "not available": missing,
            }
    return {"training": training, "kernels": kernels}


def table(result: dict[str, Any]) -> str:
    lines = [f"\n## training: {STEPS} steps of value_and_grad + SGD update (ms per {STEPS} steps; median, best)"]
    for size, block in result["training"].items():
        lines.append(f"{size} MLP {tuple(block['mlp (batch, in, hidden, out)'])} (batch, in, hidden, out):")
        for name, ms in block["ms"].items():
            lines.append(f"    {name:<40}{ms:>10.1f} ms   (best {block['best_ms'][name]:.1f})")
        for name, why in block["not available"].items():
            lines.append(f"    {name:<40}{'not available':>13}  ({why})")
        for name, ratio in block["ratios"].items():
            lines.append(f"    ratio {name:<34}{ratio:>10.2f}x   (best {block['ratios_best'][name]:.2f}x)")
    lines.append("\n## kernels without gradients, unitensor / native (ms per run; median)")
    for name, block in result["kernels"].items():
        ms = block["ms"]
        if block["ratio"] is None:
            lines.append(f"    {name:<34} not available: {block['not available']}")
            continue
        lines.append(
            f"    {name:<34} native {ms['native']:8.1f} ms  unitensor {ms['unitensor']:8.1f} ms  "
            f"ratio {block['ratio']:.3f}x (best {block['ratio_best']:.3f}x)"
        )
    return "\n".join(lines)
