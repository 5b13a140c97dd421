"""``slant corpus run``: analyse a corpus on local processes or a Dask cluster, resumably.

The driver (this process) streams the inputs, skips ids that are already in the results,
sends chunks of articles to workers with a bounded number in flight, and commits the results it
gets back as atomic parts (see ``results.py``). Workers load the model once per process and keep
it for every chunk they are given.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slant.corpus.inputs import Item, count_items, iter_items
from slant.corpus.results import ResultsDir, new_meta
from slant.errors import InputError, SlantError

ENGINES = ("local", "dask")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MAX_CHARS = 5_000_000  # same limit as ingest.DEFAULT_MAX_BYTES, for texts given in tables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to build its ``Analyzer`` (sent with every chunk; tiny)."""

    model: str | None = None
    fast: bool = False
    accurate: bool = False
    language: str | None = None


class WorkerDied(SlantError):
    """A local worker process died; what was finished is committed before this is raised."""


@dataclass
class ChunkResult:
    tables: dict[str, Any]
    articles: int
    errors: int
    model: dict[str, str]
    pid: int
    loads: int  # how many times this worker process has loaded a model (1 when all is well)


@dataclass
class RunSummary:
    """What a run did; ``done`` and ``failed`` count this run only."""

    out: str
    done: int = 0
    failed: int = 0
    skipped: int = 0  # already in the results from an earlier run
    duplicates: int = 0  # ids seen twice in the inputs (the later ones are not analysed)
    seconds: float = 0.0
    parts: int = 0
    interrupted: bool = False
    engine: str = "local"
    workers: int = 1
    worker_pids: dict[int, int] = field(default_factory=dict)  # pid -> model loads

    @property
    def rate(self) -> float:
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0


# --------------------------------------------------------------------------------------------
# worker side


_ANALYZERS: dict[tuple[str | None, bool, bool], Any] = {}
_LOADS = 0
_LOAD_LOCK = threading.Lock()  # a multi-threaded Dask worker must still load the model once


def _analyzer(config: WorkerConfig) -> Any:
    """This process's analyzer: loaded on the first chunk, then reused for every chunk."""
    key = (config.model, config.fast, config.accurate)
    with _LOAD_LOCK:
        if key not in _ANALYZERS:
            _ANALYZERS[key] = _load(config)
        return _ANALYZERS[key]


def _load(config: WorkerConfig) -> Any:
    global _LOADS
    from slant.analyzer import Analyzer

    _LOADS += 1
    # the encoder's BLAS threads come from OMP_NUM_THREADS, set by the driver (THREAD_VARS)
    return Analyzer(config.model, fast=config.fast, accurate=config.accurate)


def _to_source(item: Item) -> Any:
    from slant.ingest import Source, html_to_text, read_path

    if item.kind == "file":
        source = replace(read_path(Path(item.payload)), name=item.id)
    elif item.kind == "html":
        source = html_to_text(item.payload, item.id)
    else:
        text = item.payload
        if len(text) > MAX_CHARS:
            raise InputError(
                item.id, f"too large ({len(text):,} characters; the limit is {MAX_CHARS:,})"
            )
        if "\x00" in text[:8192]:
            raise InputError(item.id, "binary data (contains NUL characters), not text")
        source = Source(name=item.id, text=text)
    if item.title:
        source = replace(source, title=item.title)
    return source


