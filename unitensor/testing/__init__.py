"""Testing helpers for code written on unitensor, and the backend conformance suite.

* :func:`assert_close` compares Tensors (of any backends and devices), native
  arrays and Python data, with tolerances chosen from the dtype;
* :mod:`unitensor.testing.plugin` is a pytest plugin (registered through the
  ``pytest11`` entry point) that parametrizes tests over installed backends:
  option ``--backend NAME`` (repeatable; also ``--ut-backend``), fixtures ``ut_backend`` and ``xp``,
  and the hypothesis profiles: the one test harness, which unitensor's own tests use too;
* :mod:`unitensor.testing.conformance` is the suite that says what "works on
  backend X" means (``python -m unitensor conformance --backend X``).

Importing this module imports neither pytest nor hypothesis.
"""

from __future__ import annotations

from ._compare import assert_close, default_tolerances

__all__ = ["assert_close", "default_tolerances"]
