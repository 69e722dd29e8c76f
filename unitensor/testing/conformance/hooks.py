"""pytest hooks of the conformance suite: known deviations as strict xfails, and the per-backend tally.

A conftest (or the certification command's plugin) imports these names;
they act only on the suite's own tests (those parametrized by a ``check``).

Deviation files hold one ``check-id  reason`` per line (``#`` starts a
comment; a check id may use ``*`` wildcards). The built-in backends' files
ship in ``unitensor/testing/conformance/deviations/``; a third-party backend
passes its own with ``--deviations FILE``.
"""

from __future__ import annotations

import fnmatch
import functools
from collections import defaultdict
from pathlib import Path

import pytest

from ._standard import AREAS

__all__ = [
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_runtest_logreport",
    "pytest_terminal_summary",
    "read_deviations",
    "TALLY",
    "DEVIATIONS_DIR",
]

DEVIATIONS_DIR = Path(__file__).with_name("deviations")
COLUMNS = ("passed", "failed", "deviations", "pending", "skipped")

#: whether pytest's terminal summary prints the table (the certification command prints its own)
SUMMARY_IN_TERMINAL = True

#: (backend, area) -> column -> count, filled while the suite runs
TALLY: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--deviations",
        action="append",
        default=[],
        metavar="FILE",
        help="conformance: a file of known deviations ('check-id  reason' per line) for a "
        "backend, named NAME.txt after the backend (repeatable)",
    )


@functools.cache
def read_deviations(path: Path) -> dict[str, str]:
    """``{check-id pattern: reason}`` from one deviation file."""
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        check, _, reason = line.partition(" ")
        if not reason.strip():
            raise pytest.UsageError(f"{path}:{number}: a deviation needs a reason after the check id: {line!r}")
        entries[check] = reason.strip()
    return entries


def _deviations_for(config: pytest.Config, backend: str) -> dict[str, str]:
    files = [DEVIATIONS_DIR / f"{backend}.txt"]
    files += [Path(f) for f in config.getoption("deviations", default=[]) or [] if Path(f).stem == backend]
    entries: dict[str, str] = {}
    for path in files:
        if path.exists():
            entries.update(read_deviations(path))
    return entries


def _check_and_backend(item: pytest.Item) -> tuple[object, str] | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    check = params.get("check")
    if check is None or not hasattr(check, "area"):
        return None
    return check, params.get("backend", "-")


def _reason(deviations: dict[str, str], check_id: str) -> str | None:
    if check_id in deviations:
        return deviations[check_id]
    for pattern, reason in deviations.items():
        if fnmatch.fnmatchcase(check_id, pattern):
            return reason
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        found = _check_and_backend(item)
        if found is None:
            continue
        check, backend = found
        reason = _reason(_deviations_for(config, backend), check.id)  # type: ignore[attr-defined]
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known deviation: {reason}", strict=True))
        item.user_properties.append(("conformance", (backend, check.area)))  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    key = dict(report.user_properties).get("conformance")
    if key is None:
        return
    column = _column(report)
    if column is not None:
        TALLY[key][column] += 1


def _column(report: pytest.TestReport) -> str | None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            return "deviations" if report.skipped else "failed"  # a strict xfail that passed fails
        if report.skipped:
            reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
            return "pending" if "pending:" in reason else "skipped"
        return "passed" if report.passed else "failed"
    return None


def tally_rows(backend: str | None = None) -> list[tuple[str, str, dict[str, int]]]:
    """``(backend, area, counts)`` rows in table order."""
    backends = sorted({b for b, _ in TALLY})
    return [
        (b, area, TALLY[(b, area)]) for b in backends for area in AREAS if (b, area) in TALLY or backend is not None
    ]


def format_table(all_areas: bool = False) -> list[str]:
    """The tally as text lines; ``all_areas`` lists areas with no checks run too."""
    rows = tally_rows("*" if all_areas else None)
    lines = [f"{'backend':<10} {'area':<13}" + "".join(f"{c:>11}" for c in COLUMNS)]
    for b, area, counts in rows:
        lines.append(f"{b:<10} {area:<13}" + "".join(f"{counts[c]:>11}" for c in COLUMNS))
    by_backend: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for b, _, counts in rows:
        for c in COLUMNS:
            by_backend[b][c] += counts[c]
    for b, counts in by_backend.items():
        lines.append(f"{b:<10} {'TOTAL':<13}" + "".join(f"{counts[c]:>11}" for c in COLUMNS))
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY or not SUMMARY_IN_TERMINAL:
        return
    terminalreporter.section("unitensor conformance")
    for line in format_table():
        terminalreporter.write_line(line)
