"""The backend registry: discovery, plugins, errors, and the context-local default backend."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import unitensor as ut
from unitensor.backends import BackendNotInstalledError, UnknownBackendError
from unitensor.backends.numpy import NumpyBackend

FRAMEWORKS = ("torch", "jax", "jaxlib", "dask", "cupy", "array_api_strict")


class ToyBackend(NumpyBackend):
    """A third-party backend as a plugin author would write it: NumPy under another name."""

    name = "toy"


class MissingFrameworkBackend(NumpyBackend):
    name = "needs_missing"
    requires = ("unitensor_no_such_framework",)
    install_hint = "pip install unitensor-no-such-framework"

    def __init__(self) -> None:
        import unitensor_no_such_framework  # noqa: F401 - the point: it is not installed

        super().__init__()


@pytest.fixture
def toy():
    ut.backends.register("toy", ToyBackend)
    yield "toy"
    ut.backends.unregister("toy")


def run_python(code: str, *, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (``path`` first on sys.path); fail the test on error."""
    env_path = [str(path)] if path else []
    prelude = f"import sys; sys.path[:0] = {env_path!r}\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


# -- discovery -------------------------------------------------------------------


def test_available_imports_no_framework():
    done = run_python(f"""
        import json, sys, warnings
        warnings.simplefilter("ignore")
        import unitensor as ut
        names = ut.backends.available()
        print(json.dumps({{"available": names, "names": ut.backends.names(),
                          "imported": [m for m in {FRAMEWORKS!r} if m in sys.modules]}}))
    """)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["imported"] == []
    assert "numpy" in result["available"]
    assert set(result["available"]) <= set(result["names"])
    assert {"numpy", "torch", "jax", "cupy", "dask", "strict"} <= set(result["names"])


