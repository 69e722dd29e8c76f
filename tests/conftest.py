"""Fixtures shared by the unit tests (the backend fixture itself is in the root conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

# SciPy decides at its import whether it dispatches through the array API (test_clients.py); conftest
# files load before any test module imports SciPy (scikit-learn and JAX import it too)
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest

import unitensor as ut
from unitensor.backends.numpy import NumpyBackend


class ToyBackend(NumpyBackend):
    """A second backend on NumPy: registered at run time, like a user's plugin."""

    name = "toy"


@pytest.fixture
def register_backend() -> Iterator[Callable[[str, type], str]]:
    """Register backends for one test: ``register_backend(name, cls)`` returns the name; all are
    unregistered after the test."""
    names: list[str] = []

    def register(name: str, backend: type) -> str:
        ut.backends.register(name, backend)
        names.append(name)
        return name

    yield register
    for name in names:
        ut.backends.unregister(name)


@pytest.fixture
def toy(register_backend: Callable[[str, type], str]) -> str:
    """The name of a run-time registered backend, unregistered after the test."""
    return register_backend("toy", ToyBackend)
