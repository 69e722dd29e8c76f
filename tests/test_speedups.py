"""The C accelerator (unitensor/_speedups.c) against its pure-Python twin.

Everything else in the suite runs on whichever is loaded (the C one where it
is built); here the pure-Python paths run too, in a subprocess with
``UNITENSOR_PURE_PYTHON=1`` (CI runs all of tests/ that way instead, as its own
step: .ci/pure-python), and the C module's own duties are checked:
reference counts on every path (a leak or a double free in C shows here),
garbage collection of cycles, weak references, and the metadata of its
functions.
"""

from __future__ import annotations

import gc
import inspect
import os
import subprocess
import sys
import weakref

import numpy as np
import pytest

import unitensor as ut
from unitensor._accel import speedups
from unitensor._namespace import FUNCTIONS

needs_speedups = pytest.mark.skipif(
    speedups is None, reason="the C accelerator is not built here (no C compiler, or UNITENSOR_PURE_PYTHON=1)"
)

#: the test files that cover the fast paths, run again without the accelerator
PURE_PYTHON_FILES = ["tests/test_fast_paths.py", "tests/test_tensor.py", "tests/test_autodiff.py"]


def test_ci_builds_the_accelerator():
    if not os.environ.get("CI") or os.environ.get("UNITENSOR_PURE_PYTHON"):
        pytest.skip("only CI requires the C accelerator (elsewhere a missing compiler is allowed)")
    assert speedups is not None, "CI must compile unitensor/_speedups.c: see the pip install log"


def test_pure_python_environment_variable_turns_it_off():
    code = "import unitensor._accel as a, unitensor as ut; print(a.speedups, type(ut.exp).__name__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "UNITENSOR_PURE_PYTHON": "1"},
    )
    assert out.stdout.split() == ["None", "function"]


@needs_speedups
@pytest.mark.slow
def test_the_fast_path_tests_pass_in_pure_python():
    if os.environ.get("CI"):
        pytest.skip("CI runs all of tests/ in pure Python as its own step (.ci/pure-python)")
    env = {**os.environ, "UNITENSOR_PURE_PYTHON": "1"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            *PURE_PYTHON_FILES,
            "tests/test_speedups.py::test_runs_without_speedups",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]


def test_runs_without_speedups():
    """Run by the subprocess above: checks it really ran the pure-Python paths."""
    if not os.environ.get("UNITENSOR_PURE_PYTHON"):
        pytest.skip("run in the pure-Python subprocess of test_the_fast_path_tests_pass_in_pure_python")
    assert speedups is None and type(ut.Tensor.__add__).__name__ == "function"


# -- the C module's own duties -----------------------------------------------------


def _operations(t, u, mask):
    """One call of every fast path, and of slow paths the C code hands over to Python."""
    yield from (
        t + u,
        t * 2.0,
        2.0 - t,
        t @ u,
        -t,
        abs(t),
        t < u,
        t == 1.5,
        t[1:],
        t[0, ...],
        t[mask],
        ut.exp(t),
        ut.add(t, u),
        ut.reshape(t, (4,)),
        ut.sum(t, axis=0),
        ut.where(mask, t, u),
        ut.astype(t, ut.int32),
        ut.astype(t, ut.float64, copy=False),
        ut.matmul(t, u),
        t + ut.astype(u, ut.float64),
        t + 1j,
        t[ut.asarray([1, 0])],
        ut.linalg.vector_norm(t),
    )


def _failing_operations(t, u):
    """Calls whose fast path raises in the framework and whose slow path raises the standard's error."""
    for call in (
        lambda: t @ ut.ones((3, 3)),
        lambda: t + ut.ones((3,)),
        lambda: t[5],
        lambda: ut.reshape(t, (3,)),
        lambda: ut.where(t > 0, t, ut.ones((3,))),
        lambda: ut.astype(t, "float8"),
    ):
        with pytest.raises(Exception):
            call()


