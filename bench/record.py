"""What every bench script needs to record a result in docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def command() -> str:
    """The command line that ran this script, as a reader would retype it."""
    return f"python bench/{Path(sys.argv[0]).name} " + " ".join(sys.argv[1:])


def user_env(**extra: str) -> dict[str, str]:
    """The environment for a timed `slant` process, as a user's shell has it: Python may cache
    bytecode. A shell with PYTHONDONTWRITEBYTECODE set (this machine's agent shells) recompiles
    slant's modules at every start, about 0.1 s that no installed copy pays."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def append(entry: str) -> None:
    with open(BENCHMARKS, "a", encoding="utf-8") as handle:
        handle.write(entry)


def append_technique_cv(heading: str, folds: int, seconds: float, body: str) -> None:
    """Record a technique CV bench: ``heading``, the setup every such bench shares, its date,
    machine, run time and command, then ``body`` (its tables)."""
    append(
        f"\n### {heading} (ST3 micro-F1, {folds}-fold CV by article, thresholds nested)\n\n"
        f"- date: {dt.date.today()}; machine: {machine()}; {seconds:.0f} s\n"
        f"- command: `{command()}`\n\n{body}\n"
    )
