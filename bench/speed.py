"""End-to-end speed of `slant analyze` as a user runs it: one process, many articles.

    python bench/speed.py --articles ../shared/data/semeval2023t3-unlabelled/en/test-articles

Measures the whole process (start-up, model load, segmentation, encoding, every prediction,
spans, JSON output): articles/s, peak RSS, and the cold start of analysing one article.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `slant` process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "w = time.perf_counter() - t; "
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    wall, rss, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"slant exited with {rc}")
    return float(wall), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles", type=Path,
        default=ROOT.parent / "shared/data/semeval2023t3-unlabelled/en/test-articles",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    files = sorted(args.articles.glob("*.txt"))
    slant = str(Path(sys.executable).with_name("slant"))
    cold = min(
        run([slant, "analyze", str(files[0]), "--format", "json"])[0] for _ in range(args.repeat)
    )
    runs = [
        run([slant, "analyze", str(args.articles), "--format", "json"]) for _ in range(args.repeat)
    ]
    wall = min(w for w, _ in runs)
    rss = max(r for _, r in runs)
    rate = len(files) / wall
    text = (
        f"| articles | best wall (s) | articles/s | peak RSS (MB) | cold start, 1 article (s) |\n"
        f"|---|---|---|---|---|\n"
        f"| {len(files)} | {wall:.2f} | {rate:.1f} | {rss:.0f} | {cold:.2f} |"
    )
    print(text)
    if args.record:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        command = "python bench/speed.py " + " ".join(sys.argv[1:])
        where = f"{args.articles.parent.name}/{args.articles.name}"
        with open(ROOT / "docs/benchmarks.md", "a", encoding="utf-8") as handle:
            handle.write(
                f"\n### Speed: `slant analyze` on {where}\n\n"
                f"- date: {dt.date.today()}; machine: {machine}; best of {args.repeat}\n"
                f"- command: `{command}`\n\n{text}\n"
            )


if __name__ == "__main__":
    main()
