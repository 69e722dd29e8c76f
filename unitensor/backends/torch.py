"""The PyTorch backend, through ``array_api_compat.torch``.

torch is imported in :class:`TorchBackend`'s ``__init__``, never when this
module is imported. The backend departs from ``array_api_compat.torch`` only
where torch (with the compat layer) still departs from the 2025.12 standard:

* **Promotion.** torch promotes 0-d tensors like scalars (``float32 (3,) +
  float64 0-d`` stays float32) and has no promotion for most unsigned/signed
  pairs. ``standard_promotion = False`` sends Tensors of different dtypes
  through the facade, which casts them per the standard's table first.
* **Python scalars.** Where the standard defines the result (``float32 + 1.0``
  is float32, ``int8 + 1`` is int8, ``float32 + 1j`` is complex64) torch
  already gives it. Where it does not (an integer Tensor with a Python float,
  a bool Tensor with an int), the result is the backend's default dtype of the
  scalar's kind, ``ut.__array_namespace_info__(backend).default_dtypes()``:
  float32 and complex64 for torch (its default dtype), float64 and complex128
  for NumPy. That is each framework's own rule, so a Tensor never gets a
  different answer than the native array would.
* **uint16, uint32, uint64.** torch stores them, but has no kernel for most
  operations on them (pytorch/pytorch#58734). Where torch raises, the
  operation is computed exactly through another dtype (:class:`_Unsigned`):
  uint16 and uint32 through int64, whose values hold theirs, the results cast
  back (modulo 2**n, as unsigned arithmetic wraps); uint64 through int64 with
  the same bits for arithmetic modulo 2**64, bitwise operations and data
  movement, and through int64 with the sign bit flipped (an order-preserving
  map) for comparisons, extrema, sorting and searching. What neither covers
  for uint64 (``//``, ``%``, ``>>``, ``**``) runs in NumPy on the host, and
  raises a ``TypeError`` naming the operation on a GPU. Calls torch can do
  itself pay nothing: the fallback starts only when torch raises.
* **Unsigned sums and products** (``sum``, ``prod``, ``cumulative_*``) give
  uint64 as the standard asks; torch would give int64.
* **Negative slice steps** (``x[::-1]``), which torch rejects
  (pytorch/pytorch#59786): done with ``torch.flip`` (a copy, as torch has no
  negative strides).
* **Index arrays** of a dtype torch reads as a mask (uint8) or refuses
  (int8, int16, uint16 ...) are cast to int64.
* ``unique_all``, which ``array_api_compat`` leaves unimplemented, and the
  ``linalg`` functions returning torch's structseqs instead of named tuples.
* **Errors.** Shapes that do not broadcast raise ``ValueError`` (torch:
  ``RuntimeError``). Integer ``//`` and ``%`` by zero, implementation-defined
  in the standard, give 0 as in NumPy (torch raises on the CPU and returns
  garbage on CUDA).
* **DLPack import.** ``torch.from_dlpack`` aborts the whole process on a
  negative-stride source and ignores the read-only flag; host data is
  therefore imported through NumPy, zero-copy when torch can share it and
  copied when it is read-only (a read-only NumPy array, a JAX array: torch
  tensors are always writable), has negative strides or a non-native byte
  order. GPU data goes through ``torch.from_dlpack``, zero-copy.
* **Export.** Tensors with torch's lazy conjugate or negative bit set are
  resolved first: DLPack refuses the first and silently drops the second.

Devices: ``cpu``, ``cuda:N`` for every visible GPU, and ``meta`` (torch's
data-less device, which lets device-mismatch logic be tested on a CPU; torch's
meta kernels accept a few mixes with CPU tensors, ``matmul`` among them, that
real devices refuse). A Tensor on ``meta`` holds no values: it cannot be
exported or converted to another backend.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from .._devices import Device
from .._dtypes import ALL_DTYPES, HALF_DTYPES, DType
from ._base import Backend, BackendError
from ._keys import check_key
from .numpy import from_dlpack_or_copy  # imports no framework at module level

__all__ = ["TorchBackend"]


class TorchBackend(Backend):
    """PyTorch through ``array_api_compat.torch``."""

    name = "torch"
    requires = ("torch",)
    install_hint = "pip install torch  (or: pip install 'unitensor[torch]')"
    type_modules = ("torch",)
    standard_promotion = False
    # Operators stay on the fast path: torch raises for Tensors on two devices
    # and the facade then reports both devices. The one mix torch allows, a 0-d
    # CPU tensor with a CUDA tensor (treated as a scalar, the result on the
    # GPU), is left to torch: checking devices on every operation would cost
    # more than the operation itself.
    fast_binary = True
    #: torch.device compares type and index, as Device does
    native_device_equality = True

    # Room for native gradients: the autodiff work adds ``native_vjp`` here.

    def __init__(self) -> None:
        super().__init__()
        import array_api_compat.torch as xp
        import numpy as np
        import torch

        self._torch = torch
        self._np = np
        self.xp = xp
        self.array_types = (torch.Tensor,)
        self._tensor_type = torch.Tensor
        self.version = torch.__version__
        self._map_dtypes({dtype: getattr(torch, dtype.name) for dtype in ALL_DTYPES + HALF_DTYPES})
        self._index_dtypes = frozenset({torch.int64, torch.int32, torch.bool})
        self._unsigned = frozenset({torch.uint8, torch.uint16, torch.uint32, torch.uint64})
        self._checked: dict[str, Callable[..., Any]] = {}  # see function()
        self._complete: dict[str, Callable[..., Any]] | None = None
        self._devices_by_native: dict[Any, Device] = {}
        self._unsigned_kernels = _Unsigned(torch, np)

    # -- dtypes ----------------------------------------------------------------

    def _missing_dtype_hint(self, dtype: DType) -> str:
        return "; torch has no array API equivalent of it"

    # -- functions that still depart from the standard ----------------------------

    def overrides(self) -> dict[str, Callable[..., Any]]:
        from .._namespace import BINARY  # the standard's two-array elementwise functions

        torch, xp = self._torch, self.xp
        table: dict[str, Callable[..., Any]] = {
            name: self._accumulating(_lookup(xp, name))
            for name in ("sum", "prod", "cumulative_sum", "cumulative_prod", "linalg.trace")
        }
        table.update({name: self._checked_binary(getattr(xp, name)) for name in BINARY})
        table.update(
            unique_all=self._unique_all,
            unique_counts=self._unique_counts,
            unique_inverse=self._unique_inverse,
            unique_values=self._unique_values,
        )
        # torch.linalg returns torch.return_types structseqs, not the standard's named tuples
        for name, result in (
            ("eig", EigResult),
            ("eigh", EighResult),
            ("qr", QRResult),
            ("slogdet", SlogdetResult),
            ("svd", SVDResult),
        ):
            table[f"linalg.{name}"] = _named(result, getattr(xp.linalg, name))
        # reducing over no axis (axis=()): torch reduces over all of them, or fails
        table["var"] = _no_axes(_fractional_correction(xp.var, None), "axis", self._variance_of_one)
        table["std"] = _no_axes(
            _fractional_correction(xp.std, xp.var), "axis", lambda x, **kw: torch.sqrt(self._variance_of_one(x, **kw))
        )
        table["count_nonzero"] = _no_axes(xp.count_nonzero, "axis", lambda x, keepdims=False: (x != 0).to(torch.int64))
        table["linalg.vector_norm"] = _no_axes(_empty_max_norm(xp.linalg.vector_norm), "axis", _norm_of_one)
        for name in ("fft.fftshift", "fft.ifftshift"):
            table[name] = _no_axes(_lookup(xp, name), "axes", lambda x, **kw: x.clone())
        # kernels torch lacks for bool and complex, which the other backends accept
        table["isin"] = self._bool_as_uint8(self._isin)
        table["searchsorted"] = self._bool_as_uint8(self._searchsorted)
        table["linspace"] = self._linspace
        table["linalg.matrix_rank"] = self._floating_input(xp.linalg.matrix_rank)
        return table

    def function(self, name: str) -> Callable[..., Any]:
        """The implementation of ``name``, raising the standard's error types (see :meth:`_standard_errors`).

        Two tables, both filled here. This returns the slow path's
        implementation: complete, behind the error translation. The fast paths
        read ``self._functions``: the same where :meth:`_direct` has nothing
        faster, else torch's own function for the common call. A fast path
        that raises retries on the slow path, so errors come out translated
        without a Python wrapper around every successful call.
        """
        checked = self._checked.get(name)
        if checked is not None:
            return checked
        if self._complete is None:
            self._complete = self.overrides()
        complete = self._complete.get(name)
        if complete is None:
            complete = self._namespace_function(name)
        complete = self._unsigned_kernels.wrap(name, complete)
        checked = self._standard_errors(complete, name)
        fast, checked = self._direct(name, complete, checked)
        self._functions[name] = fast
        self._checked[name] = checked
        return checked

    def _namespace_function(self, name: str) -> Callable[..., Any]:
        try:
            return _lookup(self.xp, name)
        except AttributeError:
            raise BackendError(
                f"the {self.name} backend has no {name}(); convert the Tensor with .to(backend=...) to a "
                f"backend that has it (e.g. 'numpy'), or add an override to the backend"
            ) from None

    def _direct(
        self, name: str, complete: Callable[..., Any], checked: Callable[..., Any]
    ) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """The fast paths' and the slow path's implementations of ``name``: torch itself for the common call.

        Each ``array_api_compat`` wrapper costs 0.3-6 us (``matmul`` computes
        a result type in Python), more than the operation on a small tensor.

        * ``where``, ``matmul`` and the elementwise two-array functions: all
          that ``array_api_compat`` fixes in them is promotion (its
          ``_fix_promotion``), which arrays of one dtype do not need. The fast
          paths call them only with plain tensors of one dtype
          (``standard_promotion`` is False), so they bind torch's function
          itself; the slow path checks that first (:func:`_one_dtype`).
        * ``reshape``: ``torch.reshape`` itself on the fast paths, which
          retry calls with ``copy=`` (a keyword torch refuses) on the slow
          path; there, :func:`_direct_reshape`.
        * Reductions, ``vector_norm``, ``astype``: one function for both
          paths, calling torch directly for the common arguments
          (in the form torch parses fastest) and
          ``checked`` for the rest (``axis=()`` or a tuple, ``keepdims``
          without an axis, ``dtype=``, unsigned accumulation, ``copy=``, the
          max norm, a device) or when torch raises.

        Every other function: ``complete`` on the fast paths, ``checked`` on the slow one.
        """
        from .._namespace import BINARY

        torch, tensor = self._torch, self._tensor_type
        if name == "where":
            return torch.where, _one_dtype_where(torch.where, checked, tensor)
        if name in BINARY or name in ("matmul", "linalg.matmul"):
            wrapper = _lookup(self.xp, name)  # complete is _checked_binary around it
            native = torch.matmul if name.endswith("matmul") else getattr(wrapper, "__wrapped__", wrapper)
            clamp = {"maximum": torch.clamp_min, "minimum": torch.clamp_max}.get(name)
            return native, _one_dtype(native, checked, tensor, clamp)
        if name == "reshape":
            return torch.reshape, _direct_reshape(torch.reshape, checked)
        make_direct = {
            "sum": lambda: _direct_reduction(torch.sum, checked, self._unsigned, torch.int64),
            "prod": lambda: _direct_reduction(torch.prod, checked, self._unsigned, torch.int64),
            "mean": lambda: _direct_axis_reduction(torch.mean, checked),
            "max": lambda: _direct_axis_reduction(torch.amax, checked),
            "min": lambda: _direct_axis_reduction(torch.amin, checked),
            "linalg.vector_norm": lambda: _direct_vector_norm(torch.linalg.vector_norm, checked),
            "astype": lambda: _direct_astype(torch.Tensor.to, checked),
            "clip": lambda: _direct_clip(torch.clamp, checked, tensor),
        }.get(name)
        if make_direct is None:
            return complete, checked
        direct = make_direct()
        return direct, direct

    def _standard_errors(self, function: Callable[..., Any], name: str) -> Callable[..., Any]:
        """``function`` raising the exceptions NumPy and the standard's other libraries raise.

        torch raises ``RuntimeError`` for invalid input (shapes that do not
        fit, a singular matrix) where NumPy raises ``ValueError``, and
        ``NotImplementedError`` for a dtype it has no kernel for, where NumPy
        raises ``TypeError``. Other errors (out of memory, CUDA faults) pass
        through unchanged. Only the slow path calls it (see :meth:`function`).
        """
        torch = self._torch
        invalid_input = (torch.linalg.LinAlgError,)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except NotImplementedError as error:
                raise TypeError(f"{name}(): {error}{_dtype_hint(str(error))}") from error
            except RuntimeError as error:
                if type(error) is not RuntimeError and not isinstance(error, invalid_input):
                    raise
                raise ValueError(f"{name}(): {error}") from error

        call.__name__ = getattr(function, "__name__", name)
        return call

    def _accumulating(self, reduce: Callable[..., Any]) -> Callable[..., Any]:
        """``reduce`` with the standard's uint64 result for unsigned input.

        torch cannot accumulate in uint64 (pytorch/pytorch#58734), so the sum
        or product runs in int64 and is cast back: both wrap modulo 2**64, so
        the bits are exactly the uint64 result.
        """
        torch = self._torch
        unsigned = self._unsigned

        def accumulate(x: Any, /, *args: Any, dtype: Any = None, **kwargs: Any) -> Any:
            target = dtype if dtype is not None else (torch.uint64 if x.dtype in unsigned else None)
            if target is not torch.uint64:
                return reduce(x, *args, dtype=dtype, **kwargs)
            return reduce(x.to(torch.int64), *args, dtype=torch.int64, **kwargs).to(torch.uint64)

        accumulate.__name__ = reduce.__name__
        return accumulate

    def _checked_binary(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with the errors NumPy users expect where torch raises a RuntimeError.

        Shapes that do not broadcast raise ``ValueError`` (as in NumPy and the
        other backends). An integer ``//`` or ``%`` by zero, which torch
        refuses on the CPU and leaves undefined on CUDA (the standard leaves
        it implementation-defined), gives 0 as in NumPy, so code that masks
        such entries afterwards runs the same on every backend. Costs nothing
        unless torch raises.
        """
        torch = self._torch
        integer_division = function.__name__ in ("floor_divide", "remainder")

        def checked(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
            try:
                return function(x1, x2, **kwargs)
            except RuntimeError as error:
                shapes = [tuple(getattr(x, "shape", ())) for x in (x1, x2)]
                try:
                    torch.broadcast_shapes(*shapes)
                except RuntimeError:
                    raise ValueError(
                        f"{function.__name__}(): shapes {shapes[0]} and {shapes[1]} do not broadcast together"
                    ) from error
                if not (integer_division and "ZeroDivisionError" in str(error)):
                    raise
            if not isinstance(x2, torch.Tensor):  # a Python 0
                return torch.zeros_like(function(x1, 1, **kwargs))
            zero = x2 == 0
            return torch.where(zero, 0, function(x1, torch.where(zero, 1, x2), **kwargs))

        checked.__name__ = function.__name__
        return checked

    def _unique(self, x: Any) -> tuple[Any, Any, Any]:
        """Sorted unique values, the flat inverse indices and the counts, complex included.

        torch.unique has no complex kernel: complex values are unique rows of
        their (real, imag) pairs, which sort like NumPy sorts complex numbers.
        """
        torch = self._torch
        flat = x.reshape(-1)
        if not flat.is_complex():
            return torch.unique(flat, sorted=True, return_inverse=True, return_counts=True)
        pairs, inverse, counts = torch.unique(
            torch.view_as_real(flat.resolve_conj()), dim=0, sorted=True, return_inverse=True, return_counts=True
        )
        return torch.view_as_complex(pairs.contiguous()), inverse, counts

    def _unique_all(self, x: Any, /) -> UniqueAllResult:
        # torch.unique has no first-occurrence indices (pytorch/pytorch#36748): a scatter-min finds them
        torch = self._torch
        values, inverse, counts = self._unique(x)
        positions = torch.arange(inverse.numel(), device=x.device)
        first = torch.full(values.shape[:1], inverse.numel(), dtype=torch.int64, device=x.device)
        first = first.scatter_reduce(0, inverse, positions, reduce="amin")
        return UniqueAllResult(values, first, inverse.reshape(x.shape), counts)

    def _unique_counts(self, x: Any, /) -> UniqueCountsResult:
        values, _, counts = self._unique(x)
        return UniqueCountsResult(values, counts)

    def _unique_inverse(self, x: Any, /) -> UniqueInverseResult:
        values, inverse, _ = self._unique(x)
        return UniqueInverseResult(values, inverse.reshape(x.shape))

    def _unique_values(self, x: Any, /) -> Any:
        return self._unique(x)[0]

    def _isin(self, x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        torch = self._torch
        if not any(isinstance(x, torch.Tensor) and x.is_complex() for x in (x1, x2)):
            return self.xp.isin(x1, x2, **kwargs)
        # no complex kernel: compare every pair (a fallback for a rare case)
        x1, x2 = torch.as_tensor(x1), torch.as_tensor(x2)
        found = (x1.reshape(-1, 1) == x2.reshape(1, -1)).any(dim=1).reshape(x1.shape)
        return ~found if kwargs.get("invert") else found

    def _searchsorted(self, x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        torch = self._torch
        if not (isinstance(x1, torch.Tensor) and x1.is_complex()):
            return self.xp.searchsorted(x1, x2, **kwargs)
        # no complex kernel: search the ranks of the values in NumPy's (real, imag) order instead
        x2 = torch.as_tensor(x2, dtype=x1.dtype, device=x1.device)
        _, inverse, _ = self._unique(torch.cat([x1.reshape(-1), x2.reshape(-1)]))
        ranks1, ranks2 = inverse[: x1.numel()], inverse[x1.numel() :].reshape(x2.shape)
        return self.xp.searchsorted(ranks1, ranks2, **kwargs)

    def _variance_of_one(self, x: Any, /, *, correction: float = 0.0, keepdims: bool = False) -> Any:
        """The variance of each element alone: 0, or NaN where ``1 - correction <= 0`` (NumPy's rule)."""
        return self._torch.abs(x - x) ** 2 / max(1 - correction, 0)

    def _bool_as_uint8(self, function: Callable[..., Any]) -> Callable[..., Any]:
        torch = self._torch

        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(
                a.to(torch.uint8) if isinstance(a, torch.Tensor) and a.dtype == torch.bool else a for a in args
            )
            return function(*args, **kwargs)

        call.__name__ = function.__name__
        return call

    def _linspace(self, *args: Any, dtype: Any = None, **kwargs: Any) -> Any:
        torch = self._torch
        if dtype == torch.bool:  # no bool kernel: space float64 values, then cast as NumPy does
            return self.xp.linspace(*args, dtype=torch.float64, **kwargs).to(torch.bool)
        return self.xp.linspace(*args, dtype=dtype, **kwargs)

    def _floating_input(self, function: Callable[..., Any]) -> Callable[..., Any]:
        torch = self._torch

        def call(x: Any, /, *args: Any, **kwargs: Any) -> Any:
            if not (x.is_floating_point() or x.is_complex()):
                x = x.to(torch.get_default_dtype())
            return function(x, *args, **kwargs)

        call.__name__ = function.__name__
        return call

    # -- devices ---------------------------------------------------------------

    def device_of(self, raw: Any) -> Device:
        # asked on every mask index (torch has several devices here, ``meta`` at least):
        # a dict keyed by torch.device answers without building a Device
        native = raw.device
        try:
            return self._devices_by_native[native]
        except KeyError:
            device = self._devices_by_native[native] = _as_device(native)
            return device

    @functools.cache  # noqa: B019 - one backend object per process, never freed
    def _real_devices(self) -> tuple[Device, ...]:
        count = self._torch.cuda.device_count()
        return (Device("cpu"), *(Device("cuda", i) for i in range(count)))

    def devices(self) -> list[Device]:
        return [*self._real_devices(), _META]

    def native_device(self, device: Device) -> Any:
        device = self.check_device(device)
        if device.type == "cuda":
            return self._torch.device("cuda", device.index or 0)
        return self._torch.device(device.type)

    def to_device(self, raw: Any, device: Device) -> Any:
        return raw.to(self.native_device(device))

    # -- indexing ----------------------------------------------------------------

    def getitem(self, raw: Any, key: Any) -> Any:
        if type(key) is self._tensor_type and key.dtype in self._index_dtypes:
            return raw[key]  # a mask or an int32/int64 index array: nothing to fix
        key = self._index_key(key)
        flips, key = _flip_negative_steps(tuple(raw.shape), key)
        if flips:
            raw = self._unsigned_kernels.flip(raw, flips)
        return raw[key]

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        key = self._index_key(key)
        if type(key) is tuple or type(key) is self._tensor_type:
            # torch writes the in-bounds indices before it finds one out of bounds: check them first
            check_key(tuple(raw.shape), key, self.owns, lambda part: self.dtype_of(part).kind, self._index_bounds)
        flips, key = _flip_negative_steps(tuple(raw.shape), key)
        if not flips:
            try:
                raw[key] = value
            except RuntimeError as error:  # a value that does not fit the selection (NumPy: ValueError)
                if type(error) is not RuntimeError:
                    raise
                raise ValueError(f"__setitem__(): {error}") from error
            return raw
        flipped = self._unsigned_kernels.flip(raw, flips)
        flipped[key] = value
        raw.copy_(self._unsigned_kernels.flip(flipped, flips))
        return raw

    @staticmethod
    def _index_bounds(index: Any) -> tuple[int, int]:
        return int(index.min()), int(index.max())

    def _index_key(self, key: Any) -> Any:
        """Cast index arrays torch would misread (uint8 as a mask) or refuse to int64."""
        if isinstance(key, tuple):
            return tuple(self._index_key(k) for k in key)
        if isinstance(key, self._torch.Tensor) and key.dtype not in self._index_dtypes:
            if key.dtype.is_floating_point or key.dtype.is_complex:  # torch would truncate it to int64
                raise IndexError(
                    f"index arrays must have an integer or boolean dtype, not "
                    f"{self.dtype_of(key)}; cast the index with ut.astype(index, ut.int64)"
                )
            return key.to(self._torch.int64)
        return key

    # -- interchange ---------------------------------------------------------------

    def asarray(
        self, obj: Any, dtype: DType | None = None, device: Device | None = None, copy: bool | None = None
    ) -> Any:
        kwargs = self.native_placement(dtype, device)
        if copy is False and isinstance(obj, (list, tuple, int, float, complex, bool)):
            raise ValueError(
                "asarray(copy=False) cannot wrap Python data without copying it; pass copy=None or copy=True"
            )
        if isinstance(obj, (list, tuple)) and _holds_arrays(obj):
            obj = _as_lists(obj)  # torch.asarray cannot infer a dtype from a list of 0-d Tensors
        if isinstance(obj, self._np.ndarray) and not _torch_can_share(obj):
            if copy is False:
                raise ValueError(
                    "torch cannot share this NumPy array's memory (read-only, negative "
                    "strides or non-native byte order); pass copy=None to allow a copy"
                )
            obj, copy = self._np.array(obj, dtype=obj.dtype.newbyteorder("="), copy=True), None
        if isinstance(obj, self._np.ndarray) and obj.dtype.name == "bfloat16":
            raw = self._from_numpy(obj if copy is not True else obj.copy())
            return raw if not kwargs else raw.to(**kwargs)
        return self._torch.asarray(obj, copy=copy, **kwargs)

    def _from_numpy(self, array: Any) -> Any:
        """``torch.from_numpy``, sharing memory; ml_dtypes' bfloat16 (which torch does not know) by its bits."""
        if array.dtype.name == "bfloat16":
            return self._torch.from_numpy(array.view(self._np.int16)).view(self._torch.bfloat16)
        return self._torch.from_numpy(array)

    def from_dlpack(self, obj: Any, device: Device | None = None, copy: bool | None = None) -> Any:
        if isinstance(obj, self._torch.Tensor):
            raw = obj.clone() if copy else obj
        elif _dlpack_device_type(obj) == _DLPACK_CPU:
            try:
                raw = self._from_numpy(self._host_array(obj, copy))
            except BufferError:
                if copy is not False or not _immutable_backend_array(obj):
                    raise
                # an array of a backend that never writes (JAX): copy=False shares it all the same,
                # as documented in Tensor.to; the caller takes the responsibility of not writing it
                raw = self._torch.from_dlpack(self._device_source(obj, copy))
        else:
            raw = self._torch.from_dlpack(self._device_source(obj, copy))
            if copy:
                raw = raw.clone()
        if device is not None and self.device_of(raw) != device:
            raw = self.to_device(raw, device)
        return raw

    def from_host_numpy(self, array: Any) -> Any:
        # a writable, native-order, C-contiguous array: torch shares it (a negative stride on an
        # axis of length 1 makes from_numpy raise, and the caller take the checked path);
        # anything else takes the checked path
        flags = array.flags
        if flags.writeable and flags.c_contiguous and array.dtype.isnative:
            return self._torch.from_numpy(array)
        return None

    def _host_array(self, obj: Any, copy: bool | None) -> Any:
        """A NumPy array torch can share: writable, non-negative strides, native byte order."""
        array = from_dlpack_or_copy(obj, copy=copy)
        if _torch_can_share(array):
            return array
        if copy is False:
            raise BufferError(
                "torch cannot share this array's memory (it is read-only, has negative strides "
                "or a non-native byte order); pass copy=None to allow a copy"
            )
        return self._np.array(array, dtype=array.dtype.newbyteorder("="), copy=True)

    @staticmethod
    def _device_source(obj: Any, copy: bool | None) -> Any:
        # torch.from_dlpack aborts the process on negative strides (a C++
        # exception it does not catch), so such a source is copied first
        strides = getattr(obj, "strides", None)
        if strides is not None and any(s < 0 for s in strides):
            if copy is False:
                raise BufferError("torch cannot share memory with negative strides; pass copy=None")
            return obj.copy()
        return obj

    def dlpack_source(self, raw: Any) -> Any:
        if raw.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return _resolved(raw)

    def host_numpy(self, raw: Any) -> Any:
        # torch's own export refuses what Tensor.numpy() must refuse (GPU data, a tensor
        # that requires grad, lazy conjugate/negative bits): those take the checked path
        try:
            return raw.numpy()
        except (RuntimeError, TypeError):
            return None

    def to_numpy(self, raw: Any) -> Any:
        # .cpu() is the tensor itself on the host (zero-copy); item() and repr() of a
        # GPU Tensor get here too, and copy (Tensor.numpy() refuses GPU data before)
        host = _resolved(raw).cpu()
        if host.dtype == self._torch.bfloat16:
            # torch's numpy() and DLPack refuse bfloat16; its bits, viewed as ml_dtypes' bfloat16, share memory
            return host.view(self._torch.int16).numpy().view(self._bfloat16_numpy())
        return host.numpy()

    def _bfloat16_numpy(self) -> Any:
        from .._dtypes import bfloat16
        from .numpy import half_dtypes

        native = half_dtypes().get(bfloat16)
        if native is None:
            raise TypeError(
                "exporting bfloat16 to NumPy needs ml_dtypes (pip install ml_dtypes); "
                "or cast first with ut.astype(t, ut.float32)"
            )
        return native

    # -- unitensor.extras ------------------------------------------------------------

    def extras(self) -> dict[str, Callable[..., Any]]:
        torch = self._torch

        def logsumexp(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
            return torch.logsumexp(x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims)

        def top_k(x: Any, k: int, /, *, axis: int = -1) -> tuple[Any, Any]:
            values, indices = torch.topk(x, k, dim=axis)
            return values, indices

        return {
            "einsum": torch.einsum,
            "logsumexp": logsumexp,
            "top_k": top_k,
            "softmax": lambda x, /, *, axis=-1: torch.softmax(x, dim=axis),
            "log_softmax": lambda x, /, *, axis=-1: torch.log_softmax(x, dim=axis),
        }

    # -- random numbers --------------------------------------------------------------

    def random(self, method: str, key: Any, shape: tuple[int, ...], dtype: Any, device: Any, **params: Any) -> Any:
        """One draw with a torch.Generator seeded from the key (its CPU and CUDA streams differ)."""
        from .numpy import key_seed

        torch = self._torch
        device = device if device is not None else torch.device("cpu")
        generator = torch.Generator(device=device)
        generator.manual_seed(key_seed(key) & 0x7FFF_FFFF_FFFF_FFFF)
        where = {"generator": generator, "device": device}
        if method == "uniform":
            out = torch.rand(shape, dtype=dtype, **where)
            return out * (params["high"] - params["low"]) + params["low"]
        if method == "normal":
            return torch.randn(shape, dtype=dtype, **where)
        if method == "truncated_normal":
            out = torch.empty(shape, dtype=dtype, device=device)
            return torch.nn.init.trunc_normal_(out, a=params["lower"], b=params["upper"], generator=generator)
        if method == "integers":
            return torch.randint(params["low"], params["high"], shape, dtype=dtype, **where)
        if method == "permutation":
            return torch.randperm(params["n"], dtype=dtype, **where)
        raise ValueError(f"unknown random method {method!r}")

    def random_split(self, key: Any, num: int) -> Any:
        # torch computes little in uint32 (pytorch/pytorch#58734): the words are hashed on the host
        from . import _random

        words = _random.split(self._np, key.cpu().numpy(), num)
        return self._torch.from_numpy(words).to(key.device)

    # -- gradients -----------------------------------------------------------------

    def requires_grad(self, raw: Any) -> bool:
        return raw.requires_grad

    def detach(self, raw: Any) -> Any:
        return raw.detach()

    def native_vjp(self, fun: Callable[..., Any], primals: tuple[Any, ...]) -> tuple[Any, Any, Callable[..., Any]]:
        """Reverse mode through ``torch.autograd``: the engine of ``ut.grad`` on torch Tensors.

        ``fun(*raws)`` returns ``(outputs, aux)``, two tuples of raw tensors;
        the result is ``(outputs, aux, vjp_fn)`` with
        ``vjp_fn(cotangents, create_graph, retain_graph)`` giving one gradient
        per primal (a None cotangent stands for ones, for a scalar output). A
        primal that already takes part in a graph (an outer gradient) enters
        through a fresh view, so inner and outer gradients stay distinct;
        ``create_graph`` keeps the inner gradient differentiable.
        """
        torch = self._torch
        if self._in_functorch():
            return self._functorch_vjp(fun, primals)
        inputs = tuple(p.view_as(p) if p.requires_grad else p.detach().requires_grad_() for p in primals)
        with torch.enable_grad():
            outputs, aux = fun(*inputs)

        def vjp_fn(
            cotangents: tuple[Any, ...], create_graph: bool = True, retain_graph: bool = True
        ) -> tuple[Any, ...]:
            live = [(out, ct) for out, ct in zip(outputs, cotangents) if out.requires_grad]
            grads: Any = (None,) * len(inputs)
            if live:
                with torch.enable_grad():
                    grads = torch.autograd.grad(
                        [out for out, _ in live],
                        inputs,
                        [ct for _, ct in live],
                        create_graph=create_graph,
                        retain_graph=retain_graph,
                        allow_unused=True,
                    )
            return tuple(torch.zeros_like(p) if g is None else g for p, g in zip(primals, grads))

        return outputs, aux, vjp_fn

    def _in_functorch(self) -> bool:
        """Whether a ``torch.func`` transform (vmap, jvp, grad) is running: autograd.grad cannot run there."""
        return self._torch._C._functorch.peek_interpreter_stack() is not None

    def _functorch_vjp(self, fun: Callable[..., Any], primals: tuple[Any, ...]) -> tuple[Any, Any, Callable[..., Any]]:
        """``native_vjp`` inside a ``torch.func`` transform (``ut.vmap(ut.grad(f))``): ``torch.func.vjp``."""
        outputs, vjp, aux = self._torch.func.vjp(fun, *primals, has_aux=True)

        def vjp_fn(cotangents: tuple[Any, ...], **autograd_only_options: Any) -> tuple[Any, ...]:
            ones = self._torch.ones_like
            return tuple(vjp(tuple(ones(out) if ct is None else ct for out, ct in zip(outputs, cotangents))))

        return outputs, aux, vjp_fn

    def native_jvp(
        self, fun: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...]
    ) -> tuple[Any, Any]:
        """Forward mode through ``torch.func.jvp``: ``fun(*raws)`` returns a tuple of tensors."""
        return self._torch.func.jvp(fun, primals, tangents)

    # -- transformations -----------------------------------------------------------

    def jit(
        self, fun: Callable[..., Any], static_argnums: tuple[int, ...], donate_argnums: tuple[int, ...]
    ) -> Callable[..., Any] | None:
        """``torch.compile`` of ``fun`` traced to one graph of aten operations, once per signature.

        ``fun`` is first traced with fake tensors (``make_fx``): the trace runs
        unitensor's Python and C code once and keeps only the torch operations,
        so torch.compile sees one whole graph (compiled directly, dynamo breaks
        its graph at every Tensor the C core creates). As with ``jax.jit``, a
        new combination of static arguments, shapes, dtypes, devices and
        ``requires_grad`` traces again. Inside a gradient computation
        (``ut.grad(ut.jit(f))``) the traced graph runs uncompiled, so that
        gradients of any order flow through it. A function that cannot be traced
        (one that reads Tensor values into Python) runs eagerly, with a
        one-time warning. ``donate_argnums`` has no torch meaning.

        ``UNITENSOR_TORCH_COMPILE=0`` runs eagerly instead. A machine where
        torch.compile cannot build (no C++ compiler) runs eagerly, with a
        one-time warning saying why. Inside a ``torch.func`` transform or
        another compiled function the call is eager: torch compiles the outer one.
        """
        import os

        if os.environ.get("UNITENSOR_TORCH_COMPILE", "1") == "0" or _compile_failure:
            return None
        torch = self._torch
        graphs: dict[Any, Any] = {}

        def call(*args: Any) -> Any:
            if _compile_failure or self._in_functorch() or torch.compiler.is_compiling():
                return fun(*args)
            statics = tuple([args[i] for i in static_argnums if i < len(args)])
            dynamic = [a for i, a in enumerate(args) if i not in static_argnums]
            leaves = [x for part in dynamic for x in part]
            key = (
                statics,
                tuple([len(part) for part in dynamic]),
                tuple([(x.shape, x.dtype, x.device, x.requires_grad) for x in leaves]),
            )
            compiled = graphs.get(key)
            if compiled is None:
                compiled = graphs[key] = self._trace_and_compile(fun, args, static_argnums, leaves)
            if compiled is _UNTRACEABLE:
                return fun(*args)
            try:
                return compiled(*leaves)
            except torch._dynamo.exc.BackendCompilerFailed as exc:
                _compile_failed(exc)
                return fun(*args)

        return call

    def _trace_and_compile(
        self, fun: Callable[..., Any], args: tuple[Any, ...], static_argnums: tuple[int, ...], leaves: list[Any]
    ) -> Any:
        """``fun`` as one graph of aten operations (``make_fx``, fake tensors), compiled."""
        from torch.fx.experimental.proxy_tensor import make_fx

        lengths = [len(a) for i, a in enumerate(args) if i not in static_argnums]

        def flat(*arrays: Any) -> Any:
            parts, start = [], 0
            for n in lengths:
                parts.append(tuple(arrays[start : start + n]))
                start += n
            dynamic = iter(parts)
            return fun(*[a if i in static_argnums else next(dynamic) for i, a in enumerate(args)])

        try:
            graph = make_fx(flat, tracing_mode="fake")(*leaves)
        except Exception as exc:  # noqa: BLE001 - eager below re-raises the function's own errors
            fun(*args)  # a genuine error in the function surfaces here, as it would eagerly
            import warnings

            warnings.warn(
                f"ut.jit: this torch function cannot be traced for torch.compile "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                f"it runs eagerly",
                RuntimeWarning,
                stacklevel=4,
            )
            return _UNTRACEABLE
        if self._torch.is_grad_enabled() and any(x.requires_grad for x in leaves):
            # called inside a gradient computation (ut.grad(ut.jit(f))): the compiled graph's
            # backward is not differentiable again, the traced graph's is, to any order
            return graph.forward
        return self._torch.compile(graph.forward, dynamic=False)

    def vmap(self, fun: Callable[..., Any], in_axes: tuple[int | None, ...], out_axes: Any) -> Callable[..., Any]:
        return self._torch.func.vmap(fun, in_dims=in_axes, out_dims=out_axes)

    def custom_vjp(
        self, fun: Callable[..., Any], fwd: Callable[..., Any], bwd: Callable[..., Any]
    ) -> Callable[..., Any]:
        """A ``torch.autograd.Function`` (in the form ``torch.func`` transforms accept)."""
        layout: dict[str, int] = {}

        class CustomVjp(self._torch.autograd.Function):
            generate_vmap_rule = True

            @staticmethod
            def forward(*raws: Any) -> Any:
                outputs, residuals = fwd(*raws)
                layout["outputs"] = len(outputs)
                return (*outputs, *(r.view_as(r) for r in residuals))

            @staticmethod
            def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
                residuals = output[layout["outputs"] :]
                ctx.mark_non_differentiable(*residuals)
                ctx.save_for_backward(*residuals)

            @staticmethod
            def backward(ctx: Any, *cotangents: Any) -> Any:
                return tuple(bwd(tuple(ctx.saved_tensors), cotangents[: layout["outputs"]]))

        def call(*raws: Any) -> tuple[Any, ...]:
            return CustomVjp.apply(*raws)[: layout["outputs"]]

        return call

    def checkpoint(self, fun: Callable[..., Any]) -> Callable[..., Any]:
        from torch.utils.checkpoint import checkpoint, set_checkpoint_early_stop

        def call(*raws: Any) -> Any:
            if self._in_functorch():  # torch.utils.checkpoint does not run under torch.func
                return fun(*raws)
            # Early stop ends the recomputation by raising an exception from a saved-tensor
            # hook; the facade's fast paths catch exceptions to retry on the slow path, which
            # would swallow it. Recomputing the whole block costs little more.
            with set_checkpoint_early_stop(False):
                return checkpoint(fun, *raws, use_reentrant=False)

        return call


#: why torch.compile failed on this machine (then ut.jit runs eagerly); None until it has
_compile_failure: str | None = None
#: a function ut.jit could not trace for torch.compile (it runs eagerly)
_UNTRACEABLE = object()


def _compile_failed(exc: Exception) -> None:
    import warnings

    global _compile_failure
    _compile_failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    warnings.warn(
        f"ut.jit: torch.compile cannot compile here ({_compile_failure}); torch functions run eagerly instead",
        RuntimeWarning,
        stacklevel=3,
    )


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


#: functions whose integer results are positions or counts, never values of the input's dtype
_INDEX_RESULTS = frozenset(
    "argmax argmin argsort searchsorted nonzero count_nonzero unique_all unique_counts unique_inverse".split()
)
#: functions whose int64 results have exactly the bits of the uint64 result when uint64 inputs are read
#: as int64: arithmetic modulo 2**64, bitwise operations, equality and data movement
_SAME_BITS = frozenset(
    """add subtract multiply negative positive square bitwise_and bitwise_or bitwise_xor
bitwise_invert bitwise_left_shift equal not_equal isin sum prod cumulative_sum cumulative_prod linalg.trace matmul
linalg.matmul vecdot linalg.vecdot tensordot linalg.tensordot linalg.outer linalg.cross diff where concat stack
flip roll tril triu take take_along_axis repeat tile reshape broadcast_to broadcast_arrays expand_dims squeeze
permute_dims moveaxis matrix_transpose linalg.matrix_transpose meshgrid unstack zeros_like ones_like empty_like
full_like linalg.diagonal""".split()
)
#: functions that depend on order only: uint64 inputs are mapped to int64 by ``x - 2**63``, which keeps it
_ORDERED = frozenset(
    """less less_equal greater greater_equal maximum minimum max min argmax argmin sort argsort
searchsorted clip unique_all unique_counts unique_inverse unique_values""".split()
)


class _Unsigned:
    """uint16, uint32 and uint64 computed through int64 where torch has no kernel (pytorch/pytorch#58734).

    :meth:`wrap` gives a function that calls torch first and falls back only
    when torch raises with an unsigned operand (or an unsigned ``dtype=``), so
    every other call costs nothing. See the module docstring for the methods.
    """

    def __init__(self, torch: Any, np: Any) -> None:
        self._torch = torch
        self._np = np
        self._int64 = torch.int64
        self._narrow = {torch.uint16: torch.int16, torch.uint32: torch.int32}  # same width, for data movement
        self._unsigned = frozenset({torch.uint16, torch.uint32, torch.uint64})

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except (RuntimeError, TypeError):  # NotImplementedError is a RuntimeError
                dtype = self._unsigned_dtype(args, kwargs)
                if dtype is None:
                    raise
            return self.compute(name, function, dtype, args, kwargs)

        call.__name__ = getattr(function, "__name__", name)
        return call

    def _unsigned_dtype(self, args: Any, kwargs: dict[str, Any]) -> Any:
        """The widest of uint16/32/64 among the tensors of a call and its ``dtype=``, None if none."""
        found = [
            x.dtype for x in _leaves((args, tuple(kwargs.values())), self._torch.Tensor) if x.dtype in self._unsigned
        ]
        if kwargs.get("dtype") in self._unsigned:
            found.append(kwargs["dtype"])
        return max(found, key=lambda d: d.itemsize) if found else None

    def compute(
        self, name: str, function: Callable[..., Any], dtype: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        torch = self._torch
        if dtype is not torch.uint64 or not any(True for _ in _leaves((args, tuple(kwargs.values())), torch.Tensor)):
            # creation functions (no tensor in) make int64 values in range, cast like the rest
            return self._through(
                name, function, dtype, args, kwargs, lambda x: x.to(self._int64), lambda v: v, lambda r: r.to(dtype)
            )
        if name in _SAME_BITS:
            return self._through(
                name,
                function,
                dtype,
                args,
                kwargs,
                lambda x: x.view(self._int64),
                _as_signed_bits,
                lambda r: r.view(torch.uint64),
            )
        if name in _ORDERED:
            low = -(2**63)
            return self._through(
                name,
                function,
                dtype,
                args,
                kwargs,
                lambda x: x.view(self._int64) ^ low,
                lambda v: v + low if type(v) is int else v,
                lambda r: (r ^ low).view(torch.uint64),
            )
        if name in ("abs", "positive"):
            return args[0].clone()
        if name == "sign":
            return (args[0] != 0).to(dtype)
        return self._on_host(name, args, kwargs)

    def _through(
        self,
        name: str,
        function: Callable[..., Any],
        dtype: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        enter: Callable[[Any], Any],
        scalar: Callable[[Any], Any],
        leave: Callable[[Any], Any],
    ) -> Any:
        """``function`` on the inputs mapped by ``enter`` (tensors) and ``scalar`` (Python ints), int64 results
        mapped back by ``leave`` (all but positions and counts)."""
        unsigned, tensor = self._unsigned, self._torch.Tensor

        def convert(x: Any) -> Any:
            if isinstance(x, tensor):
                return enter(x) if x.dtype in unsigned else x
            if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
                return type(x)(convert(item) for item in x)
            return scalar(x) if type(x) is int else x

        def convert_arrays(x: Any) -> Any:  # parameters (axis=1) keep their values
            if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
                return type(x)(convert_arrays(item) for item in x)
            return enter(x) if isinstance(x, tensor) and x.dtype in unsigned else x

        new_kwargs = {k: convert(v) if k in ("min", "max") else convert_arrays(v) for k, v in kwargs.items()}
        if new_kwargs.get("dtype") in unsigned:
            new_kwargs["dtype"] = self._int64
        out = function(*convert(args), **new_kwargs)
        int64 = self._int64

        def back(r: Any) -> Any:
            return leave(r) if isinstance(r, tensor) and r.dtype is int64 else r

        if name in _INDEX_RESULTS:  # only the unique values are values
            return out._replace(values=back(out.values)) if hasattr(out, "_fields") else out
        if isinstance(out, (list, tuple)) and not hasattr(out, "_fields"):
            return type(out)(back(r) for r in out)
        return back(out)

    def _on_host(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """NumPy's exact uint64 kernel for host data; on a GPU, no exact method: a clear error."""
        torch, np = self._torch, self._np
        tensors = list(_leaves((args, tuple(kwargs.values())), torch.Tensor))
        device = tensors[0].device
        numpy_function = getattr(np, name, None) if "." not in name else None
        if device.type != "cpu" or numpy_function is None:
            raise TypeError(
                f"{name}() of uint64 Tensors on {device}: torch has no kernel for it and it has no "
                "exact int64 equivalent; cast with ut.astype(x, ut.int64) if the values allow, "
                "or compute on the CPU"
            )

        def to_numpy(x: Any) -> Any:
            return x.numpy() if isinstance(x, torch.Tensor) else x

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = numpy_function(*(to_numpy(a) for a in args), **{k: to_numpy(v) for k, v in kwargs.items()})
        return torch.from_numpy(np.asarray(out))

    def flip(self, x: Any, axes: list[int]) -> Any:
        """``torch.flip``, also for uint16/32/64 (moved as the signed dtype of the same width)."""
        narrow = self._narrow.get(x.dtype, self._int64 if x.dtype is self._torch.uint64 else None)
        if narrow is None:
            return self._torch.flip(x, axes)
        return self._torch.flip(x.view(narrow), axes).view(x.dtype)


def _as_signed_bits(value: Any) -> Any:
    """A Python int as the int64 with the same 64 bits (2**64 - 1 is -1); other values as they are."""
    if type(value) is not int:
        return value
    value %= 2**64
    return value - 2**64 if value >= 2**63 else value


def _leaves(tree: Any, tensor: type) -> Any:
    """The tensors in nested tuples and lists."""
    for item in tree:
        if isinstance(item, tensor):
            yield item
        elif isinstance(item, (list, tuple)):
            yield from _leaves(item, tensor)


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


def _lookup(namespace: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        namespace = getattr(namespace, part)
    return namespace


def _no_axes(function: Callable[..., Any], keyword: str, elementwise: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, except that reducing over an empty tuple of axes applies ``elementwise``."""

    def call(x: Any, /, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get(keyword) == ():
            kwargs.pop(keyword)
            return elementwise(x, **kwargs)
        return function(x, *args, **kwargs)

    call.__name__ = function.__name__
    return call


#: Python scalars that torch's functions take as they are, in the kind of a floating tensor
_REAL_SCALARS = (int, float)


def _floating_with_scalar(x: Any, scalar: Any, tensor: type) -> bool:
    """Whether ``x`` is a floating tensor and ``scalar`` a Python int or float that is not NaN.

    Then torch keeps ``x``'s dtype, as the standard's promotion does (a
    scalar takes the array's dtype), and ``clamp`` agrees with
    ``maximum``/``minimum`` (both propagate a NaN of ``x``). Not while ``x``
    requires grad: at a tie ``clamp``'s gradient is 1, ``maximum``'s splits it (0.5).
    """
    return (
        type(x) is tensor
        and type(scalar) in _REAL_SCALARS
        and scalar == scalar
        and x.is_floating_point()
        and not x.requires_grad
    )


def _one_dtype(
    native: Callable[..., Any], fallback: Callable[..., Any], tensor: type, clamp: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """``native(x1, x2)`` for two plain tensors of one dtype (nothing to promote), else ``fallback``.

    ``clamp`` (``clamp_min`` for ``maximum``) takes a floating tensor and a
    Python scalar directly, where ``fallback`` (array_api_compat) would build
    a tensor from the scalar in Python (~5 us). ``fallback`` also takes over
    when torch raises: it gives the standard's answer (0 for an integer
    division by zero) or its error type.
    """

    def call(x1: Any, x2: Any, /) -> Any:
        if type(x1) is tensor and type(x2) is tensor and x1.dtype is x2.dtype:
            try:
                return native(x1, x2)
            except Exception:  # the fallback gives the answer, or the translated error
                pass
        elif clamp is not None:
            if _floating_with_scalar(x1, x2, tensor):
                return clamp(x1, x2)
            if _floating_with_scalar(x2, x1, tensor):
                return clamp(x2, x1)
        return fallback(x1, x2)

    call.__name__ = getattr(fallback, "__name__", "call")
    return call


def _one_dtype_where(where: Callable[..., Any], fallback: Callable[..., Any], tensor: type) -> Callable[..., Any]:
    """:func:`_one_dtype` for ``where``, whose condition takes no part in promotion.

    A floating tensor and a Python scalar go to torch directly too: torch
    keeps the tensor's dtype.
    """

    def call(condition: Any, x1: Any, x2: Any, /) -> Any:
        if (
            type(x1) is tensor
            and type(x2) is tensor
            and x1.dtype is x2.dtype
            or (_floating_with_scalar(x1, x2, tensor) or _floating_with_scalar(x2, x1, tensor))
        ):
            try:
                return where(condition, x1, x2)
            except Exception:  # the fallback gives the answer, or the translated error
                pass
        return fallback(condition, x1, x2)

    call.__name__ = "where"
    return call


def _direct_clip(clamp: Callable[..., Any], fallback: Callable[..., Any], tensor: type) -> Callable[..., Any]:
    """``clip`` of a floating tensor between Python scalars (or None): ``torch.clamp`` itself, else ``fallback``."""

    def clip(x: Any, /, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - the standard's names
        if (
            type(x) is tensor
            and x.is_floating_point()
            and (
                (min is None or (type(min) in _REAL_SCALARS and min == min))
                and (max is None or (type(max) in _REAL_SCALARS and max == max))
                and not (min is None and max is None)
            )
        ):
            try:
                return clamp(x, min, max)
            except Exception:  # the fallback gives the answer, or the translated error
                pass
        return fallback(x, min, max)

    clip.__name__ = "clip"
    return clip


def _direct_reduction(
    reduce: Callable[..., Any], fallback: Callable[..., Any], unsigned: frozenset[Any], int64: Any
) -> Callable[..., Any]:
    """torch's ``reduce`` over all axes or one, else ``fallback`` (tuples, ``axis=()``, ``keepdims``, dtypes).

    torch takes ``keepdim`` only with an axis (pytorch/pytorch#71209), and
    accumulates ``unsigned`` dtypes in int64 where the standard asks for uint64.
    Only an int64 result can come from unsigned input, so the input's dtype is
    looked up for integers alone (~50 ns saved on floating input).
    """

    def call(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        try:
            if dtype is None:
                if axis is None:
                    if not keepdims:
                        out = reduce(x)
                        if out.dtype is not int64 or x.dtype not in unsigned:
                            return out
                elif type(axis) is int:
                    out = (
                        reduce(x, axis, keepdims) if keepdims else reduce(x, axis)
                    )  # torch parses fewer arguments faster
                    if out.dtype is not int64 or x.dtype not in unsigned:
                        return out
        except Exception:  # the fallback gives the answer, or the translated error
            pass
        return fallback(x, axis=axis, dtype=dtype, keepdims=keepdims)

    call.__name__ = reduce.__name__
    return call


def _direct_axis_reduction(reduce: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    """torch's ``reduce`` over all axes or one, else ``fallback`` (see :func:`_direct_reduction`).

    For ``mean``, ``max`` and ``min``, whose result dtype torch already gets
    right; integer input to ``mean`` torch refuses (no result dtype), and
    ``fallback`` says so in the standard's error type.
    """

    def call(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        try:
            if type(axis) is int:
                return reduce(x, axis, keepdims) if keepdims else reduce(x, axis)
            if axis is None and not keepdims:
                return reduce(x)
        except Exception:  # the fallback gives the answer, or the translated error
            pass
        return fallback(x, axis=axis, keepdims=keepdims)

    call.__name__ = getattr(fallback, "__name__", "reduce")
    return call


def _direct_reshape(reshape: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    """``torch.reshape`` (a view where possible, as the standard's ``copy=None``), else ``fallback``."""

    def call(x: Any, /, shape: Any, *, copy: bool | None = None) -> Any:
        if copy is None:
            try:
                return reshape(x, shape)
            except Exception:  # the fallback gives the answer, or the translated error
                pass
        return fallback(x, shape, copy=copy)

    call.__name__ = "reshape"
    return call


def _direct_vector_norm(norm: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    """``torch.linalg.vector_norm`` but for ``axis=()`` and the max norm (see :func:`_no_axes`, :func:`_empty_max_norm`)."""
    infinity = float("inf")

    def call(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
        try:
            if axis is None and ord == 2 and not keepdims:
                return norm(x)  # torch parses every argument given, even a default (~0.4 us)
            if (axis is None or type(axis) is int) and ord != infinity:
                return norm(x, ord, axis, keepdims)
        except Exception:  # the fallback gives the answer, or the translated error
            pass
        return fallback(x, axis=axis, keepdims=keepdims, ord=ord)

    call.__name__ = "vector_norm"
    return call


def _direct_astype(to: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    """``Tensor.to(dtype=..., copy=...)``: ``array_api_compat``'s ``astype`` without a device.

    By keyword: torch reads a positional dtype ~0.9 us slower (it tries the
    device overload first), and a positional ``copy`` still slower. The
    keyword also refuses what is not a dtype (positionally, ``Tensor.to``
    would take a Tensor as a model whose dtype and device to copy).
    """

    def call(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
        if device is None:
            try:
                return to(x, dtype=dtype, copy=copy)
            except Exception:  # the fallback gives the answer, or the translated error
                pass
        return fallback(x, dtype, copy=copy, device=device)

    call.__name__ = "astype"
    return call


def _fractional_correction(reduce: Callable[..., Any], variance: Callable[..., Any] | None) -> Callable[..., Any]:
    """``var`` (``variance`` None) or ``std`` that also take a fractional ``correction``, which torch refuses.

    The biased variance scaled by ``N / (N - correction)``: the standard's
    definition, and NumPy's ``ddof`` (a non-positive ``N - correction`` divides
    by zero, giving inf or NaN as there).
    """

    def call(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        if float(correction).is_integer():
            return reduce(x, axis=axis, correction=correction, keepdims=keepdims)
        biased = (variance or reduce)(x, axis=axis, correction=0, keepdims=keepdims)
        axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
        n = math.prod(x.shape[a] for a in axes)
        scaled = biased * n / max(n - correction, 0.0)
        return scaled if variance is None else scaled.sqrt()

    call.__name__ = reduce.__name__
    return call


def _norm_of_one(x: Any, /, *, ord: float = 2, keepdims: bool = False) -> Any:  # noqa: A002
    """The vector norm of each element alone: its magnitude, or whether it is nonzero for ``ord=0``."""
    magnitude = abs(x)
    return magnitude if ord != 0 else (x != 0).to(magnitude.dtype)


def _empty_max_norm(function: Callable[..., Any]) -> Callable[..., Any]:
    """``vector_norm`` that gives 0 for the max norm of no elements, as NumPy does (torch raises)."""

    def call(x: Any, /, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("ord") == float("inf") and x.numel() == 0:
            return function(x, *args, **{**kwargs, "ord": 1})  # 0 too, with the same shape and dtype
        return function(x, *args, **kwargs)

    call.__name__ = function.__name__
    return call


def _dtype_hint(message: str) -> str:
    if any(f"'UInt{bits}'" in message for bits in (16, 32, 64)):
        return (
            "; torch stores uint16/uint32/uint64 but has few kernels for them "
            "(pytorch/pytorch#58734): cast with ut.astype(x, ut.int64) first"
        )
    return ""


def _named(result: type, function: Callable[..., Any]) -> Callable[..., Any]:
    def named(*args: Any, **kwargs: Any) -> Any:
        return result(*function(*args, **kwargs))

    named.__name__ = function.__name__
    return named


_DLPACK_CPU = 1  # kDLCPU in DLPack's DLDeviceType
_META = Device("meta")


@functools.lru_cache(maxsize=64)
def _device_from_parts(kind: str, index: int | None) -> Device:
    return Device(kind, index)


def _as_device(native: Any) -> Device:
    """``torch.device`` to :class:`Device` (cached: it is asked for on every device check)."""
    return _device_from_parts(native.type, native.index)


def _holds_arrays(obj: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a nested sequence holds arrays (checks its first items: a sequence is not scanned whole)."""
    while isinstance(obj, (list, tuple)) and obj:
        obj = obj[0]
    return hasattr(obj, "tolist")


def _as_lists(obj: Any) -> Any:
    """A nested sequence with every array in it (a Tensor, a torch tensor) as nested Python lists."""
    if isinstance(obj, (list, tuple)):
        return [_as_lists(item) for item in obj]
    return obj.tolist() if hasattr(obj, "tolist") else obj


def _dlpack_device_type(obj: Any) -> int | None:
    try:
        return int(obj.__dlpack_device__()[0])
    except (AttributeError, TypeError, ValueError):
        return None


def _torch_can_share(array: Any) -> bool:
    return array.flags.writeable and array.dtype.isnative and all(s >= 0 for s in array.strides)


def _resolved(raw: Any) -> Any:
    """``raw`` without torch's lazy conjugate/negative bits (no copy when neither is set)."""
    if raw.is_conj():
        raw = raw.resolve_conj()
    if raw.is_neg():
        raw = raw.resolve_neg()
    return raw


def _flip_negative_steps(shape: tuple[int, ...], key: Any) -> tuple[list[int], Any]:
    """Axes to flip, and the key with each negative-step slice made positive on the flipped axis.

    Along an axis of length ``n``, ``x[start:stop:-s]`` takes the elements
    ``flip(x)[n-1-start : n-1-stop : s]`` does (``start`` and ``stop``
    normalized by :meth:`slice.indices`, where ``stop`` may be -1).
    """
    items = key if isinstance(key, tuple) else (key,)
    if not any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in items):
        return [], key
    axes = _axes_of(len(shape), items)
    flips: list[int] = []
    new_items = list(items)
    for position, item in enumerate(items):
        if isinstance(item, slice) and item.step is not None and item.step < 0:
            axis = axes[position]
            n = shape[axis]
            start, stop, step = item.indices(n)
            flips.append(axis)
            new_items[position] = slice(n - 1 - start, n - 1 - stop, -step)
    return flips, tuple(new_items)


def _axes_of(ndim: int, items: tuple[Any, ...]) -> list[int]:
    """The array axis each key item indexes (-1 for ``None`` and ``...``)."""
    consumed = [_dims_consumed(item) for item in items]
    ellipsis_at = next((i for i, item in enumerate(items) if item is Ellipsis), None)
    axes: list[int] = []
    axis = 0
    for position, (_item, count) in enumerate(zip(items, consumed)):
        if position == ellipsis_at:
            axis = ndim - sum(consumed[position + 1 :])
            axes.append(-1)
            continue
        axes.append(axis if count else -1)
        axis += count
    return axes


def _dims_consumed(item: Any) -> int:
    if item is None or item is Ellipsis:
        return 0
    if getattr(item, "dtype", None) is not None and str(item.dtype) == "torch.bool":
        return item.ndim
    return 1


def _immutable_backend_array(obj: Any) -> bool:
    """Whether ``obj`` is a native array of a backend whose arrays are never written (JAX)."""
    from . import backend_of

    owner = backend_of(obj)
    return owner is not None and not owner.mutable and hasattr(obj, "__dlpack__")
