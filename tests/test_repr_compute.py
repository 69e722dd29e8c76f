"""A summarising repr that never computes a lazy array, and ut.compute / ut.persist running one graph."""

from __future__ import annotations

import numpy as np
import pytest

import unitensor as ut


def _big(backend: str) -> ut.Tensor:
    return ut.reshape(ut.arange(1_000_000, backend=backend), (1000, 1000))


def test_repr_of_a_small_tensor(backend: str) -> None:
    t = ut.asarray([[1, 2, 3], [4, 5, 6]], dtype=ut.int32, backend=backend)
    suffix = f"backend={backend!r}, device='{t.device}', dtype=int32)"
    text = repr(t)
    assert text.endswith(suffix) and text.startswith("Tensor(")
    assert str(t) == text  # like torch: str is repr
    if backend != "dask":
        assert text == f"Tensor([[1, 2, 3],\n        [4, 5, 6]], {suffix}"


def test_repr_summarises_a_large_tensor(backend: str) -> None:
    text = repr(_big(backend))
    assert len(text) < 1000  # NumPy's 1000x1000 repr, unsummarised, would be millions of characters
    if backend == "dask":
        assert "chunks=" in text and "shape=(1000, 1000)" in text
    else:
        assert "..." in text and "999999" in text and "2, ...,    997," in text


def test_repr_follows_numpy_print_options(backend: str) -> None:
    t = ut.arange(20, backend=backend)
    with np.printoptions(threshold=10, edgeitems=2):
        text = repr(t)
    # a lazy Tensor shows no values, whatever the options
    expected = "Tensor(<not computed: shape=(20,)" if backend == "dask" else "Tensor([ 0,  1, ..., 18, 19]"
    assert text.startswith(expected)


def test_repr_never_computes_dask() -> None:
    from dask.callbacks import Callback

    ran: list[object] = []
    x = ut.asarray(np.ones((1000, 1000)), backend="dask", chunks=(500, 1000))
    with Callback(pretask=lambda key, dask, state: ran.append(key)):
        text = repr(ut.exp(x) + 1)
        masked = repr(x[x > 0])
    assert ran == []
    assert "<not computed: shape=(1000, 1000), chunks=((500, 500), (1000,))>" in text
    assert "shape=(None,)" in masked
    tiny_chunks = repr(ut.asarray(np.ones((100, 100)), backend="dask", chunks=(10, 10)))
    assert "chunks=(10, 10) each, 100 in all" in tiny_chunks


def test_repr_of_half_precision_and_traced_values() -> None:
    jax = pytest.importorskip("jax")
    assert "dtype=bfloat16" in repr(ut.asarray([1.5], dtype=ut.bfloat16, backend="torch"))
    seen: list[str] = []

    @jax.jit
    def f(x):  # noqa: ANN001, ANN202
        seen.append(repr(ut.astensor(x)))
        return x

    f(np.ones(3, dtype=np.float32))
    assert seen == ["Tensor(<no values: shape=(3,)>, backend='jax', device='cpu:0', dtype=float32)"]


@pytest.mark.parametrize("run", ["compute", "persist"])
def test_compute_and_persist_on_every_backend(backend: str, run: str) -> None:
    a, b = ut.ones(3, backend=backend), ut.zeros(2, backend=backend) + 1
    results = getattr(ut, run)(a, b)
    assert [r.backend.name for r in results] == [backend, backend]
    assert [r.tolist() for r in results] == [[1.0] * 3, [1.0] * 2]
    if backend != "dask":  # eager backends: a no-op
        assert results[0] is a and results[1] is b


@pytest.mark.parametrize("run", ["compute", "persist"])
def test_compute_runs_one_graph(run: str) -> None:
    calls: list[int] = []

    def expensive(block: np.ndarray) -> np.ndarray:
        if block.size:  # Dask calls it on an empty block once, to learn the output's type
            calls.append(1)
        return block * 2

    x = ut.asarray(np.arange(8.0), backend="dask", chunks=4)
    shared = ut.astensor(x.raw.map_blocks(expensive, dtype=np.float64))
    outputs = [ut.sum(shared), ut.max(shared), shared + 1, ut.exp(shared), shared[::2]]
    results = getattr(ut, run)(*outputs, ut.ones(2))
    assert len(calls) == 2  # two chunks, each computed once for all five results
    assert [r.backend.name for r in results] == ["dask"] * 5 + ["numpy"]
    expected = [
        np.sum(np.arange(8.0) * 2),
        14.0,
        np.arange(8.0) * 2 + 1,
        np.exp(np.arange(8.0) * 2),
        (np.arange(8.0) * 2)[::2],
    ]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got.numpy(), want)
    assert len(calls) == 2  # reading the results does not run the graph again
    assert results[2].raw.chunks == ((4, 4),)


def test_compute_refuses_non_tensors() -> None:
    with pytest.raises(TypeError, match="takes Tensors, got ndarray"):
        ut.compute(np.ones(2))
