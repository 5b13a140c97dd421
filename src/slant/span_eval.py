"""Evaluate technique spans: cross-validation of the span tagger, and scoring span files.

Both use ``slant.scoring.score_spans`` (the SemEval-2020 Task 11 / CheckThat! partial-overlap
metric). The cross-validation gives the tagger the *gold* paragraph techniques, so it measures
where the words are found, not whether the technique is detected.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slant.errors import InputError
from slant.labels import TECHNIQUES
from slant.scoring import score_spans
from slant.segment import paragraphs
from slant.semeval import load_split, read_spans
from slant.spans import SpanTagger, paragraph_examples

Log = Callable[[str], None]
ArticleSpans = list[tuple[str, int, int]]


@dataclass
class SpanCV:
    """Scores per language (``score_spans`` dicts) and where the time went."""

    by_lang: dict[str, dict[str, Any]]
    fit_seconds: float
    predict_seconds: float
    folds: int
    seed: int
    params: dict[str, Any] = field(default_factory=dict)


def load_span_articles(
    root: Path, langs: Sequence[str]
) -> tuple[dict[str, str], dict[str, ArticleSpans], dict[str, str]]:
    """Texts, gold spans and language of every train article, keyed ``lang:id``."""
    texts: dict[str, str] = {}
    spans: dict[str, ArticleSpans] = {}
    lang_of: dict[str, str] = {}
    for lang in langs:
        split = load_split(Path(root), lang, "train")
        if split.spans is None:
            raise InputError(f"{root}/{lang}", "no train-labels-subtask-3-spans folder")
        for aid, text in split.texts.items():
            uid = f"{lang}:{aid}"
            texts[uid] = text
            spans[uid] = list(split.spans.get(aid, []))
            lang_of[uid] = lang
    return texts, spans, lang_of


def predict_gold_techniques(tagger: SpanTagger, text: str, spans: ArticleSpans) -> ArticleSpans:
    """Spans the tagger finds in each paragraph for the techniques its gold spans name."""
    out: ArticleSpans = []
    for line in paragraphs(text):
        found = sorted({t for t, s, e in spans if s < line.end and e > line.start})
        if not found:
            continue
        for technique, found_spans in tagger.predict(line.text, found, offset=line.start).items():
            out.extend((technique, s, e) for s, e, _ in found_spans)
    return out


def cross_validate_spans(
    root: Path,
    langs: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 2,
    params: Mapping[str, Any] | None = None,
    log: Log = lambda message: None,
) -> SpanCV:
    """K-fold CV by article (seeded shuffle of the ``lang:id`` ids of all chosen languages).

    Each fold's tagger is trained on the other folds' paragraphs (all chosen languages together,
    like ``slant train``) and scored per language.
    """
    params = dict(params or {})
    texts, spans, lang_of = load_span_articles(root, langs)
    uids = sorted(texts)
    random.Random(seed).shuffle(uids)
    fold_ids = [uids[k::folds] for k in range(folds)]
    pred: dict[str, ArticleSpans] = {}
    fit_s = predict_s = 0.0
    for k, test in enumerate(fold_ids):
        train = [u for j, f in enumerate(fold_ids) if j != k for u in f]
        started = time.perf_counter()
        examples = [ex for u in train for ex in paragraph_examples(texts[u], spans[u])]
        tagger = SpanTagger(TECHNIQUES, n_jobs=n_jobs, **params).fit(examples)
        fit_s += time.perf_counter() - started
        started = time.perf_counter()
        for uid in test:
            pred[uid] = predict_gold_techniques(tagger, texts[uid], spans[uid])
        predict_s += time.perf_counter() - started
        log(f"fold {k + 1}/{folds} done")
    by_lang = {}
    for lang in langs:
        keep = [u for u in uids if lang_of[u] == lang]
        by_lang[lang] = score_spans({u: spans[u] for u in keep}, {u: pred[u] for u in keep})
    return SpanCV(by_lang, fit_s, predict_s, folds, seed, params)


def score_span_file(root: Path, lang: str, split: str, pred_dir: Path) -> dict[str, Any]:
    """Score ``pred_dir/L-subtask-3-spans.txt`` against the gold span files of a split."""
    gold = load_split(Path(root), lang, split)
    if gold.spans is None:
        raise InputError(f"{root}/{lang}", f"the {split} split has no gold span files")
    path = Path(pred_dir) / f"{lang}-subtask-3-spans.txt"
    if not path.is_file():
        raise InputError(path, "prediction file not found")
    pred: dict[str, ArticleSpans] = {}
    for aid, technique, start, end in read_spans(path):
        pred.setdefault(aid, []).append((technique, start, end))
    return score_spans(gold.spans, pred, source=str(path))


def evaluate_span_split(
    root: Path, lang: str, split: str, pred_dir: Path | None, model: Path | None = None
) -> dict[str, Any]:
    """Score a spans file, or (without ``pred_dir``) a fresh prediction of ``model``."""
    if pred_dir is None:
        import tempfile

        from slant.analyzer import Analyzer
        from slant.predict_split import predict_split

        pred_dir = Path(tempfile.mkdtemp(prefix="slant-pred-"))
        predict_split(Analyzer(model), Path(root), lang, split, pred_dir)
    return score_span_file(root, lang, split, pred_dir)


def span_table(by_lang: Mapping[str, Mapping[str, Any]], techniques: Sequence[str] = ()) -> str:
    """A Markdown table: per language the micro row, then the given techniques (all if empty)."""
    lines = ["| lang | technique | P | R | F1 | pred spans | gold spans |", "|---" * 7 + "|"]
    for lang, scores in by_lang.items():
        names = list(techniques) or [t for t in TECHNIQUES if t in scores["per_label"]]
        rows = [("**micro**", scores["micro"])]
        rows += [(t, scores["per_label"][t]) for t in names if t in scores["per_label"]]
        for name, s in rows:
            lines.append(
                f"| {lang} | {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                f"| {s['pred_spans']} | {s['gold_spans']} |"
            )
    return "\n".join(lines)
