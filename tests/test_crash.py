"""Crash tests: bad input and thread races must raise, never kill the interpreter.

Each batch runs in a fresh interpreter (``python -c``), so a segmentation
fault fails its test instead of ending the run. The child inherits this run's
mode: with the C accelerator, or in pure Python under
``UNITENSOR_PURE_PYTHON=1``. Inside a batch every call may raise any
exception but ``SystemError`` (a C function that returned NULL without an
error, or a result with an error set); it must not crash. ``CRASH_TRACE=1``
makes a batch print each call before it runs, to find the one that crashes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

#: helpers every batch starts with: ``attempt(f, *args)`` runs one call, ``done()`` reports
PRELUDE = """
import math, sys, numpy as np, unitensor as ut
from unitensor._tensor import _object_new
from unitensor._accel import speedups
accelerated = speedups is not None
import warnings
warnings.simplefilter("ignore")
import os
TRACE = os.environ.get("CRASH_TRACE")
problems = []
calls = 0

def r(value):
    try:
        return repr(value)[:40].replace(chr(10), " ")
    except Exception:
        return f"<{type(value).__name__}>"

import time
started = time.time()
def attempt(what, f, *args, **kwargs):
    global calls
    calls += 1
    if TRACE:
        print(f"{time.time() - started:8.3f} {what}", flush=True)
    try:
        return f(*args, **kwargs)
    except SystemError as exc:
        problems.append(f"{what}: SystemError {exc}")
    except BaseException as exc:
        if not isinstance(exc, Exception):
            problems.append(f"{what}: {type(exc).__name__} {exc}")

def done():
    print(f"{calls} calls")
    if problems:
        print("\\n".join(problems[:40]))
        sys.exit(1)

class Raising:
    '''An object whose conversions and comparisons all raise.'''
    def __index__(self): raise RuntimeError("__index__")
    def __int__(self): raise RuntimeError("__int__")
    def __float__(self): raise RuntimeError("__float__")
    def __eq__(self, other): raise RuntimeError("__eq__")
    def __ne__(self, other): raise RuntimeError("__ne__")
    def __lt__(self, other): raise RuntimeError("__lt__")
    def __hash__(self): raise RuntimeError("__hash__")
    def __bool__(self): raise RuntimeError("__bool__")
    def __len__(self): raise RuntimeError("__len__")
    def __iter__(self): raise RuntimeError("__iter__")
    def __array__(self, *args, **kwargs): raise RuntimeError("__array__")
    def __dlpack__(self, *args, **kwargs): raise RuntimeError("__dlpack__")
    def __dlpack_device__(self): raise RuntimeError("__dlpack_device__")
    def __array_namespace__(self, *args, **kwargs): raise RuntimeError("__array_namespace__")
    @property
    def dtype(self): raise RuntimeError("dtype")
    @property
    def shape(self): raise RuntimeError("shape")

SubTensor = type("SubTensor", (ut.Tensor,), {"__slots__": ()})

def subclass_instance(t):
    t = ut.asarray(t, copy=True)
    t.__class__ = SubTensor
    return t

def empty_tensor():
    return _object_new(ut.Tensor)
"""

#: operand kinds, as expressions of ``x`` (a float32 vector of the batch's backend)
OPERANDS = """[
    None, object(), "abc", [[1, 2], [3, 4]], [1.0, "a"], (), np.float32(1.5), np.int64(3), np.arange(4.0),
    np.array("s"), 2**70, -2**70, math.nan, math.inf, 1 + 2j, True, -1, 1.5, Raising(), ut.float32, Ellipsis,
    ut.asarray(np.arange(4.0), backend=other), subclass_instance(x), empty_tensor(), x,
    ut.asarray(1.0, backend=name), ut.asarray([True, False, True, False], backend=name),
    ut.asarray(np.arange(4, dtype=np.int32), backend=name), ut.asarray(np.ones((2, 2), np.complex64), backend=name),
]"""

#: every operator and a sample of namespace functions of each argument shape, with each operand
OPERATORS_AND_FUNCTIONS = """
import operator
from unitensor._namespace import UNARY, BINARY, ARRAY_FIRST, ARRAYS_ONLY, FUNCTIONS
name, other = sys.argv[1], sys.argv[2]
x = ut.asarray(np.arange(4, dtype=np.float32), backend=name)
operands = OPERANDS
# one of each kind: arithmetic, power (its own C slot), matmul, bitwise, shift, ordering, equality
binary = [operator.add, operator.truediv, operator.floordiv, operator.pow, operator.matmul, operator.and_,
          operator.lshift, operator.lt, operator.eq]
