"""Interleaved timing: fair ratios on a noisy, shared machine.

Every variant of one measurement (raw framework, unitensor, each peer) is
timed in the same process, round-robin: round 1 times each variant once, round
2 again, and so on. A burst of load from another process then slows every
variant alike instead of landing on whichever happened to run at that moment.
Each sample is a ``timeit`` loop (garbage collection off, as ``timeit`` does)
long enough to dwarf the timer's resolution; the statistics are over samples.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Per-call times of one variant, in nanoseconds, one per round."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    def as_json(self) -> dict[str, float]:
        return {"median_ns": self.median, "min_ns": self.best, "rounds": len(self.samples)}


def _timer(stmt: str | Callable[[], Any], namespace: Mapping[str, Any]) -> timeit.Timer:
    if callable(stmt):
        return timeit.Timer(stmt)
    return timeit.Timer(stmt, globals=dict(namespace))


def calibrate(timer: timeit.Timer, sample_s: float) -> int:
    """Loop count that makes one sample last about ``sample_s`` seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= sample_s / 4 or number >= 1 << 22:
            return max(1, int(number * sample_s / max(elapsed, 1e-9)))
        number *= 4


def interleaved(
    variants: Mapping[str, str | Callable[[], Any]],
    namespace: Mapping[str, Any] | None = None,
    *,
    rounds: int,
    sample_s: float,
    budget_s: float | None = None,
) -> dict[str, Timing | str]:
    """Time each variant ``rounds`` times, round-robin.

    Returns, per variant, a :class:`Timing`, or the error (a string) of a
    variant that could not run: a peer that lacks an operation is reported,
    not fatal. A variant whose samples have taken ``budget_s`` seconds in all
    (a copy of 1e7 elements) stops after at least three rounds.
    """
    namespace = namespace or {}
    timers: dict[str, tuple[timeit.Timer, int]] = {}
    results: dict[str, Timing | str] = {}
    for name, stmt in variants.items():
        try:
            timer = _timer(stmt, namespace)
            timers[name] = (timer, calibrate(timer, sample_s))
            results[name] = Timing()
        except Exception as exc:  # a peer that cannot do this operation
            results[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"
    spent = dict.fromkeys(timers, 0.0)
    for round_ in range(rounds):
        for name, (timer, number) in timers.items():
            if budget_s is not None and round_ >= 3 and spent[name] > budget_s:
                continue
            timing = results[name]
            assert isinstance(timing, Timing)
            elapsed = timer.timeit(number)
            spent[name] += elapsed
            timing.samples.append(elapsed / number * 1e9)
    return results


def wall(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds per call of ``fn`` over ``repeat`` single calls (for slow operations)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times
