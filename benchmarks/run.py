"""The command line: run the sections, print tables and targets, write JSON and the chart."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from . import dispatch, export, gradients, importtime, report, transforms, workloads

RESULTS = Path(__file__).resolve().parent / "results"

#: section -> (module, settings for --quick, settings for a full run)
SECTIONS: dict[str, tuple[Any, dict[str, Any], dict[str, Any]]] = {
    "import": (importtime, {"repeat": 7}, {"repeat": 21}),
    "dispatch": (dispatch, {"rounds": 101, "sample_s": 0.0001}, {"rounds": 201, "sample_s": 0.0003}),
    "export": (
        export,
        {"rounds": 15, "sample_s": 0.001, "budget_s": 0.5},
        {"rounds": 41, "sample_s": 0.002, "budget_s": 2.0},
    ),
    "gradients": (gradients, {"rounds": 15, "sample_s": 0.005}, {"rounds": 41, "sample_s": 0.01}),
    "transforms": (transforms, {"rounds": 15, "sample_s": 0.005}, {"rounds": 41, "sample_s": 0.01}),
    "workloads": (workloads, {"rounds": 3}, {"rounds": 9}),
}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in ("numpy", "torch", "jax", "eagerpy", "autoray", "array_api_compat", "autograd"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    import os

    from unitensor._accel import speedups

    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "threads": 1,
        "unitensor_fast_paths": "C accelerator" if speedups is not None else "pure Python",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds: about five minutes")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run only these sections")
    parser.add_argument(
        "--frameworks", nargs="+", choices=dispatch.FRAMEWORKS, help="dispatch section: only these frameworks"
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "command": "python -m benchmarks" + (" --quick" if args.quick else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    for name in args.only or list(SECTIONS):
        module, quick, full = SECTIONS[name]
        start = time.perf_counter()
        print(f"\n# {name} ...", flush=True)
        settings = dict(quick if args.quick else full)
        if name == "dispatch" and args.frameworks:
            settings["frameworks"] = args.frameworks
        results[name] = module.run(**settings)
        print(module.table(results[name]), flush=True)
        print(f"({name}: {time.perf_counter() - start:.0f} s)", flush=True)
    results["machine"] = machine()
    results["targets"] = report.targets(results)
    print(report.targets_table(results["targets"]))
    print(
        f"\nmachine: {results['machine']['cpu']} ({results['machine']['cores']} cores), "
        f"Python {results['machine']['python']}, host {results['machine']['host']}; "
        f"unitensor fast paths: {results['machine']['unitensor_fast_paths']}"
    )

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"results-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=1, default=str))
    print(f"wrote {RESULTS / 'latest.json'}")
    if not args.no_chart and "dispatch" in results:
        chart = report.chart(results["dispatch"], RESULTS / "dispatch_overhead.png")
        if chart:
            print(f"wrote {chart}")
    return 0
