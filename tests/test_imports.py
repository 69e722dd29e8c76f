"""``import unitensor`` imports no framework; nothing outside ``unitensor/backends/`` names one."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import unitensor

FRAMEWORKS = ("torch", "jax", "jaxlib", "dask", "cupy", "array_api_strict")
#: may be imported only by modules under unitensor/backends/ (NumPy included, per the design)
BACKEND_ONLY = (*FRAMEWORKS, "numpy", "array_api_compat")
PACKAGE = Path(unitensor.__file__).parent


def imported_after(code: str) -> list[str]:
    """The frameworks in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = (
        f"import json, sys, warnings\nwarnings.simplefilter('ignore')\n{code}\n"
        f"print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import unitensor",
        "import unitensor as ut; ut.backends.available()",
        "import unitensor as ut; ut.backends.names()",
        "import unitensor as ut; ut.get_backend()",
        "import unitensor as ut; ut.sum(ut.asarray([1.0, 2.0]) * 2)",
        "import unitensor as ut; ut.linalg.inv(ut.eye(2)); ut.fft.fft(ut.ones(4))",
        "import unitensor as ut, numpy as np; ut.astensor(np.ones(3)).numpy()",
        "import unitensor.__main__",
    ],
    ids=["import", "available", "names", "get_backend", "numpy-work", "extensions", "astensor", "cli-module"],
)
def test_no_framework_is_imported(code):
    assert imported_after(code) == []


def test_asking_for_a_backend_imports_only_its_framework():
    if "strict" not in unitensor.backends.available():
        pytest.skip("the strict backend is not installed")
    assert imported_after("import unitensor as ut; ut.backends.get('strict')") == ["array_api_strict"]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) of every import statement in ``path``, relative ones excluded."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.partition(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
    return found


#: unitensor/testing/ is test code (the pytest plugin and conformance suite), which may use
#: reference frameworks the way tests do; it is imported only by pytest, never by ``import unitensor``
CORE_MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if not {"backends", "testing"} & set(p.relative_to(PACKAGE).parts)
)


@pytest.mark.parametrize("path", CORE_MODULES, ids=[str(p.relative_to(PACKAGE)) for p in CORE_MODULES])
def test_only_backends_name_a_framework(path):
    offending = [f"line {line}: import {module}" for line, module in _imports(path) if module in BACKEND_ONLY]
    assert not offending, f"{path.relative_to(PACKAGE)} imports a framework outside unitensor/backends/: {offending}"


BACKEND_MODULES = sorted((PACKAGE / "backends").glob("*.py"))


@pytest.mark.parametrize("path", BACKEND_MODULES, ids=[p.name for p in BACKEND_MODULES])
def test_backend_modules_import_their_framework_lazily(path):
    """Framework imports sit inside functions (``__init__``), never at module level."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    offending = [
        ast.unparse(node) for node in top_level if any(module in BACKEND_ONLY for module in _module_names(node))
    ]
    assert not offending, f"{path.name} imports a framework at module level: {offending}"


def _module_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name.partition(".")[0] for alias in node.names]
    return [node.module.partition(".")[0]] if node.level == 0 and node.module else []
