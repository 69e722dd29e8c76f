"""``import unitensor`` against ``import numpy``, each in fresh subprocesses, and what it imports.

unitensor imports NumPy (its default backend), so its cost over NumPy is
``median(import unitensor) - median(import numpy)``, the two interleaved.
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

_PROBE = """
import sys, time
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
import json
print(json.dumps({{"seconds": elapsed, "modules": sorted(m for m in sys.modules if "." not in m)}}))
"""


def _probe(module: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    out = subprocess.run([sys.executable, "-c", _PROBE.format(module=module)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run(*, repeat: int) -> dict[str, Any]:
    _probe("unitensor")  # warm the bytecode caches so the first sample is not an outlier
    times: dict[str, list[float]] = {"numpy": [], "unitensor": []}
    modules: list[str] = []
    for _ in range(repeat):
        for module in times:
            probe = _probe(module)
            times[module].append(probe["seconds"] * 1e3)
            if module == "unitensor":
                modules = probe["modules"]
    numpy_ms = statistics.median(times["numpy"])
    unitensor_ms = statistics.median(times["unitensor"])
    return {"numpy_ms": numpy_ms, "unitensor_ms": unitensor_ms, "overhead_ms": unitensor_ms - numpy_ms,
            "samples_ms": times, "frameworks_imported": [m for m in FRAMEWORKS if m in modules]}


def table(result: dict[str, Any]) -> str:
    imported = ", ".join(result["frameworks_imported"]) or "none"
    return (f"import numpy     {result['numpy_ms']:7.1f} ms (median of {len(result['samples_ms']['numpy'])} "
            f"fresh processes)\n"
            f"import unitensor {result['unitensor_ms']:7.1f} ms  (+{result['overhead_ms']:.1f} ms over numpy)\n"
            f"frameworks other than numpy imported by `import unitensor`: {imported}")
