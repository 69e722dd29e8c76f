"""Runs the conformance suite shipped in ``unitensor.testing.conformance``:
``pytest conformance --backend NAME`` (repeatable; default: every installed CPU backend)."""

from unitensor.testing.conformance.suite import *  # noqa: F401,F403 - the suite's tests, collected here
