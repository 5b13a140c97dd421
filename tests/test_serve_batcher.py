"""The batcher of ``slant serve``: waiting requests are analysed together, bounded and timed."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="slant serve needs the 'serve' extra")

from slant.errors import InputError
from slant.ingest import Source
from slant.serve.batcher import Batcher
from slant.serve.engine import Busy, Deadline, Engine


class FakeAnalyzer:
    """Records each batch; the first batch waits for ``release`` so that others queue up."""

    def __init__(self, hold_first: bool = True, delay: float = 0.0) -> None:
        self.batches: list[tuple[list[str], str | None]] = []
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.delay = delay

    def analyze_each(self, sources, *, language=None, batch_size=16):
        names = [s.name for s in sources]
        self.batches.append((names, language))
        self.release.wait(5)
        time.sleep(self.delay)
        for source in sources:
            if source.text == "bad":
                yield InputError(source.name, "empty: no text to analyse")
            else:
                yield f"analysis of {source.name}"


def run(coro):
    return asyncio.run(coro)


def test_waiting_requests_share_a_batch_and_languages_stay_apart() -> None:
    fake = FakeAnalyzer()
    batcher = Batcher(fake, workers=1, max_batch=8)  # type: ignore[arg-type]

    async def scenario():
        first = asyncio.create_task(batcher.analyze(Source("a", "x"), None))
        await asyncio.sleep(0.05)  # "a" runs alone; the next ones wait for the worker
        rest = [
            asyncio.create_task(batcher.analyze(Source(name, "x"), lang))
            for name, lang in [("b", None), ("c", "fr"), ("d", None), ("e", "fr")]
        ]
        await asyncio.sleep(0.05)
        fake.release.set()
        return await asyncio.gather(first, *rest)

    results = run(scenario())
    assert results == [f"analysis of {n}" for n in "abcde"]
    assert fake.batches == [(["a"], None), (["b", "d"], None), (["c", "e"], "fr")]
    batcher.shutdown()


def test_an_input_error_fails_only_its_request() -> None:
    batcher = Batcher(FakeAnalyzer(hold_first=False), workers=1)  # type: ignore[arg-type]

    async def scenario():
        return await asyncio.gather(
            batcher.analyze(Source("ok", "x"), None),
            batcher.analyze(Source("broken", "bad"), None),
            return_exceptions=True,
        )

    ok, bad = run(scenario())
    assert ok == "analysis of ok"
    assert isinstance(bad, InputError) and bad.source == "broken"
    batcher.shutdown()


def test_busy_when_the_queue_is_full() -> None:
    fake = FakeAnalyzer()
    batcher = Batcher(fake, workers=1, max_batch=1, max_queue=1)  # type: ignore[arg-type]

    async def scenario():
        held = [asyncio.create_task(batcher.analyze(Source(n, "x"), None)) for n in "ab"]
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await batcher.analyze(Source("c", "x"), None)
        fake.release.set()
        return await asyncio.gather(*held)

    assert run(scenario()) == ["analysis of a", "analysis of b"]
    batcher.shutdown()


def test_deadline_and_queued_jobs_are_dropped() -> None:
    fake = FakeAnalyzer()
    batcher = Batcher(fake, workers=1, max_batch=1, timeout=0.2)  # type: ignore[arg-type]

    async def scenario():
        jobs = [asyncio.create_task(batcher.analyze(Source(n, "x"), None)) for n in "ab"]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        fake.release.set()
        await asyncio.sleep(0.1)
        return results

    results = run(scenario())
    assert all(isinstance(r, Deadline) for r in results)
    assert [names for names, _ in fake.batches] == [["a"]]  # "b" timed out waiting: never run
    assert batcher.in_flight == 0
    batcher.shutdown()


def test_engine_runs_blocking_work_with_a_deadline() -> None:
    engine = Engine(workers=1, max_queue=0, timeout=0.2)

    async def scenario():
        assert await engine.run(lambda: 41 + 1) == 42
        with pytest.raises(Deadline):
            await engine.run(lambda: time.sleep(0.5))
        with pytest.raises(Busy):  # the slow job still holds the only slot
            await engine.run(lambda: 1)
        await asyncio.sleep(0.5)
        assert engine.in_flight == 0

    run(scenario())
    engine.shutdown()
