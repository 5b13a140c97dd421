"""Cross-validated span localisation of slant's SpanTagger, given the gold paragraph techniques.

    python bench/spans.py --data ../shared/data/semeval2023t3 --langs en --folds 5 [--record]

K-fold cross-validation by article (seeded shuffle of the article ids of all chosen languages):
the tagger is trained on the paragraphs of the other folds and asked, for every paragraph of the
held-out fold, where the techniques that the *gold* labels put in that paragraph are. This measures
span localisation only, not technique detection. The CV and the metric (SemEval-2020 Task 11 /
CheckThat! partial-overlap credit) live in ``slant.span_eval`` and ``slant.scoring.score_spans``;
``slant evaluate --spans --cv 5`` runs the same thing.

``--param NAME=VALUE`` passes extra keyword arguments to ``SpanTagger`` (for experiments).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import sys
import time
from pathlib import Path

from record import append, command, machine

from slant.span_eval import cross_validate_spans, span_table

ROOT = Path(__file__).resolve().parents[1]
HEADING = "### Spans: CV span F1 (gold paragraph techniques)"
SHOWN = ("Loaded_Language", "Name_Calling-Labeling", "Doubt")


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/semeval2023t3")
    parser.add_argument("--langs", default="en")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--all", action="store_true", help="show every technique")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    params = {k: _value(v) for k, v in (p.split("=", 1) for p in args.param)}
    started = time.perf_counter()
    cv = cross_validate_spans(
        args.data,
        args.langs.split(","),
        folds=args.folds,
        seed=args.seed,
        n_jobs=args.jobs,
        params=params,
        log=lambda m: print(m, file=sys.stderr),
    )
    seconds = time.perf_counter() - started
    text = span_table(cv.by_lang, () if args.all else SHOWN)
    print(text)
    fit_s, predict_s = cv.fit_seconds, cv.predict_seconds
    print(f"\nfit {fit_s:.0f} s, predict {predict_s:.0f} s, total {seconds:.0f} s", file=sys.stderr)
    if args.record:
        append(
            f"\n{HEADING}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n"
            f"- {args.folds}-fold CV by article ({args.langs}); fit {fit_s:.0f} s, "
            f"predict {predict_s:.0f} s, total {seconds:.0f} s\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
