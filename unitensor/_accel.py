"""The optional C accelerator, ``unitensor._speedups``, or ``None``.

It is built at install time where a C compiler is present. Setting the
environment variable ``UNITENSOR_PURE_PYTHON=1`` before importing unitensor
turns it off: every fast path then runs its pure-Python twin, with the same
results (the test suite checks both).
"""

from __future__ import annotations

import os
from types import ModuleType

speedups: ModuleType | None = None
if os.environ.get("UNITENSOR_PURE_PYTHON", "") in ("", "0"):
    try:
        from . import _speedups as speedups
    except ImportError:  # not compiled here: the pure-Python paths serve
        pass
