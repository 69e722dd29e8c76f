"""unitensor's benchmarks: dispatch overhead, export and conversion, gradients, workloads and import time.

Run from the repository root::

    python -m benchmarks            # full run (15-20 minutes on a small shared machine)
    python -m benchmarks --quick    # about five minutes

Everything runs single-threaded in one process (import time in fresh
subprocesses), with the variants of each measurement interleaved so that load
from other processes hits them alike. Results are printed, written as JSON to
``benchmarks/results/`` and drawn as a PNG chart of overhead per operation
per library. Nothing here is imported by unitensor itself.

The targets (issues 6 and 13) are checked at the end of each run; a MISS
says by how much. Where a target of issue 13 cannot be met by design:

* the NumPy tape at 0.5x of HIPS autograd on the *large* MLP: that step is
  bound by the same BLAS calls in both, so the ratio tends to 1;
* ``t.numpy()`` within 2x of ``np.asarray(a)`` on NumPy: the raw call is
  ~40 ns, less than one Python-level method call;
* Python scalars and sequences in functions (``ut.maximum(t, 0.0)``,
  ``ut.concat([a, b])``): the C accelerator hands every call that is not
  plain Tensors to the Python slow path, whose cheap entry still costs one
  Python frame and the backend's complete implementation.
"""
