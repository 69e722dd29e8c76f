"""The README's research-style example: a tiny MLP trained with ``ut.value_and_grad``, unchanged on every backend.

The training code below never names a backend: only the data does. Every
backend must reach the loss NumPy reaches, with its default engine and with
the tape.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import unitensor as ut

# -- the example (as in the README) ----------------------------------------------------


def init_params(n_in: int, n_hidden: int, like: ut.Tensor) -> dict[str, ut.Tensor]:
    rng = np.random.default_rng(0)

    def param(*shape: int) -> ut.Tensor:
        return ut.asarray(rng.normal(0, 0.5, shape), dtype=like.dtype, backend=like.backend, device=like.device)

    return {"w1": param(n_in, n_hidden), "b1": param(n_hidden), "w2": param(n_hidden), "b2": param()}


def loss_fn(params: dict[str, ut.Tensor], x: ut.Tensor, y: ut.Tensor) -> ut.Tensor:
    hidden = ut.tanh(x @ params["w1"] + params["b1"])
    logits = hidden @ params["w2"] + params["b2"]
    # binary cross-entropy, written stably: log(1 + exp(-|z|)) + max(z, 0) - y z
    return ut.mean(ut.log1p(ut.exp(-ut.abs(logits))) + ut.maximum(logits, 0.0) - y * logits)


def train(x: ut.Tensor, y: ut.Tensor, steps: int = 25, lr: float = 0.5, engine: str | None = None) -> list[float]:
    params = init_params(x.shape[1], 8, x)
    step = ut.value_and_grad(loss_fn, engine=engine)
    losses = []
    for _ in range(steps):
        loss, grads = step(params, x, y)
        params = {name: p - lr * grads[name] for name, p in params.items()}
        losses.append(float(loss))
    return losses


# -- the test -----------------------------------------------------------------------------


def dataset(backend: str, dtype: Any) -> tuple[ut.Tensor, ut.Tensor]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3))
    y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.float64)
    return ut.asarray(x, dtype=dtype, backend=backend), ut.asarray(y, dtype=dtype, backend=backend)


@pytest.mark.parametrize("engine", [pytest.param(None, id="default"), pytest.param("tape", id="tape")])
def test_mlp_trains_to_the_same_loss_on_every_backend(backend: str, engine: str | None) -> None:
    dtype = ut.float64 if ut.float64 in ut.backends.get(backend).dtypes() else ut.float32
    # 15 steps: Dask re-runs the whole lazy history at each float(loss)
    losses = train(*dataset(backend, dtype), steps=15, engine=engine)
    reference = train(*dataset("numpy", ut.float64), steps=15, engine="tape")
    assert losses[-1] < 0.8 * losses[0]  # it learns
    tolerance = 1e-9 if dtype == ut.float64 else 1e-4
    np.testing.assert_allclose(losses, reference, rtol=tolerance)
