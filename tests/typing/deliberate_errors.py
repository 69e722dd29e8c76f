"""Wrong user code: mypy and pyright must each report an error on every line marked ``# error``, and no other.

Checked by tests/test_typing.py; never imported by the test run itself.
"""

from __future__ import annotations

import unitensor as ut

t = ut.asarray([1.0, 2.0])

ut.exp(t, 2)  # error: one array only
ut.exp()  # error: the array is required
ut.sum(t, 0)  # error: axis is keyword-only
ut.sum(t, axes=0)  # error: no such parameter
ut.sum(x=t)  # error: x is positional-only
ut.add(1, 2)  # error: at least one argument must be an array
ut.add(t, "1")  # error: a string is no operand
ut.linalg.eigh(t, UPLO="L")  # error: the standard's eigh takes no UPLO
ut.fft.fft(t, norm="sideways")  # error: norm is one of three strings
ut.zeros((2, 3), backend=3)  # error: a backend is a name or a Backend
ut.no_such_function(t)  # error: not in the namespace
ut.linalg.no_such_function(t)  # error: not in linalg
t.nonexistent_method()  # error: Tensor has no such method
t @ 2  # error: matmul takes no scalar
t & 1.5  # error: bitwise operators take integers
t.shape = (2,)  # error: shape is read-only
n: int = t.numpy()  # error: numpy() returns an ndarray
s: str = t + 1  # error: the sum is a Tensor
t.to(device="cpu", stream=None)  # error: to() takes no stream
ut.grad(lambda x: x)(t, t)  # error: the function takes one argument
ut.Tensor([1.0, 2.0])  # error: Tensors are made with ut.asarray
ut.jit(lambda x: x)(t, t)  # error: jit keeps the function's parameters
