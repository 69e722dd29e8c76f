"""The README's research example, run exactly as written: ut.random initialisation, bfloat16 on torch and JAX."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _example() -> str:
    text = README.read_text()
    match = re.search(r"<!-- research-example -->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, "the README lost its research example"
    return match.group(1)


def test_the_readme_research_example_runs_as_shown(capsys) -> None:  # noqa: ANN001
    namespace: dict[str, object] = {}
    exec(compile(_example(), str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    losses = namespace["losses"]
    assert set(losses) == {"torch", "jax", "numpy", "dask", "strict"}
    for backend, history in losses.items():
        assert len(history) == 10 and history[-1] < history[0], backend  # it learns
    printed = capsys.readouterr().out
    assert " torch bfloat16: loss " in printed and "   jax bfloat16: loss " in printed
    again: dict[str, object] = {}
    exec(compile(_example(), str(README), "exec"), again)  # noqa: S102
    assert again["losses"] == losses  # seeded: the same numbers run after run
