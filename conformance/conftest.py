"""The conformance suite's hooks (deviation files, per-backend tally); the suite itself ships
in ``unitensor.testing.conformance`` so that backend authors get it with ``pip install unitensor``.
``--backend`` and the ``backend`` fixture come from the shipped plugin, set up by the root conftest."""

from unitensor.testing.conformance.hooks import (  # noqa: F401 - pytest finds hooks by name
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_terminal_summary,
)
