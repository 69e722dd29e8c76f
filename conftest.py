"""Shared pytest configuration for ``tests/`` and ``conformance/``.

``--backend NAME`` (repeatable) chooses the backends that backend-parametrized
tests run on. Without it, every built-in CPU backend runs; one that is not
installed is skipped with the reason. A backend named with ``--backend`` that
cannot load fails instead: it was asked for.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

CPU_BACKENDS = ["numpy", "torch", "jax", "dask", "strict"]

# The suite compares every backend with NumPy, float64 and int64 included, so
# JAX runs in 64-bit mode (read when jax is imported, after this file loads;
# JAX_ENABLE_X64=0 overrides it). tests/test_backend_jax.py covers x64 off.
os.environ.setdefault("JAX_ENABLE_X64", "1")

# Every machine runs the same examples: the default profiles are derandomized
# (the README's test command must pass anywhere). "thorough" explores with
# fresh random examples; run it with ``--hypothesis-profile=thorough``.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=25, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=25, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, derandomize=False, print_blob=True, **_COMMON)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", action="append", default=None, metavar="NAME",
                     help="run backend-parametrized tests on this backend (repeatable; default: every "
                          "installed built-in CPU backend)")


def _cuda_available() -> bool:
    for module, check in (("torch", "torch.cuda.is_available()"),
                          ("cupy", "cupy.cuda.runtime.getDeviceCount() > 0")):
        if importlib.util.find_spec(module) is None:
            continue
        try:
            imported = importlib.import_module(module)
            if eval(check, {module: imported}):  # noqa: S307 - fixed expressions above
                return True
        except Exception:
            continue
    return False


def selected_backends(config: pytest.Config) -> list[tuple[str, bool]]:
    """(name, explicitly requested) for every backend this run covers."""
    requested = config.getoption("backend")
    if requested:
        return [(name, True) for name in requested]
    return [(name, False) for name in CPU_BACKENDS]


def backend_param(name: str, explicit: bool) -> pytest.param:
    import unitensor as ut

    marks = []
    if not explicit and name not in ut.backends.available():
        marks.append(pytest.mark.skip(reason=f"backend {name!r} is not installed"))
    if name == "cupy":
        marks.append(pytest.mark.gpu)
    return pytest.param(name, marks=marks, id=name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        params = [backend_param(name, explicit) for name, explicit in selected_backends(metafunc.config)]
        metafunc.parametrize("backend", params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU, and none is available here")
        for item in gpu_items:
            item.add_marker(skip)