@needs_speedups
@pytest.mark.parametrize("failing", [False, True], ids=["results", "errors"])
def test_no_reference_leaks(failing):
    t = ut.asarray(np.array([[1.5, -2.0], [3.0, 0.5]], dtype=np.float32))
    u = ut.asarray(np.array([[0.5, 1.0], [2.0, -1.0]], dtype=np.float32))
    mask = t > 0
    raw, backend = t._raw, t._backend

    def run():
        if failing:
            _failing_operations(t, u)
        else:
            for _ in _operations(t, u, mask):
                pass

    for _ in range(3):  # warm caches (the backend's function table, interned names)
        run()
    gc.collect()
    before = sys.getrefcount(raw), sys.getrefcount(backend), sys.getrefcount(t)
    for _ in range(100):
        run()
    gc.collect()
    assert (sys.getrefcount(raw), sys.getrefcount(backend), sys.getrefcount(t)) == before


@needs_speedups
def test_cycles_through_tensors_are_collected():
    t = ut.asarray([1.0, 2.0])
    t._node = [t]  # a cycle, as the autodiff tape makes with its nodes
    ref = weakref.ref(t)
    del t
    gc.collect()
    assert ref() is None


def test_tensors_take_weak_references_and_no_attributes():
    t = ut.asarray([1.0])
    assert weakref.ref(t)() is t
    with pytest.raises(AttributeError):
        t.anything = 1


def test_tensors_are_not_hashable_and_not_built_directly():
    with pytest.raises(TypeError, match="hashable"):
        hash(ut.asarray([1.0]))
    with pytest.raises(TypeError, match="asarray"):
        ut.Tensor()


def test_modular_pow_is_refused():
    with pytest.raises(TypeError):
        pow(ut.asarray([2]), 3, 5)


@pytest.mark.parametrize("name", ["exp", "add", "reshape", "where", "linalg.vector_norm"])
def test_functions_keep_their_name_doc_and_signature(name):
    function = FUNCTIONS[name]
    public = name.rpartition(".")[2]
    assert function.__name__ == public and f"``{name}``" in function.__doc__
    assert "x" in str(inspect.signature(function)) or "args" in str(inspect.signature(function))
    assert public in repr(function)
    assert ut.astype.__name__ == "astype" and "copy" in str(inspect.signature(ut.astype))


@needs_speedups
def test_function_arguments_are_checked():
    with pytest.raises(ValueError, match="kind"):
        speedups.Function(99, "exp", print)
    with pytest.raises(TypeError, match="callable"):
        speedups.Function(speedups.UNARY, "exp", 1)
    with pytest.raises(TypeError, match="raw, backend"):
        speedups.wrap(1)


def test_a_mask_on_another_device_is_refused():
    pytest.importorskip("torch", reason="torch is not installed")
    x = ut.asarray([1.0, 2.0, 3.0], backend="torch")
    mask = (x > 1.0).to("meta")
    with pytest.raises(ValueError, match="two devices"):
        x[mask]
    np.testing.assert_array_equal(x[x > 1.0].numpy(), [2.0, 3.0])


# -- memory safety: a Tensor always holds data; fast paths check what slow paths check -------


def test_no_tensor_is_made_without_data():
    with pytest.raises(TypeError, match="asarray"):
        ut.Tensor.__new__(ut.Tensor)


@needs_speedups
@pytest.mark.parametrize("slot", ["_raw", "_backend"])
def test_raw_and_backend_cannot_be_deleted(slot):
    t = ut.asarray([1.0, 2.0])
    with pytest.raises(AttributeError, match=f"cannot delete {slot}"):
        delattr(t, slot)
    assert (t + 1).tolist() == [2.0, 3.0]


@pytest.mark.parametrize(
    "name, arrays", [("where", 1), ("where", 2), ("where", 4), ("matmul", 1), ("matmul", 3), ("take", 1), ("vecdot", 3)]
)
def test_array_functions_check_their_arity(backend, name, arrays):
    x = ut.asarray([1.0, 2.0], backend=backend)
    with pytest.raises(TypeError, match=f"{name}\\(\\) takes . positional arguments"):
        FUNCTIONS[name](*[x] * arrays)
