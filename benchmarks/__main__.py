"""``python -m benchmarks [--quick] [--only SECTION ...]``: see :mod:`benchmarks`."""

import os

# Before any framework is imported: the default thread pools stall for
# milliseconds on a small shared machine and make tiny-array timings noise.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

from .run import main  # noqa: E402

raise SystemExit(main())
