"""unitensor's benchmarks: dispatch overhead, export and conversion, gradients and import time.

Run from the repository root::

    python -m benchmarks            # full run
    python -m benchmarks --quick    # a couple of minutes

Everything runs single-threaded in one process (import time in fresh
subprocesses), with the variants of each measurement interleaved so that load
from other processes hits them alike. Results are printed, written as JSON to
``benchmarks/results/`` and drawn as a PNG chart of overhead per operation
per library. Nothing here is imported by unitensor itself.
"""
