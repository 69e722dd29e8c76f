"""The suite's checks: one per function, operator, promotion pair, indexing rule, device
pair, export rule and gradient, each with a stable id ``area.name`` that deviation files use."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..._dtypes import MIXED_KIND_TABLE
from ._standard import NOT_FUNCTIONS, area_of, standard_names, strict_namespace

__all__ = [
    "Check",
    "function_checks",
    "constant_checks",
    "operator_checks",
    "promotion_checks",
    "indexing_checks",
    "device_checks",
    "export_checks",
    "gradient_checks",
    "invalid_input_checks",
    "finding_checks",
    "FINDINGS",
    "special_case_checks",
]


@dataclass(frozen=True)
class Check:
    """One conformance check: ``area`` (a row of the per-area table) and ``name``."""

    area: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.area}.{self.name}"

    def __str__(self) -> str:
        return self.id


def function_checks() -> list[Check]:
    """Every function of the standard, compared with the NumPy reference."""
    return [Check(area_of(n), n) for n in standard_names() if n not in NOT_FUNCTIONS]


def constant_checks() -> list[Check]:
    """The standard's constants and dtypes, present and equal to the standard's values."""
    return [Check("dtypes", n) for n in standard_names() if n in NOT_FUNCTIONS]


#: the standard's operators and the functions they mean
OPERATORS = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "divide",
    "floordiv": "floor_divide",
    "mod": "remainder",
    "pow": "pow",
    "matmul": "matmul",
    "and": "bitwise_and",
    "or": "bitwise_or",
    "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift",
    "rshift": "bitwise_right_shift",
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
    "eq": "equal",
    "ne": "not_equal",
    "neg": "negative",
    "pos": "positive",
    "abs": "abs",
    "invert": "bitwise_invert",
}


def operator_of(dunder: str) -> tuple[str, str]:
    """``("add", "reflected")`` for ``__radd__``; forms: plain, reflected, inplace."""
    core = dunder.strip("_")
    if core in OPERATORS:
        return core, "plain"
    if core[0] in "ri" and core[1:] in OPERATORS:
        return core[1:], {"r": "reflected", "i": "inplace"}[core[0]]
    raise KeyError(dunder)


@functools.lru_cache(maxsize=1)
def operator_checks() -> list[Check]:
    """Every operator the standard's array object defines (read from array-api-strict's Array)."""
    names = []
    for name in sorted(vars(type(strict_namespace().asarray(0)))):
        if name.startswith("__") and name.endswith("__"):
            try:
                operator_of(name)
            except KeyError:
                continue
            names.append(name)
    return [Check("linalg" if "matmul" in n else "elementwise", n) for n in names]


#: one Python scalar of each kind, for the promotion checks
SCALARS = {"int": 1, "float": 1.0, "complex": 1j, "bool": True}


@functools.lru_cache(maxsize=1)
def promotion_checks() -> list[Check]:
    """Every pair of dtypes the standard's promotion table defines, and every dtype with each Python scalar."""
    xp = strict_namespace()
    from ._inputs import ALL_DTYPES

    checks = []
    for a in ALL_DTYPES:
        for b in ALL_DTYPES:
            try:
                xp.result_type(getattr(xp, a.name), getattr(xp, b.name))
            except TypeError:
                if (a, b) not in MIXED_KIND_TABLE:  # unitensor's rule defines these (README, "Type promotion")
                    continue
            checks.append(Check("dtypes", f"promotion[{a.name},{b.name}]"))
        x = xp.ones(1, dtype=getattr(xp, a.name))
        for kind, scalar in SCALARS.items():
            try:
                (xp.logical_and if a.name == "bool" else xp.add)(x, scalar)
            except TypeError:
                continue  # the standard leaves this mix undefined
            checks.append(Check("dtypes", f"promotion[{a.name},{kind}]"))
    return checks


#: indexing rules of the standard, by name; the keys are built in the suite
INDEXING_RULES = (
    "integer",
    "negative-integer",
    "slice",
    "negative-step-slice",
    "ellipsis",
    "newaxis",
    "multi-axis",
    "boolean-mask",
    "integer-array",
    "setitem-scalar",
    "setitem-array",
    "out-of-bounds-error",
    "list-key-error",
)


def indexing_checks() -> list[Check]:
    return [Check("indexing", rule) for rule in INDEXING_RULES]


def device_checks(others: list[str]) -> list[Check]:
    rules = ["device-property", "to-same-device", "to-device-copy", "asarray-device"]
    rules += [f"roundtrip[{o}]" for o in others] + [f"zero-copy[{o}]" for o in others]
    return [Check("devices", r) for r in rules]


EXPORT_RULES = ("values", "zero-copy", "array-protocol", "from-dlpack", "force", "gpu-error", "grad-error")


def export_checks() -> list[Check]:
    return [Check("export", rule) for rule in EXPORT_RULES]


def gradient_checks() -> list[Check]:
    from ._gradients import DIFFERENTIABLE, KINKS

    return [Check("gradients", name) for name in DIFFERENTIABLE] + [
        Check("gradients", f"kink[{name}]") for name in KINKS
    ]


#: invalid input each function kind must reject like NumPy does
INVALID_INPUTS = (
    "binary-shapes",
    "reduction-axis",
    "reshape-size",
    "concat-shapes",
    "matmul-shapes",
    "linalg-not-square",
    "mixed-backends",
)


def invalid_input_checks() -> list[Check]:
    areas = {
        "binary-shapes": "elementwise",
        "reduction-axis": "reductions",
        "reshape-size": "manipulation",
        "concat-shapes": "manipulation",
        "matmul-shapes": "linalg",
        "linalg-not-square": "linalg",
        "mixed-backends": "devices",
    }
    return [Check(areas[name], f"error[{name}]") for name in INVALID_INPUTS]


#: inputs exploring found a backend wrong on (``--hypothesis-profile=thorough``), kept as fixed
#: checks so that every run tries them: name -> (function, arguments as (values, dtype) or scalars)
FINDINGS: dict[str, tuple[str, tuple[object, ...]]] = {
    "log2-subnormal": ("log2", (([1e-45, 1e-40], "float32"),)),
    "log10-subnormal": ("log10", (([1e-45, 1e-40], "float32"),)),
    "log-subnormal": ("log", (([5e-324], "float64"),)),
    "floor_divide-uint64-large-int": ("floor_divide", (([0, 5, 2**64 - 1], "uint64"), 2**63)),
    "rfloor_divide-uint64-large-int": ("floor_divide", (2**63, ([1, 3, 2**64 - 1], "uint64"))),
}


def finding_checks() -> list[Check]:
    return [Check("elementwise", f"found[{name}]") for name in FINDINGS]


def special_case_checks() -> list[Check]:
    """The standard's special cases (IEEE 754 and C99 Annex G values), one check per function."""
    from ._special import special_functions

    return [Check("special", name) for name in special_functions()]
