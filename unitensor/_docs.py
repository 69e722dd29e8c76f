"""The signature and docstring of every namespace function built from the tables in ``_namespace``.

The signatures come from ``_signatures.py`` (generated from the standard's
reference implementation); the one-line summaries below paraphrase the
standard's, and ``DEPARTURES`` says where unitensor adds to it. ``describe``
runs once per function when the namespace is built, so calls pay nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ._signatures import REQUIRED, SIGNATURES

SPEC_URL = "https://data-apis.org/array-api/2025.12/API_specification/generated/array_api.{name}.html"

_ELEMENTWISE = {
    "abs": "the absolute value of each element",
    "acos": "the principal value of the inverse cosine of each element",
    "acosh": "the inverse hyperbolic cosine of each element",
    "asin": "the principal value of the inverse sine of each element",
    "asinh": "the inverse hyperbolic sine of each element",
    "atan": "the principal value of the inverse tangent of each element",
    "atanh": "the inverse hyperbolic tangent of each element",
    "bitwise_invert": "the bitwise NOT of each element (integer and boolean arrays)",
    "ceil": "each element rounded up to the smallest integer-valued number not less than it",
    "conj": "the complex conjugate of each element",
    "cos": "the cosine of each element (in radians)",
    "cosh": "the hyperbolic cosine of each element",
    "exp": "the exponential of each element, e raised to its power",
    "expm1": "exp(x) - 1 of each element, accurate for small values",
    "floor": "each element rounded down to the largest integer-valued number not greater than it",
    "imag": "the imaginary part of each element of a complex array",
    "isfinite": "whether each element is finite",
    "isinf": "whether each element is positive or negative infinity",
    "isnan": "whether each element is NaN",
    "log": "the natural logarithm of each element",
    "log10": "the base-10 logarithm of each element",
    "log1p": "log(1 + x) of each element, accurate for small values",
    "log2": "the base-2 logarithm of each element",
    "logical_not": "the logical NOT of each element",
    "negative": "the numerical negative of each element",
    "positive": "the numerical positive of each element (a copy)",
    "real": "the real part of each element",
    "reciprocal": "the reciprocal 1 / x of each element",
    "round": "each element rounded to the nearest integer-valued number (halves to even)",
    "sign": "the sign of each element (x / |x| for complex numbers)",
    "signbit": "whether the sign bit of each element is set",
    "sin": "the sine of each element (in radians)",
    "sinh": "the hyperbolic sine of each element",
    "sqrt": "the principal square root of each element",
    "square": "the square of each element",
    "tan": "the tangent of each element (in radians)",
    "tanh": "the hyperbolic tangent of each element",
    "trunc": "each element rounded toward zero to an integer-valued number",
    "add": "the sum of each pair of elements",
    "atan2": "the inverse tangent of x1 / x2 for each pair of elements, in the quadrant of (x2, x1)",
    "bitwise_and": "the bitwise AND of each pair of elements",
    "bitwise_left_shift": "each element of x1 shifted left by the number of bits in x2",
    "bitwise_or": "the bitwise OR of each pair of elements",
    "bitwise_right_shift": "each element of x1 shifted right by the number of bits in x2",
    "bitwise_xor": "the bitwise XOR of each pair of elements",
    "copysign": "the magnitude of each element of x1 with the sign of x2",
    "divide": "the true quotient x1 / x2 of each pair of elements",
    "equal": "whether each pair of elements is equal",
    "floor_divide": "the quotient x1 / x2 of each pair of elements, rounded down",
    "greater": "whether each element of x1 is greater than that of x2",
    "greater_equal": "whether each element of x1 is greater than or equal to that of x2",
    "hypot": "the square root of the sum of squares, sqrt(x1**2 + x2**2), of each pair of elements",
    "less": "whether each element of x1 is less than that of x2",
    "less_equal": "whether each element of x1 is less than or equal to that of x2",
    "logaddexp": "log(exp(x1) + exp(x2)) of each pair of elements, without overflow",
    "logical_and": "the logical AND of each pair of elements",
    "logical_or": "the logical OR of each pair of elements",
    "logical_xor": "the logical XOR of each pair of elements",
    "maximum": "the larger of each pair of elements",
    "minimum": "the smaller of each pair of elements",
    "multiply": "the product of each pair of elements",
    "nextafter": "the next representable floating-point value after x1 toward x2, per element",
    "not_equal": "whether each pair of elements differs",
    "pow": "each element of x1 raised to the power of that of x2",
    "remainder": "the remainder of x1 / x2 for each pair of elements, with the sign of x2",
    "subtract": "the difference x1 - x2 of each pair of elements",
}

_OTHERS = {
    "all": "whether every element along the given axes is true",
    "any": "whether any element along the given axes is true",
    "arange": "evenly spaced values in the half-open interval [start, stop)",
    "argmax": "the indices of the maximum values along an axis",
    "argmin": "the indices of the minimum values along an axis",
    "argsort": "the indices that sort an array along an axis",
    "broadcast_arrays": "the arrays broadcast against one another",
    "broadcast_to": "an array broadcast to a shape",
    "clip": "each element clamped to the range [min, max]",
    "concat": "the arrays joined along an existing axis",
    "count_nonzero": "the number of non-zero elements along the given axes",
    "cumulative_prod": "the cumulative product of the elements along an axis",
    "cumulative_sum": "the cumulative sum of the elements along an axis",
    "diff": "the n-th discrete forward difference along an axis",
    "empty": "an uninitialized array of a shape",
    "empty_like": "an uninitialized array with the shape of an input array",
    "expand_dims": "the array with a new axis of size one inserted at a position",
    "eye": "a two-dimensional array with ones on the k-th diagonal and zeros elsewhere",
    "flip": "the array with the order of its elements reversed along the given axes",
    "full": "an array of a shape filled with a value",
    "full_like": "an array with the shape of an input array, filled with a value",
    "isin": "whether each element of x1 is in x2",
    "linspace": "num evenly spaced numbers over the interval [start, stop]",
    "matmul": "the matrix product of two arrays",
    "matrix_transpose": "the transpose of a matrix (or a stack of matrices)",
    "max": "the maximum value along the given axes",
    "mean": "the arithmetic mean along the given axes",
    "meshgrid": "coordinate matrices from coordinate vectors",
    "min": "the minimum value along the given axes",
    "moveaxis": "the array with axes moved to new positions",
    "nonzero": "the indices of the non-zero elements",
    "ones": "an array of a shape filled with ones",
    "ones_like": "an array of ones with the shape of an input array",
    "permute_dims": "the array with its axes permuted",
    "prod": "the product of the elements along the given axes",
    "repeat": "each element repeated along an axis",
    "reshape": "the array with a new shape and the same data",
    "roll": "the elements rolled (shifted, wrapping around) along the given axes",
    "searchsorted": "the indices where elements of x2 would be inserted into the sorted x1 to keep it sorted",
    "sort": "a sorted copy of the array along an axis",
    "squeeze": "the array with axes of size one removed",
    "stack": "the arrays joined along a new axis",
    "std": "the standard deviation along the given axes",
    "sum": "the sum of the elements along the given axes",
    "take": "the elements of an array at the given indices along an axis",
    "take_along_axis": "the elements of an array at indices that match it along an axis",
    "tensordot": "the tensor contraction of two arrays over the given axes",
    "tile": "the array repeated the given number of times along each axis",
    "tril": "the lower triangle of a matrix (or a stack of matrices)",
    "triu": "the upper triangle of a matrix (or a stack of matrices)",
    "unique_all": "the unique elements, the indices of their first occurrences, the inverse indices and counts",
    "unique_counts": "the unique elements and their counts",
    "unique_inverse": "the unique elements and the indices that rebuild the input from them",
    "unique_values": "the unique elements",
    "unstack": "the array split into a tuple of arrays along an axis",
    "var": "the variance along the given axes",
    "vecdot": "the (conjugating) dot product of two vectors (or stacks of vectors) along an axis",
    "where": "elements chosen from x1 where the condition is true and from x2 elsewhere",
    "zeros": "an array of a shape filled with zeros",
    "zeros_like": "an array of zeros with the shape of an input array",
    "linalg.cholesky": "the Cholesky decomposition of a symmetric positive-definite matrix (or a stack of them)",
    "linalg.cross": "the cross product of 3-element vectors",
    "linalg.det": "the determinant of a square matrix (or a stack of them)",
    "linalg.diagonal": "the k-th diagonal of a matrix (or a stack of them)",
    "linalg.eig": "the eigenvalues and eigenvectors of a square matrix (or a stack of them), as complex arrays",
    "linalg.eigh": "the eigenvalues and eigenvectors of a symmetric or Hermitian matrix (or a stack of them)",
    "linalg.eigvals": "the eigenvalues of a square matrix (or a stack of them), as a complex array",
    "linalg.eigvalsh": "the eigenvalues of a symmetric or Hermitian matrix (or a stack of them)",
    "linalg.inv": "the multiplicative inverse of a square matrix (or a stack of them)",
    "linalg.matmul": "the matrix product of two arrays (an alias of matmul)",
    "linalg.matrix_norm": "the matrix norm of a matrix (or a stack of them)",
    "linalg.matrix_power": "a square matrix raised to an integer power n",
    "linalg.matrix_rank": "the rank (the number of singular values above a tolerance) of a matrix",
    "linalg.matrix_transpose": "the transpose of a matrix (an alias of matrix_transpose)",
    "linalg.outer": "the outer product of two vectors",
    "linalg.pinv": "the (Moore-Penrose) pseudo-inverse of a matrix (or a stack of them)",
    "linalg.qr": "the QR decomposition of a full column rank matrix (or a stack of them)",
    "linalg.slogdet": "the sign and the natural logarithm of the absolute value of the determinant",
    "linalg.solve": "the solution of the linear system x1 @ x = x2 for a square x1",
    "linalg.svd": "the singular value decomposition of a matrix (or a stack of them)",
    "linalg.svdvals": "the singular values of a matrix (or a stack of them)",
    "linalg.tensordot": "the tensor contraction of two arrays (an alias of tensordot)",
    "linalg.trace": "the sum along a diagonal of a matrix (or a stack of them)",
    "linalg.vecdot": "the vector dot product (an alias of vecdot)",
    "linalg.vector_norm": "the vector norm of the elements along the given axes",
    "fft.fft": "the one-dimensional discrete Fourier transform",
    "fft.ifft": "the one-dimensional inverse discrete Fourier transform",
    "fft.fftn": "the n-dimensional discrete Fourier transform",
    "fft.ifftn": "the n-dimensional inverse discrete Fourier transform",
    "fft.rfft": "the one-dimensional discrete Fourier transform of real-valued input",
    "fft.irfft": "the inverse of rfft: a real-valued signal from its one-sided spectrum",
    "fft.rfftn": "the n-dimensional discrete Fourier transform of real-valued input",
    "fft.irfftn": "the inverse of rfftn: a real-valued signal from its one-sided spectrum",
    "fft.hfft": "the one-dimensional discrete Fourier transform of a signal with Hermitian symmetry",
    "fft.ihfft": "the one-dimensional inverse discrete Fourier transform of a real signal (Hermitian output)",
    "fft.fftfreq": "the sample frequencies of the discrete Fourier transform",
    "fft.rfftfreq": "the non-negative sample frequencies of the discrete Fourier transform of real input",
    "fft.fftshift": "the spectrum with the zero-frequency component shifted to the center",
    "fft.ifftshift": "the inverse of fftshift",
}

SUMMARIES = {**_ELEMENTWISE, **_OTHERS}

_ANY_BACKEND = "The arguments may be Tensors of any one backend (or its native arrays); the result is on it."
_CREATION = (
    "unitensor adds the keyword ``backend=`` (a name or a Backend): the backend that holds the "
    "result, by default the current one (:func:`unitensor.get_backend`); ``device`` also takes a string."
)

#: where unitensor adds to or departs from the standard, beyond accepting any backend
DEPARTURES = {
    "linalg.eig": "JAX computes it on the CPU only (it has no GPU kernel for it).",
    "linalg.eigvals": "JAX computes it on the CPU only (it has no GPU kernel for it).",
}


def docstring(name: str, creation: bool) -> str:
    """The docstring of namespace function ``name`` (dotted for the extensions)."""
    summary = SUMMARIES.get(name, f"the array API standard's {name}")  # tests/test_signatures.py asks for one
    lines = [f"{summary[0].upper()}{summary[1:]}.", "", f"The array API standard's ``{name}``. {_ANY_BACKEND}"]
    if creation:
        lines.append(_CREATION)
    if name in DEPARTURES:
        lines.append(DEPARTURES[name])
    lines += ["", f"See {SPEC_URL.format(name=name)}"]
    return "\n".join(lines)


def signature(name: str) -> inspect.Signature:
    """``inspect.Signature`` of namespace function ``name``, from the table of the standard's signatures."""
    params, returns = SIGNATURES[name]
    return inspect.Signature(
        [
            inspect.Parameter(
                p,
                inspect._ParameterKind(kind),
                default=inspect.Parameter.empty if default is REQUIRED else default,
                annotation=annotation,
            )
            for p, kind, default, annotation in params
        ],
        return_annotation=returns,
    )


def describe(function: Callable[..., Any], name: str, creation: bool) -> None:
    """Give ``function`` the real signature and docstring of namespace function ``name``."""
    function.__doc__ = docstring(name, creation)
    if name not in SIGNATURES:  # a new table entry: python tools/generate_api.py signatures (the tests ask for it)
        return
    text = signature(name)
    function.__signature__ = text  # type: ignore[attr-defined]
    if not inspect.isfunction(function):
        # help() shows no signature for the C accelerator's callables: their docstring opens
        # with it instead, as NumPy's ufuncs' do
        function.__doc__ = f"{function.__name__}{text}\n\n{function.__doc__}"
