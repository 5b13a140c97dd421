"""Analyses concurrent requests together: one ``Analyzer.analyze_each`` call per batch.

Encoding the paragraphs of several articles in one batch costs much less than encoding them one
article at a time, so under load the server gathers waiting requests (up to ``max_batch``, same
requested language) into one batch per free worker thread. An idle server answers a single request
at once: nothing waits for a batch to fill.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slant.analyzer import Analyzer
from slant.doc import Analysis
from slant.errors import InputError
from slant.ingest import Source
from slant.serve.engine import Busy, Deadline


@dataclass
class _Job:
    source: Source
    language: str | None
    future: asyncio.Future[Analysis]
    deadline: float


class Batcher:
    """``workers`` threads, each analysing up to ``max_batch`` waiting articles at a time."""

    def __init__(
        self,
        analyzer: Analyzer,
        *,
        workers: int = 2,
        max_batch: int = 16,
        max_queue: int = 256,
        timeout: float = 30.0,
    ) -> None:
        self.analyzer = analyzer
        self.workers = max(1, workers)
        self.max_batch = max(1, max_batch)
        self.max_queue = max(0, max_queue)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="slant-batch")
        self._waiting: deque[_Job] = deque()
        self._running = 0  # batches being analysed
        self._in_flight = 0  # jobs waiting or being analysed

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def analyze(self, source: Source, language: str | None) -> Analysis:
        if self._in_flight >= self.max_queue + self.workers * self.max_batch:
            raise Busy
        loop = asyncio.get_running_loop()
        job = _Job(source, language, loop.create_future(), time.monotonic() + self.timeout)
        self._waiting.append(job)
        self._in_flight += 1
        job.future.add_done_callback(self._job_done)
        self._start_batches(loop)
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), self.timeout)
        except TimeoutError:
            if not job.future.done():
                job.future.set_exception(Deadline())
            raise Deadline from None

    def _job_done(self, future: asyncio.Future[Analysis]) -> None:
        self._in_flight -= 1
        if not future.cancelled():
            future.exception()  # retrieved: a timed-out job's late failure is not logged

    def _start_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        while self._running < self.workers and self._waiting:
            batch: list[_Job] = []
            now = time.monotonic()
            language = None
            rest: deque[_Job] = deque()
            while self._waiting and len(batch) < self.max_batch:
                job = self._waiting.popleft()
                if job.future.done():  # timed out while waiting: never analysed
                    continue
                if job.deadline <= now:
                    job.future.set_exception(Deadline())
                    continue
                if batch and job.language != language:
                    rest.append(job)  # another language: a later batch
                    continue
                language = job.language
                batch.append(job)
            self._waiting.extendleft(reversed(rest))
            if not batch:
                continue
            self._running += 1
            task = loop.run_in_executor(self._executor, self._analyse, batch)
            task.add_done_callback(lambda t, b=batch: self._finish(loop, t, b))

    def _analyse(self, batch: list[_Job]) -> list[Analysis | InputError]:
        sources = [job.source for job in batch]
        return list(
            self.analyzer.analyze_each(sources, language=batch[0].language, batch_size=len(batch))
        )

    def _finish(
        self,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Future[list[Analysis | InputError]],
        batch: list[_Job],
    ) -> None:
        self._running -= 1
        error = task.exception()
        results = task.result() if error is None else [error] * len(batch)
        for job, result in zip(batch, results, strict=True):
            if job.future.done():
                continue
            if isinstance(result, BaseException):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)
        self._start_batches(loop)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
