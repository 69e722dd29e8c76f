"""Correct user code: mypy and pyright must report nothing here, and each ``assert_type`` must hold.

Checked by tests/test_typing.py; never imported by the test run itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import unitensor as ut
from unitensor import fft, linalg

t = ut.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=ut.float64, backend="numpy")
assert_type(t, ut.Tensor)

# -- operators, on both sides and in place ----------------------------------------
assert_type(t + 1, ut.Tensor)
assert_type(1 + t, ut.Tensor)
assert_type(t - 2.5, ut.Tensor)
assert_type(2.5 * t, ut.Tensor)
assert_type(t / t, ut.Tensor)
assert_type(t // 2, ut.Tensor)
assert_type(t % 2, ut.Tensor)
assert_type(t**2, ut.Tensor)
assert_type(2**t, ut.Tensor)
assert_type(t @ t, ut.Tensor)
assert_type(-t, ut.Tensor)
assert_type(+t, ut.Tensor)
assert_type(abs(t), ut.Tensor)
assert_type(t < 1, ut.Tensor)
assert_type(t >= t, ut.Tensor)
assert_type(t == 1, ut.Tensor)
assert_type(t != t, ut.Tensor)
i = ut.arange(4, dtype=ut.int64)
assert_type(i & 1, ut.Tensor)
assert_type(i << 1, ut.Tensor)
assert_type(~i, ut.Tensor)
u = t * 1.0
u += 1
u *= t
assert_type(u, ut.Tensor)

# -- indexing, iteration, conversion -------------------------------------------------
assert_type(t[0], ut.Tensor)
assert_type(t[0, 1:], ut.Tensor)
assert_type(t[..., None], ut.Tensor)
assert_type(t[t > 2], ut.Tensor)
t[0, 0] = 5.0
assert_type(iter(t), Iterator[ut.Tensor])
assert_type(len(t), int)
assert_type(float(t[0, 0]), float)
assert_type(int(i[0]), int)
assert_type(bool(t[0, 0] > 1), bool)
assert_type(t.numpy(), npt.NDArray[Any])
assert_type(np.asarray(t), npt.NDArray[Any])
assert_type(t.tolist(), Any)

# -- properties and methods ----------------------------------------------------------------
assert_type(t.shape, tuple[int | None, ...])
assert_type(t.ndim, int)
assert_type(t.size, int | None)
assert_type(t.dtype, ut.DType)
assert_type(t.device, ut.Device)
assert_type(t.backend, ut.backends.Backend)
assert_type(t.T, ut.Tensor)
assert_type(t.mT, ut.Tensor)
assert_type(t.to("cpu"), ut.Tensor)
assert_type(t.to(backend="numpy"), ut.Tensor)
assert_type(t.astype(ut.float32), ut.Tensor)
assert_type(t.detach(), ut.Tensor)

# -- the namespace, linalg and fft ---------------------------------------------------------------
assert_type(ut.exp(t), ut.Tensor)
assert_type(ut.sum(t, axis=0, keepdims=True), ut.Tensor)
assert_type(ut.add(t, 1), ut.Tensor)
assert_type(ut.add(1, t), ut.Tensor)
assert_type(ut.where(t > 2, t, 0.0), ut.Tensor)
assert_type(ut.concat([t, t], axis=0), ut.Tensor)
assert_type(ut.zeros((2, 3), dtype=ut.float32, backend="numpy"), ut.Tensor)
assert_type(ut.linspace(0.0, 1.0, 5), ut.Tensor)
assert_type(ut.meshgrid(t, t, indexing="ij"), tuple[ut.Tensor, ...])
assert_type(ut.unique_counts(t).counts, ut.Tensor)
assert_type(ut.astype(t, ut.int32), ut.Tensor)
assert_type(ut.linalg.inv(t), ut.Tensor)
assert_type(linalg.matrix_norm(t, ord="fro"), ut.Tensor)
w, v = linalg.eigh(t)
assert_type(w, ut.Tensor)
assert_type(linalg.eig(t).eigenvectors, ut.Tensor)
assert_type(linalg.svd(t, full_matrices=False).S, ut.Tensor)
assert_type(fft.rfft(t, n=4, norm="ortho"), ut.Tensor)
assert_type(ut.fft.fftfreq(8, d=0.5), ut.Tensor)
assert_type(ut.result_type(t, ut.float32), ut.DType)
assert_type(ut.finfo(ut.float32).eps, float)
assert_type(ut.__array_api_version__, str)
ut.set_backend("numpy")
with ut.use_backend("numpy"):
    pass


# -- transformations keep the function's parameters ---------------------------------------------
def loss(x: ut.Tensor, scale: float) -> ut.Tensor:
    return ut.sum(x * x) * scale


g = ut.grad(loss)
assert_type(g(t, 2.0), Any)
value, gradient = ut.value_and_grad(loss)(t, 2.0)
jac = ut.jacobian(loss)(t, 1.0)
assert_type(ut.jit(loss)(t, 2.0), ut.Tensor)
assert_type(ut.jit(static_argnums=1)(loss)(t, 2.0), ut.Tensor)
assert_type(ut.checkpoint(loss)(t, 2.0), ut.Tensor)
assert_type(ut.stop_gradient(t), ut.Tensor)
batched = ut.vmap(loss, in_axes=(0, None))
out, tangent = ut.jvp(ut.exp, (t,), (ut.ones_like(t),))
assert_type(ut.hessian(loss)(t, 1.0), Any)
assert_type(ut.namespace("numpy").exp(t), Any)
