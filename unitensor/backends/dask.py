"""The Dask backend: lazy, chunked arrays that scale past one machine.

Every operation builds a task graph; nothing is computed until the data
leaves Dask (``t.numpy()``, ``np.asarray(t)``, ``float(t)``, a conversion to
another backend). Under a ``dask.distributed`` ``Client`` the computation
runs on its cluster, with no change to the unitensor code.

Where Dask departs from the standard this module closes the gap, keeping
results lazy:

* functions ``array_api_compat.dask`` lacks or limits to special chunkings
  (``linalg.det``, ``eigh``, ``svd`` with ``full_matrices``, ``qr`` of square
  multi-chunk matrices, FFTs along chunked axes, ``take_along_axis`` ...) run
  the NumPy routine blockwise with :func:`dask.array.apply_gufunc`, after
  merging the core dimensions into one chunk;
* indexing with several integer arrays, with a 0-d or a partial boolean mask,
  and writes through any of the standard's keys are rewritten into forms Dask
  supports (a flat gather, ``where``);
* dimensions that depend on data (after boolean masking, ``nonzero``,
  ``unique_*``) are ``None`` in ``Tensor.shape``.

Dask arrays hold no memory that can be written in place, so ``mutable`` is
False: ``t[key] = v`` and ``t += v`` rebind the Tensor to a new lazy array
(the native array the Tensor held before is left unchanged), as on JAX.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._devices import Device
from .._dtypes import ALL_DTYPES
from ._base import Backend
from ._keys import check_key
from .numpy import half_dtypes

__all__ = ["DaskBackend"]


class DaskBackend(Backend):
    """Dask arrays through ``array_api_compat.dask.array``."""

    name = "dask"
    #: Dask promotes as NumPy: integers with floats by value range (int64 + float32 is float64), where
    #: unitensor's rule gives the floating dtype: arrays of two dtypes take the facade's promotion
    standard_promotion = False
    requires = ("dask",)
    install_hint = 'pip install "dask[array]"'
    type_modules = ("dask",)
    lazy = True
    mutable = False

    def __init__(self) -> None:
        super().__init__()
        import array_api_compat.dask.array as xp
        import array_api_compat.numpy as compat_numpy
        import dask
        import dask.array as da
        import numpy as np

        self.xp = xp
        self._dask = dask
        self._da = da
        self._np = np
        self._npx = compat_numpy
        self.array_types = (da.Array,)
        self.version = dask.__version__
        self._map_dtypes({dtype: np.dtype(getattr(np, dtype.name)) for dtype in ALL_DTYPES})
        self._map_dtypes(half_dtypes())  # Dask chunks are NumPy arrays

    # -- arrays ----------------------------------------------------------------

    def shape_of(self, raw: Any) -> tuple[int | None, ...]:
        return tuple(None if math.isnan(n) else int(n) for n in raw.shape)

    def materialize(self, raw: Any) -> Any:
        """Compute a Dask array to a NumPy array (on the active scheduler or Client)."""
        if isinstance(raw, self._da.Array):
            raw = raw.compute()
        return self._np.asarray(raw)

    def dlpack_source(self, raw: Any) -> Any:
        return self.materialize(raw)

    def materialize_many(self, raws: list[Any], keep: bool = False) -> list[Any]:
        """One run of the graph for all ``raws``: shared work is done once.

        ``keep`` is ``dask.persist`` (results stay with the scheduler, chunked
        as they were); otherwise ``dask.compute``, each result wrapped back as
        a Dask array of the same chunks.
        """
        import dask

        if keep:
            return list(dask.persist(*raws))
        computed = dask.compute(*raws)
        return [
            self._da.from_array(self._np.asarray(value), chunks=_known_chunks(raw))
            for value, raw in zip(computed, raws)
        ]

    def lazy_summary(self, raw: Any) -> str:
        chunks = repr(tuple(tuple(c) for c in raw.chunks))
        if len(chunks) > 60:
            chunks = f"{raw.chunksize} each, {raw.npartitions} in all"
        return f", chunks={chunks}"

    def asarray(
        self, obj: Any, dtype: Any = None, device: Device | None = None, copy: bool | None = None, chunks: Any = None
    ) -> Any:
        """A Dask array from Python data, a buffer, a NumPy or a Dask array.

        ``chunks`` is passed to :func:`dask.array.from_array` (``"auto"`` when
        not given) or rechunks a Dask array.
        """
        if device is not None:
            self.check_device(device)
        native = None if dtype is None else self.native_dtype(dtype)
        if isinstance(obj, self._da.Array):
            out = obj if native is None or obj.dtype == native else obj.astype(native)
            if chunks is not None:
                out = out.rechunk(chunks)
            return _new_handle(self._da, out) if copy and out is obj else out
        if copy is False:
            host = self._np.asarray(obj, dtype=native, copy=False)
        else:
            host = self._np.array(obj, dtype=native, copy=bool(copy) or None)
        return self._da.from_array(host, chunks="auto" if chunks is None else chunks)

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        # Dask has no DLPack import: take the data into NumPy (zero-copy where
        # the source allows it) and wrap it as a one-chunk Dask array.
        from .numpy import from_dlpack_or_copy

        if device is not None:
            self.check_device(device)
        return self._da.from_array(from_dlpack_or_copy(obj, copy=copy), chunks="auto")

    def extras(self) -> dict[str, Callable[..., Any]]:
        return {"einsum": self._da.einsum}

    # -- random numbers -----------------------------------------------------------

    def random(self, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
        """A lazy draw: NumPy's generator run as one task, so the values equal the NumPy backend's."""
        import dask

        from .numpy import key_seed, numpy_random

        if device is not None:
            self.check_device(Device(str(device)))
        out_shape = (params["n"],) if method == "permutation" else shape
        task = dask.delayed(numpy_random, pure=True)(key_seed(self.materialize(key)), method, shape, dtype, **params)
        return self._da.from_delayed(task, out_shape, dtype=dtype).rechunk("auto")

    # -- indexing --------------------------------------------------------------

    def getitem(self, raw: Any, key: Any) -> Any:
        arrays = _array_parts(key, self._da.Array)
        if not arrays:
            return raw[key]
        self._check_key(raw, key)
        if all(a.dtype == bool for a in arrays) and not isinstance(key, tuple):
            return self._mask_getitem(raw, key)
        if _needs_flat_index(key, arrays, self._da.Array):
            flat, index_shape, rest = self._flat_index(raw, key)
            gathered = self._reshape(raw, (-1, *rest))[self._reshape(flat, (-1,))]
            return self._reshape(gathered, index_shape + rest)
        return raw[key]

    def _check_key(self, raw: Any, key: Any) -> None:
        """NumPy's IndexErrors for float index arrays and out-of-bounds integer arrays (Dask
        reads and writes past an axis silently); computes the integer index arrays' bounds."""
        check_key(self.shape_of(raw), key, self.owns, lambda part: self.dtype_of(part).kind, self._index_bounds)

    def _index_bounds(self, index: Any) -> tuple[int, int]:
        low, high = self._dask.compute(index.min(), index.max())
        return int(low), int(high)

    def _mask_getitem(self, raw: Any, mask: Any) -> Any:
        if mask.ndim == 0:
            # x[True] adds an axis of length 1, x[False] one of length 0
            return raw[None][mask[None]]
        if mask.ndim in (1, raw.ndim):
            return raw[mask]
        rest = raw.shape[mask.ndim :]
        return self._reshape(raw, (-1, *rest))[self._reshape(mask, (-1,))]

    def _flat_index(self, raw: Any, key: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
        """Integer (array) indices over the leading axes as one flat index into those axes."""
        da = self._da
        parts = key if isinstance(key, tuple) else (key,)
        lead = raw.shape[: len(parts)]
        indices = da.broadcast_arrays(*[da.asarray(p) for p in parts])
        flat = 0
        for index, size in zip(indices, lead):
            index = da.where(index < 0, index + size, index)  # negative indices count from the end
            flat = flat * size + index
        return flat, tuple(indices[0].shape), tuple(raw.shape[len(parts) :])

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """``raw[key] = value`` as a new lazy array (the input is left unchanged)."""
        da = self._da
        arrays = _array_parts(key, da.Array)
        if arrays:
            self._check_key(raw, key)
        if arrays and all(a.dtype == bool for a in arrays) and not isinstance(key, tuple):
            return self._mask_setitem(raw, key, value)
        if arrays and _is_integer_array_key(key, da.Array):
            flat, index_shape, rest = self._flat_index(raw, key)
            values = da.broadcast_to(da.asarray(value, dtype=raw.dtype), index_shape + rest)
            if 0 in values.shape:
                return _new_handle(da, raw)  # nothing to write (Dask's __setitem__ fails on it)
            target = _new_handle(da, self._reshape(raw, (-1, *rest)))
            target[self._reshape(flat, (-1,))] = self._reshape(values, (-1, *rest))
            return self._reshape(target, raw.shape)
        if _has_none(key):
            # Dask's __setitem__ rejects None: write the value, shaped like raw[key], without the new axes
            if isinstance(value, da.Array):
                value = da.squeeze(da.broadcast_to(value, raw[key].shape), axis=_new_axes(key, raw.ndim))
            key = tuple(part for part in key if part is not None) if isinstance(key, tuple) else Ellipsis
        out = _new_handle(da, raw)
        selected = raw[key].shape
        if 0 in selected:
            da.broadcast_to(da.asarray(value), selected)  # a value of the wrong shape is still an error
            return out  # nothing to write (Dask's __setitem__ fails on it)
        value = da.broadcast_to(da.asarray(value, dtype=raw.dtype), selected)
        if isinstance(key, tuple) and any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in key):
            # Dask fails on integers before a negative-step slice (IndexError in
            # dask.array.slicing.setitem_array): write through length-1 slices instead
            key = tuple(slice(k, k + 1 or None) if isinstance(k, int) else k for k in key)
            value = value.reshape(raw[key].shape)
        out[key] = value
        return out

    def _mask_setitem(self, raw: Any, mask: Any, value: Any) -> Any:
        da = self._da
        value = da.asarray(value, dtype=raw.dtype)
        if mask.ndim == 0:
            if value.ndim > raw.ndim:
                if value.shape[0] == 0:  # x[False] = <nothing>: no element is selected
                    return _new_handle(da, raw)
                value = value[0]
            return da.where(mask, value, raw)
        rest = raw.shape[mask.ndim :]
        flat_mask = self._reshape(mask, (-1,))
        flat = self._reshape(raw, (-1, *rest))
        if value.ndim > len(rest) and value.shape[0] != 1:
            selected = int(flat_mask.sum().compute())
            if selected != value.shape[0]:  # Dask would cycle or cut the values silently
                raise ValueError(
                    f"cannot write {value.shape[0]} values to the {selected} elements the mask "
                    f"selects; give one value per selected element, or one value for all"
                )
            # one value per selected element: the k-th True takes value[k]
            position = da.maximum(da.cumsum(flat_mask.astype("int64")) - 1, 0)
            value = value[position]
        elif value.ndim > len(rest):
            value = value[0]
        expanded = self._reshape(flat_mask, flat_mask.shape + (1,) * len(rest))
        return self._reshape(da.where(expanded, value, flat), raw.shape)

    def _reshape(self, x: Any, shape: tuple[int, ...], copy: bool | None = None) -> Any:
        """``reshape``, also for empty arrays (whose reshapes Dask rejects as uneven)."""
        if 0 in x.shape:
            return self._da.from_array(self._np.empty(x.shape, x.dtype).reshape(shape))
        return self.xp.reshape(x, shape, copy=copy)

    # -- functions Dask lacks or limits ----------------------------------------

    def overrides(self) -> dict[str, Callable[..., Any]]:
        npl = self._npx.linalg
        gufunc = self._gufunc
        table: dict[str, Callable[..., Any]] = {
            "from_dlpack": lambda x, /, *, device=None, copy=None: self.from_dlpack(x, device, copy),
            "eye": self._eye,
            "arange": self._arange,
            "take_along_axis": self._take_along_axis,
            "reshape": lambda x, /, shape, *, copy=None: self._reshape(x, shape, copy),
            "repeat": self._repeat,
            "roll": self._roll,
            "searchsorted": self._searchsorted,
            "linalg.cross": self._cross,
            "linalg.solve": self._solve,
            "linalg.matrix_power": lambda x, n, /: gufunc(lambda a: npl.matrix_power(a, n), "(m,m)->(m,m)", x),
            "linalg.pinv": lambda x, /, *, rtol=None: self._with_rtol(npl.pinv, "(m,n)->(n,m)", x, rtol),
            "linalg.matrix_rank": lambda x, /, *, rtol=None: self._with_rtol(npl.matrix_rank, "(m,n)->()", x, rtol),
            "linalg.cholesky": lambda x, /, *, upper=False: gufunc(npl.cholesky, "(m,m)->(m,m)", x, upper=upper),
            "linalg.inv": lambda x, /: gufunc(npl.inv, "(m,m)->(m,m)", x),
            "linalg.det": lambda x, /: gufunc(npl.det, "(m,m)->()", x),
            "linalg.eigvalsh": lambda x, /, *, UPLO="L": gufunc(npl.eigvalsh, "(m,m)->(m)", x, UPLO=UPLO),
            "linalg.eigh": lambda x, /, *, UPLO="L": self._named(
                "EighResult", gufunc(npl.eigh, "(m,m)->(m),(m,m)", x, UPLO=UPLO)
            ),
            "linalg.slogdet": lambda x, /: self._named("SlogdetResult", gufunc(npl.slogdet, "(m,m)->(),()", x)),
            # NumPy's eig gives real results where the eigenvalues are real: the standard asks for complex
            "linalg.eigvals": lambda x, /: gufunc(_complex(npl.eigvals), "(m,m)->(m)", x),
            "linalg.eig": lambda x, /: npl.EigResult(*gufunc(_complex(npl.eig), "(m,m)->(m),(m,m)", x)),
            "linalg.svdvals": lambda x, /: gufunc(npl.svdvals, "(m,n)->(k)", x, sizes=_min_mn(x)),
            "linalg.svd": self._svd,
            "linalg.matrix_norm": self._matrix_norm,
            "tensordot": self._tensordot,
            "linalg.tensordot": self._tensordot,
            "linalg.qr": self._qr,
        }
        for name in ("max", "min", "argmax", "argmin"):
            table[name] = self._without_identity(name)
        table["linalg.vector_norm"] = self._vector_norm
        for name in _FFT_KINDS:
            table[f"fft.{name}"] = self._fft(name)
        return table

    def _gufunc(
        self,
        function: Callable[..., Any],
        signature: str,
        *arrays: Any,
        sizes: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> Any:
        """``function`` (a NumPy routine over the core dimensions) applied lazily, block by block.

        The core dimensions are merged into one chunk; the loop dimensions
        keep their chunks, so batches of matrices still compute in parallel.
        """
        da = self._da
        arrays = tuple(da.asarray(a) for a in arrays)
        if any(0 in a.shape for a in arrays):
            # nothing to compute, and Dask's rechunking divides by zero on empty arrays:
            # NumPy gives the (empty) result or the error
            result = function(*(self._np.empty(a.shape, a.dtype) for a in arrays), **kwargs)
            if isinstance(result, tuple):
                return tuple(da.from_array(self._np.asarray(part)) for part in result)
            return da.from_array(self._np.asarray(result))
        dtypes = self._output_dtypes(function, signature, arrays, kwargs)
        return da.apply_gufunc(
            function, signature, *arrays, output_dtypes=dtypes, output_sizes=sizes, allow_rechunk=True, **kwargs
        )

    def _with_rtol(self, function: Callable[..., Any], signature: str, x: Any, rtol: Any) -> Any:
        """``pinv`` or ``matrix_rank`` of a stack; an array ``rtol`` broadcasts against the stack's batch shape.

        Passed as a keyword, the whole ``rtol`` would reach every block's
        NumPy call and fail to broadcast: as a gufunc input it is split with them.
        """
        if rtol is None or not hasattr(rtol, "ndim") or rtol.ndim == 0:
            return self._gufunc(function, signature, x, rtol=rtol)
        inputs, _, outputs = signature.partition("->")
        return self._gufunc(lambda a, tolerance: function(a, rtol=tolerance), f"{inputs},()->{outputs}", x, rtol)

    def _output_dtypes(
        self, function: Callable[..., Any], signature: str, arrays: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run ``function`` on a tiny well-conditioned sample to learn its output dtypes."""
        np = self._np
        inputs, _, outputs = signature.partition("->")
        samples = []
        for core, array in zip(_core_dims(inputs), arrays):
            size = 3 if core == ("three",) else 2
            if len(core) == 2:
                sample = np.eye(size, dtype=array.dtype)
            else:
                sample = np.zeros((size,) * len(core), dtype=array.dtype)
            samples.append(sample)
        result = function(*samples, **kwargs)
        if len(_core_dims(outputs)) == 1:
            return np.asarray(result).dtype
        return tuple(np.asarray(r).dtype for r in result)

    def _named(self, kind: str, parts: Any) -> Any:
        """The standard's named tuple (``EighResult`` ...) holding ``parts``."""
        return getattr(self.xp.linalg, kind)(*parts)

    def _arange(self, start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None) -> Any:
        if dtype is not None:
            # NumPy builds the first two values in the dtype and raises for bool beyond two values or
            # for values the dtype cannot hold (OverflowError); Dask would raise only when computed
            first, last = (0, start) if stop is None else (start, stop)
            length = max(math.ceil((last - first) / step), 0)
            head = self._np.arange(first, first + min(length, 2) * step, step, dtype=dtype)
            if dtype == self._np.bool_ and length > 2:
                self._np.arange(first, last, step, dtype=dtype)
            if length <= 2:
                return self._da.from_array(head)
        return self.xp.arange(start, stop, step, dtype=dtype, device=device)

    def _eye(
        self, n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None, device: Any = None
    ) -> Any:
        # dask.array.eye builds a broken graph when n_cols != n_rows (a chunk
        # key goes missing at compute time); this builds the same lazily.
        da = self._da
        n_cols = n_rows if n_cols is None else n_cols
        diagonal = da.arange(n_cols)[None, :] - da.arange(n_rows)[:, None] == k
        return diagonal.astype(self._np.float64 if dtype is None else dtype)

    def _tensordot(self, x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
        # dask.array.tensordot sums partial products with NumPy's sum, which
        # widens small integers to int64; the standard keeps the promoted dtype
        # (the low bits, and so the wrapped int8 result, are the same).
        out = self.xp.tensordot(x1, x2, axes=axes)
        dtype = self._np.result_type(x1.dtype, x2.dtype)
        return out if out.dtype == dtype else out.astype(dtype)

    def _matrix_norm(self, x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
        if ord in ("fro", 1, -1, self._np.inf, -self._np.inf):
            return self.xp.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
        # 2, -2 and "nuc" need singular values: Dask has them for 2-D arrays only
        norms = self._gufunc(lambda a: self._npx.linalg.matrix_norm(a, ord=ord), "(m,n)->()", x)
        return norms[..., None, None] if keepdims else norms

    def _roll(self, x: Any, /, shift: Any, *, axis: Any = None) -> Any:
        # rolling an empty array builds a graph with a missing key in Dask
        return x if 0 in x.shape else self.xp.roll(x, shift, axis=axis)

    def _searchsorted(self, x1: Any, x2: Any, /, *, side: str = "left", sorter: Any = None) -> Any:
        if not hasattr(x2, "ndim"):  # a Python scalar (2024.12): an array of x1's dtype
            x2 = self._da.asarray(self._np.asarray(x2, dtype=x1.dtype))
        if x2.ndim == 0:  # Dask fails on a 0-d x2: search a 1-element array instead
            return self._searchsorted(x1, x2[None], side=side, sorter=sorter)[0]
        if x1.shape[0] == 0 or 0 in x2.shape:
            # every value goes at position 0, or there is no value (Dask fails on both)
            return self._da.zeros(x2.shape, dtype=self._np.int64, chunks=x2.chunks)
        return self.xp.searchsorted(x1, x2, side=side, sorter=sorter)

    def _without_identity(self, name: str) -> Callable[..., Any]:
        """A reduction with no identity (max, argmin ...): empty input fails now, as in NumPy, not at compute."""
        reduce = getattr(self.xp, name)

        def function(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
            _check_nonempty(name, x, axis)
            return reduce(x, axis=axis, keepdims=keepdims)

        return function

    def _vector_norm(self, x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
        if ord in (self._np.inf, -self._np.inf):  # a max / min of |x|
            _check_nonempty("vector_norm", x, axis)
        return self.xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)

    def _take_along_axis(self, x: Any, indices: Any, /, *, axis: int = -1) -> Any:
        npx, da = self._npx, self._da
        size = x.shape[axis]
        indices = da.where(indices < 0, indices + size, indices)
        moved = self._gufunc(
            lambda a, i: npx.take_along_axis(a, i, axis=-1),
            "(n),(m)->(m)",
            da.moveaxis(x, axis, -1),
            da.moveaxis(indices, axis, -1),
        )
        return da.moveaxis(moved, -1, axis)

    def _cross(self, x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
        da = self._da
        moved = self._gufunc(
            lambda a, b: self._npx.linalg.cross(a, b, axis=-1),
            "(three),(three)->(three)",
            da.moveaxis(x1, axis, -1),
            da.moveaxis(x2, axis, -1),
        )
        return da.moveaxis(moved, -1, axis)

    def _solve(self, x1: Any, x2: Any, /) -> Any:
        # the standard treats a 1-D x2 as one vector, anything else as a stack of matrices
        signature = "(m,m),(m)->(m)" if x2.ndim == 1 else "(m,m),(m,k)->(m,k)"
        return self._gufunc(self._npx.linalg.solve, signature, x1, x2)

    def _svd(self, x: Any, /, *, full_matrices: bool = True) -> Any:
        m, n = x.shape[-2:]
        signature = "(m,n)->(m,m),(k),(n,n)" if full_matrices else "(m,n)->(m,k),(k),(k,n)"
        parts = self._gufunc(
            lambda a: tuple(self._npx.linalg.svd(a, full_matrices=full_matrices)), signature, x, sizes={"k": min(m, n)}
        )
        return self._named("SVDResult", parts)

    def _qr(self, x: Any, /, *, mode: str = "reduced") -> Any:
        m, n = x.shape[-2:]
        signature = {"reduced": "(m,n)->(m,k),(k,n)", "complete": "(m,n)->(m,m),(m,n)"}.get(mode)
        if signature is None:
            raise ValueError(f"qr() mode must be 'reduced' or 'complete', not {mode!r}")
        parts = self._gufunc(lambda a: tuple(self._npx.linalg.qr(a, mode=mode)), signature, x, sizes={"k": min(m, n)})
        return self._named("QRResult", parts)

    def _repeat(self, x: Any, repeats: Any, /, *, axis: int | None = None) -> Any:
        da, np = self._da, self._np
        if axis is None:
            x, axis = self._reshape(x, (-1,)), 0
        if x.shape[axis] == 0:
            return x  # Dask concatenates the repeated pieces, and there are none
        if isinstance(repeats, int):
            return da.repeat(x, repeats, axis=axis)
        # The output length depends on the values of ``repeats``: compute
        # those (one small array) and gather lazily from ``x``.
        counts = np.broadcast_to(np.asarray(self.materialize(repeats)), (x.shape[axis],))
        return da.take(x, np.repeat(np.arange(x.shape[axis]), counts), axis=axis)

    def _fft(self, name: str) -> Callable[..., Any]:
        """An FFT applied block by block after merging the transformed axes into one chunk.

        Dask's own wrappers (``dask.array.fft.fft_wrap``) take the first
        ``len(s)`` axes where the standard takes the last, and report a real
        dtype for ``ifftn`` of real input; the output length of each axis is
        known from the input shape, so no sample is computed.
        """
        np = self._np
        transform = getattr(self._npx.fft, name)
        last_axis_rule, kind = _FFT_KINDS[name]

        def function(x: Any, /, *args: Any, **kwargs: Any) -> Any:
            if name.endswith("n"):
                s, axes = kwargs.get("s"), kwargs.get("axes")
                if axes is None:
                    axes = range(0 if s is None else x.ndim - len(s), x.ndim)
                axes = [axis % x.ndim for axis in axes]
                sizes = list(s) if s is not None else [None] * len(axes)
                kwargs["axes"] = tuple(axes)
            else:
                axes = [kwargs.get("axis", -1) % x.ndim]
                sizes = [args[0] if args else kwargs.get("n")]
            lengths = [x.shape[axis] if size is None else size for axis, size in zip(axes, sizes)]
            if last_axis_rule == "half":
                lengths[-1] = lengths[-1] // 2 + 1
            elif last_axis_rule == "double" and sizes[-1] is None:
                lengths[-1] = 2 * (x.shape[axes[-1]] - 1)
            if kind == "complex":
                dtype = np.result_type(x.dtype, np.complex64)
            else:
                dtype = np.finfo(np.result_type(x.dtype, np.float32)).dtype
            x = x.rechunk({axis: -1 for axis in axes})
            chunks = tuple((lengths[axes.index(i)],) if i in axes else c for i, c in enumerate(x.chunks))
            return x.map_blocks(transform, *args, chunks=chunks, dtype=dtype, **kwargs)

        return function


#: FFT name -> (length of the last transformed axis, kind of output)
_FFT_KINDS = {
    "fft": ("same", "complex"),
    "ifft": ("same", "complex"),
    "fftn": ("same", "complex"),
    "ifftn": ("same", "complex"),
    "rfft": ("half", "complex"),
    "rfftn": ("half", "complex"),
    "ihfft": ("half", "complex"),
    "irfft": ("double", "real"),
    "irfftn": ("double", "real"),
    "hfft": ("double", "real"),
}


def _known_chunks(raw: Any) -> Any:
    """``raw``'s chunks where they are all known, else "auto" (a result of unknown size)."""
    return "auto" if any(isinstance(c, float) for axis in raw.chunks for c in axis) else raw.chunks


def _check_nonempty(name: str, x: Any, axis: Any) -> None:
    axes = range(x.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(
            f"{name}() of an empty array or axis has no result (the reduction has no identity); "
            f"got shape {tuple(x.shape)}"
        )


def _new_handle(da: Any, raw: Any) -> Any:
    """A new Dask array object over the same graph (so writes to it leave ``raw`` alone)."""
    return da.Array(raw.dask, raw.name, raw.chunks, meta=raw._meta)


def _array_parts(key: Any, array_type: type) -> list[Any]:
    parts = key if isinstance(key, tuple) else (key,)
    return [part for part in parts if isinstance(part, array_type)]


def _is_integer_array_key(key: Any, array_type: type) -> bool:
    """Whether ``key`` is the standard's integer array index: only ints and integer arrays."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        isinstance(part, int) or (isinstance(part, array_type) and part.dtype.kind in "iu") for part in parts
    ) and any(isinstance(part, array_type) for part in parts)


def _needs_flat_index(key: Any, arrays: list[Any], array_type: type) -> bool:
    """Integer array indices Dask cannot take directly: several arrays, or one that is not 1-D."""
    return _is_integer_array_key(key, array_type) and (len(arrays) > 1 or arrays[0].ndim != 1)


def _has_none(key: Any) -> bool:
    return key is None or (isinstance(key, tuple) and any(part is None for part in key))


def _new_axes(key: Any, ndim: int) -> tuple[int, ...]:
    """Positions, in ``x[key]``, of the axes that the ``None`` entries of a basic index add."""
    parts = key if isinstance(key, tuple) else (key,)
    consumed = sum(1 for part in parts if part is not None and part is not Ellipsis)
    position, axes = 0, []
    for part in parts:
        if part is None:
            axes.append(position)
            position += 1
        elif part is Ellipsis:
            position += ndim - consumed
        elif isinstance(part, slice):
            position += 1
    return tuple(axes)


def _core_dims(side: str) -> list[tuple[str, ...]]:
    """``"(m,m),(m)"`` -> ``[("m", "m"), ("m",)]``."""
    groups = side.strip()[1:-1].split("),(") if side.strip() else []
    return [tuple(dim for dim in group.split(",") if dim) for group in groups]


def _complex(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its results cast to the complex dtype of its input (float32 -> complex64)."""
    import numpy

    def complex_function(a: Any) -> Any:
        result = function(a)
        dtype = numpy.result_type(a.dtype, numpy.complex64)
        if isinstance(result, tuple):
            return tuple(part.astype(dtype, copy=False) for part in result)
        return result.astype(dtype, copy=False)

    return complex_function


def _min_mn(x: Any) -> dict[str, int]:
    return {"k": min(x.shape[-2:])}
