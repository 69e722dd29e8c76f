"""pytest plugin: run your own tests on every installed unitensor backend.

Registered through the ``pytest11`` entry point, so installing unitensor is
all it takes. A test that asks for the ``xp`` or ``ut_backend`` fixture runs
once per backend::

    def test_softplus(xp):
        x = xp.linspace(-3.0, 3.0, 7)
        assert_close(xp.log1p(xp.exp(x)), xp.logaddexp(x, 0.0))

``--backend NAME`` (repeatable; also spelled ``--ut-backend``) chooses the
backends. By default every built-in backend with a CPU runs, and every other
installed one; a built-in backend that is not installed, or one that is
installed but cannot load, is skipped with the reason. A backend named with
``--backend`` that cannot load fails instead: it was asked for.

This module is the one test harness of unitensor: the repository's own
``conftest.py`` and the standalone conformance run use it too, through
:func:`plugin_spec` (``pytest_plugins``), :func:`parametrize_backends` (their
``backend`` argument) and :func:`use_hypothesis_profiles`. Those three act only
where they are called; installing unitensor adds the option, the
``ut_backend``/``xp`` fixtures and the ``gpu`` marker, nothing more.

Loading the plugin imports no framework; ``unitensor`` itself is imported
only when a test uses the fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = [
    "BUILTIN_CPU_BACKENDS",
    "HYPOTHESIS_PROFILES",
    "parametrize_backends",
    "plugin_spec",
    "selected_backends",
    "use_hypothesis_profiles",
]

#: the built-in backends with a CPU device, in the order tests run on them
BUILTIN_CPU_BACKENDS = ("numpy", "torch", "jax", "dask", "strict")

#: name -> hypothesis settings. The default profiles are derandomized, so that every machine runs
#: the same examples; "thorough" explores fresh ones (``--hypothesis-profile=thorough``).
HYPOTHESIS_PROFILES: dict[str, dict[str, Any]] = {
    # no example database in the derandomized profiles: one left by an earlier run would replay its examples first
    "ci": {"max_examples": 25, "derandomize": True, "database": None},
    "dev": {"max_examples": 25, "derandomize": True, "database": None},
    "thorough": {"max_examples": 500, "derandomize": False},
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unitensor", "unitensor backends")
    group.addoption(
        "--backend",
        "--ut-backend",
        action="append",
        default=None,
        metavar="NAME",
        dest="ut_backend",
        help="run backend-parametrized tests on this unitensor backend (repeatable; default: every "
        "built-in CPU backend and every other installed one)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped without one)")


def selected_backends(config: pytest.Config) -> list[tuple[str, bool]]:
    """(name, asked for with ``--backend``) for every backend this run covers."""
    requested = config.getoption("ut_backend")
    if requested:
        return [(name, True) for name in requested]
    import unitensor as ut

    others = [name for name in ut.backends.available() if name not in BUILTIN_CPU_BACKENDS and name != "cupy"]
    return [(name, False) for name in (*BUILTIN_CPU_BACKENDS, *others)]


def _param(name: str, explicit: bool) -> Any:
    import unitensor as ut

    marks = []
    if not explicit and name not in ut.backends.available():
        marks.append(pytest.mark.skip(reason=f"backend {name!r} is not installed"))
    if name == "cupy":
        marks.append(pytest.mark.gpu)
    return pytest.param(name, marks=marks, id=name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argument in ("ut_backend", *sorted(_BACKEND_ARGUMENTS)):
        if argument in metafunc.fixturenames:
            params = [_param(name, explicit) for name, explicit in selected_backends(metafunc.config)]
            metafunc.parametrize(argument, params, indirect=argument == "ut_backend")


@pytest.fixture
def ut_backend(request: pytest.FixtureRequest) -> str:
    """The name of the unitensor backend this test runs on (the test is parametrized over them)."""
    import unitensor as ut

    name = getattr(request, "param", None)
    if name is None:
        pytest.fail(
            "the ut_backend fixture is parametrized by the unitensor plugin; "
            "do not override it with a fixture of your own"
        )
    try:
        ut.backends.get(name)
    except (LookupError, ImportError, ut.backends.BackendError) as exc:
        if name in (request.config.getoption("ut_backend") or ()):
            pytest.fail(f"backend {name!r} was asked for with --backend but cannot load: {exc}", pytrace=False)
        pytest.skip(f"backend {name!r} cannot load here: {exc}")
    return name


@pytest.fixture
def xp(ut_backend: str) -> Iterator[Any]:
    """The ``unitensor`` namespace, with ``ut_backend`` the default backend for this test."""
    import unitensor as ut

    with ut.use_backend(ut_backend):
        yield ut


# -- for the test suites that build on this plugin (the repository's, the standalone conformance run) --


#: argument names that the suites built on this plugin have parametrized over the backends (``backend``)
_BACKEND_ARGUMENTS: set[str] = set()


def parametrize_backends(name: str = "backend") -> None:
    """Parametrize every test with an argument ``name`` over the backends, as ``ut_backend`` is.

    The argument's value is the backend's name and the test ids are the
    backends' names. Unlike ``ut_backend`` it is no fixture (hypothesis tests
    take it without a health check warning), so a backend asked for with
    ``--backend`` that cannot load fails in the test itself.
    """
    _BACKEND_ARGUMENTS.add(name)


def plugin_spec() -> list[str]:
    """``pytest_plugins`` for a conftest or plugin that builds on this one.

    Empty where pytest loads this plugin through its entry point already
    (unitensor installed); this module's name from a plain source checkout.
    Registering the module twice, under the entry point's name and its own,
    is an error in pytest.
    """
    from importlib.metadata import entry_points

    autoload = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    if autoload and any(ep.value == __name__ for ep in entry_points(group="pytest11")):
        return []
    return [__name__]


def use_hypothesis_profiles() -> None:
    """Register :data:`HYPOTHESIS_PROFILES` and load ``ci`` under CI (``CI`` set), else ``dev``.

    ``--hypothesis-profile=NAME`` still chooses another one.
    """
    from hypothesis import HealthCheck, settings

    for name, options in HYPOTHESIS_PROFILES.items():
        settings.register_profile(
            name, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow], **options
        )
    settings.load_profile("ci" if os.environ.get("CI") else "dev")
