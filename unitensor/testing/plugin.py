"""pytest plugin: run your own tests on every installed unitensor backend.

Registered through the ``pytest11`` entry point, so installing unitensor is
all it takes. A test that asks for the ``xp`` or ``ut_backend`` fixture runs
once per backend::

    def test_softplus(xp):
        x = xp.linspace(-3.0, 3.0, 7)
        assert_close(xp.log1p(xp.exp(x)), xp.logaddexp(x, 0.0))

``--ut-backend NAME`` (repeatable) chooses the backends; by default every
installed backend with a CPU runs, and one that is installed but cannot load
is skipped with the reason. A backend named with ``--ut-backend`` that cannot
load fails instead: it was asked for.

Loading the plugin imports no framework; ``unitensor`` itself is imported
only when a test uses the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unitensor", "unitensor backends")
    group.addoption("--ut-backend", action="append", default=None, metavar="NAME", dest="ut_backend",
                    help="run tests that use the ut_backend/xp fixtures on this unitensor backend "
                         "(repeatable; default: every installed backend)")


def _default_backends() -> list[str]:
    import unitensor as ut

    return [name for name in ut.backends.available() if name != "cupy"]  # cupy has no CPU device


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ut_backend" not in metafunc.fixturenames:
        return
    requested = metafunc.config.getoption("ut_backend")
    names = requested or _default_backends()
    params = [pytest.param((name, bool(requested)), id=name) for name in names]
    metafunc.parametrize("ut_backend", params, indirect=True)


@pytest.fixture
def ut_backend(request: pytest.FixtureRequest) -> str:
    """The name of the unitensor backend this test runs on (the test is parametrized over them)."""
    import unitensor as ut

    name, explicit = getattr(request, "param", (None, False))
    if name is None:
        pytest.fail("the ut_backend fixture is parametrized by the unitensor plugin; "
                    "do not override it with a fixture of your own")
    try:
        ut.backends.get(name)
    except (LookupError, ImportError, ut.backends.BackendError) as exc:
        if explicit:
            pytest.fail(f"backend {name!r} was asked for with --ut-backend but cannot load: {exc}",
                        pytrace=False)
        pytest.skip(f"backend {name!r} cannot load here: {exc}")
    return name


@pytest.fixture
def xp(ut_backend: str) -> Iterator[Any]:
    """The ``unitensor`` namespace, with ``ut_backend`` the default backend for this test."""
    import unitensor as ut

    with ut.use_backend(ut_backend):
        yield ut
