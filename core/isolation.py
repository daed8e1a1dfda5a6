"""Killable worker processes: run untrusted-file work with a time and memory limit per task.

Used by scanning and analysis alike. A task that hangs, crashes the interpreter (segfault in a
decoder) or blows the memory limit becomes a `TaskFailure`; the pool replaces the worker and goes
on, so one bad file never stops or stalls the whole job.

Workers die with the process that started them, even after `kill -9` of it: multiprocessing hands
every forkserver child the write end of the forkserver's "alive" pipe, so a worker stuck in a task
kept the forkserver alive and was itself never told (both lived on under PID 1). Each worker closes
that pipe end, asks the kernel for SIGKILL when its parent (the forkserver) dies
(PR_SET_PDEATHSIG, Linux) and watches its parent id from a thread (everywhere else); the
forkserver exits when the last holder of the pipe (the main process) is gone, and when it was
started from the main thread it also gets PR_SET_PDEATHSIG for the main process.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

_CTX = mp.get_context("forkserver")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_INTERVAL_S = 0.5
_GUARD_ENV = "ENCORE_FORKSERVER_DIES_WITH_PARENT"  # set only while the forkserver is being started


@dataclass(frozen=True)
class TaskFailure:
    """Why a task produced no result."""

    reason: str  # error | timeout | crashed
    message: str


def run_test_hooks(path: str) -> None:
    """Test-only: a file whose bytes start with a marker hangs or crashes the worker reading it.

    Enabled by ENCORE_TEST_HOOKS=1 (tests/conftest.py), so tests can prove that a hanging or
    crashing decoder becomes a recorded failure in every stage that reads user files.
    """
    if os.environ.get("ENCORE_TEST_HOOKS") != "1":
        return
    try:  # never block on a FIFO or device here: the stage's own checks report those
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return
    try:
        import stat

        head = os.read(fd, 32) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    finally:
        os.close(fd)
    if head.startswith(b"ENCORE-TEST-HANG"):
        time.sleep(3600)
    if head.startswith(b"ENCORE-TEST-CRASH"):
        os._exit(139)


def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Ask Linux to send `signum` to this process when the thread that started it exits (prctl
    PR_SET_PDEATHSIG). False where that is not available (other systems, no libc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval_s: float = WATCHDOG_INTERVAL_S) -> None:
    """Exit at once when this process's parent is gone (it was re-parented): the fallback where
    PR_SET_PDEATHSIG is missing. A daemon thread, so a task blocked in a read cannot stop it."""
    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="encore-parent-watchdog", daemon=True).start()


def _drop_forkserver_alive_fd() -> None:
    """Close this worker's copy of the forkserver's "alive" pipe, so that the forkserver sees the
    main process die (the pipe's last writer) and exits, which in turn ends this worker."""
    try:
        from multiprocessing import forkserver

        server: Any = getattr(forkserver, "_forkserver", None)
        fd = getattr(server, "_forkserver_alive_fd", None)
        if fd is not None:
            os.close(fd)
            server._forkserver_alive_fd = None
    except (ImportError, AttributeError, OSError):
        pass


def _worker_init() -> None:
    """Tie a fresh worker's life to its parent's."""
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    _drop_forkserver_alive_fd()
    _watch_parent(parent)


def _start_forkserver() -> None:
    """Make sure the forkserver runs; a new one started from the main thread dies with this process.

    PR_SET_PDEATHSIG fires when the *thread* that forked a process exits, so only a forkserver
    started from the main thread gets it (this module, preloaded there, sees _GUARD_ENV); one started
    from a worker thread (a scan in the app) relies on the alive pipe alone, since that thread ending
    must not kill a running scan."""
    from multiprocessing import forkserver

    guard = threading.current_thread() is threading.main_thread()
    _CTX.set_forkserver_preload([__name__] if guard else [])
    if guard:
        os.environ[_GUARD_ENV] = "1"
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(_GUARD_ENV, None)


def _worker_main(conn: Connection, target: str, memory_limit_mb: int, env: dict[str, str]) -> None:
    _worker_init()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    if not os.environ.get("ENCORE_DEBUG"):
        # Decoders (libav inside OpenCV, libsndfile) print to fd 2 about every broken file;
        # the failure is recorded anyway, so keep the user's terminal clean.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    if memory_limit_mb > 0:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for index, task in chunk:
            try:
                result = ("ok", index, func(task))
            except MemoryError:
                result = ("err", index, f"ran out of memory (limit {memory_limit_mb} MB)")
            except BaseException as exc:  # noqa: BLE001 - any failure of a user file is recorded
                result = ("err", index, f"{type(exc).__name__}: {exc}"[:500])
            try:
                conn.send(result)
            except (BrokenPipeError, OSError):
                return


class _Worker:
    def __init__(self, pool: IsolatedPool) -> None:
        parent, child = _CTX.Pipe()
        self.conn = parent
        self.process = _CTX.Process(
            target=_worker_main,
            args=(child, pool.target, pool.memory_limit_mb, pool.env),
            daemon=True,
        )
        self.process.start()
        child.close()
        self.pending: deque[tuple[int, Any]] = deque()
        self.deadline = 0.0

    def kill(self) -> None:
        try:
            self.process.kill()
        except Exception:  # noqa: BLE001
            pass
        self.process.join(timeout=5)
        self.conn.close()


class IsolatedPool:
    """Runs `target` ("module:function") over tasks in `workers` processes with limits.

    `run()` yields (task, result_or_TaskFailure) in completion order; tasks are pulled lazily
    from the iterable, so memory stays flat however many there are. Each worker holds the chunk it
    works on plus `queue_ahead` chunks waiting in its pipe (1: it never idles on a round trip; 0: a
    task is pulled only when a worker is free, for a source whose order changes while it runs).
    """

    def __init__(
        self,
        target: str,
        workers: int = 0,
        timeout_s: float = 20.0,
        memory_limit_mb: int = 2048,
        chunk_size: int = 16,
        env: dict[str, str] | None = None,
        queue_ahead: int = 1,
    ) -> None:
        self.target = target
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.chunk_size = max(1, chunk_size)
        self.env = dict(env or {})
        self.queue_ahead = max(0, queue_ahead)

    def run(
        self, tasks: Iterable[Any], should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[tuple[Any, Any]]:
        source = iter(enumerate(tasks))
        exhausted = False
        workers: list[_Worker] = []
        retry: deque[tuple[int, Any]] = deque()

        def next_chunk() -> list[tuple[int, Any]]:
            nonlocal exhausted
            chunk: list[tuple[int, Any]] = []
            while retry and len(chunk) < self.chunk_size:
                chunk.append(retry.popleft())
            while not exhausted and len(chunk) < self.chunk_size:
                try:
                    chunk.append(next(source))
                except StopIteration:
                    exhausted = True
            return chunk

        def feed(worker: _Worker) -> None:
            chunk = next_chunk()
            if chunk:
                worker.pending.extend(chunk)
                worker.deadline = time.monotonic() + self.timeout_s
                try:
                    worker.conn.send(chunk)
                except OSError:
                    # The worker died on a task already in its pipe (BrokenPipeError). Its pipe now reads
                    # EOF, so the loop below fails that task as crashed and requeues this unsent chunk.
                    pass

        try:
            _start_forkserver()
            for _ in range(self.workers):
                worker = _Worker(self)
                workers.append(worker)
                for _ in range(1 + self.queue_ahead):  # chunks waiting in the pipe: no idling on a round trip
                    feed(worker)
            while True:
                if should_stop():
                    return
                busy = [w for w in workers if w.pending]
                if not busy:
                    return
                now = time.monotonic()
                timeout = max(0.0, min(w.deadline for w in busy) - now)
                ready = wait([w.conn for w in busy], timeout=min(timeout, 0.5))
                for worker in busy:
                    if worker.conn in ready:
                        try:
                            status, index, payload = worker.conn.recv()
                        except (EOFError, OSError):
                            # The process died mid-task (segfault, OOM kill, os._exit).
                            yield from self._replace(worker, workers, retry, "crashed", feed)
                            continue
                        head_index, task = worker.pending.popleft()
                        assert head_index == index, "worker answered out of order"
                        worker.deadline = time.monotonic() + self.timeout_s
                        yield task, (payload if status == "ok" else TaskFailure("error", payload))
                        if len(worker.pending) <= self.chunk_size * self.queue_ahead:
                            feed(worker)
                    elif time.monotonic() >= worker.deadline:
                        yield from self._replace(worker, workers, retry, "timeout", feed)
        finally:
            for worker in workers:
                try:
                    worker.conn.send(None)
                except Exception:  # noqa: BLE001
                    pass
                worker.kill()

    def _replace(self, worker, workers, retry, reason, feed):
        """Fail the task in flight, requeue the rest of the chunk, start a fresh worker."""
        exitcode = worker.process.exitcode
        worker.kill()
        _, task = worker.pending.popleft()
        retry.extendleft(reversed(worker.pending))
        worker.pending.clear()
        if reason == "timeout":
            message = f"timed out after {self.timeout_s:g} s (the file may hang the decoder)"
        else:
            code = worker.process.exitcode if exitcode is None else exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            message = f"the decoder crashed ({how})"
        workers.remove(worker)
        fresh = _Worker(self)
        workers.append(fresh)
        yield task, TaskFailure(reason, message)
        feed(fresh)


if os.environ.pop(_GUARD_ENV, None) == "1":  # imported as the forkserver's preload module
    die_with_parent()
