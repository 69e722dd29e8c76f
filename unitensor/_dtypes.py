"""Backend-independent data types and the standard's type promotion rules.

``ut.float32`` is one object whatever the backend: ``t.dtype == ut.float32``
holds for a NumPy, torch or JAX Tensor alike. Each backend maps these objects
to and from its native dtypes; everything here is pure Python.

Half precision
--------------
``ut.float16`` and ``ut.bfloat16`` lie outside the standard (``HALF_DTYPES``):
backends that have them map them (NumPy: ``float16``, ``bfloat16`` through
ml_dtypes; torch; JAX; CuPy: ``float16``), and the standard's dtype listings
(``__array_namespace_info__().dtypes()``) leave them out. They promote the way
torch and JAX promote them:

* within real floating point, to the wider type: ``float16 + float32 ->
  float32``, ``bfloat16 + float64 -> float64``;
* ``float16 + bfloat16 -> float32`` (neither holds the other's values);
* with complex, to ``complex64`` (``complex128`` with a ``complex128``);
* Python floats keep the half dtype (``bf16 * 0.5`` stays bfloat16), with
  one exception: NumPy's (and so Dask's) bfloat16 comes from ml_dtypes, which
  promotes a Python float to float32; multiply by a bfloat16 Tensor there
  (``x * ut.asarray(0.5, dtype=ut.bfloat16)``) to stay in bfloat16.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "DType",
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "ALL_DTYPES",
    "HALF_DTYPES",
    "result_type",
    "can_cast",
    "isdtype",
    "finfo",
    "iinfo",
    "as_dtype",
]

_builtin_bool = bool


class DType:
    """A backend-independent array data type (``ut.float32``, ``ut.int64`` ...).

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.float32.kind, ut.float32.bits
    ('real floating', 32)
    >>> ut.asarray([1.0], dtype=ut.float32).dtype == ut.float32
    True
    """

    __slots__ = ("name", "kind", "bits")

    def __init__(self, name: str, kind: str, bits: int) -> None:
        self.name = name
        self.kind = kind
        self.bits = bits

    def __repr__(self) -> str:
        return f"unitensor.{self.name}"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return max(self.bits // 8, 1)


bool = DType("bool", "bool", 8)  # noqa: A001 - the standard's name
int8 = DType("int8", "signed integer", 8)
int16 = DType("int16", "signed integer", 16)
int32 = DType("int32", "signed integer", 32)
int64 = DType("int64", "signed integer", 64)
uint8 = DType("uint8", "unsigned integer", 8)
uint16 = DType("uint16", "unsigned integer", 16)
uint32 = DType("uint32", "unsigned integer", 32)
uint64 = DType("uint64", "unsigned integer", 64)
float32 = DType("float32", "real floating", 32)
float64 = DType("float64", "real floating", 64)
complex64 = DType("complex64", "complex floating", 64)
complex128 = DType("complex128", "complex floating", 128)
float16 = DType("float16", "real floating", 16)
bfloat16 = DType("bfloat16", "real floating", 16)

#: the standard's dtypes
ALL_DTYPES: tuple[DType, ...] = (
    bool,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float32,
    float64,
    complex64,
    complex128,
)
#: half precision, beyond the standard: mapped by the backends that have them
HALF_DTYPES: tuple[DType, ...] = (float16, bfloat16)
BY_NAME: dict[str, DType] = {d.name: d for d in ALL_DTYPES + HALF_DTYPES}

_SIGNED = (int8, int16, int32, int64)
_UNSIGNED = (uint8, uint16, uint32, uint64)
_REAL = (float32, float64)
_COMPLEX = (complex64, complex128)


def _promotion_table() -> dict[tuple[DType, DType], DType]:
    """The standard's promotion table (array API 2025.12, "Type Promotion Rules")."""
    table: dict[tuple[DType, DType], DType] = {(bool, bool): bool}

    def within(family: tuple[DType, ...]) -> None:
        for a in family:
            for b in family:
                table[a, b] = a if a.bits >= b.bits else b

    for family in (_SIGNED, _UNSIGNED, _REAL, _COMPLEX):
        within(family)
    for u in _UNSIGNED:
        for i in _SIGNED:
            if u.bits < i.bits:
                result = i
            elif u.bits < 64:
                result = {8: int16, 16: int32, 32: int64}[u.bits]
            else:
                continue  # uint64 with a signed integer: not defined by the standard
            table[u, i] = table[i, u] = result
    for r in _REAL:
        for c in _COMPLEX:
            result = complex128 if 64 in (r.bits, c.bits // 2) else complex64
            table[r, c] = table[c, r] = result
    # half precision, as torch and JAX promote it (see the module docstring)
    for half in HALF_DTYPES:
        table[half, half] = half
        for wider in _REAL:
            table[half, wider] = table[wider, half] = wider
        for c in _COMPLEX:
            table[half, c] = table[c, half] = c
    table[float16, bfloat16] = table[bfloat16, float16] = float32
    return table


PROMOTION_TABLE = _promotion_table()

_KIND_ALIASES = {
    "bool": ("bool",),
    "signed integer": ("signed integer",),
    "unsigned integer": ("unsigned integer",),
    "integral": ("signed integer", "unsigned integer"),
    "real floating": ("real floating",),
    "complex floating": ("complex floating",),
    "numeric": ("signed integer", "unsigned integer", "real floating", "complex floating"),
}


def as_dtype(obj: object) -> DType:
    """Return the :class:`DType` named or held by ``obj`` (a DType, a name, a Tensor)."""
    if isinstance(obj, DType):
        return obj
    if isinstance(obj, str) and obj in BY_NAME:
        return BY_NAME[obj]
    dtype = getattr(obj, "dtype", None)
    if isinstance(dtype, DType):
        return dtype
    raise TypeError(
        f"{obj!r} is not a unitensor dtype; use one of {', '.join('ut.' + d.name for d in ALL_DTYPES + HALF_DTYPES)}"
    )


def result_type(*arrays_and_dtypes: object) -> DType:
    """The dtype the standard's promotion rules give for these Tensors, dtypes and scalars.

    Python scalars take part as "weak" values: they adopt the dtype of the
    arrays they meet, as the standard specifies. Pairs of kinds the standard
    leaves open follow unitensor's rule on every backend: an integer with a
    floating dtype gives the floating dtype (``ut.result_type(ut.int32,
    ut.float64)`` is float64, ``int64`` with ``float32`` float32), as in torch
    and JAX.

    Examples
    --------
    >>> import unitensor as ut
    >>> ut.result_type(ut.int8, ut.uint8)
    unitensor.int16
    >>> ut.result_type(ut.float32, 1.0)
    unitensor.float32
    >>> ut.result_type(ut.int32, ut.float64)
    unitensor.float64
    """
    dtypes = [as_dtype(a) for a in arrays_and_dtypes if not _is_python_scalar(a)]
    scalars = [a for a in arrays_and_dtypes if _is_python_scalar(a)]
    if not dtypes:
        if not scalars:
            raise ValueError("result_type needs at least one array or dtype")
        raise TypeError("result_type of Python scalars alone is not defined; pass an array or dtype")
    result = dtypes[0]
    for other in dtypes[1:]:
        result = _promote(result, other)
    for scalar in scalars:
        result = _promote_scalar(result, scalar)
    return result


def _mixed_kind_table() -> dict[tuple[DType, DType], DType]:
    """unitensor's rule for the pairs of kinds the standard leaves to the implementation.

    An integer (signed or unsigned) with a floating dtype gives that floating
    dtype, real or complex: ``int64 + float32`` is float32, ``int8 +
    complex64`` complex64 (as in torch and JAX; NumPy would give float64 and
    complex128). A real floating dtype with a complex one is in the
    standard's own table. bool with a number, and uint64 with a signed
    integer, stay undefined: there is no lossless choice.
    """
    table: dict[tuple[DType, DType], DType] = {}
    for integer in (*_SIGNED, *_UNSIGNED):
        for floating in (*_REAL, *_COMPLEX):
            table[integer, floating] = table[floating, integer] = floating
    return table


MIXED_KIND_TABLE = _mixed_kind_table()


def _promote(a: DType, b: DType) -> DType:
    if a is b:
        return a
    try:
        return PROMOTION_TABLE[a, b]
    except KeyError:
        pass
    try:
        return MIXED_KIND_TABLE[a, b]
    except KeyError:
        raise TypeError(
            f"neither the array API standard nor unitensor defines a promotion between {a} and {b}; "
            f"cast one explicitly with ut.astype(x, ut.<dtype>)"
        ) from None


def _is_python_scalar(x: object) -> _builtin_bool:
    return type(x) in (int, float, complex, _builtin_bool)


def _promote_scalar(dtype: DType, scalar: object) -> DType:
    """Apply a Python scalar to an array dtype (weak scalar semantics)."""
    kind = dtype.kind
    if isinstance(scalar, _builtin_bool):
        if kind != "bool":
            raise TypeError(
                f"combining a {dtype} array with a Python bool is not defined by the standard; "
                f"use an int or convert with ut.astype"
            )
        return dtype
    if isinstance(scalar, int):
        if kind == "bool":
            raise TypeError("combining a bool array with a Python int is not defined by the standard")
        if kind in ("signed integer", "unsigned integer"):
            limits = iinfo(dtype)
            if not limits.min <= scalar <= limits.max:
                raise OverflowError(
                    f"the Python int {scalar} is out of bounds for {dtype} "
                    f"[{limits.min}, {limits.max}]; use a wider dtype"
                )
        return dtype
    if isinstance(scalar, float):
        if kind in ("real floating", "complex floating"):
            return dtype
        raise TypeError(f"combining a {dtype} array with a Python float is not defined by the standard")
    if kind == "complex floating":
        return dtype
    if kind == "real floating":
        return complex128 if dtype is float64 else complex64
    raise TypeError(f"combining a {dtype} array with a Python complex is not defined by the standard")


def can_cast(from_: object, to: object, /) -> _builtin_bool:
    """Whether ``from_`` promotes to ``to`` under the standard's rules."""
    source, target = as_dtype(from_), as_dtype(to)
    if source is target:
        return True
    return PROMOTION_TABLE.get((source, target)) is target


def isdtype(dtype: object, kind: object) -> _builtin_bool:
    """The standard's ``isdtype``: is ``dtype`` of ``kind`` (a dtype, kind name or tuple of them)?"""
    dtype = as_dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, DType):
        return dtype is kind
    if isinstance(kind, str):
        if kind not in _KIND_ALIASES:
            raise ValueError(f"unknown dtype kind {kind!r}; expected one of {sorted(_KIND_ALIASES)}")
        return dtype.kind in _KIND_ALIASES[kind]
    raise TypeError(f"kind must be a dtype, a kind name or a tuple of them, not {type(kind).__name__}")