def analyze_chunk(items: list[Item], config: WorkerConfig) -> ChunkResult:
    """Analyse a chunk of articles in a worker; a broken article becomes an error row."""
    from slant.corpus.schema import Rows, parse_published

    analyzer = _analyzer(config)
    rows = Rows()
    sources, metas = [], []
    for item in items:
        if item.kind == "error":
            rows.add_error(item.id, item.input, item.payload, "read")
            continue
        try:
            source = _to_source(item)
        except InputError as exc:
            rows.add_error(item.id, item.input, exc.problem, "read")
            continue
        published, warning = parse_published(item.published)
        sources.append(source)
        metas.append(
            {
                "id": item.id,
                "input": item.input,
                "source": item.source,
                "url": item.url,
                "published": published,
                "title": item.title,
                "warnings": [warning] if warning else [],
            }
        )
    results = analyzer.analyze_each(sources, language=config.language)
    for source, meta, result in zip(sources, metas, results, strict=True):
        if isinstance(result, InputError):
            rows.add_error(meta["id"], meta["input"], result.problem, "analyze")
        else:
            rows.add_analysis(result, meta, chars=len(source.text))
    model = analyzer.model
    return ChunkResult(
        tables=rows.tables(),
        articles=len(rows.rows["articles"]),
        errors=len(rows.rows["errors"]),
        model={
            "name": model.name,
            "version": model.version,
            "mode": analyzer.mode,
        },
        pid=os.getpid(),
        loads=_LOADS,
    )


def _init_local_worker() -> None:
    # Ctrl-C goes to the whole process group: let the driver decide, so it can save its work.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------------------------
# engines


