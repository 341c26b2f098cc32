"""``workshare.in_order``: every result once, in task order; this process helps only while waiting."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from cobranca_kit.batch.workshare import QUEUED_PER_WORKER, in_order


class LazyFuture(Future[int]):
    """A worker's piece: not done until the test finishes it, or until someone waits for it."""

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value
        self.waited = False

    def result(self, timeout: float | None = None) -> int:
        if not self.done():
            self.waited = True
            self.set_result(self.value)
        return super().result(timeout)


class ManualPool:
    """A pool whose pieces finish only when the test says so (or when waited for).

    Pieces start at once (they cannot be taken back) unless ``started`` is False.
    """

    def __init__(self, done_on_submit: bool = False, started: bool = True) -> None:
        self.futures: list[tuple[int, LazyFuture]] = []
        self.done_on_submit = done_on_submit
        self.started = started

    def submit(self, task: int) -> Future[int]:
        future = LazyFuture(task * 10)
        if self.started:
            future.set_running_or_notify_cancel()
        if self.done_on_submit:
            future.set_result(task * 10)
        self.futures.append((task, future))
        return future

    def finish(self, count: int | None = None) -> None:
        waiting = [f for _, f in self.futures if not f.done()]
        for future in waiting[:count]:
            future.set_result(future.value)


def test_results_come_in_task_order_from_a_real_pool() -> None:
    here: list[int] = []

    def run_here(task: int) -> int:
        here.append(task)
        return task * 10

    with ThreadPoolExecutor(2) as pool:
        got = list(in_order(range(200), lambda t: pool.submit(lambda: t * 10), run_here, 2))
    assert got == [t * 10 for t in range(200)]


def test_this_process_plans_while_the_oldest_piece_is_not_back() -> None:
    pool = ManualPool()
    here: list[int] = []
    got: list[int] = []

    def run_here(task: int) -> int:
        oldest = len(got)  # the next result to hand over is that of task number ``oldest``
        by_task = dict(pool.futures)
        assert oldest in by_task and not by_task[oldest].done(), "planned here with a result ready"
        here.append(task)
        if len(here) % 3 == 0:
            pool.finish(1)  # the worker is a third as fast as this process
        return task * 10

    for value in in_order(range(40), pool.submit, run_here, 1):
        got.append(value)
    assert got == [t * 10 for t in range(40)]
    pooled = {t for t, _ in pool.futures}
    assert here and pooled and not pooled & set(here)
    assert pooled | set(here) == set(range(40))
    assert len(here) > len(pooled)  # the slower side did less


def test_nothing_is_planned_here_when_the_pool_is_always_ready() -> None:
    pool = ManualPool(done_on_submit=True)
    got = list(in_order(range(30), pool.submit, lambda t: pytest.fail("planned here"), 2))
    assert got == [t * 10 for t in range(30)]


def test_finished_pieces_waiting_their_turn_do_not_keep_the_worker_idle() -> None:
    """The oldest piece is slow; the ones after it finish at once: the pool keeps getting work."""
    pool = ManualPool()
    submitted_while_head_waits: list[int] = []

    def submit(task: int) -> Future[int]:
        future = pool.submit(task)
        if task > 0:
            future.set_result(task * 10)  # every piece but the first is quick
        if pool.futures[0][1].done() is False:
            submitted_while_head_waits.append(task)
        return future

    def run_here(task: int) -> int:
        if task >= 12:
            pool.finish()  # the first piece comes back at last
        return task * 10

    got = list(in_order(range(40), submit, run_here, 1))
    assert got == [t * 10 for t in range(40)]
    assert len(submitted_while_head_waits) > QUEUED_PER_WORKER


@pytest.mark.parametrize("held", [4, 9])
def test_results_held_back_are_bounded(held: int) -> None:
    """A pool that never answers on its own: this process plans up to the bound, then waits."""
    pool = ManualPool()
    here: list[int] = []
    yielded = 0
    outstanding: list[int] = []

    def run_here(task: int) -> int:
        here.append(task)
        outstanding.append(len(pool.futures) + len(here) - yielded)
        return task * 10

    got = []
    for value in in_order(range(100), pool.submit, run_here, 1, held=held):
        got.append(value)
        yielded += 1
    assert got == [t * 10 for t in range(100)]
    assert max(outstanding) == held
    assert any(f.waited for _, f in pool.futures)  # it did wait once the bound was reached


def test_at_the_end_this_process_takes_back_the_pieces_the_pool_has_not_started() -> None:
    pool = ManualPool(started=False)  # a pool that never gets round to its queue
    here: list[int] = []

    def run_here(task: int) -> int:
        here.append(task)
        return task * 10

    got = list(in_order(range(20), pool.submit, run_here, 2))
    assert got == [t * 10 for t in range(20)]
    assert sorted(here) == list(range(20))  # every piece, taken back from the queue or never sent
    taken_back = [t for t, f in pool.futures if f.cancelled()]
    assert taken_back and not any(f.waited for _, f in pool.futures)


def test_a_started_piece_is_waited_for_not_taken_back() -> None:
    pool = ManualPool()
    got = list(in_order(range(5), pool.submit, lambda t: t * 10, 1))
    assert got == [t * 10 for t in range(5)]
    assert not any(f.cancelled() for _, f in pool.futures)
    assert any(f.waited for _, f in pool.futures)


def test_a_failure_here_or_in_a_worker_reaches_the_caller() -> None:
    def boom(task: int) -> int:
        raise ValueError(f"linha ruim na tarefa {task}")

    pool = ManualPool()
    with pytest.raises(ValueError, match="tarefa"):
        list(in_order(range(10), pool.submit, boom, 1))

    failing: Future[int] = Future()
    failing.set_exception(RuntimeError("trabalhador caiu"))
    with pytest.raises(RuntimeError, match="trabalhador caiu"):
        list(in_order(range(3), lambda t: failing, lambda t: t, 1))
