"""scikit-learn and SciPy, run on unitensor Tensors of every CPU backend.

Array API consumers find their namespace with ``x.__array_namespace__()`` and
create every new array through it, so this suite is what "a Tensor's
namespace is its backend's" means in practice. Each client runs three ways on
the same data: on NumPy arrays (the reference), on unitensor Tensors of the
backend, and on the backend's raw arrays (which the clients reach through
array-api-compat). The Tensor result must equal the NumPy one and be a Tensor
of the input's backend and device.

A client that cannot run on a backend is listed, with the reason, in
``KNOWN_FAILURES``: the one table of strict xfails, for Tensors and raw arrays
alike. An entry fails on both paths, or only on raw arrays (JAX arrays are
immutable; a Tensor is not): nothing may work raw and fail on Tensors.

SciPy reads ``SCIPY_ARRAY_API`` when it is first imported; ``tests/conftest.py``
sets it before anything imports SciPy, and ``test_scipy_array_api_is_on`` fails
with the reason if something imported SciPy first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.cluster.vq
import scipy.fft
import scipy.integrate
import scipy.ndimage
import scipy.signal
import scipy.special
import scipy.stats
import sklearn
from array_api_compat import array_namespace
from scipy._lib._array_api import SCIPY_ARRAY_API
from sklearn import (
    decomposition,
    discriminant_analysis,
    linear_model,
    metrics,
    preprocessing,
)
from sklearn.metrics import pairwise

import unitensor as ut

# -- the inputs: small, fixed, well conditioned ---------------------------------------------------

_rng = np.random.default_rng(0)
DATA = {
    "X": _rng.normal(size=(24, 4)),
    "labels": np.tile(np.arange(3), 8),
    "predicted": _rng.permutation(np.tile(np.arange(3), 8)),
    "target": _rng.normal(size=24),
    "targets": _rng.normal(size=(24, 2)),
    "fitted": _rng.normal(size=(24, 2)),
    "signal": _rng.normal(size=32),
    "kernel": np.array([0.25, 0.5, 0.25]),
    "positive": _rng.uniform(0.5, 2.0, size=16),
    "image": _rng.normal(size=(8, 8)),
    "grid": np.linspace(0.0, 2.0, 17),
}
DATA["X"][:, 0] += DATA["labels"]  # classes LinearDiscriminantAnalysis can tell apart
DATA["curve"] = np.sin(DATA["grid"])


@dataclass(frozen=True)
class Client:
    """A function of an array API library, run on the ``inputs`` named in DATA."""

    run: Callable[..., Any]
    inputs: tuple[str, ...] = ("X",)
    rtol: float = 1e-7


def _scikit_learn(run: Callable[..., Any], *inputs: str) -> Client:
    def dispatched(*arrays: Any) -> Any:
        with sklearn.config_context(array_api_dispatch=True):
            return run(*arrays)

    return Client(dispatched, inputs or ("X",))


CLIENTS: dict[str, Client] = {
    # scikit-learn
    "PCA": _scikit_learn(lambda X: decomposition.PCA(n_components=2, svd_solver="full").fit_transform(X)),
    "StandardScaler": _scikit_learn(lambda X: preprocessing.StandardScaler().fit_transform(X)),
    "MinMaxScaler": _scikit_learn(lambda X: preprocessing.MinMaxScaler().fit_transform(X)),
    "MaxAbsScaler": _scikit_learn(lambda X: preprocessing.MaxAbsScaler().fit_transform(X)),
    "Normalizer": _scikit_learn(lambda X: preprocessing.Normalizer().fit_transform(X)),
    "PolynomialFeatures": _scikit_learn(lambda X: preprocessing.PolynomialFeatures(2).fit_transform(X)),
    "LabelEncoder": _scikit_learn(lambda y: preprocessing.LabelEncoder().fit_transform(y), "predicted"),
    "LinearDiscriminantAnalysis": _scikit_learn(
        lambda X, y: discriminant_analysis.LinearDiscriminantAnalysis().fit(X, y).predict_proba(X), "X", "labels"
    ),
    "Ridge(svd)": _scikit_learn(
        lambda X, y: linear_model.Ridge(alpha=0.5, solver="svd").fit(X, y).predict(X), "X", "target"
    ),
    "euclidean_distances": _scikit_learn(pairwise.euclidean_distances),
    "rbf_kernel": _scikit_learn(pairwise.rbf_kernel),
    "cosine_similarity": _scikit_learn(pairwise.cosine_similarity),
    "polynomial_kernel": _scikit_learn(pairwise.polynomial_kernel),
    "confusion_matrix": _scikit_learn(metrics.confusion_matrix, "labels", "predicted"),
    "r2_score": _scikit_learn(lambda y, p: metrics.r2_score(y, p, multioutput="raw_values"), "targets", "fitted"),
    "mean_squared_error": _scikit_learn(
        lambda y, p: metrics.mean_squared_error(y, p, multioutput="raw_values"), "targets", "fitted"
    ),
    # SciPy
    "special.erf": Client(scipy.special.erf, ("signal",)),
    "special.expit": Client(scipy.special.expit, ("signal",)),
    "special.logsumexp": Client(lambda X: scipy.special.logsumexp(X, axis=0)),
    "special.xlogy": Client(scipy.special.xlogy, ("positive", "positive")),
    "stats.zscore": Client(lambda X: scipy.stats.zscore(X, axis=0)),
    "stats.moment": Client(lambda X: scipy.stats.moment(X, order=3, axis=0)),
    "stats.skew": Client(lambda X: scipy.stats.skew(X, axis=0)),
    "stats.kurtosis": Client(lambda X: scipy.stats.kurtosis(X, axis=0)),
    "stats.gmean": Client(scipy.stats.gmean, ("positive",)),
    "fft.fft": Client(scipy.fft.fft, ("signal",)),
    "fft.dct": Client(scipy.fft.dct, ("signal",)),
    "signal.convolve": Client(scipy.signal.convolve, ("signal", "kernel")),
    "signal.correlate": Client(scipy.signal.correlate, ("signal", "kernel")),
    "ndimage.gaussian_filter": Client(lambda image: scipy.ndimage.gaussian_filter(image, sigma=1.0), ("image",)),
    "ndimage.uniform_filter": Client(lambda image: scipy.ndimage.uniform_filter(image, size=3), ("image",)),
    "cluster.vq.whiten": Client(scipy.cluster.vq.whiten),
    "integrate.trapezoid": Client(lambda y, x: scipy.integrate.trapezoid(y, x=x), ("curve", "grid")),
    "integrate.cumulative_trapezoid": Client(
        lambda y, x: scipy.integrate.cumulative_trapezoid(y, x=x), ("curve", "grid")
    ),
}


# -- the one table of known failures ------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why a client fails on a backend, and whether on Tensors too (else on raw arrays only)."""

    reason: str
    tensors_too: bool = True


