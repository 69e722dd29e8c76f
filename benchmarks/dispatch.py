"""Dispatch overhead per operation on tiny arrays: unitensor and its peers against the raw framework.

On a tiny array the framework's own work is small, so the time a facade adds
per call (overhead = median time of the facade minus median time of the raw
call, in the same interleaved run) is what a hot loop pays. Every library is
written as its documentation shows, one statement per operation:

* raw: the framework's fastest spelling (``a + b``, ``a.reshape(s)``,
  ``a.sum()``, ``torch.clamp_min(a, 0.0)`` for a maximum with a scalar);
* unitensor: ``ut.exp(t)``, ``t + u`` on Tensors;
* EagerPy: ``ep.exp(ea)`` on its wrapped tensors (``ep.norms.l2`` for the norm);
* autoray: ``do("exp", a)`` on native arrays; operators and indexing are the
  native ones on native arrays (``a + b``: +0 by construction);
* array-api-compat: ``xpa.exp(a)`` with ``xpa = array_namespace(a)`` looked up
  once, as generic code does at the top of a function; operators and indexing
  are native (+0).

Besides the common operations the set holds the paths that used to be slow:
Python scalars passed to functions (``maximum``, ``where``, ``clip``),
sequences (``concat``, ``stack``), integer-array and mask indexing, and
``t.device``. keras is not installed here, so ``keras.ops`` is not measured.
"""

from __future__ import annotations

import importlib.util
import statistics
from typing import Any

from ._timing import Timing, interleaved


def _native(statement: str) -> dict[str, str]:
    """Peers that work on native arrays use the native spelling (operators, indexing)."""
    return {"autoray": statement, "array-api-compat": statement}


#: operation -> statement per library. ``F`` is the framework module (numpy,
#: torch, jax.numpy); ``a``, ``b`` native arrays, ``c`` a boolean mask, ``i`` an
#: int64 index array; ``t``, ``u``, ``tc``, ``ti`` the same as unitensor Tensors;
#: ``ea``, ``eb``, ``ec``, ``ei`` EagerPy's; ``xp`` array-api-compat's namespace
#: of ``a``. A dict gives a statement per framework.
OPS: dict[str, dict[str, Any]] = {
    "a + b": {"raw": "a + b", "unitensor": "t + u", "eagerpy": "ea + eb", **_native("a + b")},
    "a * 2.0": {"raw": "a * 2.0", "unitensor": "t * 2.0", "eagerpy": "ea * 2.0", **_native("a * 2.0")},
    "exp": {
        "raw": "F.exp(a)",
        "unitensor": "ut.exp(t)",
        "eagerpy": "ep.exp(ea)",
        "autoray": "do('exp', a)",
        "array-api-compat": "xpa.exp(a)",
    },
    "sum": {
        "raw": "a.sum()",
        "unitensor": "ut.sum(t)",
        "eagerpy": "ep.sum(ea)",
        "autoray": "do('sum', a)",
        "array-api-compat": "xpa.sum(a)",
    },
    "slice a[1:5]": {"raw": "a[1:5]", "unitensor": "t[1:5]", "eagerpy": "ea[1:5]", **_native("a[1:5]")},
    "reshape": {
        "raw": "a.reshape(shape)",
        "unitensor": "ut.reshape(t, shape)",
        "eagerpy": "ep.reshape(ea, shape)",
        "autoray": "do('reshape', a, shape)",
        "array-api-compat": "xpa.reshape(a, shape)",
    },
    "where": {
        "raw": "F.where(c, a, b)",
        "unitensor": "ut.where(tc, t, u)",
        "eagerpy": "ep.where(ec, ea, eb)",
        "autoray": "do('where', c, a, b)",
        "array-api-compat": "xpa.where(c, a, b)",
    },
    "a @ b": {"raw": "a @ b", "unitensor": "t @ u", "eagerpy": "ea @ eb", **_native("a @ b")},
    "mask a[c]": {"raw": "a[c]", "unitensor": "t[tc]", "eagerpy": "ea[ec]", **_native("a[c]")},
    "index a[i]": {"raw": "a[i]", "unitensor": "t[ti]", "eagerpy": "ea[ei]", **_native("a[i]")},
    "astype int32": {
        "raw": {"numpy": "a.astype(F.int32)", "torch": "a.to(F.int32)", "jax": "a.astype(F.int32)"},
        "unitensor": "ut.astype(t, ut.int32)",
        "eagerpy": "ea.astype(F.int32)",
        "autoray": "do('astype', a, 'int32')",
        "array-api-compat": "xpa.astype(a, I32)",
    },
    "mean(axis=0)": {
        "raw": {"numpy": "a.mean(axis=0)", "torch": "a.mean(dim=0)", "jax": "a.mean(axis=0)"},
        "unitensor": "ut.mean(t, axis=0)",
        "eagerpy": "ep.mean(ea, axis=0)",
        "autoray": "do('mean', a, axis=0)",
        "array-api-compat": "xpa.mean(a, axis=0)",
    },
    "linalg.vector_norm": {
        "raw": "F.linalg.vector_norm(a)",
        "unitensor": "ut.linalg.vector_norm(t)",
        "eagerpy": "ep.norms.l2(ea)",
        "autoray": "do('linalg.norm', a)",
        "array-api-compat": "xpa.linalg.vector_norm(a)",
    },
    # generic array API code calls through the input's namespace: for a Tensor, its backend's,
    # whose functions are the very objects of ``ut`` (no wrapper); the rows show it costs the same
    "exp via t's xp": {"raw": "F.exp(a)", "unitensor": "xp.exp(t)", "array-api-compat": "xpa.exp(a)"},
    "exp, xp every call": {
        "raw": "F.exp(a)",
        "unitensor": "t.__array_namespace__().exp(t)",
        "array-api-compat": "array_namespace(a).exp(a)",
    },
    "maximum(a, 0.0)": {
        "raw": {"numpy": "F.maximum(a, 0.0)", "torch": "F.clamp_min(a, 0.0)", "jax": "F.maximum(a, 0.0)"},
        "unitensor": "ut.maximum(t, 0.0)",
        "eagerpy": "ep.maximum(ea, 0.0)",
        "autoray": "do('maximum', a, 0.0)",
        "array-api-compat": "xpa.maximum(a, 0.0)",
    },
    "where(c, a, 0.0)": {
        "raw": "F.where(c, a, 0.0)",
        "unitensor": "ut.where(tc, t, 0.0)",
        "eagerpy": "ep.where(ec, ea, 0.0)",
        "autoray": "do('where', c, a, 0.0)",
        "array-api-compat": "xpa.where(c, a, 0.0)",
    },
    "clip(a, 0, 1)": {
        "raw": {"numpy": "a.clip(0, 1)", "torch": "a.clamp(0, 1)", "jax": "a.clip(0, 1)"},
        "unitensor": "ut.clip(t, 0, 1)",
        "eagerpy": "ep.clip(ea, 0, 1)",
        "autoray": "do('clip', a, 0, 1)",
        "array-api-compat": "xpa.clip(a, 0, 1)",
    },
    "concat [a, b]": {
        "raw": {"numpy": "F.concatenate([a, b])", "torch": "F.cat([a, b])", "jax": "F.concatenate([a, b])"},
        "unitensor": "ut.concat([t, u])",
        "eagerpy": "ep.concatenate([ea, eb])",
        "autoray": "do('concatenate', [a, b])",
        "array-api-compat": "xpa.concat([a, b])",
    },
    "stack [a, b]": {
        "raw": "F.stack([a, b])",
        "unitensor": "ut.stack([t, u])",
        "eagerpy": "ep.stack([ea, eb])",
        "autoray": "do('stack', [a, b])",
        "array-api-compat": "xpa.stack([a, b])",
    },
    "t.device": {"raw": "a.device", "unitensor": "t.device", **_native("a.device")},
    # unitensor also corrects the standard's special cases (inf // 2, 2 // -inf, signed zeros): a few
    # elementwise operations more on floating input (issue 17), which this row shows
    "a // b": {
        "raw": "a // b",
        "unitensor": "t // u",
        "eagerpy": "ea // eb",
        "autoray": "do('floor_divide', a, b)",
        "array-api-compat": "array_namespace(a, b).floor_divide(a, b)",
    },
}
#: rows left out of the summary (they repeat "exp" through a namespace)
NAMESPACE_ROWS = {"exp via t's xp", "exp, xp every call"}

