"""Export to NumPy and conversion between every pair of backends, at 1e2, 1e5 and 1e7 elements.

A zero-copy path (the result shares the source's memory, checked by data
pointer) must cost the same at every size; a copying path grows with the
size, as it must. Each path's time at 1e7 elements over its time at 1e2 is the
number to read.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._timing import Timing, interleaved

SIZES = (100, 100_000, 10_000_000)
BACKENDS = ("numpy", "torch", "jax", "dask", "strict")
#: raw framework spellings of the export, for reference
RAW_EXPORT = {
    "numpy": "np.asarray({a})",
    "torch": "{a}.numpy()",
    "jax": "np.asarray({a})",
    "strict": "np.from_dlpack({a})",
}
#: the frameworks' own fastest move of native array ``{a}`` from a source to a target backend
#: (zero-copy where the pair allows it, as unitensor's); (source, target) -> statement
RAW_CONVERT = {
    ("numpy", "torch"): "torch.from_numpy({a})",
    ("numpy", "jax"): "jnp.from_dlpack({a})",
    ("numpy", "dask"): "da.from_array({a})",
    ("numpy", "strict"): "xps.asarray({a})",
    ("torch", "numpy"): "{a}.numpy()",
    ("torch", "jax"): "jnp.from_dlpack({a})",
    ("torch", "dask"): "da.from_array({a}.numpy())",
    ("torch", "strict"): "xps.from_dlpack({a})",
    ("jax", "numpy"): "np.asarray({a})",
    ("jax", "torch"): "torch.from_dlpack({a})",
    ("jax", "dask"): "da.from_array(np.asarray({a}))",
    ("jax", "strict"): "xps.from_dlpack({a})",
    ("dask", "numpy"): "{a}.compute()",
    ("dask", "torch"): "torch.from_numpy({a}.compute())",
    ("dask", "jax"): "jnp.asarray({a}.compute())",
    ("dask", "strict"): "xps.asarray({a}.compute())",
    ("strict", "numpy"): "np.from_dlpack({a})",
    ("strict", "torch"): "torch.from_dlpack({a})",
    ("strict", "jax"): "jnp.from_dlpack({a})",
    ("strict", "dask"): "da.from_array(np.from_dlpack({a}))",
}


def _loaded_backends() -> tuple[list[str], dict[str, str]]:
    import unitensor as ut

    names, skipped = [], {}
    for name in BACKENDS:
        try:
            ut.backends.get(name)
            names.append(name)
        except Exception as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
    return names, skipped


def _pointer(x: Any) -> int | None:
    """The address of ``x``'s host data, or None when it cannot be seen without a copy."""
    import numpy as np

    raw = getattr(x, "raw", x)
    if isinstance(raw, np.ndarray):
        return raw.__array_interface__["data"][0]
    try:
        return np.from_dlpack(raw, copy=False).__array_interface__["data"][0]
    except Exception:
        return None


def _paths(backends: list[str], size: int) -> dict[str, tuple[str, str]]:
    """path name -> (statement, name of the source Tensor in the namespace), at one size."""
    paths = {}
    for name in backends:
        t, a = f"t_{name}_{size}", f"a_{name}_{size}"
        paths[f"{name} t.numpy()"] = (f"{t}.numpy()", t)
        paths[f"{name} np.asarray(t)"] = (f"np.asarray({t})", t)
        paths[f"{name} np.from_dlpack(t)"] = (f"np.from_dlpack({t})", t)
        if name in RAW_EXPORT:
            raw = RAW_EXPORT[name]
            paths[f"{name} raw {raw.format(a='a')}"] = (raw.format(a=a), t)
    for source in backends:
        for target in backends:
            if source != target:
                paths[f"{source} -> {target}"] = (f"t_{source}_{size}.to(backend={target!r})", f"t_{source}_{size}")
                raw = RAW_CONVERT.get((source, target))
                if raw:
                    paths[f"{source} -> {target} raw"] = (raw.format(a=f"a_{source}_{size}"), f"t_{source}_{size}")
    return paths


def _raw_of(name: str) -> str | None:
    """The name of the raw baseline of unitensor path ``name`` (None for a raw path or one without)."""
    if " raw" in name:
        return None
    if " -> " in name:
        return f"{name} raw"
    backend, _, _ = name.partition(" ")
    return next((f"{backend} raw {raw.format(a='a')}" for b, raw in RAW_EXPORT.items() if b == backend), None)


