"""The ST3 cross-validation setup that the technique bench scripts share: their common arguments,
and the training corpus's technique rows with each row's fold and language, built exactly as
`slant train` builds them (same rows, same folds)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from record import append_technique_cv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from slant.train import (  # noqa: E402
    Corpus,
    TrainConfig,
    _fold_of,
    _technique_rows,
    add_span_evidence,
    load_corpus,
)
from slant.train import _language_micro_f1 as language_micro_f1  # noqa: E402  (shared)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--data, --langs, --cache, --folds and --record."""
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/semeval2023t3")
    parser.add_argument("--langs", default="en,fr,ge,it,po,ru")
    parser.add_argument("--cache", help="embedding cache folder (as for slant train --cache)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--record", action="store_true")


@dataclass
class TechniqueRows:
    config: TrainConfig
    corpus: Corpus
    keys: list[tuple[str, int]]  # (article uid, paragraph number) of each row
    X: np.ndarray  # dense features
    texts: list[str]
    Y: np.ndarray
    fold: np.ndarray  # each row's fold
    langs: np.ndarray  # each row's language


def technique_rows(
    args: argparse.Namespace, log: Callable[[str], None], span_evidence: bool = False
) -> TechniqueRows:
    """The rows of ``args`` (from ``add_arguments``); with ``span_evidence``, their features end
    with the out-of-fold span evidence, as the shipped dense head reads them."""
    config = TrainConfig(langs=tuple(args.langs.split(",")), folds=args.folds, cache_dir=args.cache)
    corpus = load_corpus(args.data, config, log)
    fold_of = _fold_of(corpus.article_ids, config.folds, config.seed)
    if span_evidence:
        add_span_evidence(corpus, fold_of, config, log)
    keys, X, texts, Y = _technique_rows(corpus)
    return TechniqueRows(
        config=config,
        corpus=corpus,
        keys=keys,
        X=X,
        texts=texts,
        Y=Y,
        fold=np.array([fold_of[uid] for uid, _ in keys]),
        langs=np.array([corpus.lang_of[uid] for uid, _ in keys]),
    )


def score_cells(scores: list[float]) -> list[str]:
    """Table cells for per-language scores, then their mean."""
    return [f"{s:.3f}" for s in scores] + [f"{np.mean(scores):.4f}"]


def micro_f1_table(rows: TechniqueRows, table: list[tuple[str, np.ndarray]]) -> str:
    """A markdown table: for each (name, out-of-fold probabilities), ST3 micro-F1 per language
    and the mean, thresholds tuned for micro-F1 on the other folds."""
    langs = [str(g) for g in np.unique(rows.langs)]
    lines = [
        "| technique probabilities | " + " | ".join(langs) + " | mean |",
        "|---" * (len(langs) + 2) + "|",
    ]
    for name, P in table:
        config = rows.config
        scores = language_micro_f1(rows.Y, P, rows.fold, config.folds, rows.langs, "micro")
        lines.append(f"| {name} | " + " | ".join(score_cells(list(scores.values()))) + " |")
    return "\n".join(lines)


def report_technique_cv(
    rows: TechniqueRows,
    table: list[tuple[str, np.ndarray]],
    heading: str,
    started: float,
    args: argparse.Namespace,
    log: Callable[[str], None],
) -> None:
    """Print ``micro_f1_table`` of ``table`` and the run time since ``started``
    (``time.perf_counter``); with ``args.record``, append both under ``heading`` to
    docs/benchmarks.md."""
    text = micro_f1_table(rows, table)
    print(text)
    seconds = time.perf_counter() - started
    log(f"{seconds:.0f} s")
    if args.record:
        append_technique_cv(heading, rows.config.folds, seconds, text)