LIBRARIES = ["unitensor", "eagerpy", "autoray", "array-api-compat"]
PEERS = LIBRARIES[1:]
FRAMEWORKS = ["numpy", "torch", "jax"]
#: tiny shapes, and the shape each is reshaped to
SHAPES = {(8,): (2, 4), (64, 64): (4096,)}


def _framework(name: str) -> tuple[Any, Any]:
    """The framework module used as ``F`` and a function making a float32 array from NumPy data."""
    if name == "numpy":
        import numpy as np

        return np, np.asarray
    if name == "torch":
        import torch

        torch.set_num_threads(1)
        return torch, torch.from_numpy
    if name == "jax":
        import jax
        import jax.numpy as jnp

        return jnp, lambda a: jax.device_put(jnp.asarray(a))
    raise ValueError(name)


def _namespace(framework: str, shape: tuple[int, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Arrays and modules every statement may use; and why a library could not be set up."""
    import numpy as np

    F, make = _framework(framework)
    rng = np.random.default_rng(0)
    a = make(rng.random(shape, dtype=np.float32))
    b = make(rng.random(shape, dtype=np.float32))
    c = make(rng.random(shape) > 0.5)
    i = make(rng.integers(0, shape[0], size=4))
    ns: dict[str, Any] = {"F": F, "a": a, "b": b, "c": c, "i": i, "shape": SHAPES[shape]}
    problems: dict[str, str] = {}
    try:
        import unitensor as ut

        ns.update(ut=ut, t=ut.astensor(a), u=ut.astensor(b), tc=ut.astensor(c), ti=ut.astensor(i))
        ns["xp"] = ns["t"].__array_namespace__()
    except Exception as exc:
        problems["unitensor"] = f"{type(exc).__name__}: {exc}"
    if importlib.util.find_spec("eagerpy"):
        import eagerpy as ep

        ns.update(ep=ep, ea=ep.astensor(a), eb=ep.astensor(b), ec=ep.astensor(c), ei=ep.astensor(i))
    else:
        problems["eagerpy"] = "not installed"
    if importlib.util.find_spec("autoray"):
        from autoray import do

        ns["do"] = do
    else:
        problems["autoray"] = "not installed"
    try:
        from array_api_compat import array_namespace

        xpa = array_namespace(a)  # once, as generic code does at the top of a function
        ns.update(array_namespace=array_namespace, I32=xpa.int32, xpa=xpa)
    except Exception as exc:
        problems["array-api-compat"] = f"{type(exc).__name__}: {exc}"
    return ns, problems


def _statement(spec: Any, framework: str) -> str | None:
    return spec.get(framework) if isinstance(spec, dict) else spec


def run(*, rounds: int, sample_s: float, frameworks: list[str] | None = None) -> dict[str, Any]:
    """Measure every operation on every framework and shape; returns the JSON-ready results."""
    results: dict[str, Any] = {}
    for framework in frameworks or FRAMEWORKS:
        if importlib.util.find_spec(framework) is None:
            results[framework] = {"error": f"{framework} is not installed"}
            continue
        for shape in SHAPES:
            key = f"{framework} {shape}"
            ns, problems = _namespace(framework, shape)
            ops = {}
            for op, specs in OPS.items():
                variants = {lib: _statement(spec, framework) for lib, spec in specs.items() if lib not in problems}
                timings = interleaved({k: v for k, v in variants.items() if v}, ns, rounds=rounds, sample_s=sample_s)
                ops[op] = _overheads(timings)
            results[key] = {
                "framework": framework,
                "shape": list(shape),
                "ops": ops,
                "unavailable": problems,
                "summary": _summary(ops),
            }
    return results


def _overheads(timings: dict[str, Timing | str]) -> dict[str, Any]:
    raw = timings.get("raw")
    row: dict[str, Any] = {"raw_ns": raw.median if isinstance(raw, Timing) else None}
    for lib, timing in timings.items():
        if lib == "raw":
            continue
        if isinstance(timing, Timing) and isinstance(raw, Timing):
            row[lib] = {
                **timing.as_json(),
                "overhead_ns": timing.median - raw.median,
                "overhead_min_ns": timing.best - raw.best,
            }
        else:
            row[lib] = {"error": timing if isinstance(timing, str) else "raw call failed"}
    return row


def _summary(ops: dict[str, Any]) -> dict[str, Any]:
    """Median overhead over the operation set, per library (operations it cannot do left out)."""
    summary = {}
    for lib in LIBRARIES:
        rows = [row for op, row in ops.items() if op not in NAMESPACE_ROWS]
        values = [row[lib]["overhead_ns"] for row in rows if "overhead_ns" in row.get(lib, {})]
        best = [row[lib]["overhead_min_ns"] for row in rows if "overhead_min_ns" in row.get(lib, {})]
        worst = max(
            (
                (row[lib]["overhead_ns"], op)
                for op, row in ops.items()
                if op not in NAMESPACE_ROWS and "overhead_ns" in row.get(lib, {})
            ),
            default=(None, None),
        )
        summary[lib] = {
            "median_overhead_ns": statistics.median(values) if values else None,
            "max_overhead_ns": worst[0],
            "max_overhead_op": worst[1],
            # the same from each variant's fastest round: steadier on a loaded machine
            "median_overhead_best_ns": statistics.median(best) if best else None,
            "ops_measured": len(values),
            "ops_total": len(rows),
        }
    return summary


def table(results: dict[str, Any]) -> str:
    """Plain-text tables: per operation, raw time and each library's overhead."""
    lines = []
    for key, block in results.items():
        if "error" in block:
            lines.append(f"\n{key}: {block['error']}")
            continue
        lines.append(f"\n## dispatch overhead, {key}, float32 (ns per call over raw; median of interleaved rounds)")
        if block["unavailable"]:
            lines.append("   not measured: " + "; ".join(f"{k}: {v}" for k, v in block["unavailable"].items()))
        lines.append(f"{'operation':<20}{'raw':>9}" + "".join(f"{lib:>18}" for lib in LIBRARIES))
        for op, row in block["ops"].items():
            cells = [_cell(row.get(lib)) for lib in LIBRARIES]
            raw = f"{row['raw_ns']:.0f}" if row["raw_ns"] is not None else "-"
            lines.append(f"{op:<20}{raw:>9}" + "".join(f"{c:>18}" for c in cells))
        for label, stat in (
            ("median overhead", "median_overhead_ns"),
            ("  (best rounds)", "median_overhead_best_ns"),
            ("max overhead", "max_overhead_ns"),
        ):
            med = [block["summary"][lib][stat] for lib in LIBRARIES]
            lines.append(f"{label:<20}{'':>9}" + "".join(f"{'%+.0f' % m if m is not None else '-':>18}" for m in med))
    return "\n".join(lines)


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    if "error" in entry:
        return "n/a"
    return f"{entry['overhead_ns']:+.0f}"
