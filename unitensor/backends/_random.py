"""Random numbers written against the array API alone: the fallback of backends without an RNG.

A counter-based generator: element ``i`` of a draw is a hash of ``(key, i)``
computed in uint32 arithmetic, so a draw needs no state, no loop and no
framework, and gives the same bits on every namespace that runs it. The hash
is Chris Wellons' ``lowbias32`` applied in rounds keyed by the two words of
the key: good statistical quality for simulation and initialisation, not
cryptographic. Backends with their own generator (NumPy, torch, JAX) use it
instead; see :mod:`unitensor.random` for which streams agree.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["draw", "split"]

_GOLDEN = 0x9E3779B1  # 2**32 / golden ratio: spreads consecutive counters over the words
#: one salt per use of a key, so the words of one draw never reappear in another use
_SALTS = {"split": 0x51ED270B, "a": 0x68E31DA4, "b": 0xB5297A4D, "reject": 0x1B56C4E9}


def _mix(x: Any) -> Any:
    """lowbias32: a bijective 32-bit integer hash (uint32 in, uint32 out)."""
    x = x ^ (x >> 16)
    x = x * 0x7FEB352D
    x = x ^ (x >> 15)
    x = x * 0x846CA68B
    return x ^ (x >> 16)


def bits(xp: Any, key: Any, n: int, salt: int) -> Any:
    """``n`` pseudo-random uint32 words for ``key`` (a uint32 array of two words)."""
    key = xp.astype(key, xp.uint32)
    first, second = key[0:1], key[1:2]  # 1-d: NumPy warns on the (intended) overflow of 0-d scalars
    seed = _mix(first ^ _mix(second ^ salt))
    counter = xp.arange(n, dtype=xp.uint32)
    return _mix(_mix(counter * _GOLDEN ^ seed) + second)


def split(xp: Any, key: Any, num: int) -> Any:
    """``num`` new keys, shape ``(num, 2)``."""
    return xp.reshape(bits(xp, key, 2 * num, _SALTS["split"]), (num, 2))


def _uniform(xp: Any, key: Any, n: int, dtype: Any, salt: str = "a") -> Any:
    """Uniform values in [0, 1): 24 random bits for 32-bit and smaller floats, 53 for float64."""
    high = bits(xp, key, n, _SALTS[salt])
    if xp.finfo(dtype).bits <= 32:
        u = xp.astype(high >> 8, xp.float32) * (2.0**-24)
    else:
        low = bits(xp, key, n, _SALTS[salt] ^ 0xFFFFFFFF)
        u = (xp.astype(high >> 5, xp.float64) * 2.0**26 + xp.astype(low >> 6, xp.float64)) * 2.0**-53
    return u


def _normal(xp: Any, key: Any, n: int, dtype: Any) -> Any:
    """Standard normal values by the Box-Muller transform."""
    u1 = 1.0 - _uniform(xp, key, n, dtype, "a")  # in (0, 1]: log is finite
    u2 = _uniform(xp, key, n, dtype, "b")
    return xp.sqrt(-2.0 * xp.log(u1)) * xp.cos((2.0 * math.pi) * u2)


def _truncated_normal(xp: Any, key: Any, n: int, dtype: Any, lower: float, upper: float) -> Any:
    """Standard normal values in [lower, upper], by rejection: redraw the values outside."""
    z = _normal(xp, key, n, dtype)
    for _attempt in range(1000):
        outside = (z < lower) | (z > upper)
        if not bool(xp.any(outside)):
            return z
        key = split(xp, key, 2)[1, ...]
        z = xp.where(outside, _normal(xp, key, n, dtype), z)
    raise ValueError(
        f"truncated_normal(lower={lower}, upper={upper}): the interval holds almost no probability mass; widen it"
    )


def draw(xp: Any, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
    """One draw of ``method`` (see ``Backend.random``) computed with namespace ``xp``."""
    n = math.prod(shape)
    if method == "uniform":
        flat = _uniform(xp, key, n, dtype)
        flat = flat * (params["high"] - params["low"]) + params["low"]
    elif method == "normal":
        flat = _normal(xp, key, n, dtype)
    elif method == "truncated_normal":
        flat = _truncated_normal(xp, key, n, dtype, params["lower"], params["upper"])
    elif method == "integers":
        low, high = params["low"], params["high"]
        offsets = xp.floor(_uniform(xp, key, n, xp.float64) * float(high - low))
        flat = xp.astype(offsets, dtype) + low if high - low > 0 else xp.full(n, low, dtype=dtype)
        return xp.reshape(xp.asarray(flat, dtype=dtype, device=device), shape)
    elif method == "permutation":
        return xp.astype(xp.argsort(_uniform(xp, key, params["n"], xp.float64), stable=True), dtype)
    else:
        raise ValueError(f"unknown random method {method!r}")
    return xp.reshape(xp.asarray(xp.astype(flat, dtype), device=device), shape)
