"""The standard's special cases (IEEE 754 and C99 Annex G values), as a table.

One row per case of the specification's "Special cases" lists (2024.12 and
2025.12 read the same for these functions): the arguments and the result, with
the signs the standard leaves unspecified marked. The official suite
(data-apis/array-api-tests, ``test_special_cases.py``) parses the same lists
from the specification's docstrings; a table keeps this suite free of a parser
and of the specification's sources. Each case holds for every floating dtype of
its kind.

``cis(b)`` cases use ``b = 1.5`` and ``b = 2.5`` (cosine positive and negative),
so that the signs of the expected infinities and zeros are known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SpecialCase", "SPECIAL_CASES", "special_functions", "matches"]

INF, NAN = math.inf, math.nan


@dataclass(frozen=True)
class SpecialCase:
    """``function(*args)`` is ``expected``; ``free`` names components whose sign is unspecified
    (``"real"``, ``"imag"``, ``"both"``, or ``"value"`` for a real result)."""

    function: str
    args: tuple[float | complex, ...]
    expected: float | complex
    free: str = ""


def _real_binary(function: str, rows: list[tuple[float, float, float]]) -> list[SpecialCase]:
    return [SpecialCase(function, (x1, x2), out) for x1, x2, out in rows]


def _complex_unary(
    function: str, rows: list[tuple[complex, complex] | tuple[complex, complex, str]]
) -> list[SpecialCase]:
    return [SpecialCase(function, (row[0],), row[1], row[2] if len(row) > 2 else "") for row in rows]


def _c(real: float, imag: float) -> complex:
    """complex(real, imag) keeping signed zeros and infinities (``real + imag*1j`` would not)."""
    return complex(real, imag)


def _cis(magnitude: float, b: float) -> complex:
    """``magnitude * cis(b)`` for a magnitude of 0 or infinity: only the signs of cos and sin matter."""
    return _c(math.copysign(magnitude, math.cos(b)), math.copysign(magnitude, math.sin(b)))


_FLOOR_DIVIDE = _real_binary(
    "floor_divide",
    [
        (NAN, 2.0, NAN),
        (2.0, NAN, NAN),
        (INF, INF, NAN),
        (INF, -INF, NAN),
        (-INF, INF, NAN),
        (-INF, -INF, NAN),
        (0.0, 0.0, NAN),
        (0.0, -0.0, NAN),
        (-0.0, 0.0, NAN),
        (-0.0, -0.0, NAN),
        (0.0, 2.0, 0.0),
        (-0.0, 2.0, -0.0),
        (0.0, -2.0, -0.0),
        (-0.0, -2.0, 0.0),
        (2.0, 0.0, INF),
        (2.0, -0.0, -INF),
        (-2.0, 0.0, -INF),
        (-2.0, -0.0, INF),
        (INF, 2.0, INF),
        (INF, -2.0, -INF),
        (-INF, 2.0, -INF),
        (-INF, -2.0, INF),
        (2.0, INF, 0.0),
        (2.0, -INF, -0.0),
        (-2.0, INF, -0.0),
        (-2.0, -INF, 0.0),
        (5.0, 2.0, 2.0),
        (-5.0, 2.0, -3.0),
        (5.0, -2.0, -3.0),
        (-5.0, -2.0, 2.0),
    ],
)

_REMAINDER = _real_binary(
    "remainder",
    [
        (NAN, 2.0, NAN),
        (2.0, NAN, NAN),
        (INF, INF, NAN),
        (INF, -INF, NAN),
        (-INF, INF, NAN),
        (-INF, -INF, NAN),
        (0.0, 0.0, NAN),
        (0.0, -0.0, NAN),
        (-0.0, 0.0, NAN),
        (-0.0, -0.0, NAN),
        (0.0, 2.0, 0.0),
        (-0.0, 2.0, 0.0),
        (0.0, -2.0, -0.0),
        (-0.0, -2.0, -0.0),
        (2.0, 0.0, NAN),
        (2.0, -0.0, NAN),
        (-2.0, 0.0, NAN),
        (-2.0, -0.0, NAN),
        (INF, 2.0, NAN),
        (INF, -2.0, NAN),
        (-INF, 2.0, NAN),
        (-INF, -2.0, NAN),
        (2.0, INF, 2.0),
        (2.0, -INF, -INF),
        (-2.0, INF, INF),
        (-2.0, -INF, -2.0),
        (4.0, 2.0, 0.0),
        (-4.0, 2.0, 0.0),
        (4.0, -2.0, -0.0),
        (-4.0, -2.0, -0.0),  # a zero takes x2's sign
        (5.0, -2.0, -1.0),
        (-5.0, 2.0, 1.0),
    ],
)

_EXP = _complex_unary(
    "exp",
    [
        (_c(0.0, 0.0), _c(1.0, 0.0)),
        (_c(-0.0, 0.0), _c(1.0, 0.0)),
        (_c(2.0, INF), _c(NAN, NAN)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 0.0), _c(INF, 0.0)),
        (_c(-INF, 1.5), _cis(0.0, 1.5)),
        (_c(-INF, 2.5), _cis(0.0, 2.5)),
        (_c(INF, 1.5), _cis(INF, 1.5)),
        (_c(INF, 2.5), _cis(INF, 2.5)),
        (_c(-INF, INF), _c(0.0, 0.0), "both"),
        (_c(INF, INF), _c(INF, NAN), "real"),
        (_c(-INF, NAN), _c(0.0, 0.0), "both"),
        (_c(INF, NAN), _c(INF, NAN), "real"),
        (_c(NAN, 0.0), _c(NAN, 0.0)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_EXPM1 = _complex_unary(
    "expm1",
    [
        (_c(0.0, 0.0), _c(0.0, 0.0)),
        (_c(-0.0, 0.0), _c(0.0, 0.0), "real"),  # the standard writes an unsigned 0
        (_c(2.0, INF), _c(NAN, NAN)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 0.0), _c(INF, 0.0)),
        (_c(-INF, 1.5), _cis(0.0, 1.5) - 1.0),
        (_c(INF, 1.5), _cis(INF, 1.5)),
        (_c(INF, 2.5), _cis(INF, 2.5)),
        (_c(-INF, INF), _c(-1.0, 0.0), "imag"),
        (_c(INF, INF), _c(INF, NAN), "real"),
        (_c(-INF, NAN), _c(-1.0, 0.0), "imag"),
        (_c(INF, NAN), _c(INF, NAN), "real"),
        (_c(NAN, 0.0), _c(NAN, 0.0)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_LOG = _complex_unary(
    "log",
    [
        (_c(-0.0, 0.0), _c(-INF, math.pi)),
        (_c(0.0, 0.0), _c(-INF, 0.0)),
        (_c(2.0, INF), _c(INF, math.pi / 2)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(-INF, 2.0), _c(INF, math.pi)),
        (_c(INF, 2.0), _c(INF, 0.0)),
        (_c(-INF, INF), _c(INF, 3 * math.pi / 4)),
        (_c(INF, INF), _c(INF, math.pi / 4)),
        (_c(INF, NAN), _c(INF, NAN)),
        (_c(-INF, NAN), _c(INF, NAN)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, INF), _c(INF, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_LOG1P = _complex_unary(
    "log1p",
    [
        (_c(-1.0, 0.0), _c(-INF, 0.0)),
        (_c(2.0, INF), _c(INF, math.pi / 2)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(-INF, 2.0), _c(INF, math.pi)),
        (_c(INF, 2.0), _c(INF, 0.0)),
        (_c(-INF, INF), _c(INF, 3 * math.pi / 4)),
        (_c(INF, INF), _c(INF, math.pi / 4)),
        (_c(INF, NAN), _c(INF, NAN)),
        (_c(-INF, NAN), _c(INF, NAN)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, INF), _c(INF, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_SINH = _complex_unary(
    "sinh",
    [
        (_c(0.0, 0.0), _c(0.0, 0.0)),
        (_c(0.0, INF), _c(0.0, NAN), "real"),
        (_c(0.0, NAN), _c(0.0, NAN), "real"),
        (_c(2.0, INF), _c(NAN, NAN)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 0.0), _c(INF, 0.0)),
        (_c(INF, 1.5), _cis(INF, 1.5)),
        (_c(INF, 2.5), _cis(INF, 2.5)),
        (_c(INF, INF), _c(INF, NAN), "real"),
        (_c(INF, NAN), _c(INF, NAN), "real"),
        (_c(NAN, 0.0), _c(NAN, 0.0)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_COSH = _complex_unary(
    "cosh",
    [
        (_c(0.0, 0.0), _c(1.0, 0.0)),
        (_c(0.0, INF), _c(NAN, 0.0), "imag"),
        (_c(0.0, NAN), _c(NAN, 0.0), "imag"),
        (_c(2.0, INF), _c(NAN, NAN)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 0.0), _c(INF, 0.0)),
        (_c(INF, 1.5), _cis(INF, 1.5)),
        (_c(INF, 2.5), _cis(INF, 2.5)),
        (_c(INF, INF), _c(INF, NAN), "real"),
        (_c(INF, NAN), _c(INF, NAN)),
        (_c(NAN, 0.0), _c(NAN, 0.0), "imag"),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_TANH = _complex_unary(
    "tanh",
    [
        (_c(0.0, 0.0), _c(0.0, 0.0)),
        (_c(0.0, INF), _c(0.0, NAN)),
        (_c(0.0, NAN), _c(0.0, NAN)),
        (_c(2.0, INF), _c(NAN, NAN)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 1.0), _c(1.0, 0.0)),
        (_c(INF, INF), _c(1.0, 0.0), "imag"),
        (_c(INF, NAN), _c(1.0, 0.0), "imag"),
        (_c(NAN, 0.0), _c(NAN, 0.0)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

_ATANH = _complex_unary(
    "atanh",
    [
        (_c(0.0, 0.0), _c(0.0, 0.0)),
        (_c(0.0, NAN), _c(0.0, NAN)),
        (_c(1.0, 0.0), _c(INF, 0.0)),
        (_c(2.0, INF), _c(0.0, math.pi / 2)),
        (_c(2.0, NAN), _c(NAN, NAN)),
        (_c(INF, 2.0), _c(0.0, math.pi / 2)),
        (_c(INF, INF), _c(0.0, math.pi / 2)),
        (_c(INF, NAN), _c(0.0, NAN)),
        (_c(NAN, 2.0), _c(NAN, NAN)),
        (_c(NAN, INF), _c(0.0, math.pi / 2), "real"),
        (_c(NAN, NAN), _c(NAN, NAN)),
    ],
)

SPECIAL_CASES: tuple[SpecialCase, ...] = (
    *_FLOOR_DIVIDE,
    *_REMAINDER,
    *_EXP,
    *_EXPM1,
    *_LOG,
    *_LOG1P,
    *_SINH,
    *_COSH,
    *_TANH,
    *_ATANH,
)


def special_functions() -> list[str]:
    """The functions with rows in the table, in the table's order."""
    return list(dict.fromkeys(case.function for case in SPECIAL_CASES))


def _component_matches(got: float, expected: float, free_sign: bool, rel: float) -> bool:
    if math.isnan(expected):
        return math.isnan(got)
    if free_sign:
        got, expected = abs(got), abs(expected)
    if math.isinf(expected) or expected == 0:
        return got == expected and math.copysign(1, got) == math.copysign(1, expected)
    return math.isclose(got, expected, rel_tol=rel)


def matches(case: SpecialCase, got: complex | float, rel: float = 1e-6) -> bool:
    """Whether ``got`` is the case's result, signed zeros and infinities included."""
    expected, free = case.expected, case.free
    if isinstance(expected, complex):
        got = complex(got)
        return _component_matches(got.real, expected.real, free in ("real", "both"), rel) and _component_matches(
            got.imag, expected.imag, free in ("imag", "both"), rel
        )
    return _component_matches(float(got), expected, free == "value", rel)
