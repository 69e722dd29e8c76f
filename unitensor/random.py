"""Seeded, reproducible random numbers on every backend: ``ut.random``.

Random state is explicit, in the spirit of NumPy's ``Generator``, JAX's keys
and ``keras.random.SeedGenerator``. Two ways to hold it:

* **A key** (functional, JAX style): ``key = ut.random.key(0, backend="jax")``
  is a Tensor of two uint32 words. Every function takes the key first and the
  same key always gives the same values; ``ut.random.split(key, n)`` derives
  ``n`` independent keys. Keys are plain Tensors, so they pass through
  ``jax.jit`` (thread them in and out) and never hide state.
* **A Generator** (stateful, NumPy and Keras style):
  ``rng = ut.random.Generator(0)`` draws a new key for every call, so
  ``rng.normal((3,))`` twice gives two different draws and the same seed gives
  the same sequence of draws, run after run. A Generator is safe to share
  between threads: each draw takes the next key under a lock.

>>> import unitensor as ut
>>> rng = ut.random.Generator(42, backend="numpy")
>>> w = rng.normal((2, 3), dtype=ut.float32)
>>> w.shape, w.dtype
((2, 3), unitensor.float32)
>>> bool(ut.all(ut.random.Generator(42, backend="numpy").normal((2, 3), dtype=ut.float32) == w))
True

Every function takes ``shape``, ``dtype``, ``device`` and ``backend``. With a
key, ``backend`` defaults to the key's; with a Generator, to the Generator's,
else to the current default backend.

Which streams agree
-------------------
The same key or seed gives the same values on one backend, on every run and
machine, for a given dtype, shape and device. Across backends:

* **NumPy and Dask agree exactly** (Dask runs NumPy's generator, Philox
  seeded by the key, as one lazy task, then rechunks).
* **torch** (``torch.Generator`` seeded by the key; its CPU and CUDA streams
  differ from each other), **JAX** (``jax.random`` on the key's words, a
  threefry key) and backends without a generator of their own (array-api-strict
  and plugins: a counter-based hash written against the array API,
  :mod:`unitensor.backends._random`) each give their own stream: they agree
  with the others **only in distribution**.
* ``key`` and ``Generator`` derive keys on the host the same way everywhere
  (SplitMix64), and ``split`` follows each backend's own rule (JAX:
  ``jax.random.split``; the others: the array API hash).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

from . import backends as _registry
from ._config import get_backend
from ._devices import Device, as_device
from ._dtypes import DType, as_dtype, uint32
from ._dtypes import bool as _bool
from ._tensor import Tensor, new_tensor

__all__ = [
    "Generator",
    "bernoulli",
    "choice",
    "integers",
    "key",
    "normal",
    "permutation",
    "shuffle",
    "split",
    "truncated_normal",
    "uniform",
]

_MASK64 = (1 << 64) - 1
_Shape = int | Sequence[int]


def _splitmix64(state: int) -> int:
    """One output of SplitMix64 for ``state``: a well-mixed 64-bit integer."""
    z = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _key_from_int(value: int, backend: _registry.Backend, device: Device | None) -> Tensor:
    words = [value >> 32, value & 0xFFFFFFFF]
    return new_tensor(backend.asarray(words, dtype=uint32, device=device), backend)


def _backend(backend: str | _registry.Backend | None) -> _registry.Backend:
    return get_backend() if backend is None else _registry.get(backend)


def key(seed: int, *, backend: str | _registry.Backend | None = None, device: Device | str | None = None) -> Tensor:
    """A key for ``seed``: a uint32 Tensor of two words on ``backend``.

    Examples
    --------
    >>> import unitensor as ut
    >>> k = ut.random.key(0)
    >>> k.shape, k.dtype
    ((2,), unitensor.uint32)
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"a seed is a Python int, not {type(seed).__name__}")
    chosen = _backend(backend)
    return _key_from_int(_splitmix64(seed & _MASK64), chosen, _device(chosen, device))


