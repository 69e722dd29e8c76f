"""``python -m unitensor demo`` and ``python -m unitensor info``, run as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import unitensor as ut
from unitensor.__main__ import COMMANDS, main


def run_cli(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env_code = (
        f"import sys; sys.path[:0] = {[str(path)] if path else []!r}; "
        "import runpy; sys.argv = ['unitensor', *sys.argv[1:]]; runpy.run_module('unitensor', run_name='__main__')"
    )
    return subprocess.run([sys.executable, "-c", env_code, *args], capture_output=True, text=True, timeout=300)


def weights(line: str) -> list[float]:
    return [float(v) for v in re.search(r"w = \[([^\]]*)\]", line).group(1).split(",")]


def test_demo_on_the_default_backend():
    done = subprocess.run([sys.executable, "-m", "unitensor", "demo"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "backend 'numpy'" in out
    lines = out.splitlines()
    exact = weights(next(line for line in lines if line.startswith("normal equations")))
    descent = weights(next(line for line in lines if line.startswith("gradient descent  ->")))
    assert exact == pytest.approx([0.5, -2.0, 1.5], abs=0.01)  # the weights the data was made with
    assert descent == pytest.approx(exact, abs=1e-3)
    losses = [float(v) for v in re.findall(r"loss (\S+)", out)]
    assert len(losses) >= 3 and losses[-1] < losses[0] / 100
    assert "exported to NumPy: numpy.ndarray float32" in out
    assert "zero-copy" in out


def test_demo_on_each_backend(backend):
    done = run_cli("demo", "--backend", backend, "--steps", "40")
    assert done.returncode == 0, done.stderr
    assert f"backend '{backend}'" in done.stdout
    assert "exported to NumPy: numpy.ndarray" in done.stdout
    lines = done.stdout.splitlines()
    assert weights(next(line for line in lines if line.startswith("normal equations"))) == pytest.approx(
        [0.5, -2.0, 1.5], abs=0.01
    )


def test_demo_with_an_unknown_backend_fails_clearly():
    done = run_cli("demo", "--backend", "no_such_backend")
    assert done.returncode == 1
    assert "unknown backend 'no_such_backend'" in done.stderr and "numpy" in done.stderr
    assert "Traceback" not in done.stderr


def test_info_lists_every_registered_backend():
    done = subprocess.run([sys.executable, "-m", "unitensor", "info"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:] if line and not line[0].isspace()}
    assert set(table) == set(ut.backends.names())
    for name in ut.backends.names():
        assert table[name][1] == ("yes" if name in ut.backends.available() else "no"), name
    assert table["numpy"][2] == ut.backends.get("numpy").version
    assert table["numpy"][3] == "cpu"


def test_info_json_rows():
    done = run_cli("info", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert set(rows) == set(ut.backends.names())
    assert rows["numpy"]["installed"] is True and rows["numpy"]["devices"] == ["cpu"]
    for row in rows.values():
        assert set(row) == {"name", "installed", "version", "devices", "origin", "error"}
        assert row["installed"] == bool(row["version"]), row


def test_info_survives_broken_and_missing_plugins(tmp_path):
    (tmp_path / "ut_cli_plugins.py").write_text(
        "from unitensor.backends.numpy import NumpyBackend\n"
        "class Missing(NumpyBackend):\n"
        "    name = 'missing'\n"
        "    requires = ('ut_cli_not_installed',)\n"
    )
    (tmp_path / "ut_cli_broken.py").write_text("raise RuntimeError('broken at import')\n")
    info = tmp_path / "ut_cli_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ut-cli-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[unitensor.backends]\nmissing = ut_cli_plugins:Missing\nbroken = ut_cli_broken:Backend\n"
    )
    done = run_cli("info", path=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:] if line and not line[0].isspace()}
    assert rows["missing"][1] == "no" and rows["broken"][1] == "no" and rows["numpy"][1] == "yes"
    assert "broken: RuntimeError: broken at import" in done.stdout


def test_usage_and_unknown_command(capsys):
    assert main([]) == 2
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out
    assert main(["no_such_command"]) == 2
    assert "unknown command 'no_such_command'" in capsys.readouterr().err


def test_commands_are_a_table_of_functions():
    assert {"demo", "info"} <= set(COMMANDS)
    assert all(callable(command) for command in COMMANDS.values())
