"""The default backend: ``set_backend`` (process-wide), ``use_backend`` (context-local), ``get_backend``."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

import unitensor as ut
from unitensor.backends import BackendNotInstalledError, UnknownBackendError
from unitensor.backends.numpy import NumpyBackend


def test_default_backend_is_numpy():
    assert ut.get_backend().name == "numpy"
    assert ut.asarray([1.0]).backend.name == "numpy"


def test_set_backend_changes_the_default(backend):
    try:
        ut.set_backend(backend)
        assert ut.get_backend().name == backend
        assert ut.zeros(2).backend.name == backend
    finally:
        ut.set_backend("numpy")


def test_set_backend_accepts_a_backend_object(toy):
    try:
        ut.set_backend(ut.backends.get(toy))
        assert ut.get_backend().name == toy
    finally:
        ut.set_backend("numpy")


def test_set_backend_unknown_raises_and_changes_nothing():
    with pytest.raises(UnknownBackendError):
        ut.set_backend("no_such_backend")
    assert ut.get_backend().name == "numpy"


def test_use_backend_is_scoped_and_restored_after_errors(backend, toy):
    with ut.use_backend(toy) as chosen:
        assert chosen.name == toy
        with ut.use_backend(backend):
            assert ut.ones(1).backend.name == backend
        assert ut.get_backend().name == toy
    assert ut.get_backend().name == "numpy"
    with pytest.raises(ZeroDivisionError):
        with ut.use_backend(toy):
            1 / 0  # noqa: B018
    assert ut.get_backend().name == "numpy"
    with pytest.raises(UnknownBackendError):
        with ut.use_backend("no_such_backend"):
            pass
    assert ut.get_backend().name == "numpy"


def test_use_backend_is_local_to_each_thread(backend, toy):
    """Two threads, each inside its own ``use_backend``, overlapping in time, each see their own."""
    barrier = threading.Barrier(2, timeout=30)
    seen: dict[str, list[str]] = {}

    def work(name: str) -> None:
        with ut.use_backend(name):
            barrier.wait()  # both threads are inside their with-blocks now
            seen[name] = [ut.get_backend().name, ut.asarray([1.0]).backend.name]
            barrier.wait()
        seen[name].append(ut.get_backend().name)

    threads = [threading.Thread(target=work, args=(name,)) for name in (backend, toy)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen[backend] == [backend, backend, "numpy"]
    assert seen[toy] == [toy, toy, "numpy"]
    assert ut.get_backend().name == "numpy"


def test_use_backend_in_one_thread_leaves_the_main_thread_alone(toy):
    inside = threading.Event()
    release = threading.Event()

    def work() -> None:
        with ut.use_backend(toy):
            inside.set()
            release.wait(30)

    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert inside.wait(30)
        assert ut.get_backend().name == "numpy"
    finally:
        release.set()
        thread.join()


def test_set_backend_to_a_missing_framework_raises_and_changes_nothing():
    class Missing(NumpyBackend):
        name = "missing"
        requires = ("ut_config_not_installed",)

        def __init__(self) -> None:
            import ut_config_not_installed  # noqa: F401

    ut.backends.register("missing", Missing)
    try:
        with pytest.raises(BackendNotInstalledError, match="ut_config_not_installed"):
            ut.set_backend("missing")
        with pytest.raises(BackendNotInstalledError):
            with ut.use_backend("missing"):
                pass
        assert ut.get_backend().name == "numpy"
    finally:
        ut.backends.unregister("missing")


def test_use_backend_overrides_set_backend_in_its_context(backend, toy):
    try:
        ut.set_backend(toy)
        with ut.use_backend(backend):
            assert ut.get_backend().name == backend
        assert ut.get_backend().name == toy
    finally:
        ut.set_backend("numpy")


def test_set_backend_is_process_wide(toy):
    """A new thread starts from the process-wide default."""
    seen = []
    try:
        ut.set_backend(toy)
        thread = threading.Thread(target=lambda: seen.append(ut.get_backend().name))
        thread.start()
        thread.join()
    finally:
        ut.set_backend("numpy")
    assert seen == [toy]


def test_use_backend_is_local_to_each_asyncio_task(backend, toy):
    async def work(name, started, proceed):
        with ut.use_backend(name):
            started.set()
            await proceed.wait()
            return ut.get_backend().name, ut.zeros(1).backend.name

    async def both():
        events = [(asyncio.Event(), asyncio.Event()) for _ in range(2)]
        tasks = [asyncio.create_task(work(name, *pair)) for name, pair in zip((backend, toy), events)]
        for started, _ in events:
            await started.wait()  # both tasks are inside their with-blocks
        for _, proceed in events:
            proceed.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(both()) == [(backend, backend), (toy, toy)]
    assert ut.get_backend().name == "numpy"


def test_a_copied_context_keeps_its_default(toy):
    with ut.use_backend(toy):
        context = contextvars.copy_context()
    assert ut.get_backend().name == "numpy"
    assert context.run(lambda: ut.get_backend().name) == toy
