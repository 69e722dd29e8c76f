"""torch's uint16, uint32 and uint64, computed through int64 where torch has no kernel (issue 17), against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut

pytest.importorskip("torch")


def _set(x):
    x = ut.asarray(x, copy=True)
    x[1:3] = ut.asarray([9, 9], dtype=x.dtype, backend=x.backend.name)
    x[0] = 4
    return x


CASES = {
    "add": lambda x, y, s: x + y,
    "sub": lambda x, y, s: x - y,
    "mul": lambda x, y, s: x * y,
    "floordiv": lambda x, y, s: x // ut.where(y == 0, ut.ones_like(y), y),
    "mod": lambda x, y, s: x % ut.where(y == 0, ut.ones_like(y), y),
    "pow": lambda x, y, s: x**s,
    "lt": lambda x, y, s: x < y,
    "le": lambda x, y, s: x <= y,
    "gt": lambda x, y, s: x > y,
    "eq": lambda x, y, s: x == y,
    "and": lambda x, y, s: x & y,
    "or": lambda x, y, s: x | y,
    "xor": lambda x, y, s: x ^ y,
    "lshift": lambda x, y, s: x << s,
    "rshift": lambda x, y, s: x >> s,
    "neg": lambda x, y, s: -x,
    "inv": lambda x, y, s: ~x,
    "abs": lambda x, y, s: abs(x),
    "sign": lambda x, y, s: ut.sign(x),
    "max": lambda x, y, s: ut.max(x),
    "min": lambda x, y, s: ut.min(x),
    "argmax": lambda x, y, s: ut.argmax(x),
    "argmin": lambda x, y, s: ut.argmin(x),
    "sort": lambda x, y, s: ut.sort(x),
    "argsort": lambda x, y, s: ut.argsort(x, stable=True),
    "sum": lambda x, y, s: ut.sum(x),
    "prod": lambda x, y, s: ut.prod(x),
    "cumsum": lambda x, y, s: ut.cumulative_sum(x),
    "searchsorted": lambda x, y, s: ut.searchsorted(ut.sort(x), y),
    "maximum": lambda x, y, s: ut.maximum(x, y),
    "minimum": lambda x, y, s: ut.minimum(x, y),
    "clip": lambda x, y, s: ut.clip(x, s, y),
    "flip": lambda x, y, s: x[::-1],
    "take": lambda x, y, s: ut.take(x, ut.asarray([0, 4, 2], backend=x.backend.name)),
    "nonzero": lambda x, y, s: ut.nonzero(x)[0],
    "count_nonzero": lambda x, y, s: ut.count_nonzero(x),
    "unique": lambda x, y, s: ut.unique_values(x),
    "lt_scalar": lambda x, y, s: x < 3,
    "add_scalar": lambda x, y, s: x + 3,
    "mul_scalar": lambda x, y, s: x * 5,
    "rsub_scalar": lambda x, y, s: 2 - x,
    "isin": lambda x, y, s: ut.isin(x, y),
    "where": lambda x, y, s: ut.where(x > y, x, y),
    "matmul": lambda x, y, s: x @ y,
    "tril": lambda x, y, s: ut.tril(ut.reshape(x, (2, 4))),
    "roll": lambda x, y, s: ut.roll(x, 2),
    "diff": lambda x, y, s: ut.diff(x),
    "arange": lambda x, y, s: ut.arange(5, dtype=x.dtype, backend=x.backend.name),
    "eye": lambda x, y, s: ut.eye(3, dtype=x.dtype, backend=x.backend.name),
    "linspace": lambda x, y, s: ut.linspace(0, 10, 5, dtype=x.dtype, backend=x.backend.name),
    "full": lambda x, y, s: ut.full((2,), 7, dtype=x.dtype, backend=x.backend.name),
    "mask": lambda x, y, s: x[x > y],
    "setitem": lambda x, y, s: _set(x),
    "square": lambda x, y, s: ut.square(x),
    "vecdot": lambda x, y, s: ut.vecdot(x, y),
    "all": lambda x, y, s: ut.all(x),
    "any": lambda x, y, s: ut.any(x),
    "cumprod": lambda x, y, s: ut.cumulative_prod(x),
    "max_axis": lambda x, y, s: ut.max(ut.reshape(x, (2, 4)), axis=1),
    "equal_fn": lambda x, y, s: ut.equal(x, y),
    "logical": lambda x, y, s: ut.logical_not(x > 2),
    "tile": lambda x, y, s: ut.tile(x, (2,)),
    "repeat": lambda x, y, s: ut.repeat(x, 2),
    "stack": lambda x, y, s: ut.stack([x, y]),
    "sort_desc": lambda x, y, s: ut.sort(x, descending=True),
    "searchsorted_scalar": lambda x, y, s: ut.searchsorted(ut.sort(x), 3),
    "unique_all": lambda x, y, s: ut.unique_all(x).counts,
    "topinv": lambda x, y, s: ut.unique_inverse(x).inverse_indices,
}


def _operands(dtype, backend):
    info = np.iinfo(dtype)
    # the extremes, the sign bit of the signed dtype of the same width, zeros (masked before // and %)
    a = np.array([0, 1, 2, 7, info.max, info.max - 3, info.max // 2 + 1, 5], dtype=dtype)
    b = np.array([3, 1, info.max, 2, 2, 5, 7, 0], dtype=dtype)
    shifts = np.array([0, 1, 3, 2, 5, 1, 7, 2], dtype=dtype)
    return [ut.asarray(v, backend=backend) for v in (a, b, shifts)]


@pytest.mark.parametrize("operation", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_wide_unsigned_integers_compute_like_numpy(dtype, operation):
    with np.errstate(all="ignore"):
        expected = operation(*_operands(dtype, "numpy"))
    got = operation(*_operands(dtype, "torch"))
    assert got.backend.name == "torch"
    assert got.dtype == expected.dtype
    assert got.tolist() == expected.tolist()


def test_python_ints_past_int64_meet_uint64():
    x = ut.asarray(np.array([0, 2**63, 2**64 - 1], np.uint64), backend="torch")
    assert (x < 2**63 + 1).tolist() == [True, True, False]
    assert (x + (2**64 - 1)).tolist() == [2**64 - 1, 2**63 - 1, 2**64 - 2]
    assert ut.max(x).tolist() == 2**64 - 1 and ut.argmin(x).tolist() == 0
