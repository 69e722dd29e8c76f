"""``python -m unitensor conformance``: certify a backend against the conformance suite.

Runs the suite shipped in :mod:`unitensor.testing.conformance` with pytest
and prints, per area (creation, elementwise, reductions, ..., gradients), how
many checks passed, failed, and are known deviations. The exit status is
pytest's: 0 when every check passed or is a listed deviation.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m unitensor conformance",
        description="Run the unitensor conformance suite against a backend and print a per-area table.",
        epilog="Arguments after '--' go to pytest, e.g. -- -k elementwise -x",
    )
    parser.add_argument(
        "--backend",
        action="append",
        required=True,
        metavar="NAME",
        help="registered backend to check (repeatable), a third-party plugin included",
    )
    parser.add_argument(
        "--deviations",
        action="append",
        default=[],
        metavar="FILE",
        help="known deviations of your backend, NAME.txt with 'check-id  reason' lines",
    )
    parser.add_argument(
        "--profile",
        default="ci",
        choices=["ci", "dev", "thorough"],
        help="hypothesis profile: how many examples per check (default: ci)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; returns pytest's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    options = _parser().parse_args(argv)
    import unitensor as ut

    for name in options.backend:
        try:
            ut.backends.get(name)
        except (LookupError, ImportError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    import pytest

    from .conformance import hooks, suite

    suite_dir = Path(suite.__file__).parent
    args = [
        str(Path(suite.__file__)),
        "-p",
        "unitensor.testing.conformance.standalone",
        "--confcutdir",
        str(suite_dir),
        "--rootdir",
        str(suite_dir),
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=line",
        "-o",
        "xfail_strict=true",
        "-W",
        "ignore::RuntimeWarning",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        f"--hypothesis-profile={options.profile}",
    ]
    for name in options.backend:
        args += ["--backend", name]
    for path in options.deviations:
        args += ["--deviations", path]
    hooks.TALLY.clear()
    hooks.SUMMARY_IN_TERMINAL = False
    try:
        status = int(pytest.main(args + extra))
    finally:
        hooks.SUMMARY_IN_TERMINAL = True
    print()
    print("unitensor conformance (passed / failed / known deviations per area)")
    for line in hooks.format_table(all_areas=True):
        print(line)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