_UNKNOWN_MASK_LENGTH = (
    "Dask: the client writes a[mask] = values, and Dask cannot index with a mask whose "
    "length (number of True values) it does not know before computing"
)
_JAX_IMMUTABLE = "JAX arrays are immutable: the client writes into an array in place (x[key] = value)"

KNOWN_FAILURES: dict[tuple[str, str], Failure] = {
    ("StandardScaler", "dask"): Failure(_UNKNOWN_MASK_LENGTH),
    ("Ridge(svd)", "dask"): Failure(_UNKNOWN_MASK_LENGTH),
    ("r2_score", "dask"): Failure(_UNKNOWN_MASK_LENGTH),
    ("LinearDiscriminantAnalysis", "dask"): Failure(
        "Dask: scikit-learn's type_of_target compares unique_values(y).shape[0] > 2, and Dask does not "
        "know that length (the number of classes) before computing"
    ),
    ("LabelEncoder", "dask"): Failure(
        "Dask: raw unique_values has unknown chunk sizes, which scikit-learn then indexes", tensors_too=False
    ),
    **{
        (client, "jax"): Failure(_JAX_IMMUTABLE, tensors_too=False)
        for client in (
            "StandardScaler",
            "MinMaxScaler",
            "MaxAbsScaler",
            "Normalizer",
            "PolynomialFeatures",
            "LinearDiscriminantAnalysis",
            "Ridge(svd)",
            "euclidean_distances",
            "rbf_kernel",
            "cosine_similarity",
            "r2_score",
        )
    },
}


def _mark_known_failure(request: pytest.FixtureRequest, client: str, backend: str, raw: bool) -> None:
    """A strict xfail for a table entry: the test still runs, and passing fails it (the table is stale)."""
    failure = KNOWN_FAILURES.get((client, backend))
    if failure is not None and (raw or failure.tensors_too):
        request.applymarker(pytest.mark.xfail(reason=failure.reason, strict=True))


# -- running a client -----------------------------------------------------------------------------


def _raw_arrays(backend: str) -> Callable[[np.ndarray], Any]:
    """The backend's own array from NumPy data (what a user of that framework would pass)."""
    if backend == "numpy":
        return np.asarray
    if backend == "torch":
        import torch

        return torch.asarray
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.asarray
    if backend == "dask":
        import dask.array as da

        return lambda a: da.from_array(a, chunks=a.shape)
    if backend == "strict":
        import array_api_strict

        return array_api_strict.asarray
    raise ValueError(f"no raw arrays for backend {backend!r}")


def _as_numpy(result: Any) -> np.ndarray:
    if isinstance(result, ut.Tensor):
        return result.numpy(force=True)
    if hasattr(result, "compute"):  # dask
        result = result.compute()
    return np.asarray(ut.astensor(result).numpy(force=True))


def _expected(name: str) -> np.ndarray:
    client = CLIENTS[name]
    return np.asarray(client.run(*(DATA[key] for key in client.inputs)))


def test_scipy_array_api_is_on():
    assert SCIPY_ARRAY_API, (
        "SciPy was imported before SCIPY_ARRAY_API=1 was set (tests/conftest.py sets it); "
        "its array API support is decided at import"
    )


@pytest.mark.parametrize("name", CLIENTS)
def test_client_on_tensors(request, backend, name):
    _mark_known_failure(request, name, backend, raw=False)
    client = CLIENTS[name]
    inputs = [ut.asarray(DATA[key], backend=backend) for key in client.inputs]
    result = client.run(*inputs)
    assert isinstance(result, ut.Tensor), f"{name} returned {type(result).__name__}, not a Tensor"
    assert result.backend.name == backend
    assert result.device == inputs[0].device
    np.testing.assert_allclose(_as_numpy(result), _expected(name), rtol=client.rtol, atol=1e-12)


@pytest.mark.parametrize("name", CLIENTS)
def test_client_on_raw_arrays(request, backend, name):
    """The same client on the framework's own arrays: a failure here that is not in the table would
    be one unitensor has fixed, and one in the table shows the reason is not unitensor's."""
    _mark_known_failure(request, name, backend, raw=True)
    client = CLIENTS[name]
    inputs = [_raw_arrays(backend)(DATA[key]) for key in client.inputs]
    result = client.run(*inputs)
    assert array_namespace(result) is array_namespace(inputs[0])
    np.testing.assert_allclose(_as_numpy(result), _expected(name), rtol=client.rtol, atol=1e-12)


def test_the_table_names_known_clients_and_backends():
    for client, backend in KNOWN_FAILURES:
        assert client in CLIENTS and backend in ut.backends.names(), (client, backend)
