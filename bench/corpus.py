"""Benchmarks of ``slant corpus run``: worker scaling, and memory on a large corpus.

    python bench/corpus.py scaling --articles 2000 --workers 1 2      # 1 vs 2 workers
    python bench/corpus.py memory --articles 100000                  # --fast, peak RSS

Corpora are built in a temporary folder from the unlabelled SemEval-2023 test articles
(``$SLANT_DATA/semeval2023t3-unlabelled/*/test-articles``): ``scaling`` repeats whole articles
with new ids; ``memory`` writes synthetic articles (a title and ``--paragraphs`` paragraphs
drawn from the test articles of one language; ``--langs`` chooses the languages). Both are
deleted afterwards; nothing is written into the repository. Each run is a fresh
``slant corpus run`` process, so times include start-up (process spawn, model load). Run under
``flock /tmp/slant-bench.lock`` so that benchmarks never overlap on a small machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil
from record import machine

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SLANT_DATA") or REPO.parent / "shared" / "data")
SOURCES = [f"outlet-{i:02d}" for i in range(20)]


def load_articles() -> list[tuple[str, str, str]]:
    """(language, name, text) of every unlabelled test article, in a fixed order."""
    root = DATA / "semeval2023t3-unlabelled"
    articles = []
    for path in sorted(root.glob("*/test-articles/*.txt")):
        with open(path, encoding="utf-8", newline="") as handle:
            articles.append((path.parent.parent.name, path.stem, handle.read()))
    if not articles:
        sys.exit(f"no articles under {root}; set SLANT_DATA")
    return articles


def write_corpus(path: Path, n: int, seed: int = 0) -> int:
    """A JSONL corpus of ``n`` whole test articles, repeated with new ids; returns its bytes."""
    articles = load_articles()
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            lang, name, text = articles[i % len(articles)]
            _write(handle, f"{i:07d}-{lang}-{name}", text, rng)
    return path.stat().st_size


def write_synthetic(
    path: Path, n: int, paragraphs: int, langs: list[str] | None = None, seed: int = 0
) -> int:
    """``n`` synthetic articles: a title and ``paragraphs`` paragraphs drawn at random from the
    test articles of one language each (streamed: the corpus is never held in memory)."""
    by_lang: dict[str, list[str]] = {}
    for lang, _, text in load_articles():
        by_lang.setdefault(lang, []).extend(x.strip() for x in text.splitlines() if x.strip())
    langs = sorted(langs or by_lang)
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            lang = langs[i % len(langs)]
            lines = rng.sample(by_lang[lang], paragraphs + 1)
            _write(handle, f"syn{i:07d}-{lang}", "\n\n".join(lines) + "\n", rng)
    return path.stat().st_size


def _write(handle: Any, article_id: str, text: str, rng: random.Random) -> None:
    row = {
        "id": article_id,
        "text": text,
        "source": rng.choice(SOURCES),
        "published": f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def run(command: list[str], max_seconds: float | None = None) -> dict[str, float]:
    """Run a command; wall time and peak RSS (MB) of the driver, any worker, and all together.

    After ``max_seconds`` the run is stopped with SIGTERM (it commits its finished work first,
    and a rerun would resume): the result then says ``stopped``.
    """
    start = time.perf_counter()
    stopped = False
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    peak_total = 0
    timeline: list[tuple[float, int]] = []  # (seconds, RSS of all processes)
    while process.poll() is None:
        total = 0
        try:
            tree = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
            total += rss
        peak_total = max(peak_total, total)
        timeline.append((time.perf_counter() - start, total))
        if max_seconds and not stopped and time.perf_counter() - start > max_seconds:
            process.send_signal(signal.SIGTERM)
            stopped = True
        time.sleep(0.2)
    wall = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode != 0 and not (stopped and process.returncode == 130):
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr[-3000:]}")
    summary = re.search(r"(?:finished|interrupted): ([\d,]+) analysed, ([\d,]+) failed", stderr)
    mb = 1024 * 1024
    workers = [v for pid, v in peaks.items() if pid != process.pid]
    return {
        "wall": wall,
        "stopped": stopped,
        "analysed": int(summary.group(1).replace(",", "")) if summary else -1,
        "failed": int(summary.group(2).replace(",", "")) if summary else -1,
        "driver_mb": peaks.get(process.pid, 0) / mb,
        "worker_mb": max(workers, default=0) / mb,
        "total_mb": peak_total / mb,
        # bounded memory shows as the same peak early and late in the run
        "first_quarter_mb": max((v for t, v in timeline if t <= wall / 4), default=0) / mb,
        "last_quarter_mb": max((v for t, v in timeline if t >= 3 * wall / 4), default=0) / mb,
    }


def slant_command(corpus: Path, out: Path, args: argparse.Namespace, workers: int) -> list[str]:
    command = [
        sys.executable, "-m", "slant.cli", "corpus", "run", str(corpus), "--out", str(out),
        "--workers", str(workers), "--engine", args.engine,
    ]  # fmt: skip
    if args.model:
        command += ["--model", args.model]
    if args.fast:
        command.append("--fast")
    if args.threads:
        command += ["--threads", str(args.threads)]
    return command


def scaling(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="slant-bench-corpus-"))
    try:
        corpus = tmp / "corpus.jsonl"
        write_corpus(corpus, args.articles)
        rows = []
        for workers in args.workers:
            out = tmp / f"out-{workers}"
            result = run(slant_command(corpus, out, args, workers))
            shutil.rmtree(out)
            rows.append((workers, result))
            print(f"workers={workers}: {result}", file=sys.stderr)
        base = rows[0][1]["wall"]
        mode = "fast" if args.fast else "default"
        print(
            f"\n- date: {date.today()}; machine: {machine()}; engine: {args.engine}; "
            f"mode: {mode}; {args.articles:,} articles; BLAS threads per worker: "
            f"{args.threads or 'cpus/workers'}\n"
        )
        print(
            "| workers | wall (s) | articles/s | speed-up | analysed | failed | peak RSS all "
            "processes (MB) |"
        )
        print("|---|---|---|---|---|---|---|")
        for workers, r in rows:
            print(
                f"| {workers} | {r['wall']:.1f} | {args.articles / r['wall']:.1f} | "
                f"{base / r['wall']:.2f}× | {r['analysed']:,} | {r['failed']:,} | "
                f"{r['total_mb']:.0f} |"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def memory(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="slant-bench-corpus-"))
    try:
        corpus = tmp / "corpus.jsonl"
        size = write_synthetic(corpus, args.articles, args.paragraphs, args.langs)
        out = tmp / "out"
        workers = args.workers[0]
        result = run(slant_command(corpus, out, args, workers), args.max_seconds)
        parquet = sum(p.stat().st_size for p in out.rglob("*.parquet"))
        mode = "fast" if args.fast else "default"
        done = result["analysed"] + result["failed"]
        print(
            f"\n- date: {date.today()}; machine: {machine()}; engine: {args.engine}; "
            f"mode: {mode}; {workers} workers; synthetic articles of a title and "
            f"{args.paragraphs} paragraphs; languages {', '.join(args.langs or ['all'])}\n"
        )
        if result["stopped"]:
            print(
                f"stopped after {args.max_seconds:.0f} s (SIGTERM: finished work committed) "
                f"with {done:,} of {args.articles:,} articles done\n"
            )
        print(
            "| articles done | input JSONL (MB) | wall (s) | articles/s | peak RSS driver (MB) | "
            "peak RSS per worker (MB) | peak RSS all processes (MB): whole run / first quarter "
            "/ last quarter | Parquet results (MB) |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print(
            f"| {done:,} | {size / 2**20:.0f} | {result['wall']:.0f} | "
            f"{done / result['wall']:.1f} | {result['driver_mb']:.0f} | "
            f"{result['worker_mb']:.0f} | {result['total_mb']:.0f} / "
            f"{result['first_quarter_mb']:.0f} / {result['last_quarter_mb']:.0f} | "
            f"{parquet / 2**20:.0f} |"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("scaling", "memory"))
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=None)
    parser.add_argument("--engine", default="local", choices=("local", "dask"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--fast", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS threads per worker (default: cpus/workers)"
    )
    parser.add_argument("--paragraphs", type=int, default=4, help="per synthetic article")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop (memory)")
    parser.add_argument("--langs", nargs="+", default=None, help="SemEval codes (memory)")
    args = parser.parse_args()
    if args.what == "scaling":
        args.articles = args.articles or 2000
        args.workers = args.workers or [1, 2]
        scaling(args)
    else:
        args.articles = args.articles or 100_000
        args.workers = args.workers or [os.cpu_count() or 1]
        args.fast = True  # the large run is the fast mode's job
        memory(args)


if __name__ == "__main__":
    main()
