"""Does training the dense technique head with dropout beat scikit-learn's MLP trainer, alone,
averaged over seeds, and in the shipped mix?

    python bench/dropout.py --cache /work/cache/emb [--record]

Builds the dense head's features exactly as `slant train` does (paragraph features with
sentence peaks and out-of-fold span evidence) and computes out-of-fold probabilities of three
networks (seeds 0, 1, 2) trained two ways: scikit-learn's MLP (Adam, L2 penalty, early stopping
on a held-out tenth: the shipped trainer) and the same network in torch with dropout on the
inputs and the hidden units (AdamW, one-cycle schedule, 30 epochs; ``--dropout``). Prints ST3
micro-F1 per language and the mean, thresholds tuned for micro-F1 on the other folds: one
network, the three averaged, all six averaged, and each average mixed with the per-language
lexical heads at the shipped weight 0.3. About 20 minutes on 2 cores.
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
from slant.predict import MLPMultiLabelClassifier
from slant.train import _oof_multilabel

LEXICAL_WEIGHT = 0.3


class DropoutNetwork(MLPMultiLabelClassifier):
    """One network of the shipped kind, predicted by it, but trained in torch with dropout."""

    def __init__(self, input_dropout: float, hidden_dropout: float, seed: int, hidden: int = 256):
        super().__init__(TECHNIQUES, hidden=hidden, seed=seed)
        self.input_dropout, self.hidden_dropout = input_dropout, hidden_dropout

    def fit(self, X: np.ndarray, Y: np.ndarray, epochs: int = 30) -> DropoutNetwork:
        import torch

        torch.manual_seed(self.seed)
        first = torch.nn.Linear(X.shape[1], self.hidden)
        last = torch.nn.Linear(self.hidden, Y.shape[1])
        net = torch.nn.Sequential(
            torch.nn.Dropout(self.input_dropout), first, torch.nn.ReLU(),
            torch.nn.Dropout(self.hidden_dropout), last,
        )  # fmt: skip
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
        per_epoch = -(-len(X) // 128)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=1e-3, total_steps=epochs * per_epoch
        )
        loss = torch.nn.BCEWithLogitsLoss()
        inputs = torch.from_numpy(np.asarray(X, np.float32))
        targets = torch.from_numpy(np.asarray(Y, np.float32))
        order = torch.Generator().manual_seed(self.seed)
        for _ in range(epochs):
            for rows in torch.randperm(len(X), generator=order).split(128):
                optimizer.zero_grad()
                loss(net(inputs[rows]), targets[rows]).backward()
                optimizer.step()
                schedule.step()
        # the predictor's arrays: one network, (in, out) layout
        self.w1_, self.b1_, self.w2_, self.b2_ = (
            t.detach().numpy()[None].copy()
            for t in (first.weight.T, first.bias, last.weight.T, last.bias)
        )
        return self


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument(
        "--dropout", type=float, nargs=2, default=(0.2, 0.5), metavar=("INPUT", "HIDDEN"),
        help="dropout rates of the inputs and the hidden units",
    )  # fmt: skip
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, X, Y, fold = rows.config, rows.X, rows.Y, rows.fold
    rates = tuple(args.dropout)

    plain, P_lex = shipped_probabilities(rows, log)  # scikit-learn networks by seed, lexical
    dropped = {}
    for seed in SEEDS:
        log(f"dropout {rates}, seed {seed}")
        dropped[seed] = _oof_multilabel(
            X, Y, fold, config.folds, lambda s=seed: DropoutNetwork(*rates, seed=s)
        )
    sklearn3 = np.mean(list(plain.values()), axis=0)
    dropout3 = np.mean(list(dropped.values()), axis=0)
    both6 = (sklearn3 + dropout3) / 2
    name = f"dropout {rates[0]} / {rates[1]}"
    table = [
        ("one network, scikit-learn trainer (seed 0)", plain[SEEDS[0]]),
        (f"one network, {name} (seed 0)", dropped[SEEDS[0]]),
        ("3 networks, scikit-learn trainer (shipped)", sklearn3),
        (f"3 networks, {name}", dropout3),
        ("6 networks, 3 of each", both6),
    ]
    mixed = [("3 scikit-learn networks", sklearn3), (f"3 {name} networks", dropout3),
             ("6 networks", both6)]  # fmt: skip
    table += [
        (f"{what} + lexical at {LEXICAL_WEIGHT}", fuse(P, P_lex, LEXICAL_WEIGHT))
        for what, P in mixed
    ]
    report_technique_cv(
        rows, table, "Dense technique head: dropout vs scikit-learn's trainer", started, args, log
    )


if __name__ == "__main__":
    main()
