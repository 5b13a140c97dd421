"""How the dense technique head's seeds, the lexical head's weight and the threshold objective
move ST3 micro-F1, by cross-validation on train.

    python bench/technique_mix.py --langs en,fr,ge,it,po,ru --cache /work/cache/emb [--record]

Builds the dense head's features exactly as `slant train` does (paragraph features with sentence
peaks and out-of-fold span evidence), computes the out-of-fold probabilities of the MLP dense
head for three network seeds and of the per-language lexical heads, and prints ST3 micro-F1 per
language and their mean (thresholds tuned on the other folds, per label's own F1 or for micro-F1)
for: each seed alone, the average of the three (the shipped ``networks=3``), and that average
mixed with the lexical head at each weight `slant train` chooses from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable

import numpy as np
from record import append, command, machine
from technique_cv import (
    TechniqueRows,
    add_arguments,
    language_micro_f1,
    score_cells,
    technique_rows,
)

from slant.labels import TECHNIQUES
from slant.model import fuse
from slant.predict import LexicalMultiLabelClassifier, MLPMultiLabelClassifier
from slant.train import (
    LEXICAL_WEIGHTS,
    _oof_multilabel,
    _oof_per_language,
)

SEEDS = (0, 1, 2)


def lexical_probabilities(rows: TechniqueRows, log: Callable[[str], None]) -> np.ndarray:
    """Out-of-fold probabilities of the per-language lexical heads, as `slant train` fits them."""
    config = rows.config
    log("lexical heads")
    return _oof_per_language(
        np.array(rows.texts, dtype=object),
        rows.Y,
        rows.fold,
        config.folds,
        rows.langs,
        lambda: LexicalMultiLabelClassifier(TECHNIQUES, C=config.lexical_C, seed=config.seed),
    )


def shipped_probabilities(
    rows: TechniqueRows, log: Callable[[str], None]
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Out-of-fold probabilities of the shipped dense head's networks (by seed) and of the
    per-language lexical heads, trained as `slant train` trains them."""
    config, X, Y, fold = rows.config, rows.X, rows.Y, rows.fold

    def network(seed: int) -> MLPMultiLabelClassifier:
        return MLPMultiLabelClassifier(
            TECHNIQUES, hidden=config.technique_hidden, alpha=config.technique_alpha, seed=seed
        )

    singles = {}
    for seed in SEEDS:
        log(f"dense head, network seed {seed}")
        singles[seed] = _oof_multilabel(X, Y, fold, config.folds, lambda s=seed: network(s))
    return singles, lexical_probabilities(rows, log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, Y, fold, langs = rows.config, rows.Y, rows.fold, rows.langs
    lang_list = [str(g) for g in np.unique(langs)]

    singles, P_lex = shipped_probabilities(rows, log)
    averaged = np.mean([singles[s] for s in SEEDS], axis=0)
    table: list[tuple[str, str, np.ndarray]] = []
    for objective in ("per_label", "micro"):
        for seed in SEEDS:
            table.append((f"dense, network seed {seed}", objective, singles[seed]))
        table.append((f"dense, {len(SEEDS)} networks averaged", objective, averaged))
    for weight in LEXICAL_WEIGHTS[1:]:
        table.append(
            (f"averaged + lexical weight {weight}", "micro", fuse(averaged, P_lex, weight))
        )
    table.append(("lexical alone", "per_label", P_lex))
    table.append(("lexical alone", "micro", P_lex))

    lines = [
        "| technique probabilities | thresholds | " + " | ".join(lang_list) + " | mean |",
        "|---" * (len(lang_list) + 3) + "|",
    ]
    for name, objective, P in table:
        scores = list(language_micro_f1(Y, P, fold, config.folds, langs, objective).values())
        cells = score_cells(scores)
        lines.append(f"| {name} | {objective.replace('_', '-')} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    log(f"{time.perf_counter() - started:.0f} s")
    if args.record:
        append(
            f"\n### Dense head seeds, lexical weight, threshold objective (ST3 micro-F1, "
            f"{config.folds}-fold CV by article, thresholds nested)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
