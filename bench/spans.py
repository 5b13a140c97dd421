"""Cross-validated span localisation of slant's SpanTagger, given the gold paragraph techniques.

    python bench/spans.py --data ../shared/data/semeval2023t3 --langs en --folds 5 [--record]

K-fold cross-validation by article (seeded shuffle of the article ids of all chosen languages):
the tagger is trained on the paragraphs of the other folds and asked, for every paragraph of the
held-out fold, where the techniques that the *gold* labels put in that paragraph are. This measures
span localisation only, not technique detection.

Scoring follows the SemEval-2020 Task 11 / CheckThat! span metric with partial-overlap credit:
for each technique and article, a predicted span s earns min(1, sum_g |s & g| / |s|) over the
gold spans g of that technique, and a gold span g earns min(1, sum_s |s & g| / |g|). Precision is
the predicted credit over the number of predicted spans, recall the gold credit over the number of
gold spans; micro figures sum credits and counts over all techniques.

``--param NAME=VALUE`` passes extra keyword arguments to ``SpanTagger`` (for experiments).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from slant.labels import TECHNIQUES
from slant.segment import paragraphs
from slant.semeval import load_split
from slant.spans import SpanExample, SpanTagger

ROOT = Path(__file__).resolve().parents[1]
HEADING = "### Spans: CV span F1 (gold paragraph techniques)"
SHOWN = ("Loaded_Language", "Name_Calling-Labeling", "Doubt")

Span = tuple[int, int]
# (technique, article uid) -> spans
Spans = dict[tuple[str, str], list[Span]]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _credit(spans: list[Span], others: list[Span]) -> float:
    """Sum over ``spans`` of min(1, sum over ``others`` of |s & o| / |s|)."""
    total = 0.0
    for a, b in spans:
        overlap = sum(max(0, min(b, d) - max(a, c)) for c, d in others)
        total += min(1.0, overlap / (b - a))
    return total


def score(gold: Spans, pred: Spans) -> dict[str, tuple[float, int, float, int]]:
    """Per technique: (precision credit, predicted spans, recall credit, gold spans)."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0.0, 0])
    for key in set(gold) | set(pred):
        g, p = gold.get(key, []), pred.get(key, [])
        row = out[key[0]]
        row[0] += _credit(p, g)
        row[1] += len(p)
        row[2] += _credit(g, p)
        row[3] += len(g)
    return {t: (r[0], int(r[1]), r[2], int(r[3])) for t, r in out.items()}


def prf(pc: float, np_: int, rc: float, ng: int) -> tuple[float, float, float]:
    p = pc / np_ if np_ else 0.0
    r = rc / ng if ng else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _inside(spans: list[tuple[str, int, int]], start: int, end: int) -> list[tuple[str, int, int]]:
    return [(t, max(s, start), min(e, end)) for t, s, e in spans if s < end and e > start]


def load(data: Path, langs: list[str]) -> tuple[dict[str, str], dict[str, list], dict[str, str]]:
    texts, spans, lang_of = {}, {}, {}
    for lang in langs:
        split = load_split(data, lang, "train")
        for aid, text in split.texts.items():
            uid = f"{lang}:{aid}"
            texts[uid] = text
            spans[uid] = (split.spans or {}).get(aid, [])
            lang_of[uid] = lang
    return texts, spans, lang_of


def examples_of(uids: list[str], texts: dict[str, str], spans: dict[str, list]) -> list:
    out = []
    for uid in uids:
        for line in paragraphs(texts[uid]):
            inside = _inside(spans[uid], line.start, line.end)
            inside = [(t, s - line.start, e - line.start) for t, s, e in inside]
            out.append(SpanExample(line.text, inside))
    return out


def run_cv(args: argparse.Namespace, params: dict) -> tuple[dict, float, float]:
    langs = args.langs.split(",")
    texts, spans, lang_of = load(args.data, langs)
    uids = sorted(texts)
    random.Random(args.seed).shuffle(uids)
    folds = [uids[k :: args.folds] for k in range(args.folds)]
    gold: Spans = defaultdict(list)
    for uid in uids:
        for t, s, e in spans[uid]:
            gold[(t, uid)].append((s, e))
    pred: Spans = defaultdict(list)
    fit_s = predict_s = 0.0
    for k, test in enumerate(folds):
        train = [u for j, f in enumerate(folds) if j != k for u in f]
        started = time.perf_counter()
        tagger = SpanTagger(TECHNIQUES, n_jobs=args.jobs, **params).fit(
            examples_of(train, texts, spans)
        )
        fit_s += time.perf_counter() - started
        started = time.perf_counter()
        for uid in test:
            for line in paragraphs(texts[uid]):
                found = sorted({t for t, _, _ in _inside(spans[uid], line.start, line.end)})
                if not found:
                    continue
                for t, found_spans in tagger.predict(line.text, found, offset=line.start).items():
                    for s, e, _ in found_spans:
                        assert line.start <= s < e <= line.end, (uid, t, s, e)
                        pred[(t, uid)].append((s, e))
        predict_s += time.perf_counter() - started
        print(f"fold {k + 1}/{args.folds} done", file=sys.stderr)
    by_lang = {}
    for lang in langs:
        keep = {u for u in uids if lang_of[u] == lang}
        by_lang[lang] = score(
            {k: v for k, v in gold.items() if k[1] in keep},
            {k: v for k, v in pred.items() if k[1] in keep},
        )
    return by_lang, fit_s, predict_s


def table(by_lang: dict[str, dict], per_technique: bool) -> str:
    lines = ["| lang | technique | P | R | F1 | pred spans | gold spans |", "|---" * 7 + "|"]
    for lang, rows in by_lang.items():
        total = [sum(r[i] for r in rows.values()) for i in range(4)]
        names = [t for t in TECHNIQUES if t in rows] if per_technique else list(SHOWN)
        for name, row in [("**micro**", total), *((t, rows.get(t, (0, 0, 0, 0))) for t in names)]:
            p, r, f = prf(*row)
            lines.append(f"| {lang} | {name} | {p:.3f} | {r:.3f} | {f:.3f} | {row[1]} | {row[3]} |")
    return "\n".join(lines)


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
    by_lang, fit_s, predict_s = run_cv(args, params)
    seconds = time.perf_counter() - started
    text = table(by_lang, args.all)
    print(text)
    print(f"\nfit {fit_s:.0f} s, predict {predict_s:.0f} s, total {seconds:.0f} s", file=sys.stderr)
    if args.record:
        command = "python bench/spans.py " + " ".join(sys.argv[1:])
        entry = (
            f"\n{HEADING}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command}`\n"
            f"- {args.folds}-fold CV by article ({args.langs}); fit {fit_s:.0f} s, "
            f"predict {predict_s:.0f} s, total {seconds:.0f} s\n\n{text}\n"
        )
        with open(ROOT / "docs/benchmarks.md", "a", encoding="utf-8") as handle:
            handle.write(entry)


if __name__ == "__main__":
    main()