class finfo_object(NamedTuple):
    """Machine limits of a floating-point dtype, as the standard's ``finfo`` returns them."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType


class iinfo_object(NamedTuple):
    """Machine limits of an integer dtype, as the standard's ``iinfo`` returns them."""

    bits: int
    max: int
    min: int
    dtype: DType


#: real dtype name -> (mantissa bits, max exponent)
_FLOAT_FORMATS = {"float16": (10, 15), "bfloat16": (7, 127), "float32": (23, 127), "float64": (52, 1023)}


def finfo(type: object, /) -> finfo_object:  # noqa: A002 - the standard's name
    """Limits of a floating-point dtype (complex dtypes report their real part)."""
    dtype = as_dtype(type)
    if dtype.kind not in ("real floating", "complex floating"):
        raise TypeError(f"finfo needs a floating-point dtype, not {dtype}; use iinfo for integers")
    # the standard: complex dtypes report their real dtype
    real = dtype if dtype.kind == "real floating" else (float32 if dtype is complex64 else float64)
    mantissa, max_exp = _FLOAT_FORMATS[real.name]
    largest = (2.0 - 2.0**-mantissa) * 2.0**max_exp
    return finfo_object(real.bits, 2.0**-mantissa, largest, -largest, 2.0 ** (1 - max_exp), real)


def iinfo(type: object, /) -> iinfo_object:  # noqa: A002 - the standard's name
    """Limits of an integer dtype."""
    dtype = as_dtype(type)
    if dtype.kind == "signed integer":
        return iinfo_object(dtype.bits, 2 ** (dtype.bits - 1) - 1, -(2 ** (dtype.bits - 1)), dtype)
    if dtype.kind == "unsigned integer":
        return iinfo_object(dtype.bits, 2**dtype.bits - 1, 0, dtype)
    raise TypeError(f"iinfo needs an integer dtype, not {dtype}; use finfo for floating point")
