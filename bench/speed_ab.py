"""The speed of this checkout against an earlier commit, runs interleaved.

    python bench/speed_ab.py --baseline 5ccd460
    python bench/speed_ab.py --baseline 5ccd460 --mode default --rounds 2

A shared 2-core machine drifts by a third within an hour (the XLM-RoBERTa-large reference of
bench/speed.py ran at 2.26 and 1.78 paragraphs/s on one day), so two speed sections recorded
at different times compare the machine as much as the code. Here the baseline commit is checked
out into a temporary git worktree and each round runs the same `slant analyze` process once
with each tree's `src` first on the path, baseline first: both see the same machine. Reported
per tree: the best and the median whole-process wall time over the rounds, the median CPU time
of the process and its workers (less moved by other tenants than wall time, but blind to
parallelism), and the best cold start (one article). The model files come from each tree, so a
commit with another model compares models too.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from record import append, command, machine, user_env

ROOT = Path(__file__).resolve().parents[1]
UNLABELLED = ROOT.parent / "shared/data/semeval2023t3-unlabelled"


def timed(src: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, workers included) of one `python -m slant.cli`
    process reading ``src``."""
    env = user_env(PYTHONPATH=str(src))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "slant.cli", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def revisions(baseline: str) -> tuple[str, str]:
    """The short hashes of ``baseline`` and of HEAD."""

    def short(rev: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", rev],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    return short(baseline), short("HEAD")


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A temporary checkout of ``revision`` (removed afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), revision],
            check=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
            )


def arguments(doc: str, rounds: int) -> argparse.Namespace:
    """The command line of an A/B bench script: baseline, mode, rounds, articles, record."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="a commit of this repository")
    parser.add_argument("--mode", choices=("fast", "default"), default="fast")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument(
        "--articles", type=Path, nargs="+",
        default=sorted(UNLABELLED.glob("*/test-articles")),
        help="folders of .txt articles (default: every language's unlabelled test articles)",
    )  # fmt: skip
    parser.add_argument("--record", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__, rounds=5)

    files = sorted(f for folder in args.articles for f in folder.glob("*.txt"))
    if not files:
        raise SystemExit(f"no articles under {' '.join(map(str, args.articles))}")
    extra = ["--fast"] if args.mode == "fast" else []
    corpus = ["analyze", *map(str, args.articles), "--format", "json", *extra]
    one = ["analyze", str(files[0]), "--format", "json", *extra]
    revision, head = revisions(args.baseline)
    with worktree(revision) as tree:
        trees = {f"baseline {revision}": tree / "src", f"this checkout ({head})": ROOT / "src"}
        walls: dict[str, list[float]] = {name: [] for name in trees}
        cpus: dict[str, list[float]] = {name: [] for name in trees}
        colds: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, src in trees.items():
                colds[name].append(timed(src, one)[0])
                wall, cpu = timed(src, corpus)
                walls[name].append(wall)
                cpus[name].append(cpu)

    rows = [
        f"| {name} | {min(w):.2f} | {statistics.median(w):.2f} | "
        f"{statistics.median(cpus[name]):.2f} | {len(files) / min(w):.1f} | "
        f"{min(colds[name]):.2f} | {' '.join(f'{x:.2f}' for x in w)} |"
        for name, w in walls.items()
    ]
    base, new = (min(w) for w in walls.values())
    base_cpu, new_cpu = (statistics.median(c) for c in cpus.values())
    table = (
        "| code | best wall (s) | median wall (s) | median CPU (s) | articles/s (best) "
        "| cold start (s) | every round's wall (s) |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"{args.mode} mode, {len(files)} files, {args.rounds} interleaved rounds: this checkout "
        f"takes {new / base:.2f}x the baseline's best wall time and {new_cpu / base_cpu:.2f}x "
        "its median CPU time.\n"
    )
    print(table)
    if args.record:
        append(
            f"\n### Speed A/B: `slant analyze` {args.mode} mode, this checkout vs {revision}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n"
            f"- command: `{command()}`\n\n{table}"
        )


if __name__ == "__main__":
    main()