inplace = [operator.iadd, operator.ipow, operator.iand]
unary = [operator.neg, operator.pos, operator.abs, operator.invert, bool, int, float, complex, len, list,
         hash, repr, str, operator.index]
for v in operands:
    for op in binary:
        attempt(f"{op.__name__}(x, {r(v)})", op, x, v)
        attempt(f"{op.__name__}({r(v)}, x)", op, v, x)
    for op in inplace:
        attempt(f"{op.__name__}(x, {r(v)})", op, ut.asarray(x, copy=True), v)
    attempt("pow(x, v, 3)", pow, x, v, 3)
    if isinstance(v, ut.Tensor):
        for op in unary:
            attempt(f"{op.__name__}({r(v)})", op, v)
        for op in binary:
            attempt(f"{op.__name__}(v, v)", op, v, v)
for function in UNARY[::5]:
    f = FUNCTIONS[function]
    for v in operands:
        attempt(f"{function}({r(v)})", f, v)
for function in BINARY[::5]:
    f = FUNCTIONS[function]
    for v in operands:
        attempt(f"{function}(x, {r(v)})", f, x, v)
        attempt(f"{function}({r(v)}, x)", f, v, x)
for function in sorted(ARRAYS_ONLY):
    f = FUNCTIONS[function]
    for arguments in [(), (x,), (x, x), (x, x, x), (x, x, x, x), (x, x, x, x, x, x, x, x, x, x)]:
        attempt(f"{function} of {len(arguments)}", f, *arguments)
        attempt(f"{function} of {len(arguments)}, axis", f, *arguments, axis=0)
for function in ["where", "matmul", "take"]:
    f = FUNCTIONS[function]
    for v in operands:
        attempt(f"{function}(x, {r(v)})", f, x, v)
        attempt(f"{function}({r(v)}, x)", f, v, x)
        attempt(f"{function}(x>1, x, {r(v)})", f, x > 1, x, v)
# (not tile, repeat or broadcast_to: 2**70 or a list as the shape asks for an array too large to fail fast)
for function in ["sum", "astype", "reshape", "stack", "argsort", "expand_dims"]:
    f = FUNCTIONS.get(function) or getattr(ut, function)
    for v in operands:
        attempt(f"{function}({r(v)})", f, v)
        attempt(f"{function}(x, {r(v)})", f, x, v)
        attempt(f"{function}(x, axis={r(v)})", f, x, axis=v)
    attempt(f"{function}(x, ut.float32, copy=False)", f, x, ut.float32, copy=False)
    attempt(f"{function}(x, dtype=ut.int8)", f, x, dtype=ut.int8)
for f in [ut.astype, ut.where, ut.sum, ut.exp, ut.add, ut.matmul]:
    attempt("no arguments", f)
    attempt("keywords only", f, x=x, dtype=ut.float32, copy=False)
    attempt("too many", f, *([x] * 12))
