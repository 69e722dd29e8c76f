"""Every public function of ``ut``, ``ut.linalg`` and ``ut.fft`` has the standard's signature.

The reference is array-api-strict, the standard's reference implementation:
each parameter's name, kind and default must match, in order. unitensor may
add keyword-only parameters of its own, only those listed in ``EXTRA``.
"""

from __future__ import annotations

import inspect
import pydoc
from typing import Any

import array_api_strict as strict
import pytest

import unitensor as ut
from unitensor._namespace import CREATION, FUNCTIONS

#: keyword-only parameters unitensor adds to the standard's, by function (documented in each docstring)
EXTRA: dict[str, set[str]] = {
    **{name: {"backend"} for name in CREATION},
    "asarray": {"backend", "options"},
    "from_dlpack": {"backend"},
}
#: the functions written by hand rather than built from the tables
HANDWRITTEN = [
    "asarray",
    "astype",
    "from_dlpack",
    "broadcast_shapes",
    "can_cast",
    "finfo",
    "iinfo",
    "isdtype",
    "result_type",
]
#: array-api-strict helpers in its namespaces that are not part of the standard
NOT_STANDARD = {
    "get_array_api_strict_flags",
    "set_array_api_strict_flags",
    "reset_array_api_strict_flags",
    "linalg.conj",
    "linalg.finfo",
    "linalg.reshape",
    "fft.astype",
    "fft.device_supports_dtype",
}


def _lookup(namespace: Any, dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(getattr(namespace, module) if module else namespace, name)


def _default(value: Any) -> Any:
    # array-api-strict marks "not given" with a private sentinel where the standard says None
    return None if type(value).__name__ == "Undef" else value


def _parameters(function: Any, extra: set[str] = frozenset()) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, _default(p.default))
        for p in inspect.signature(function).parameters.values()
        if p.name not in extra
    ]


def _standard_functions() -> list[str]:
    names = []
    for prefix, module in (("", strict), ("linalg.", strict.linalg), ("fft.", strict.fft)):
        for name in getattr(module, "__all__", dir(module)):
            value = getattr(module, name)
            if inspect.isfunction(value) and not name.startswith("_") and f"{prefix}{name}" not in NOT_STANDARD:
                names.append(prefix + name)
    return sorted(names)


@pytest.mark.parametrize("name", sorted(FUNCTIONS) + HANDWRITTEN)
def test_signature_is_the_standards(name: str) -> None:
    function = _lookup(ut, name)
    extra = EXTRA.get(name, set())
    assert _parameters(function, extra) == _parameters(_lookup(strict, name))
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in extra:
            assert parameter.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD), (
                f"{name}(): unitensor's own parameter {parameter.name!r} must be keyword-only"
            )


@pytest.mark.parametrize("name", _standard_functions())
def test_every_standard_function_is_in_the_namespace(name: str) -> None:
    module, _, short = name.rpartition(".")
    namespace = getattr(ut, module) if module else ut
    assert short in namespace.__all__
    assert callable(getattr(namespace, short))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_help_shows_the_signature_and_the_summary(name: str) -> None:
    function = _lookup(ut, name)
    text = pydoc.render_doc(function, renderer=pydoc.plaintext)
    assert str(inspect.signature(function)).split(" -> ")[0] in text
    assert f"The array API standard's ``{name}``" in text
    # (the C accelerator's callables open their docstring with the signature, as NumPy's ufuncs do)
    summary = function.__doc__.removeprefix(f"{function.__name__}{inspect.signature(function)}\n\n").splitlines()[0]
    assert summary.endswith(".") and len(summary) > 15
    if name in EXTRA:  # an extra parameter is documented
        assert all(f"``{extra}=``" in function.__doc__ for extra in EXTRA[name])


def test_every_table_function_has_a_signature_and_a_summary() -> None:
    from unitensor._docs import SUMMARIES
    from unitensor._signatures import SIGNATURES

    assert set(FUNCTIONS) - set(SIGNATURES) == set(), "run: python tools/generate_api.py signatures"
    assert set(SIGNATURES) - set(FUNCTIONS) == set(), "run: python tools/generate_api.py signatures"
    assert set(FUNCTIONS) - set(SUMMARIES) == set(), "add the one-line summary to unitensor/_docs.py"
