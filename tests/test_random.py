"""ut.random: reproducible streams, every draw on every backend, jax.jit, threads, and clear errors."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

import unitensor as ut

DRAWS = {
    "uniform": lambda rng: rng.uniform((200,), low=-2.0, high=3.0),
    "normal": lambda rng: rng.normal((200,), mean=1.0, std=2.0),
    "truncated_normal": lambda rng: rng.truncated_normal((200,), lower=-1.0, upper=1.5),
    "integers": lambda rng: rng.integers(-3, 5, (200,)),
    "bernoulli": lambda rng: rng.bernoulli(0.3, (200,)),
    "permutation": lambda rng: rng.permutation(50),
    "shuffle": lambda rng: rng.shuffle(ut.arange(50, backend=rng.backend)),
    "choice": lambda rng: rng.choice(ut.arange(10, backend=rng.backend) * 2, (30,)),
}


@pytest.fixture(params=sorted(DRAWS))
def draw(request: pytest.FixtureRequest) -> str:
    return request.param


def test_same_seed_same_stream(backend: str, draw: str) -> None:
    first, second = ut.random.Generator(7, backend=backend), ut.random.Generator(7, backend=backend)
    a, b = DRAWS[draw](first), DRAWS[draw](second)
    assert a.backend.name == backend
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the next draw differs, and so does another seed
    assert not np.array_equal(DRAWS[draw](first).numpy(), a.numpy())
    assert not np.array_equal(DRAWS[draw](ut.random.Generator(8, backend=backend)).numpy(), a.numpy())


def test_values_lie_where_asked(backend: str) -> None:
    rng = ut.random.Generator(0, backend=backend)
    u = rng.uniform((2000,), low=-2.0, high=3.0).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.15
    z = rng.normal((4000,), mean=1.0, std=2.0).numpy()
    assert abs(z.mean() - 1.0) < 0.15 and abs(z.std() - 2.0) < 0.15
    t = rng.truncated_normal((2000,), lower=-1.0, upper=1.5, mean=10.0, std=2.0).numpy()
    assert t.min() >= 8.0 and t.max() <= 13.0 and t.std() < 2.0
    i = rng.integers(-3, 5, (2000,)).numpy()
    assert set(np.unique(i)) == set(range(-3, 5))
    b = rng.bernoulli(0.3, (4000,))
    assert b.dtype is ut.bool and abs(b.numpy().mean() - 0.3) < 0.05
    assert sorted(rng.permutation(50).tolist()) == list(range(50))
    shuffled = rng.shuffle(ut.reshape(ut.arange(12, backend=backend), (4, 3)), axis=0).numpy()
    assert sorted(shuffled[:, 0].tolist()) == [0, 3, 6, 9] and (shuffled[:, 1] == shuffled[:, 0] + 1).all()
    picked = rng.choice(ut.arange(10, backend=backend) * 2, (5,), replace=False).numpy()
    assert len(set(picked.tolist())) == 5 and all(v % 2 == 0 for v in picked)
    weights = ut.asarray([0.0, 1.0, 0.0], backend=backend)
    assert rng.choice(3, (10,), p=weights).tolist() == [1] * 10


def test_shape_dtype_device_backend(backend: str) -> None:
    rng = ut.random.Generator(0)
    device = ut.devices(backend)[0]
    x = rng.normal((2, 3), dtype=ut.float32, device=device, backend=backend)
    assert (x.shape, x.dtype, x.device, x.backend.name) == ((2, 3), ut.float32, device, backend)
    n = rng.integers(0, 4, 5, dtype=ut.int32, backend=backend)
    assert (n.shape, n.dtype) == ((5,), ut.int32)
    assert rng.uniform(backend=backend).shape == ()
    assert rng.bernoulli(0.5, (3,), dtype=ut.float32, backend=backend).dtype is ut.float32
    defaults = ut.__array_namespace_info__(backend).default_dtypes()
    assert rng.uniform((2,), backend=backend).dtype is defaults["real floating"]
    assert rng.permutation(3, backend=backend).dtype is defaults["integral"]


def test_half_precision_draws(backend: str) -> None:
    if backend == "strict":
        with pytest.raises(ut.backends.BackendError, match="float16"):
            ut.random.normal(ut.random.key(0, backend=backend), (3,), dtype=ut.float16)
        return
    for half in (ut.float16, ut.bfloat16):
        x = ut.random.normal(ut.random.key(0, backend=backend), (100,), std=0.5, dtype=half)
        assert x.dtype is half and 0.3 < float(ut.std(ut.astype(x, ut.float32))) < 0.7


def test_keys_are_functional(backend: str) -> None:
    key = ut.random.key(5, backend=backend)
    assert key.shape == (2,) and key.dtype is ut.uint32 and key.backend.name == backend
    a = ut.random.uniform(key, (4,))
    np.testing.assert_array_equal(a.numpy(), ut.random.uniform(key, (4,)).numpy())
    k1, k2 = ut.random.split(key)
    assert not np.array_equal(ut.random.uniform(k1, (4,)).numpy(), ut.random.uniform(k2, (4,)).numpy())
    assert [k.shape for k in ut.random.split(key, 3)] == [(2,)] * 3
    np.testing.assert_array_equal(ut.random.split(key)[1].numpy(), k2.numpy())


def test_threads_share_a_generator(backend: str) -> None:
    """Draws from several threads use each key once: together they are the sequential draws."""
    shared = ut.random.Generator(3, backend=backend)
    results: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            value = float(shared.uniform())
            with lock:
                results.append(value)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sequential = ut.random.Generator(3, backend=backend)
    assert sorted(results) == sorted(float(sequential.uniform()) for _ in range(100))


def test_bad_arguments(backend: str) -> None:
    rng = ut.random.Generator(0, backend=backend)
    with pytest.raises(ValueError, match="low < high"):
        rng.uniform(low=1.0, high=0.0)
    with pytest.raises(ValueError, match="low < high"):
        rng.integers(3, 3)
    with pytest.raises(TypeError, match="real floating.*ut.float32"):
        rng.normal((2,), dtype=ut.int32)
    with pytest.raises(TypeError, match="ut.random.key"):
        ut.random.normal(ut.zeros(2, backend=backend), (2,))
    with pytest.raises(ValueError, match="without replacement"):
        rng.choice(3, (4,), replace=False)
    with pytest.raises(TypeError, match="seed"):
        ut.random.Generator(1.5)


def test_numpy_and_dask_streams_agree() -> None:
    a = ut.random.Generator(11, backend="numpy").normal((5,))
    b = ut.random.Generator(11, backend="dask").normal((5,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_stream_is_the_same_run_after_run() -> None:
    code = (
        "import unitensor as ut; print([ut.random.Generator(9, backend=b).normal((3,), dtype=ut.float32)"
        ".tolist() for b in ('numpy', 'torch', 'jax', 'strict')])"
    )
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert len(runs) == 1
    here = [
        ut.random.Generator(9, backend=b).normal((3,), dtype=ut.float32).tolist()
        for b in ("numpy", "torch", "jax", "strict")
    ]
    assert runs == {f"{here}\n"}


def test_inside_jax_jit_with_the_key_threaded_through() -> None:
    jax = pytest.importorskip("jax")

    @jax.jit
    def step(raw_key):  # noqa: ANN001, ANN202
        key, sub = ut.random.split(ut.astensor(raw_key))
        return key.raw, ut.random.normal(sub, (3,), dtype=ut.float32).raw

    key = ut.random.key(0, backend="jax").raw
    new_key, values = step(key)
    _, again = step(key)
    np.testing.assert_array_equal(values, again)
    eager = ut.random.normal(ut.random.split(ut.astensor(key))[1], (3,), dtype=ut.float32)
    np.testing.assert_allclose(values, eager.numpy(), rtol=1e-6)
    assert not np.array_equal(step(new_key)[1], values)
