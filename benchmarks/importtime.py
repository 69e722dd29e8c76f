"""``import unitensor`` against ``import numpy``, each in fresh subprocesses, and what it imports.

``import unitensor`` imports no framework, NumPy included: its NumPy backend
loads NumPy (and array_api_compat) on first use. So beside the bare import,
``import unitensor`` plus a first ``ut.asarray([1.0])`` is timed too: the
real cost of starting unitensor on NumPy. Each is compared to
``import numpy`` (medians over fresh processes, interleaved).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("torch", "jax", "jaxlib", "cupy", "dask", "array_api_strict", "tensorflow", "mlx")

#: what each probe times
STATEMENTS = {
    "numpy": "import numpy",
    "unitensor": "import unitensor",
    "unitensor + first use": "import unitensor; unitensor.asarray([1.0])",
}

_PROBE = """
import sys, time
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
import json
print(json.dumps({{"seconds": elapsed, "modules": sorted(m for m in sys.modules if "." not in m)}}))
"""


def _probe(statement: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def run(*, repeat: int) -> dict[str, Any]:
    _probe(STATEMENTS["unitensor + first use"])  # warm the bytecode caches: no first-sample outlier
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    modules: list[str] = []
    for _ in range(repeat):
        for name, statement in STATEMENTS.items():
            probe = _probe(statement)
            times[name].append(probe["seconds"] * 1e3)
            if name == "unitensor":
                modules = probe["modules"]
    median = {name: statistics.median(samples) for name, samples in times.items()}
    return {
        "numpy_ms": median["numpy"],
        "unitensor_ms": median["unitensor"],
        "first_use_ms": median["unitensor + first use"],
        "overhead_ms": median["unitensor"] - median["numpy"],
        "overhead_best_ms": min(times["unitensor"]) - min(times["numpy"]),
        "first_use_overhead_ms": median["unitensor + first use"] - median["numpy"],
        "samples_ms": times,
        "frameworks_imported": [m for m in FRAMEWORKS + ("numpy",) if m in modules],
    }


def table(result: dict[str, Any]) -> str:
    imported = ", ".join(result["frameworks_imported"]) or "none"
    n = len(result["samples_ms"]["numpy"])
    return (
        f"import numpy                          {result['numpy_ms']:7.1f} ms (median of {n} fresh processes)\n"
        f"import unitensor                      {result['unitensor_ms']:7.1f} ms ({result['overhead_ms']:+.1f} ms "
        f"vs numpy; fastest runs {result['overhead_best_ms']:+.1f} ms)\n"
        f"import unitensor + ut.asarray([1.0])  {result['first_use_ms']:7.1f} ms "
        f"({result['first_use_overhead_ms']:+.1f} ms vs numpy: loads numpy and the numpy backend)\n"
        f"frameworks imported by `import unitensor`: {imported}"
    )
