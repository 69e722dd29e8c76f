"""Tests of unitensor.testing: the pytest plugin (through real pytest runs), assert_close, and
the conformance suite's certification command on a backend registered at run time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import unitensor as ut
from unitensor.testing import assert_close, plugin

pytest_plugins = ["pytester"]

#: the directory that holds this unitensor: a checkout's root, or site-packages where it is installed
SOURCE = str(Path(ut.__file__).resolve().parent.parent)

USER_TEST = """
from unitensor.testing import assert_close
def test_softplus(xp):
    assert_close(xp.log1p(xp.exp(xp.zeros(3))), xp.full(3, xp.log(xp.asarray(2.0)).item()))
"""


def _installed() -> list[str]:
    return [name for name in ut.backends.available() if name != "cupy"]


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> object:
    """``run(*args)``: pytest in a subprocess that sees this unitensor, installed or not.

    From a plain checkout (no entry point registered), the plugin is loaded with ``-p``.
    """
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))
    loading = [arg for spec in plugin.plugin_spec() for arg in ("-p", spec)]

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess(*loading, "-p", "no:cacheprovider", *args)

    return run


@pytest.mark.parametrize("option", ["--backend", "--ut-backend"])
def test_plugin_runs_a_user_test_on_each_chosen_backend(pytester: pytest.Pytester, run: Any, option: str) -> None:
    pytester.makepyfile(USER_TEST)
    result = run(option, "numpy", option, "strict", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_softplus?numpy? PASSED*", "*test_softplus?strict? PASSED*"])


def test_plugin_defaults_to_every_installed_backend(pytester: pytest.Pytester, run: Any) -> None:
    pytester.makepyfile(USER_TEST)
    result = run("--collect-only", "-q")
    for name in _installed():
        result.stdout.fnmatch_lines([f"*test_softplus?{name}?*"])


def test_xp_makes_the_backend_the_default_for_the_test_only(pytester: pytest.Pytester, run: Any) -> None:
    pytester.makepyfile("""
        import unitensor as ut
        def test_default(xp, ut_backend):
            assert xp is ut
            assert ut.get_backend().name == ut_backend
            assert ut.zeros(2).backend.name == ut_backend
        def test_after():
            assert ut.get_backend().name == "numpy"
    """)
    result = run("-p", "no:randomly", "--backend", "strict")
    result.assert_outcomes(passed=2)


def test_plugin_fails_a_requested_backend_that_cannot_load(pytester: pytest.Pytester, run: Any) -> None:
    pytester.makepyfile(USER_TEST)
    result = run("--backend", "no-such-backend")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*backend 'no-such-backend' was asked for with --backend but cannot load*"])


def test_a_suite_parametrizes_its_own_argument_over_the_backends(pytester: pytest.Pytester, run: Any) -> None:
    pytester.makeconftest("""
        from unitensor.testing import plugin
        plugin.parametrize_backends("engine")
    """)
    pytester.makepyfile("""
        def test_named(engine):
            assert engine in ("numpy", "strict")
        def test_plain(backend=None):
            assert backend is None  # an argument the suite did not name is left alone
    """)
    result = run("--backend", "numpy", "--backend", "strict", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_named?numpy? PASSED*", "*test_named?strict? PASSED*"])


# -- assert_close ---------------------------------------------------------------------------


def test_assert_close_compares_across_backends(backend: str) -> None:
    values = [0.0, -1.5, float("nan"), float("inf")]
    x = ut.asarray(values, dtype=ut.float32, backend=backend)
    assert_close(x, ut.asarray(values, dtype=ut.float32, backend="numpy"))
    assert_close(x, x.numpy(force=True))
    assert_close(x + 1e-7, x)  # within float32's default tolerance


def test_assert_close_reports_the_worst_mismatch(backend: str) -> None:
    x = ut.asarray([1.0, 2.0, 3.0], dtype=ut.float32, backend=backend)
    with pytest.raises(AssertionError, match=r"1 of 3 elements differ.*index \(1,\): 2.0 != 2.5"):
        assert_close(x, ut.asarray([1.0, 2.5, 3.0], dtype=ut.float32))


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (ut.asarray([1.0, 2.0], dtype=ut.float32), "dtypes differ"),
        (ut.asarray([[1.0, 2.0]]), "shapes differ"),
        (ut.asarray([1.0, float("nan")]), "1 of 2 elements differ"),
    ],
)
def test_assert_close_rejects(other: ut.Tensor, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_close(ut.asarray([1.0, 2.0]), other)


def test_assert_close_tolerances() -> None:
    assert_close(ut.asarray([1.0]), ut.asarray([1.1]), rtol=0.2)
    with pytest.raises(AssertionError):
        assert_close(ut.asarray([1, 2]), ut.asarray([1, 3]))  # integers are exact
    assert_close(ut.asarray([float("nan")]), [float("nan")])
    with pytest.raises(AssertionError):
        assert_close(ut.asarray([float("nan")]), [float("nan")], equal_nan=False)


# -- the certification command ---------------------------------------------------------------

_CERTIFY = """
import sys
import unitensor as ut
from unitensor.backends.numpy import NumpyBackend, from_dlpack_or_copy

class CopyingBackend(NumpyBackend):
    name = "copying"
    def to_numpy(self, raw):
        return raw.copy()  # breaks the zero-copy promise on purpose

ut.backends.register("copying", CopyingBackend)
from unitensor.__main__ import main
sys.exit(main(["conformance", "--backend", "copying", *sys.argv[1:], "--", "-k", "export or error"]))
"""


def _certify(tmp_path: object, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CERTIFY, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"CI": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE},
    )


def test_certify_finds_a_broken_promise_in_a_plugin_backend(tmp_path: object) -> None:
    result = _certify(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("copying") and " export " in line)
    passed, failed, deviations = (int(n) for n in row.split()[2:5])
    assert failed == 1 and deviations == 0 and passed > 0


def test_certify_lists_known_deviations_as_strict_xfails(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "copying.txt"  # type: ignore[operator]
    path.write_text("export.zero-copy  numpy() copies: to_numpy is overridden\n")
    result = _certify(tmp_path, "--deviations", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("copying") and " export " in line)
    assert [int(n) for n in row.split()[3:5]] == [0, 1]
    path.write_text("export.values  listed although it passes\n")
    assert _certify(tmp_path, "--deviations", str(path)).returncode == 1  # strict: a fixed deviation fails
