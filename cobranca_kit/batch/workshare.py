"""Results of a pool of worker processes, in task order, with the calling process helping.

With ``--processos N`` the run uses N processes in all: ``N - 1`` workers plan
pieces of the portfolio, and the process that owns the ledger and the output
files plans pieces too, whenever the oldest piece it has to write next is not
ready yet. So two processes keep two cores busy, instead of two workers plus a
writer competing for them; and the writer, which has the most to do besides
planning, simply plans fewer pieces.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Tasks waiting in the pool per worker: a worker finishing one always finds the
# next, even while this process is busy planning or writing a piece of its own.
QUEUED_PER_WORKER = 3


@dataclass
class _Ready(Generic[R]):
    """A result this process computed itself, waiting for its turn."""

    value: R


@dataclass
class _InPool(Generic[T, R]):
    """A task handed to the pool, kept so this process can take it back before it starts."""

    future: Future[R]
    task: T


def in_order(
    tasks: Iterable[T],
    submit: Callable[[T], Future[R]],
    run_here: Callable[[T], R],
    workers: int,
    *,
    held: int | None = None,
) -> Iterator[R]:
    """Yield the result of every task, in the order of ``tasks``.

    Tasks go to the pool through ``submit`` while it has fewer than
    ``QUEUED_PER_WORKER`` per worker; when the oldest result is not done, the
    next task runs here (``run_here``) instead of waiting. When there is no next
    task (the end of the file, or ``held`` results already waiting), this process
    takes back the latest task the pool has not started (``Future.cancel``) and
    runs it, so the last pieces are not left to one worker while the others wait.
    At most ``held`` results (done or not) are kept waiting, which bounds memory
    when this process is faster than the pool.
    """
    source = iter(tasks)
    queued_max = max(1, workers) * QUEUED_PER_WORKER
    held_max = held if held is not None else queued_max + 2 * QUEUED_PER_WORKER
    pending: deque[_InPool[T, R] | _Ready[R]] = deque()
    exhausted = False

    def take() -> tuple[bool, T | None]:
        nonlocal exhausted
        for task in source:
            return True, task
        exhausted = True
        return False, None

    def take_back() -> bool:
        """Run here the latest task the pool has not started; False when there is none."""
        for i in range(len(pending) - 1, -1, -1):
            item = pending[i]
            if isinstance(item, _InPool) and item.future.cancel():
                pending[i] = _Ready(run_here(item.task))
                return True
        return False

    while True:
        # Tasks still queued or running; finished ones wait their turn without holding a worker.
        in_pool = sum(1 for item in pending if isinstance(item, _InPool) and not item.future.done())
        while not exhausted and in_pool < queued_max and len(pending) < held_max:
            got, task = take()
            if got:
                pending.append(_InPool(submit(task), task))  # type: ignore[arg-type]
                in_pool += 1
        if not pending:
            return
        head = pending[0]
        if isinstance(head, _InPool) and not head.future.done():
            if not exhausted and len(pending) < held_max:
                got, task = take()
                if got:
                    pending.append(_Ready(run_here(task)))  # type: ignore[arg-type]
                continue
            if take_back():
                continue
        pending.popleft()
        if isinstance(head, _Ready):
            yield head.value
        else:
            yield head.future.result()


# Linux prctl option: the signal this process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1
# How often a worker without prctl checks that its parent is alive.
PARENT_POLL_S = 0.5


def die_with_parent(parent: int, spill: Path | None = None) -> None:
    """Make this worker process end when ``parent`` ends, however it ends (even killed).

    Otherwise a worker whose parent was killed waits forever for a task that never
    comes. On the way out the worker removes ``spill``, where the pieces handed to
    the parent wait: they hold debtors' personal data. On Linux the kernel sends
    SIGTERM (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread watches the parent.
    """

    def end(signum: int, frame: FrameType | None) -> None:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
        os._exit(1)

    signal.signal(signal.SIGTERM, end)
    if not _request_death_signal(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the request took effect
        end(signal.SIGTERM, None)


def _request_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