def split(key: Tensor, num: int = 2) -> tuple[Tensor, ...]:
    """``num`` new, independent keys from ``key``: ``key, sub = ut.random.split(key)``."""
    from ._namespace import FUNCTIONS

    raw = _check_key(key)
    if not isinstance(num, int) or num < 1:
        raise ValueError(f"split() needs a positive int num, got {num!r}")
    return FUNCTIONS["unstack"](new_tensor(key._backend.random_split(raw, num), key._backend))


class Generator:
    """Random state that draws a new key for every call; safe to share between threads.

    Parameters
    ----------
    seed
        A Python int; the same seed gives the same sequence of draws.
    backend, device
        Where draws go when a call does not say (default: the backend current
        at the call, :func:`unitensor.get_backend`).

    Examples
    --------
    >>> import unitensor as ut
    >>> rng = ut.random.Generator(0, backend="numpy")
    >>> rng.integers(0, 10, (4,)).shape
    (4,)
    """

    def __init__(
        self, seed: int, *, backend: str | _registry.Backend | None = None, device: Device | str | None = None
    ) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"a seed is a Python int, not {type(seed).__name__}")
        self._seed = _splitmix64(seed & _MASK64)
        self._count = 0
        self._lock = threading.Lock()
        self.backend = None if backend is None else _registry.get(backend)
        self.device = None if device is None else as_device(device)

    def __repr__(self) -> str:
        where = "the default backend" if self.backend is None else repr(self.backend.name)
        return f"<unitensor.random.Generator on {where}, {self._count} draws>"

    def next_key(self, backend: str | _registry.Backend | None = None, device: Device | str | None = None) -> Tensor:
        """The key of the next draw (advances the Generator)."""
        with self._lock:
            self._count += 1
            count = self._count
        chosen = _registry.get(backend) if backend is not None else (self.backend or get_backend())
        if device is None and chosen is self.backend:
            device = self.device
        return _key_from_int(_splitmix64(self._seed ^ _splitmix64(count)), chosen, _device(chosen, device))

    def uniform(self, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`uniform` with this Generator's next key."""
        return uniform(self, shape, **kwargs)

    def normal(self, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`normal` with this Generator's next key."""
        return normal(self, shape, **kwargs)

    def truncated_normal(self, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`truncated_normal` with this Generator's next key."""
        return truncated_normal(self, shape, **kwargs)

    def integers(self, low: int, high: int | None = None, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`integers` with this Generator's next key."""
        return integers(self, low, high, shape, **kwargs)

    def bernoulli(self, p: float = 0.5, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`bernoulli` with this Generator's next key."""
        return bernoulli(self, p, shape, **kwargs)

    def permutation(self, x: int | Tensor, **kwargs: Any) -> Tensor:
        """:func:`permutation` with this Generator's next key."""
        return permutation(self, x, **kwargs)

    def shuffle(self, x: Tensor, **kwargs: Any) -> Tensor:
        """:func:`shuffle` with this Generator's next key."""
        return shuffle(self, x, **kwargs)

    def choice(self, a: int | Tensor, shape: _Shape = (), **kwargs: Any) -> Tensor:
        """:func:`choice` with this Generator's next key."""
        return choice(self, a, shape, **kwargs)


KeyLike = Tensor | Generator


# -- the draws -------------------------------------------------------------------------


def _check_key(key: Any) -> Any:
    if not isinstance(key, Tensor) or key.shape != (2,) or key.dtype is not uint32:
        raise TypeError(
            f"expected a key from ut.random.key(seed) (a uint32 Tensor of shape (2,)) or a "
            f"ut.random.Generator, got {key!r:.80}"
        )
    return key._raw


def _device(backend: _registry.Backend, device: Device | str | None) -> Device | None:
    return None if device is None else backend.check_device(as_device(device))


def _resolve(
    key: KeyLike, backend: str | _registry.Backend | None, device: Device | str | None
) -> tuple[_registry.Backend, Any, Any]:
    """The backend of a draw, the native key and the native device (None: the backend's default)."""
    if isinstance(key, Generator):
        key = key.next_key(backend, device)
    else:
        _check_key(key)
        if backend is not None and _registry.get(backend) is not key._backend:
            key = key.to(backend=backend)
    chosen = key._backend
    if device is not None:
        device = _device(chosen, device)
        if device != key.device:
            key = key.to(device)
    native_device = None if device is None else chosen.native_device(device)
    return chosen, key._raw, native_device


def _shape(shape: _Shape) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"shape must hold non-negative ints, got {shape}")
    return shape


def _dtype(backend: _registry.Backend, dtype: Any, kind: str) -> DType:
    if dtype is None:
        return backend.default_dtypes()[kind]
    dtype = as_dtype(dtype)
    wanted = ("real floating",) if kind == "real floating" else ("signed integer", "unsigned integer")
    if dtype.kind not in wanted:
        raise TypeError(
            f"this draw makes {kind} values; dtype={dtype} is not one (use e.g. "
            f"{'ut.float32' if kind == 'real floating' else 'ut.int64'})"
        )
    return dtype


def _draw(
    method: str, key: KeyLike, shape: _Shape, dtype: Any, device: Any, backend: Any, kind: str, **params: Any
) -> Tensor:
    chosen, raw_key, native_device = _resolve(key, backend, device)
    dtype = _dtype(chosen, dtype, kind)
    raw = chosen.random(method, raw_key, _shape(shape), chosen.native_dtype(dtype), native_device, **params)
    out = new_tensor(raw, chosen)
    return out if out.dtype is dtype else _astype(out, dtype)


def _astype(x: Tensor, dtype: DType) -> Tensor:
    from ._namespace import astype

    return astype(x, dtype)


def _affine(x: Tensor, scale: float, shift: float) -> Tensor:
    """``x * scale + shift`` in ``x``'s dtype (NumPy's bfloat16 would promote Python floats)."""
    if scale == 1 and shift == 0:
        return x
    out = x * scale + shift
    return out if out.dtype is x.dtype else _astype(out, x.dtype)


def uniform(
    key: KeyLike,
    shape: _Shape = (),
    *,
    low: float = 0.0,
    high: float = 1.0,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Values uniform in ``[low, high)``.

    Examples
    --------
    >>> import unitensor as ut
    >>> u = ut.random.uniform(ut.random.key(0), (1000,), low=-1.0, high=1.0)
    >>> bool(ut.all((u >= -1) & (u < 1)))
    True
    """
    if not low < high:
        raise ValueError(f"uniform() needs low < high, got low={low}, high={high}")
    return _draw("uniform", key, shape, dtype, device, backend, "real floating", low=float(low), high=float(high))


def normal(
    key: KeyLike,
    shape: _Shape = (),
    *,
    mean: float = 0.0,
    std: float = 1.0,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Normally distributed values (``mean``, standard deviation ``std``)."""
    if std < 0:
        raise ValueError(f"normal() needs std >= 0, got {std}")
    return _affine(_draw("normal", key, shape, dtype, device, backend, "real floating"), std, mean)


def truncated_normal(
    key: KeyLike,
    shape: _Shape = (),
    *,
    lower: float = -2.0,
    upper: float = 2.0,
    mean: float = 0.0,
    std: float = 1.0,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Normal values conditioned to lie within ``lower`` and ``upper`` standard deviations of ``mean``.

    ``lower`` and ``upper`` are in units of ``std`` around ``mean`` (as in
    ``jax.random.truncated_normal`` and Keras); the default keeps values
    within two standard deviations, the usual weight initialisation.
    """
    if not lower < upper:
        raise ValueError(f"truncated_normal() needs lower < upper, got lower={lower}, upper={upper}")
    if std < 0:
        raise ValueError(f"truncated_normal() needs std >= 0, got {std}")
    out = _draw(
        "truncated_normal", key, shape, dtype, device, backend, "real floating", lower=float(lower), upper=float(upper)
    )
    return _affine(out, std, mean)


def integers(
    key: KeyLike,
    low: int,
    high: int | None = None,
    shape: _Shape = (),
    *,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is None, as in NumPy)."""
    if high is None:
        low, high = 0, low
    if not (isinstance(low, int) and isinstance(high, int)) or low >= high:
        raise ValueError(f"integers() needs ints low < high, got low={low!r}, high={high!r}")
    return _draw("integers", key, shape, dtype, device, backend, "integral", low=low, high=high)


def bernoulli(
    key: KeyLike,
    p: float = 0.5,
    shape: _Shape = (),
    *,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """True with probability ``p`` (bool by default; ``dtype=`` gives 0 and 1 of that dtype)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"bernoulli() needs 0 <= p <= 1, got p={p}")
    u = _draw("uniform", key, shape, None, device, backend, "real floating", low=0.0, high=1.0)
    out = u < p
    return out if dtype is None or as_dtype(dtype) is _bool else _astype(out, as_dtype(dtype))


def permutation(
    key: KeyLike,
    x: int | Tensor,
    *,
    axis: int = 0,
    dtype: Any = None,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """A random permutation of ``range(x)`` for an int, or ``x`` shuffled along ``axis`` for a Tensor."""
    if isinstance(x, Tensor):
        return shuffle(key, x, axis=axis)
    if not isinstance(x, int) or x < 0:
        raise ValueError(f"permutation() takes a non-negative int or a Tensor, got {x!r}")
    return _draw("permutation", key, (x,), dtype, device, backend, "integral", n=x)


def shuffle(key: KeyLike, x: Tensor, *, axis: int = 0) -> Tensor:
    """``x`` with its slices along ``axis`` in random order: a new Tensor (``x`` is not changed)."""
    from ._namespace import FUNCTIONS

    if not isinstance(x, Tensor):
        raise TypeError(f"shuffle() takes a Tensor, not {type(x).__name__}")
    if x.ndim == 0:
        raise ValueError("shuffle() needs a Tensor of at least one dimension")
    n = x.shape[axis]
    if n is None:
        raise ValueError("shuffle() needs an axis of known length; compute the Tensor first (ut.compute)")
    order = _draw("permutation", key, (n,), None, _key_device(x), x._backend, "integral", n=n)
    return FUNCTIONS["take"](x, order, axis=axis)


def _key_device(x: Tensor) -> Device | None:
    backend = x._backend
    return None if len(backend.devices()) < 2 else x.device


def choice(
    key: KeyLike,
    a: int | Tensor,
    shape: _Shape = (),
    *,
    replace: bool = True,
    p: Tensor | None = None,
    axis: int = 0,
    device: Device | str | None = None,
    backend: str | _registry.Backend | None = None,
) -> Tensor:
    """Random elements of ``a`` (a Tensor, or ``range(a)`` for an int), as NumPy's ``Generator.choice``.

    ``p`` gives each element's probability (with ``replace=True``).
    """
    from ._namespace import FUNCTIONS

    n = a if isinstance(a, int) else (a.shape[axis] if isinstance(a, Tensor) else None)
    if n is None or n < 1:
        raise ValueError(f"choice() takes a positive int or a non-empty Tensor, got {a!r:.80}")
    if isinstance(a, Tensor):
        backend, device = backend or a._backend, device or _key_device(a)
    shape = _shape(shape)
    size = math.prod(shape)
    if p is not None:
        if not replace:
            raise ValueError("choice() with p= draws with replacement only; pass replace=True")
        cdf = FUNCTIONS["cumulative_sum"](p)
        u = _draw("uniform", key, (size,), p.dtype, device, backend, "real floating", low=0.0, high=1.0)
        index = FUNCTIONS["searchsorted"](cdf, u * cdf[-1], side="right")
        index = FUNCTIONS["clip"](index, max=n - 1)
    elif replace:
        index = _draw("integers", key, (size,), None, device, backend, "integral", low=0, high=n)
    else:
        if size > n:
            raise ValueError(f"choice() without replacement cannot take {size} of {n} elements")
        index = _draw("permutation", key, (n,), None, device, backend, "integral", n=n)[:size]
    if isinstance(a, int):
        return FUNCTIONS["reshape"](index, shape)
    picked = FUNCTIONS["take"](a, index, axis=axis)
    axis = axis % a.ndim
    return FUNCTIONS["reshape"](picked, (*a.shape[:axis], *shape, *a.shape[axis + 1 :]))
