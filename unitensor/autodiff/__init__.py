"""Gradients on every backend (placeholder until the autodiff work lands)."""

from __future__ import annotations

from typing import Any

__all__ = ["grad", "value_and_grad", "vjp", "jacobian"]


def _not_yet(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("unitensor.autodiff is not implemented yet")


grad = value_and_grad = vjp = jacobian = _not_yet