""".replace("OPERANDS", OPERANDS)

#: keys, values and odd arities for indexing and the Tensor's methods
INDEXING = """
x = ut.asarray(np.arange(12.0).reshape(3, 4), backend=name)
keys = [-100, 100, 2**70, -2**70, 1.5, "a", None, Ellipsis, (), (0, 0, 0), (..., ...), (None, None, 0),
        slice(None, None, -1), slice(2**70), slice(0, 3, 0), slice("a"), [0, 1], [[0]], [True, False, True],
        (slice(None), [0, 1]), np.int64(1), np.array([0, 2]), np.array([True, False, True]), Raising(),
        (Raising(), 0), True, False, object(), ut.asarray([True, False], backend=name),
        ut.asarray([0, 2], backend=name), ut.asarray([0, 2], backend=other), ut.asarray(1.0, backend=name),
        ut.asarray([[True] * 4] * 3, backend=name), empty_tensor(), (empty_tensor(), 0), subclass_instance(x)]
values = [None, "a", 2**70, math.nan, 1 + 2j, Raising(), [1.0, 2.0], empty_tensor(), x, 1.0]
for key in keys:
    attempt(f"x[{r(key)}]", lambda: x[key])
    attempt(f"sub[{r(key)}]", lambda: subclass_instance(x)[key])
    for value in values:
        target = ut.asarray(x, copy=True)
        attempt(f"x[{r(key)}] = {r(value)}", target.__setitem__, key, value)
for method in ["astype", "to", "to_device", "__array_namespace__", "__dlpack__", "__array__", "item", "tolist",
               "numpy", "__getitem__", "__setitem__", "__index__", "__iadd__", "__radd__", "__rpow__"]:
    bound = getattr(x, method)
    for arguments in [(), (None,), (Raising(),), ("cuda",), (ut.float32, 1, 2, 3), (2**70,)]:
        attempt(f"x.{method}{r(arguments)}", bound, *arguments)
"""

#: Tensors without data: made without ut.asarray, or with a slot deleted
EMPTY_TENSORS = """
def hollow(slot):
    t = ut.asarray([1.0, 2.0], backend=name)
    try:
        delattr(t, slot)
    except (AttributeError, TypeError):
        pass
    else:
        if slot != "_node" and accelerated:  # pure Python's slots are plain __slots__ (see test_speedups.py)
            problems.append(f"del t.{slot} succeeded")
    return t
attempt("Tensor.__new__", ut.Tensor.__new__, ut.Tensor)
attempt("Tensor()", ut.Tensor)
tensors = [empty_tensor(), hollow("_raw"), hollow("_backend"), hollow("_node")]
full = ut.asarray([1.0, 2.0], backend=name)
for t in tensors:
    for op in [operator.add, operator.mul, operator.lt, operator.eq, operator.matmul, operator.pow]:
        attempt(op.__name__, op, t, 1)
        attempt(op.__name__, op, 1, t)
        attempt(op.__name__, op, t, t)
        attempt(op.__name__, op, t, full)
        attempt(op.__name__, op, full, t)
    for op in [operator.neg, abs, bool, repr, len, float]:
        attempt(op.__name__, op, t)
    for f in [ut.exp, ut.sum, ut.negative, ut.isnan]:
        attempt(f.__name__, f, t)
    for f in [ut.add, ut.matmul, ut.where, ut.equal]:
        attempt(f.__name__, f, t, full)
        attempt(f.__name__, f, full, t)
    attempt("where3", ut.where, t, full, full)
    attempt("where3", ut.where, full > 1, t, full)
    attempt("astype", ut.astype, t, ut.float32)
    attempt("astype copy", ut.astype, t, ut.float32, copy=False)
    attempt("getitem", lambda: t[0])
    attempt("getitem tensor key", lambda: full[t])
    attempt("getitem tensor key", lambda: t[full > 1])
    attempt("setitem", t.__setitem__, 0, 1.0)
    attempt("iadd", operator.iadd, t, 1)
    attempt("raw", lambda: t.raw)
    attempt("dtype", lambda: t.dtype)
    attempt("to", t.to, "cpu")
    attempt("asarray", ut.asarray, t)
    attempt("astensor", ut.astensor, t)
done()
"""

#: a fast path runs Python code (a dtype property) that rebinds another operand: the array it had read must
#: stay alive until the call is done (the C code holds strong references, never borrowed ones, across it)
REBINDING = """
import operator
from unitensor.backends.numpy import NumpyBackend
freed = set()