def _namespace(backends: list[str]) -> dict[str, Any]:
    import numpy as np

    import unitensor as ut

    ns: dict[str, Any] = {"np": np, "ut": ut}
    for module, alias in (("torch", "torch"), ("jax.numpy", "jnp"), ("dask.array", "da"), ("array_api_strict", "xps")):
        try:
            ns[alias] = importlib.import_module(module)
        except ImportError:
            pass
    for size in SIZES:
        host = np.arange(size, dtype=np.float32)
        for name in backends:
            t = ut.asarray(host.copy(), backend=name)
            ns[f"t_{name}_{size}"] = t
            ns[f"a_{name}_{size}"] = t.raw
    return ns


def _shares_memory(stmt: str, source: str, ns: dict[str, Any]) -> bool:
    try:
        out = eval(stmt, dict(ns))  # noqa: S307 - our own statements
    except Exception:
        return False
    src, dst = _pointer(ns[source]), _pointer(out)
    return src is not None and src == dst


def run(*, rounds: int, sample_s: float, budget_s: float = 2.0) -> dict[str, Any]:
    """Every path at every size, all interleaved in one run (a copy of 1e7 elements gets fewer rounds)."""
    backends, skipped = _loaded_backends()
    ns = _namespace(backends)
    by_size = {size: _paths(backends, size) for size in SIZES}
    names = list(by_size[SIZES[0]])
    zero_copy = {name: _shares_memory(*by_size[SIZES[1]][name], ns) for name in names}
    variants = {(name, size): by_size[size][name][0] for size in SIZES for name in names}
    timings = interleaved(
        {f"{name} @{size}": stmt for (name, size), stmt in variants.items()},
        ns,
        rounds=rounds,
        sample_s=sample_s,
        budget_s=budget_s,
    )
    rows = []
    for name in names:
        ns_by_size = {}
        for size in SIZES:
            timing = timings[f"{name} @{size}"]
            ns_by_size[size] = timing.median if isinstance(timing, Timing) else timing
        small, big = ns_by_size[SIZES[0]], ns_by_size[SIZES[-1]]
        ok = isinstance(small, float) and isinstance(big, float)
        raw_name = _raw_of(name)
        raw_small = timings.get(f"{raw_name} @{SIZES[0]}") if raw_name in names else None
        over_raw = small / raw_small.median if ok and isinstance(raw_small, Timing) else None
        rows.append(
            {
                "name": name,
                "zero_copy": zero_copy[name],
                "ns": {str(size): value for size, value in ns_by_size.items()},
                "ratio": big / small if ok else None,
                "raw": raw_name if over_raw is not None else None,
                "over_raw": over_raw,
                "error": None if ok else (small if isinstance(small, str) else big),
            }
        )
    return {"sizes": list(SIZES), "backends": backends, "skipped": skipped, "paths": rows}


def _fmt(ns: Any) -> str:
    if not isinstance(ns, float):
        return "n/a"
    if ns < 1e4:
        return f"{ns / 1e3:.2f} us"
    if ns < 1e7:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def table(result: dict[str, Any]) -> str:
    lines = ["\n## NumPy export and conversion (float32; median time per call)"]
    if result["skipped"]:
        lines.append("   not measured: " + "; ".join(f"{k}: {v}" for k, v in result["skipped"].items()))
    head = "".join(f"{'n=%.0e' % s:>12}" for s in result["sizes"])
    lines.append(f"{'path':<34}{'zero-copy':>10}{head}{'1e7/1e2':>10}{'/raw @1e2':>11}")
    for row in result["paths"]:
        cells = "".join(f"{_fmt(row['ns'][str(s)]):>12}" for s in result["sizes"])
        ratio = f"{row['ratio']:.1f}x" if row["ratio"] is not None else "n/a"
        over = f"{row['over_raw']:.2f}x" if row.get("over_raw") is not None else ""
        lines.append(f"{row['name']:<34}{'yes' if row['zero_copy'] else 'no':>10}{cells}{ratio:>10}{over:>11}")
        if row["error"]:
            lines.append(f"    error: {row['error']}")
    return "\n".join(lines)