def test_first_use_of_a_builtin_reads_no_entry_points(tmp_path):
    """Entry points are read only for a name no built-in has (reading them costs tens of ms)."""
    site = build_distribution(tmp_path / "site")
    done = run_python(
        """
        import importlib.metadata, json, warnings
        warnings.simplefilter("ignore")
        reads = []
        real = importlib.metadata.entry_points
        importlib.metadata.entry_points = lambda **kw: reads.append(kw) or real(**kw)
        import unitensor as ut
        t = ut.asarray([1.0, 2.0])
        total = float(ut.sum(ut.astensor(ut.backends.get("numpy").xp.ones(3)) * t[0]))
        ut.backends.get("strict")
        before = len(reads)
        plugin = ut.asarray([1.0], backend="thirdparty").backend.name
        print(json.dumps({"before": before, "after": len(reads), "total": total, "plugin": plugin}))
    """,
        path=site,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["before"] == 0
    assert result["after"] == 1  # a plugin's name reads them, once
    assert result["total"] == 3.0 and result["plugin"] == "thirdparty"


def test_a_plugin_cannot_take_a_builtin_name_through_an_entry_point(tmp_path):
    site = build_distribution(tmp_path / "site")
    rival = site / "unitensor_rival-2.0.dist-info"
    rival.mkdir()
    (rival / "METADATA").write_text("Metadata-Version: 2.1\nName: unitensor-rival\nVersion: 2.0\n")
    (rival / "entry_points.txt").write_text("[unitensor.backends]\nnumpy = unitensor_rival:Backend\n")
    done = run_python(
        """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import unitensor as ut
            names = ut.backends.names()
        print(type(ut.backends.get("numpy")).__module__, any("built-in" in str(w.message) for w in caught))
    """,
        path=site,
    )
    assert done.stdout.split() == ["unitensor.backends.numpy", "True"]


def test_available_is_sorted_and_names_every_registered(toy):
    assert ut.backends.available() == sorted(ut.backends.available())
    assert "toy" in ut.backends.available()
    assert "toy" in ut.backends.names()


def test_get_returns_one_cached_backend_object(backend):
    first = ut.backends.get(backend)
    assert first is ut.backends.get(backend)
    assert first.name == backend
    assert ut.backends.get(first) is first


def test_unknown_backend_error_lists_the_available_ones():
    with pytest.raises(UnknownBackendError) as info:
        ut.backends.get("no_such_backend")
    message = str(info.value)
    assert "no_such_backend" in message
    for name in ut.backends.available():
        assert name in message
    assert isinstance(info.value, LookupError) and isinstance(info.value, ValueError)


def test_unknown_backend_as_keyword_errors_clearly():
    with pytest.raises(UnknownBackendError, match="numpy"):
        ut.asarray([1.0], backend="no_such_backend")


def test_missing_framework_names_the_package_to_install():
    ut.backends.register("needs_missing", MissingFrameworkBackend)
    try:
        assert "needs_missing" not in ut.backends.available()
        assert "needs_missing" in ut.backends.names()
        with pytest.raises(BackendNotInstalledError) as info:
            ut.backends.get("needs_missing")
        message = str(info.value)
        assert "unitensor_no_such_framework" in message
        assert "pip install unitensor-no-such-framework" in message
        assert isinstance(info.value, ImportError)
        with pytest.raises(BackendNotInstalledError):
            ut.asarray([1.0], backend="needs_missing")
        with pytest.raises(BackendNotInstalledError):
            ut.set_backend("needs_missing")
        assert ut.get_backend().name == "numpy"
    finally:
        ut.backends.unregister("needs_missing")


BUILTINS = ("numpy", "torch", "jax", "cupy", "dask", "strict")


@pytest.mark.parametrize("name", BUILTINS)
def test_a_builtin_backend_loads_or_says_what_to_install(name):
    """Where a built-in's framework is missing (cupy on a machine without CUDA), the error says what to run."""
    if name in ut.backends.available():
        assert ut.backends.get(name).name == name
        return
    with pytest.raises(BackendNotInstalledError, match="pip install"):
        ut.backends.get(name)
    with pytest.raises(BackendNotInstalledError, match="pip install"):
        ut.asarray([1.0], backend=name)


def test_a_plugin_that_raises_on_import_warns_and_breaks_nothing(tmp_path, monkeypatch, backend):
    (tmp_path / "unitensor_broken_plugin.py").write_text("raise RuntimeError('plugin bug on import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ut.backends.register("broken", "unitensor_broken_plugin:Backend")
    try:
        with pytest.warns(RuntimeWarning, match="plugin bug on import"):
            names = ut.backends.available()
        assert "broken" not in names
        assert backend in names
        assert ut.asarray([1.0, 2.0], backend=backend).backend.name == backend
        with pytest.raises(BackendNotInstalledError, match="plugin bug on import"):
            ut.backends.get("broken")
        rows = {row["name"]: row for row in ut.backends.info()}
        assert rows["broken"]["installed"] is False
        assert "plugin bug on import" in rows["broken"]["error"]
    finally:
        ut.backends.unregister("broken")


def test_a_plugin_whose_constructor_raises_is_reported_by_info():
    class Exploding(NumpyBackend):
        name = "exploding"

        def __init__(self) -> None:
            raise RuntimeError("cannot start")

    ut.backends.register("exploding", Exploding)
    try:
        rows = {row["name"]: row for row in ut.backends.info()}
        assert rows["exploding"]["installed"] is False
        assert "cannot start" in rows["exploding"]["error"]
        assert rows["numpy"]["installed"] is True
        with pytest.raises(RuntimeError, match="cannot start"):
            ut.backends.get("exploding")
    finally:
        ut.backends.unregister("exploding")


def test_info_rows_report_installed_backends():
    rows = {row["name"]: row for row in ut.backends.info()}
    assert set(rows) == set(ut.backends.names())
    numpy_row = rows["numpy"]
    assert numpy_row["installed"] is True
    assert numpy_row["version"] == np.__version__
    assert numpy_row["devices"] == ["cpu"]


# -- a real third-party distribution, found through its entry point ----------------

PLUGIN_MODULE = '''
from unitensor.backends.numpy import NumpyBackend


class ThirdPartyBackend(NumpyBackend):
    """A plugin distribution's backend: NumPy under its own name."""

    name = "thirdparty"
    install_hint = "pip install unitensor-thirdparty"
'''


def build_distribution(root: Path) -> Path:
    """A minimal installed distribution: a module plus a ``.dist-info`` with entry points."""
    root.mkdir()
    (root / "unitensor_thirdparty.py").write_text(PLUGIN_MODULE)
    (root / "unitensor_brokenplugin.py").write_text("raise ImportError('broken plugin module')\n")
    info = root / "unitensor_thirdparty-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: unitensor-thirdparty\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[unitensor.backends]\n"
        "thirdparty = unitensor_thirdparty:ThirdPartyBackend\n"
        "brokenplugin = unitensor_brokenplugin:Backend\n"
    )
    (info / "RECORD").write_text("")
    return root


def test_third_party_backend_through_a_real_entry_point(tmp_path):
    site = build_distribution(tmp_path / "site")
    done = run_python(
        """
        import json, sys, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import unitensor as ut
            available = ut.backends.available()
        x = ut.asarray([1.0, 2.0, 3.0], backend="thirdparty")
        y = ut.sum(x * 2.0)
        with ut.use_backend("thirdparty"):
            z = ut.ones(2)
        print(json.dumps({
            "available": available,
            "names": ut.backends.names(),
            "warnings": [str(w.message) for w in caught],
            "backend": [x.backend.name, y.backend.name, z.backend.name],
            "sum": float(y),
            "numpy": ut.sum(x).numpy().tolist(),
            "hint": type(ut.backends.get("thirdparty")).install_hint,
            "origin": [row["origin"] for row in ut.backends.info() if row["name"] == "thirdparty"],
            "frameworks": [m for m in ("torch", "jax", "dask", "cupy") if m in sys.modules],
        }))
    """,
        path=site,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert "thirdparty" in result["available"]
    assert "brokenplugin" in result["names"] and "brokenplugin" not in result["available"]
    assert any("brokenplugin" in w and "broken plugin module" in w for w in result["warnings"])
    assert result["backend"] == ["thirdparty"] * 3
    assert result["sum"] == 12.0
    assert result["numpy"] == 6.0
    assert result["hint"] == "pip install unitensor-thirdparty"
    assert result["origin"] == ["entry point unitensor_thirdparty:ThirdPartyBackend"]
    assert "numpy" in result["available"]  # the broken plugin broke nothing else


def test_refresh_finds_a_distribution_installed_while_running(tmp_path):
    site = build_distribution(tmp_path / "site")
    done = run_python(f"""
        import sys, warnings
        warnings.simplefilter("ignore")
        import unitensor as ut
        before = "thirdparty" in ut.backends.names()
        sys.path.insert(0, {str(site)!r})
        ut.backends.refresh()
        print(before, "thirdparty" in ut.backends.available())
    """)
    assert done.stdout.split() == ["False", "True"]


# -- run-time registration ---------------------------------------------------------


@pytest.mark.parametrize("form", ["class", "instance", "loader", "string"])
def test_register_every_form_then_unregister(form):
    target = {
        "class": ToyBackend,
        "instance": ToyBackend(),
        "loader": lambda: ToyBackend(),
        "string": f"{__name__}:ToyBackend",
    }[form]
    ut.backends.register("toy", target)
    try:
        assert "toy" in ut.backends.available()
        t = ut.asarray([1, 2, 3], backend="toy")
        assert t.backend.name == "toy"
        assert isinstance(t.backend, ToyBackend)
        assert ut.sum(t).backend is t.backend
        if form == "instance":
            assert ut.backends.get("toy") is target
    finally:
        ut.backends.unregister("toy")
    assert "toy" not in ut.backends.names()
    with pytest.raises(UnknownBackendError):
        ut.backends.get("toy")


def test_register_refuses_duplicates_unless_replace(toy):
    with pytest.raises(ValueError, match="replace=True"):
        ut.backends.register("toy", ToyBackend)
    replacement = ToyBackend()
    ut.backends.register("toy", replacement, replace=True)
    assert ut.backends.get("toy") is replacement


@pytest.mark.parametrize("bad_name", ["", None, 3])
def test_register_needs_a_name(bad_name):
    with pytest.raises(TypeError, match="name"):
        ut.backends.register(bad_name, ToyBackend)


def test_a_loader_that_returns_no_backend_errors():
    ut.backends.register("bogus", lambda: object())
    try:
        with pytest.raises(TypeError, match="not a Backend"):
            ut.backends.get("bogus")
    finally:
        ut.backends.unregister("bogus")


def test_unregister_unknown_name_errors():
    with pytest.raises(UnknownBackendError, match="nothing_here"):
        ut.backends.unregister("nothing_here")


def test_backend_of_finds_owner_and_ignores_other_objects(backend):
    t = ut.asarray([1.0], backend=backend)
    assert ut.backends.backend_of(t.raw) is t.backend
    assert ut.backends.backend_of([1.0]) is None
    assert ut.backends.backend_of("text") is None


def test_two_plugins_claiming_one_name_warn(tmp_path):
    site = build_distribution(tmp_path / "site")
    rival = site / "unitensor_rival-2.0.dist-info"
    rival.mkdir()
    (rival / "METADATA").write_text("Metadata-Version: 2.1\nName: unitensor-rival\nVersion: 2.0\n")
    (rival / "entry_points.txt").write_text("[unitensor.backends]\nthirdparty = unitensor_rival:Backend\n")
    done = run_python(
        """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import unitensor as ut
            names = ut.backends.names()
        print(names.count("thirdparty"), any("two plugins" in str(w.message) for w in caught))
    """,
        path=site,
    )
    assert done.stdout.split() == ["1", "True"]
