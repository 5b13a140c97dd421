"""Analyse a stream of articles in worker processes (``Analyzer.render_each``, ``workers=N``).

Workers are forked where the platform allows, so they start at once and share the model the
parent loaded. Results come back in input order, with a few batches per worker in flight, so
memory stays flat on a stream of any length. A worker that dies (a crash, the out-of-memory
killer) costs only the article that killed it: the batches in flight are run again in a fresh
pool, the one that failed article by article and alone, and an article that kills its worker
alone is reported as an ``InputError``.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from slant.analyzer import Analyzer, batches
from slant.encode import default_threads
from slant.errors import InputError
from slant.ingest import Source

if TYPE_CHECKING:
    from slant.doc import Analysis

IN_FLIGHT_PER_WORKER = 3
T = TypeVar("T")  # what ``render`` makes of an analysis

_analyzer: Analyzer | None = None  # the analyzer of this worker process


def _start_worker(analyzer: Analyzer, threads: int) -> None:
    global _analyzer
    # Ctrl-C reaches the whole process group: the parent alone decides to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    analyzer.threads = threads  # the encoder, if this worker loads one, gets its share
    _analyzer = analyzer


def _analyze_batch(
    batch: list[Source], language: str | None, render: Callable[[Analysis], T]
) -> list[T | InputError]:
    assert _analyzer is not None
    return [
        result if isinstance(result, InputError) else render(result)
        for result in _analyzer._each_in_batch(batch, language)
    ]


def analyze_in_workers(
    analyzer: Analyzer,
    sources: Iterable[Source],
    language: str | None,
    batch_size: int,
    workers: int,
    render: Callable[[Analysis], T],
) -> Iterator[T | InputError]:
    """``analyzer.render_each`` spread over ``workers`` processes; same results, same order."""
    threads = max(1, (analyzer.threads or default_threads()) // workers)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

    def new_pool() -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(analyzer, threads),
        )

    pool = new_pool()
    in_flight: deque[tuple[list[Source], cf.Future]] = deque()
    stream = batches(sources, batch_size)
    finished = False
    try:
        while True:
            while len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                batch = next(stream, None)
                if batch is None:
                    break
                in_flight.append((batch, pool.submit(_analyze_batch, batch, language, render)))
            if not in_flight:
                finished = True
                return
            batch, future = in_flight.popleft()
            try:
                yield from future.result()
                continue
            except cf.process.BrokenProcessPool:
                pass
            # A worker died, and every future of its pool with it. Run the batch we waited on
            # again one article at a time with nothing else in flight, so that a death names its
            # article; then resubmit the other batches.
            pool.shutdown(wait=False, cancel_futures=True)
            pool = new_pool()
            for source in batch:
                try:
                    yield from pool.submit(_analyze_batch, [source], language, render).result()
                except cf.process.BrokenProcessPool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
                    yield InputError(
                        source.name,
                        "its worker process died while analysing it (a crash or out of memory)",
                    )
            in_flight = deque(
                (b, pool.submit(_analyze_batch, b, language, render)) for b, _ in in_flight
            )
    finally:
        # At the end, wait for the idle workers to exit: a pool left behind races the
        # interpreter's exit hook, which may print "OSError: Bad file descriptor". When stopped
        # early (Ctrl-C, an error), leave at once.
        pool.shutdown(wait=finished, cancel_futures=not finished)
