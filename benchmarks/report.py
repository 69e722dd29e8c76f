"""Issues 6 and 13's targets, checked against one run's results, and the chart of dispatch overhead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: dispatch overhead over the raw call, ns per operation (median over the op set)
DISPATCH_NS = 250.0
#: unitensor's overhead at most this fraction of the best peer's, in the same run
PEER_FRACTION = 1 / 3
#: zero-copy export and conversion: time at 1e7 elements at most this multiple of the time at 1e2
ZERO_COPY_RATIO = 2.0
IMPORT_MS = 30.0
#: the tape's value_and_grad time over HIPS autograd's, on the small and the larger MLP
TAPE_RATIO = {"small": 0.7, "large": 1.0}
#: the facade's extra time over native torch / jax gradients
NATIVE_GRAD_OVERHEAD = 0.10

# issue 13: research code at native speed
#: median overhead over the widened operation set, and the most any one operation may add (ns)
WIDE_MEDIAN_NS = {"numpy": 150.0, "torch": 300.0}
WIDE_MAX_NS = 1000.0
#: training loop (100 steps), unitensor / native, per ratio name of benchmarks.workloads
TRAINING_LIMITS = {
    "numpy tape / HIPS autograd": {"small": 0.5, "large": 0.5},
    "torch / torch autograd": {"small": 1.10},
    "jax / jax (no jit)": {"small": 1.05, "large": 1.05},
}
KERNEL_RATIO = 1.05
CONVERSION_RATIO = 2.0
FIRST_USE_MS = 20.0


def _row(target: str, measured: str, ok: bool | None, by: str = "") -> dict[str, Any]:
    status = "n/a" if ok is None else ("PASS" if ok else "MISS")
    return {"target": target, "measured": measured, "status": status, "by": by}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: what was measured, PASS/MISS and by how much."""
    rows: list[dict[str, Any]] = []
    rows += _dispatch_targets(results.get("dispatch"))
    rows += _export_targets(results.get("export"))
    rows += _import_targets(results.get("import"))
    rows += _gradient_targets(results.get("gradients"))
    from .transforms import targets as transform_targets

    rows += transform_targets(results.get("transforms"))
    rows += _issue13_targets(results)
    return rows


def _issue13_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, block in (results.get("dispatch") or {}).items():
        framework = block.get("framework")
        if "summary" not in block or framework not in WIDE_MEDIAN_NS:
            continue
        ours = block["summary"]["unitensor"]
        if ours["median_overhead_ns"] is None:
            continue
        limit = WIDE_MEDIAN_NS[framework]
        rows.append(
            _row(
                f"[13] dispatch {key}: median over {ours['ops_measured']} ops <= +{limit:.0f} ns",
                f"+{ours['median_overhead_ns']:.0f} ns",
                ours["median_overhead_ns"] <= limit,
                f"{ours['median_overhead_ns'] - limit:+.0f} ns",
            )
        )
        rows.append(
            _row(
                f"[13] dispatch {key}: no op above +{WIDE_MAX_NS:.0f} ns",
                f"worst {ours['max_overhead_op']} +{ours['max_overhead_ns']:.0f} ns",
                ours["max_overhead_ns"] <= WIDE_MAX_NS,
                f"{ours['max_overhead_ns'] - WIDE_MAX_NS:+.0f} ns",
            )
        )
    workloads = results.get("workloads") or {}
    for size, block in workloads.get("training", {}).items():
        for name, limits in TRAINING_LIMITS.items():
            if size not in limits:
                continue
            ratio, limit = block["ratios"].get(name), limits[size]
            rows.append(
                _row(
                    f"[13] training {size} MLP: {name} <= {limit:.2f}x",
                    "not available"
                    if ratio is None
                    else f"{ratio:.2f}x (best rounds {block['ratios_best'][name]:.2f}x)",
                    None if ratio is None else ratio <= limit,
                    "" if ratio is None else f"{ratio / limit:.2f}x the limit",
                )
            )
    for name, block in workloads.get("kernels", {}).items():
        ratio = block["ratio"]
        rows.append(
            _row(
                f"[13] kernel {name} <= {KERNEL_RATIO:.2f}x native",
                "not available" if ratio is None else f"{ratio:.3f}x (best rounds {block['ratio_best']:.3f}x)",
                None if ratio is None else ratio <= KERNEL_RATIO,
                "" if ratio is None else f"{(ratio - 1) * 100:+.1f}%",
            )
        )
    for path in (results.get("export") or {}).get("paths", []):
        if path.get("over_raw") is None:
            continue
        rows.append(
            _row(
                f"[13] conversion {path['name']} <= {CONVERSION_RATIO:.0f}x {path['raw']} (at 1e2)",
                f"{path['over_raw']:.2f}x",
                path["over_raw"] <= CONVERSION_RATIO,
                f"{path['over_raw'] / CONVERSION_RATIO:.2f}x the limit",
            )
        )
    imported = results.get("import")
    if imported:
        over = imported["first_use_overhead_ms"]
        rows.append(
            _row(
                f"[13] import unitensor + first ut.asarray <= numpy + {FIRST_USE_MS:.0f} ms",
                f"{over:+.1f} ms",
                over <= FIRST_USE_MS,
                f"{over - FIRST_USE_MS:+.1f} ms",
            )
        )
    return rows


