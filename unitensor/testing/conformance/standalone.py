"""pytest plugin for running the shipped suite outside a unitensor checkout (the certification command).

In a checkout, the root conftest sets up the harness; an installed unitensor
has no such conftest, so this plugin sets up the same one from the shipped
pytest plugin (:mod:`unitensor.testing.plugin`: ``--backend``, the ``backend``
fixture, the hypothesis profiles) and adds the suite's hooks. Load it only
where that conftest is not loaded (``--confcutdir``), as
``python -m unitensor conformance`` does.
"""

from __future__ import annotations

from .. import plugin
from .hooks import (  # noqa: F401 - pytest finds hooks by name
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_terminal_summary,
)

pytest_plugins = plugin.plugin_spec()
plugin.parametrize_backends("backend")
plugin.use_hypothesis_profiles()