class LocalEngine:
    """Worker processes on this machine (``spawn``: no state is inherited from the driver)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local_worker,
        )

    def submit(self, items: list[Item], config: WorkerConfig) -> Any:
        return self.pool.submit(analyze_chunk, items, config)

    def wait(self, futures: set[Any], timeout: float) -> tuple[set[Any], set[Any]]:
        done, pending = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskEngine:
    """Dask distributed: a ``LocalCluster`` of worker processes, or an existing scheduler."""

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None, threads: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise SlantError(
                "the dask engine needs dask[distributed]: pip install 'slant[corpus]'"
            ) from None
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            info = self.client.scheduler_info()
            self.workers = sum(w.get("nthreads", 1) for w in info["workers"].values()) or 1
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,  # one analyzer per process; parallelism = processes
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                env={var: str(threads) for var in THREAD_VARS},
            )
            self.client = Client(self.cluster)
            self.workers = workers

    def submit(self, items: list[Item], config: WorkerConfig) -> Any:
        return self.client.submit(analyze_chunk, items, config, pure=False)

    def wait(self, futures: set[Any], timeout: float) -> tuple[set[Any], set[Any]]:
        from distributed import wait
        from distributed.utils import TimeoutError as DaskTimeout

        try:
            done, pending = wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except (DaskTimeout, TimeoutError):
            return set(), futures
        return set(done), set(pending)

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


# --------------------------------------------------------------------------------------------
# driver


class Progress:
    """Callbacks the driver calls; the CLI draws a Rich progress bar with them."""

    def total(self, n: int) -> None:
        """The number of input articles, once counted (in the background)."""

    def advance(self, n: int, summary: RunSummary) -> None:
        """``n`` more articles were analysed, failed or skipped."""

    def warn(self, message: str) -> None:
        log.warning(message)


def run_corpus(
    inputs: Iterable[str],
    out: str | Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    model: str | Path | None = None,
    fast: bool = False,
    accurate: bool = False,
    language: str | None = None,
    threads: int | None = None,
    chunk_size: int = 16,
    part_size: int = 2000,
    flush_seconds: float = 60.0,
    progress: Progress | None = None,
    count: bool = True,
) -> RunSummary:
    """Analyse every article of ``inputs`` into the results folder ``out``; resumable.

    Articles whose id is already in ``out`` are skipped, so rerunning the same command after a
    crash or ``kill -9`` finishes the job. Results are committed every ``part_size`` articles or
    ``flush_seconds`` seconds, whichever comes first. ``threads`` is each worker's number of
    BLAS threads (default: the CPUs shared out among the workers).
    """
    if engine not in ENGINES:
        raise SlantError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise SlantError("--scheduler needs --engine dask")
    if fast and accurate:
        raise SlantError("choose fast or accurate, not both")
    inputs = list(inputs)
    for item in inputs:
        if item == "-":
            raise SlantError("corpus runs read files and folders, not standard input")
    progress = progress or Progress()
    cpus = os.cpu_count() or 1
    workers = max(1, workers or cpus)
    threads = max(1, threads or cpus // workers)  # default: no oversubscription
    config = WorkerConfig(
        model=str(Path(model).resolve())
        if model and Path(model).exists()
        else (str(model) if model else None),
        fast=fast,
        accurate=accurate,
        language=language,
    )
    results = ResultsDir(out)
    summary = RunSummary(out=str(out), engine=engine)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    with results.lock():
        meta = results.read_meta() or None
        seen = results.done_ids()
        if count:
            threading.Thread(
                target=lambda: _count(inputs, progress), name="slant-count", daemon=True
            ).start()
        saved_env = {var: os.environ.get(var) for var in THREAD_VARS}
        for var in THREAD_VARS:  # inherited by spawned local workers
            os.environ[var] = str(threads)
        runner: LocalEngine | DaskEngine | None = None
        failed = False
        writer = _Writer(results, meta, flush_seconds, part_size, summary)
        try:
            runner = (
                DaskEngine(workers, scheduler, threads)
                if engine == "dask"
                else LocalEngine(workers)
            )
            summary.workers = runner.workers
            in_flight = 2 * runner.workers  # enough to keep every worker busy, no more
            pending: set[Any] = set()
            chunks: dict[Any, list[Item]] = {}

            def collect(timeout: float) -> None:
                nonlocal pending
                done, pending = runner.wait(pending, timeout)
                for future in done:
                    items = chunks.pop(future)
                    n = writer.take(future, items, progress)
                    progress.advance(n, summary)
                writer.maybe_flush()

            for chunk, read_errors in _chunks(
                iter_items(inputs), seen, chunk_size, summary, progress
            ):
                if read_errors:
                    writer.add_read_errors(read_errors)
                    progress.advance(len(read_errors), summary)
                if not chunk:
                    writer.maybe_flush()
                    continue
                while len(pending) >= in_flight:
                    collect(timeout=1.0)
                future = runner.submit(chunk, config)
                chunks[future] = chunk
                pending.add(future)
            while pending:
                collect(timeout=1.0)
            writer.flush()
        except KeyboardInterrupt:
            summary.interrupted = True
            failed = True
            writer.flush()  # keep what is finished; the rest is redone on the next run
        except WorkerDied:
            failed = True
            writer.flush()
            raise
        except BaseException:
            failed = True
            raise
        finally:
            if runner is not None:
                runner.close(cancel=failed)
            for var, value in saved_env.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value
            summary.seconds = time.monotonic() - t0
            writer.finish(started, summary, inputs)
    return summary


def _count(inputs: list[str], progress: Progress) -> None:
    with contextlib.suppress(Exception):  # the count only feeds the ETA; the run goes on
        progress.total(count_items(inputs))


def _chunks(
    items: Iterator[Item],
    seen: Any,
    chunk_size: int,
    summary: RunSummary,
    progress: Progress,
) -> Iterator[tuple[list[Item], list[Item]]]:
    """Group new items into chunks; skip done ids and duplicates; set read errors apart."""
    chunk: list[Item] = []
    errors: list[Item] = []
    skipped = 0
    for item in items:
        if seen.done_before(item.id):
            summary.skipped += 1
            skipped += 1
            if skipped >= 1000:  # keep the bar moving while a resumed run skips ahead
                progress.advance(skipped, summary)
                skipped = 0
            continue
        if seen.seen_now(item.id):
            summary.duplicates += 1
            if summary.duplicates <= 10:
                progress.warn(f"{item.input}: duplicate id {item.id!r}; only the first is analysed")
            elif summary.duplicates == 11:
                progress.warn("more duplicate ids; the summary counts them all")
            progress.advance(1, summary)
            continue
        seen.add(item.id)
        if item.kind == "error":
            errors.append(item)
        else:
            chunk.append(item)
        if len(chunk) >= chunk_size or len(errors) >= chunk_size:
            if skipped:
                progress.advance(skipped, summary)
                skipped = 0
            yield chunk, errors
            chunk, errors = [], []
    if skipped:
        progress.advance(skipped, summary)
    if chunk or errors:
        yield chunk, errors


class _Writer:
    """Buffers finished results and commits them as parts."""

    def __init__(
        self,
        results: ResultsDir,
        meta: dict[str, Any] | None,
        flush_seconds: float,
        part_size: int,
        summary: RunSummary,
    ) -> None:
        self.results = results
        self.meta = meta
        self.flush_seconds = flush_seconds
        self.part_size = part_size
        self.summary = summary
        self.buffer: dict[str, list[Any]] = {}
        self.buffered = 0
        self.last_flush = time.monotonic()

    def add_tables(self, tables: dict[str, Any], n: int) -> None:
        for name, table in tables.items():
            self.buffer.setdefault(name, []).append(table)
        self.buffered += n

    def add_read_errors(self, items: list[Item]) -> None:
        from slant.corpus.schema import Rows

        rows = Rows()
        for item in items:
            rows.add_error(item.id, item.input, item.payload, "read")
        self.add_tables(rows.tables(), len(items))
        self.summary.failed += len(items)

    def take(self, future: Any, items: list[Item], progress: Progress) -> int:
        """Buffer one finished chunk; a chunk whose worker failed becomes error rows."""
        try:
            result: ChunkResult = future.result()
        except cf.process.BrokenProcessPool:
            raise WorkerDied(
                "a worker process died (out of memory?); what was finished is saved: rerun the "
                "same command to go on"
            ) from None
        except SlantError:
            raise
        except Exception as exc:  # e.g. a Dask worker lost: the other chunks go on
            from slant.corpus.schema import Rows

            rows = Rows()
            for item in items:
                rows.add_error(item.id, item.input, f"worker failed: {exc!r}"[:500], "worker")
            self.add_tables(rows.tables(), len(items))
            self.summary.failed += len(items)
            return len(items)
        self._check_model(result.model)
        self.summary.worker_pids[result.pid] = result.loads
        self.add_tables(result.tables, result.articles + result.errors)
        self.summary.done += result.articles
        self.summary.failed += result.errors
        return result.articles + result.errors

    def _check_model(self, model: dict[str, str]) -> None:
        if self.meta is None:
            self.meta = new_meta(model)
            self.results.write_meta(self.meta)
        elif self.meta.get("model") != model:
            raise SlantError(
                f"{self.results.path} holds results of model {_model_name(self.meta.get('model'))}"
                f", not {_model_name(model)}: use the same --model/--fast/--accurate as before, "
                "or a new --out folder"
            )

    def maybe_flush(self) -> None:
        if self.buffered >= self.part_size or (
            self.buffered and time.monotonic() - self.last_flush >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        from slant.corpus.schema import SCHEMAS, TABLES

        if not self.buffered:
            return
        tables = {
            name: pa.concat_tables(self.buffer.get(name) or [SCHEMAS[name].empty_table()])
            for name in TABLES
        }
        # emptied first: if Ctrl-C lands during the write, these rows are either committed or
        # redone by the next run, never committed twice by a second flush
        self.buffer, self.buffered = {}, 0
        self.results.write_part(tables)
        self.summary.parts += 1
        self.last_flush = time.monotonic()

    def finish(self, started: datetime, summary: RunSummary, inputs: list[str]) -> None:
        if self.meta is None:
            return  # nothing was analysed, so there is nothing to describe
        self.meta.setdefault("runs", []).append(
            {
                "started": started.isoformat(timespec="seconds"),
                "seconds": round(summary.seconds, 1),
                "inputs": inputs,
                "engine": summary.engine,
                "workers": summary.workers,
                "done": summary.done,
                "failed": summary.failed,
                "skipped": summary.skipped,
                "duplicates": summary.duplicates,
                "parts": summary.parts,
                "interrupted": summary.interrupted,
            }
        )
        self.results.write_meta(self.meta)


def _model_name(model: dict[str, str] | None) -> str:
    if not model:
        return "(unknown)"
    return f"{model.get('name')} {model.get('version')} ({model.get('mode')} mode)"


ProgressFactory = Callable[[], Progress]
