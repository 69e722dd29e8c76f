"""Command line: ``python -m unitensor COMMAND [options]``.

Commands
--------
demo
    Fit a least-squares model on a backend (NumPy unless ``--backend``):
    normal equations, then gradient descent, then export to NumPy.
info
    Every backend the registry knows, whether it is installed here, its
    version and its devices. Never fails because a backend is missing.

Each command is a function ``(argv) -> exit status`` in :data:`COMMANDS`;
adding a command is one entry there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import unitensor as ut
from unitensor import Tensor

__all__ = ["COMMANDS", "main"]


# -- demo ------------------------------------------------------------------------


def _design_matrix(n: int, backend: str) -> Tensor:
    """``n`` rows of features [1, t, sin 3t] on ``backend``, built with the array API alone."""
    t = ut.linspace(-1.0, 1.0, n, backend=backend, dtype=ut.float32)
    return ut.stack([ut.ones_like(t), t, ut.sin(3.0 * t)], axis=1)


def demo(argv: Sequence[str]) -> int:
    """Least squares two ways on one backend, then export the result to NumPy."""
    parser = argparse.ArgumentParser(prog="python -m unitensor demo", description=demo.__doc__)
    parser.add_argument("--backend", default="numpy", help="backend to run on (default: numpy)")
    parser.add_argument("--steps", type=int, default=300, help="gradient-descent steps (default: 300)")
    args = parser.parse_args(argv)
    try:
        backend = ut.backends.get(args.backend)
    except (LookupError, ImportError) as exc:  # unknown, or its framework is not installed
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"unitensor {ut.__version__} demo on backend {backend.name!r} ({backend.version}), "
        f"device {backend.default_device()}"
    )

    x = _design_matrix(200, backend.name)
    true_w = ut.asarray([0.5, -2.0, 1.5], backend=backend.name, dtype=ut.float32)
    wiggle = 0.05 * ut.cos(17.0 * x[:, 1])  # deterministic "noise": no RNG needed
    x, y = _settled(x), _settled(x @ true_w + wiggle)
    print(f"data: X {x.shape} {x.dtype}, y {y.shape}; true weights {_fmt(true_w)}")

    start = time.perf_counter()
    w_exact = ut.linalg.solve(x.mT @ x, x.mT @ y)
    print(
        f"normal equations  (X^T X) w = X^T y   -> w = {_fmt(w_exact)}  [{1e3 * (time.perf_counter() - start):.1f} ms]"
    )

    w = ut.zeros(3, backend=backend.name, dtype=ut.float32)
    # the loss gradient (2/n) X^T r is L-Lipschitz with L = 2 ||X^T X||_2 / n <= 2 ||X^T X||_F / n,
    # so the step 1/L (with the cheaper Frobenius bound) converges
    lr = x.shape[0] / (2.0 * float(ut.linalg.matrix_norm(x.mT @ x)))
    start = time.perf_counter()
    for step in range(args.steps + 1):
        residual = x @ w - y
        loss = float(ut.mean(residual**2))
        if step % max(args.steps // 4, 1) == 0:
            print(f"gradient descent  step {step:4d}  loss {loss:.6f}")
        if step < args.steps:
            w = _settled(w - lr * (2.0 / x.shape[0]) * (x.mT @ residual))
    elapsed = time.perf_counter() - start
    gap = float(ut.max(ut.abs(w - w_exact)))
    print(f"gradient descent  -> w = {_fmt(w)}  max |w - w_exact| = {gap:.2e}  [{1e3 * elapsed:.1f} ms]")

    host = w.to("cpu").numpy(force=True)
    shared = _shares_memory(w, host)
    print(
        f"exported to NumPy: {type(host).__module__}.{type(host).__name__} {host.dtype} {host.tolist()}"
        + (" (zero-copy: shares the Tensor's memory)" if shared else "")
    )
    return 0


def _settled(t: Tensor) -> Tensor:
    """``t`` computed now on a lazy backend (Dask), so the task graph does not grow step after step."""
    if not t.backend.lazy:
        return t
    return ut.asarray(t.numpy(force=True), backend=t.backend)


def _fmt(t: Tensor) -> str:
    return "[" + ", ".join(f"{v:+.4f}" for v in t.tolist()) + "]"


def _shares_memory(t: Tensor, host: Any) -> bool:
    """Whether ``host`` is a view of ``t``'s own data (only a NumPy Tensor can say so)."""
    if t.backend.name != "numpy":
        return False
    return host.__array_interface__["data"][0] == t.raw.__array_interface__["data"][0]


# -- info ------------------------------------------------------------------------


def info(argv: Sequence[str]) -> int:
    """List every registered backend: installed or not, version, devices."""
    parser = argparse.ArgumentParser(prog="python -m unitensor info", description=info.__doc__)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = ut.backends.info()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"unitensor {ut.__version__} (array API {ut.__array_api_version__}), default backend {ut.get_backend().name!r}"
    )
    header = ("backend", "installed", "version", "devices")
    table = [header] + [
        (row["name"], "yes" if row["installed"] else "no", row["version"] or "-", ", ".join(row["devices"]) or "-")
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    for row in rows:
        if row["error"]:
            print(f"  {row['name']}: {row['error']}")
    return 0


# -- dispatch --------------------------------------------------------------------


#: command name -> function taking the remaining arguments and returning the exit status
def conformance(argv: Sequence[str]) -> int:
    """Certify a backend: run the conformance suite and print a per-area table."""
    from .testing._certify import main as certify  # imports pytest only for this command

    return certify(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "demo": demo,
    "info": info,
    "conformance": conformance,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m unitensor COMMAND ...``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m unitensor {" + ",".join(COMMANDS) + "} [options]   (COMMAND --help for more)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        for name, command in COMMANDS.items():
            print(f"  {name:12s} {(command.__doc__ or '').strip().splitlines()[0]}")
        return 0 if argv else 2
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"unknown command {argv[0]!r}\n{usage}", file=sys.stderr)
        return 2
    return command(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