def _dispatch_targets(dispatch: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for key, block in (dispatch or {}).items():
        if "error" in block:
            continue
        summary = block["summary"]
        ours = summary["unitensor"]["median_overhead_ns"]
        if ours is None:
            rows.append(_row(f"dispatch {key}", block["unavailable"].get("unitensor", "not measured"), None))
            continue
        ours_best = summary["unitensor"]["median_overhead_best_ns"]
        if block["framework"] in ("numpy", "torch"):
            rows.append(
                _row(
                    f"dispatch {key}: <= {DISPATCH_NS:.0f} ns/op",
                    f"+{ours:.0f} ns (best rounds +{ours_best:.0f} ns)",
                    ours <= DISPATCH_NS,
                    f"{ours - DISPATCH_NS:+.0f} ns",
                )
            )
        peers = {
            lib: s["median_overhead_ns"]
            for lib, s in summary.items()
            if lib != "unitensor" and s["median_overhead_ns"] is not None
        }
        if peers:
            best_lib = min(peers, key=peers.get)  # type: ignore[arg-type]
            limit = peers[best_lib] * PEER_FRACTION
            peer_best = summary[best_lib]["median_overhead_best_ns"]
            rows.append(
                _row(
                    f"dispatch {key}: <= 1/3 of best peer ({best_lib} +{peers[best_lib]:.0f} ns)",
                    f"+{ours:.0f} ns = {ours / peers[best_lib]:.2f}x best peer "
                    f"(best rounds: {ours_best / peer_best:.2f}x)",
                    ours <= limit,
                    f"{ours - limit:+.0f} ns over {limit:.0f}",
                )
            )
    return rows


def _export_targets(export: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for path in (export or {}).get("paths", []):
        if not path.get("zero_copy"):
            continue
        ratio = path["ratio"]
        rows.append(
            _row(
                f"zero-copy {path['name']}: 1e7 within {ZERO_COPY_RATIO:.0f}x of 1e2",
                f"{ratio:.2f}x",
                ratio <= ZERO_COPY_RATIO,
                f"{ratio / ZERO_COPY_RATIO:.2f}x the limit",
            )
        )
    return rows


def _import_targets(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not result:
        return []
    over = result["overhead_ms"]
    imported = result["frameworks_imported"]
    return [
        _row(
            f"import unitensor <= numpy + {IMPORT_MS:.0f} ms",
            f"{over:+.1f} ms (fastest of each: {result['overhead_best_ms']:+.1f} ms)",
            over <= IMPORT_MS,
            f"{over - IMPORT_MS:+.1f} ms",
        ),
        _row(
            "import unitensor imports no framework but numpy",
            ", ".join(imported) or "none",
            not [m for m in imported if m != "numpy"],
        ),
        _row(
            f"import unitensor + first ut.asarray <= numpy + {IMPORT_MS:.0f} ms",
            f"{result['first_use_overhead_ms']:+.1f} ms",
            result["first_use_overhead_ms"] <= IMPORT_MS,
            f"{result['first_use_overhead_ms'] - IMPORT_MS:+.1f} ms",
        ),
    ]


def _gradient_targets(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    if not result:
        return rows
    if "error" in result:
        return [_row("gradients", result["error"], None)]
    for size, block in result["sizes"].items():
        ratio = block.get("ratios", {}).get("tape/autograd")
        best = block.get("ratios_best", {}).get("tape/autograd")
        limit = TAPE_RATIO[size]
        rows.append(
            _row(
                f"{size} MLP: unitensor tape (numpy) <= {limit}x HIPS autograd",
                f"{ratio:.2f}x (best rounds {best:.2f}x)" if ratio is not None else "not available",
                None if ratio is None else ratio <= limit,
                "" if ratio is None else f"{ratio / limit:.2f}x the limit",
            )
        )
        for name in ("unitensor torch/torch", "unitensor jax/jax", "unitensor jax jit/jax jit"):
            ratio = block.get("ratios", {}).get(name)
            best = block.get("ratios_best", {}).get(name)
            limit = 1 + NATIVE_GRAD_OVERHEAD
            rows.append(
                _row(
                    f"{size} MLP: {name} <= {limit:.2f}x",
                    f"{ratio:.2f}x (best rounds {best:.2f}x)" if ratio is not None else "not available",
                    None if ratio is None else ratio <= limit,
                    "" if ratio is None else f"{(ratio - 1) * 100:+.0f}% overhead",
                )
            )
    return rows


def targets_table(rows: list[dict[str, Any]]) -> str:
    lines = ["\n## targets (issue 6; [13]: issue 13)"]
    for row in rows:
        by = f"  ({row['by']})" if row["by"] and row["status"] != "n/a" else ""
        lines.append(f"[{row['status']:>4}] {row['target']}: {row['measured']}{by}")
    return "\n".join(lines)


def chart(dispatch: dict[str, Any], path: Path) -> Path | None:
    """Grouped bars: overhead per operation per library, one panel per framework and shape."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install unitensor[bench]): no chart")
        return None
    from .dispatch import LIBRARIES

    blocks = {k: v for k, v in dispatch.items() if "ops" in v}
    if not blocks:
        return None
    fig, axes = plt.subplots(len(blocks), 1, figsize=(11, 3.2 * len(blocks)), squeeze=False)
    width = 0.8 / len(LIBRARIES)
    for ax, (key, block) in zip(axes[:, 0], blocks.items()):
        ops = list(block["ops"])
        for i, lib in enumerate(LIBRARIES):
            values = [block["ops"][op].get(lib, {}).get("overhead_ns", float("nan")) / 1e3 for op in ops]
            ax.bar([x + i * width for x in range(len(ops))], values, width, label=lib)
        ax.set_xticks([x + width * (len(LIBRARIES) - 1) / 2 for x in range(len(ops))], ops, fontsize=8)
        ax.set_ylabel("overhead (us)")
        ax.set_title(f"{key}: time over the raw call, per operation", fontsize=10)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(ncol=len(LIBRARIES), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
