"""Fixtures shared by the unit tests (the backend fixture itself is in the root conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import unitensor as ut
from unitensor.backends.numpy import NumpyBackend


class ToyBackend(NumpyBackend):
    """A second backend on NumPy: registered at run time, like a user's plugin."""

    name = "toy"


@pytest.fixture
def toy() -> Iterator[str]:
    """The name of a run-time registered backend, unregistered after the test."""
    ut.backends.register("toy", ToyBackend)
    yield "toy"
    ut.backends.unregister("toy")
