"""pytest plugin for running the shipped suite outside a unitensor checkout (the certification command).

In a checkout, the root conftest provides ``--backend`` and the ``backend``
parametrization; an installed unitensor has no such conftest, so this plugin
provides the same two things, the hypothesis profiles, and the suite's hooks.
Load it only where that conftest is not loaded (``--confcutdir``), as
``python -m unitensor conformance`` does.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

from .hooks import pytest_collection_modifyitems, pytest_runtest_logreport, pytest_terminal_summary  # noqa: F401
from .hooks import pytest_addoption as _suite_options

_PROFILES = {"ci": 25, "dev": 50, "thorough": 500}

for _name, _examples in _PROFILES.items():
    try:
        settings.get_profile(_name)
    except InvalidArgument:
        settings.register_profile(_name, max_examples=_examples, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", action="append", default=None, metavar="NAME",
                     help="backend to check (repeatable); any registered name, third-party plugins included")
    _suite_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        import unitensor as ut

        names = metafunc.config.getoption("backend") or [n for n in ut.backends.available() if n != "cupy"]
        metafunc.parametrize("backend", names)
