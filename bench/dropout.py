"""Does training the dense technique head with dropout beat scikit-learn's MLP trainer?

    python bench/dropout.py --cache /work/cache/emb [--seeds 0 1] [--record]

Builds the dense head's features exactly as `slant train` does (paragraph features with
sentence peaks and out-of-fold span evidence) and computes out-of-fold probabilities of one
network per seed, trained two ways: scikit-learn's MLP (Adam, L2 penalty, early stopping on a
held-out tenth; `TrainConfig.technique_dropout = None`) and ``DropoutMLPMultiLabelClassifier``
(the same network in torch with dropout on the inputs and the hidden units, AdamW, one-cycle
schedule, fixed epochs; the rates of `TrainConfig.technique_dropout` unless ``--dropout``).
Prints ST3 micro-F1 per language and the mean, thresholds tuned for micro-F1 on the other folds.
About 15 minutes on 2 cores for two seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from record import append, command, machine
from technique_cv import add_arguments, micro_f1_table, technique_rows

from slant.labels import TECHNIQUES
from slant.predict import DropoutMLPMultiLabelClassifier, MLPMultiLabelClassifier
from slant.train import TrainConfig, _oof_multilabel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--dropout", type=float, nargs=2, default=TrainConfig.technique_dropout,
        metavar=("INPUT", "HIDDEN"), help="dropout rates of the inputs and the hidden units",
    )  # fmt: skip
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, X, Y, fold = rows.config, rows.X, rows.Y, rows.fold
    rates = tuple(args.dropout)

    table = []
    for seed in args.seeds:
        log(f"scikit-learn trainer, seed {seed}")
        plain = _oof_multilabel(
            X, Y, fold, config.folds,
            lambda s=seed: MLPMultiLabelClassifier(
                TECHNIQUES, hidden=config.technique_hidden, alpha=config.technique_alpha, seed=s
            ),
        )  # fmt: skip
        log(f"dropout {rates}, seed {seed}")
        dropped = _oof_multilabel(
            X, Y, fold, config.folds,
            lambda s=seed: DropoutMLPMultiLabelClassifier(
                TECHNIQUES, hidden=config.technique_hidden, input_dropout=rates[0],
                hidden_dropout=rates[1], weight_decay=config.technique_alpha, seed=s,
            ),
        )  # fmt: skip
        table += [
            (f"one network, scikit-learn trainer, seed {seed}", plain),
            (f"one network, dropout {rates[0]} / {rates[1]}, seed {seed}", dropped),
        ]
    text = micro_f1_table(rows, table)
    print(text)
    seconds = time.perf_counter() - started
    log(f"{seconds:.0f} s")
    if args.record:
        append(
            f"\n### Dense technique head: dropout vs scikit-learn's trainer (ST3 micro-F1, "
            f"{config.folds}-fold CV by article, thresholds nested)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}; {seconds:.0f} s\n"
            f"- command: `{command()}`\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
