"""The conformance suite: what "works on backend X" means, checkable for any registered backend.

Every function and operator of the standard is compared with the NumPy
backend on hypothesis-generated inputs; type promotion, indexing, device
movement, NumPy export and gradients have their own checks. Known
deviations live in ``deviations/NAME.txt``, one ``check-id  reason`` per line,
and become strict xfails.

* ``pytest conformance --backend NAME`` in a source checkout;
* ``python -m unitensor conformance --backend NAME`` with an installed
  unitensor (prints a per-area table of passed, failed and known deviations).
"""

from __future__ import annotations

__all__ = ["SUITE_MODULE"]

#: the module holding the suite's tests (collected by conformance/test_conformance.py)
SUITE_MODULE = "unitensor.testing.conformance.suite"
