"""Runs blocking analysis work off the event loop: bounded threads, bounded queue, deadlines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Busy(Exception):
    """More requests are waiting than the server accepts; the client should retry later."""


class Deadline(Exception):
    """The request took longer than the per-request timeout."""


class Engine:
    """A pool of ``workers`` threads with at most ``max_queue`` jobs waiting for one.

    A job that is still waiting when its deadline passes is dropped without running; one that
    has started finishes in its thread (Python cannot stop a thread) but its result is discarded,
    and it keeps its place in the bound until it ends, so overload cannot pile up threads.
    """

    def __init__(self, workers: int = 2, max_queue: int = 128, timeout: float = 30.0) -> None:
        self.workers = max(1, workers)
        self.max_queue = max(0, max_queue)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="slant-analyze")
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def run(self, fn: Callable[[], T]) -> T:
        if self._in_flight >= self.workers + self.max_queue:
            raise Busy
        deadline = time.monotonic() + self.timeout

        def job() -> T:
            if time.monotonic() > deadline:
                raise Deadline
            return fn()

        self._in_flight += 1
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, job)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            raise Deadline from None

    def _done(self, future: asyncio.Future[object]) -> None:
        self._in_flight -= 1
        if not future.cancelled():
            future.exception()  # retrieved, so a discarded failure is not logged as unhandled

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