def check(*arrays):
    for a in arrays:
        if id(a) in freed:
            problems.append("an operation used an array freed during its call")
    return Box()

class Box:
    # a native array whose dtype property rebinds another Tensor, dropping that one's last reference
    def __init__(self, victim=None):
        freed.discard(id(self))  # a new Box may take a freed one's address
        self.victim = victim
    @property
    def dtype(self):
        if self.victim is not None:
            victim, self.victim = self.victim, None
            victim._raw = Box()
        return "one dtype"
    def __del__(self):
        freed.add(id(self))
    __add__ = __matmul__ = __lt__ = __getitem__ = check

class Rebinding(NumpyBackend):
    name = "rebinding"
    standard_promotion = False  # the fast paths compare dtypes, reading the property
    array_types = (Box,)
    def function(self, name):
        return check

ut.backends.register("rebinding", Rebinding)
backend = ut.backends.get("rebinding")
for name in ("add", "where", "matmul", "less"):
    backend._functions[name] = check

def tensor(raw):
    t = _object_new(ut.Tensor)
    t._raw, t._backend = raw, backend
    return t

for what, f, arity in [("x + y", operator.add, 2), ("x @ y", operator.matmul, 2), ("x < y", operator.lt, 2),
                       ("ut.add", ut.add, 2), ("ut.matmul", ut.matmul, 2), ("ut.where", ut.where, 3)]:
    for victim in range(1, arity):
        tensors = [tensor(Box()) for _ in range(arity)]
        tensors[0]._raw = Box(victim=tensors[victim])
        attempt(what, f, *tensors)
done()
"""


#: one thread computes with two Tensors while another rebinds one of them (``y += 1``)
THREAD_RACE = """
import threading, time
name, seconds = sys.argv[1], float(sys.argv[2])
sys.setswitchinterval(1e-6)
x = ut.asarray(np.arange(64, dtype=np.float32), backend=name)
y = ut.asarray(np.ones(64, dtype=np.float32), backend=name)
m = ut.asarray(np.ones((8, 8), dtype=np.float32), backend=name)
c = x > 10
stop = time.time() + seconds

def reader():
    while time.time() < stop:
        attempt("x + y", lambda: x + y)
        attempt("where", ut.where, c, x, y)
        attempt("matmul", ut.matmul, m, m)
        attempt("y[3]", lambda: y[3])
        attempt("exp", ut.exp, y)
        attempt("astype", ut.astype, y, ut.float64)

def writer():
    global y, m
    while time.time() < stop:
        y += 1.0
        m += 1.0

threads = [threading.Thread(target=f) for f in (reader, reader, writer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
done()
"""


def run_batch(source: str, *arguments: str, timeout: float = 240) -> str:
    """Run ``source`` in a fresh interpreter; fail the test on a crash or a reported problem."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    code = PRELUDE + textwrap.dedent(source)
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, *arguments], capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the batch hung for {timeout} s: {(exc.stdout or b'')[-2000:]!r}")
    if result.returncode < 0:
        pytest.fail(
            f"the interpreter crashed ({signal.Signals(-result.returncode).name})\n"
            f"{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def _other(backend: str) -> str:
    return "torch" if backend == "numpy" else "numpy"


def test_bad_input_raises_and_never_crashes(backend):
    """Operators, functions and indexing with every kind of operand, key and arity; Tensors without data."""
    out = run_batch(OPERATORS_AND_FUNCTIONS + INDEXING + EMPTY_TENSORS, backend, _other(backend))
    assert int(out.split()[0]) > 3000  # the batch really ran


def test_a_call_keeps_its_operands_alive():
    run_batch(REBINDING)


@pytest.mark.parametrize("framework", ["jax", "dask"])
def test_thread_race_with_a_rebinding_write(framework):
    run_batch(THREAD_RACE, framework, "3")
