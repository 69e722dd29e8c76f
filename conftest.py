"""Shared pytest configuration for ``tests/`` and ``conformance/``.

The harness is the shipped pytest plugin, :mod:`unitensor.testing.plugin`:
``--backend NAME`` (repeatable) chooses the backends that backend-parametrized
tests run on. Without it, every built-in CPU backend runs; one that is not
installed is skipped with the reason. A backend named with ``--backend`` that
cannot load fails instead: it was asked for. The plugin also holds the
hypothesis profiles (derandomized by default: every machine runs the same
examples; ``--hypothesis-profile=thorough`` explores).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

pytest.register_assert_rewrite("unitensor.testing.plugin")  # imported here, before pytest registers it
from unitensor.testing import plugin  # noqa: E402

# The suite compares every backend with NumPy, float64 and int64 included, so
# JAX runs in 64-bit mode (read when jax is imported, after this file loads;
# JAX_ENABLE_X64=0 overrides it). tests/test_backend_jax.py covers x64 off.
os.environ.setdefault("JAX_ENABLE_X64", "1")

#: the plugin, from this checkout where unitensor is not installed (where it is, its entry point loads it)
pytest_plugins = plugin.plugin_spec()
#: tests that take a ``backend`` argument run once per backend, as the plugin's ``ut_backend`` tests do
plugin.parametrize_backends("backend")
plugin.use_hypothesis_profiles()


def _cuda_available() -> bool:
    for module, check in (("torch", "torch.cuda.is_available()"), ("cupy", "cupy.cuda.runtime.getDeviceCount() > 0")):
        if importlib.util.find_spec(module) is None:
            continue
        try:
            imported = importlib.import_module(module)
            if eval(check, {module: imported}):  # noqa: S307 - fixed expressions above
                return True
        except Exception:
            continue
    return False


#: test ids (prefixes) of the heaviest parts: the README's test command runs them, the fast inner
#: loop ``python -m pytest -m "not slow" --backend numpy`` leaves them out. The conformance suite
#: (every function on every backend, against hypothesis inputs; JAX's part above all), the rerun of
#: the fast-path tests in pure Python, finite differences of every gradient rule, and the tests
#: that start a Python process are two thirds of the command's time.
SLOW = (
    "conformance/",
    "tests/test_speedups.py::test_the_fast_path_tests_pass_in_pure_python",
    "tests/test_autodiff_rules.py::test_gradient_matches_finite_differences",
    "tests/test_autodiff_example.py",
    "tests/test_cli.py",
    "tests/test_registry.py::test_third_party_backend",
    # more tests that start Python processes (or pytest in one), and the README's research example
    "tests/test_crash.py",
    "tests/test_testing.py::test_plugin_",
    "tests/test_testing.py::test_xp_makes_the_backend_the_default_for_the_test_only",
    "tests/test_testing.py::test_a_suite_parametrizes_its_own_argument_over_the_backends",
    "tests/test_testing.py::test_certify_",
    "tests/test_random.py::test_stream_is_the_same_run_after_run",
    "tests/test_backend_jax.py::test_x64_off_from_the_start_in_a_fresh_process",
    "tests/test_backend_jax.py::test_virtual_host_devices_in_a_fresh_process",
    "tests/test_readme_example.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = pytest.mark.slow
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(slow)
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU, and none is available here")
        for item in gpu_items:
            item.add_marker(skip)
