"""Word clusters: fitting, looking up unseen words, the disk cache and the saved state."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from slant import wordclusters
from slant.wordclusters import WordClusters, clusterable, embed_words


class FakeEncoder:
    """Two obvious groups: words starting with "x" and the rest; counts its calls."""

    name = "fake"
    dim = 8

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            out[i, 0 if t.startswith("x") else 1] = 1.0
            out[i, 2 + zlib.crc32(t.encode()) % 6] = 0.1  # a little noise per word
        return out


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLANT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(wordclusters, "_MEMO", {})
    monkeypatch.setattr(wordclusters, "_LOADED", set())
    return tmp_path


def test_clusters_group_similar_words_and_place_unseen_ones() -> None:
    encoder = FakeEncoder()
    words = ["xanadu", "xerox", "xylem", "apple", "banana", "cherry"]
    clusters = WordClusters.fit(words, 2, encoder)
    ids = clusters.lookup(words)
    assert len({ids[0], ids[1], ids[2]}) == 1 and len({ids[3], ids[4], ids[5]}) == 1
    assert ids[0] != ids[3]
    # an unseen word gets no cluster without an encoder, the nearest one with it
    assert clusters.lookup(["xenon"]) == [None]
    assert clusters.lookup(["xenon", "apple", "a1"], encoder) == [ids[0], ids[3], None]
    calls = encoder.calls
    assert clusters.lookup(["xenon"], encoder) == [ids[0]]  # remembered
    assert encoder.calls == calls


def test_state_round_trips() -> None:
    clusters = WordClusters.fit(["xanadu", "xerox", "apple", "banana"], 2, FakeEncoder())
    state = clusters.get_state()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    loaded = WordClusters.from_state(state)
    assert loaded.table == clusters.table
    assert loaded.lookup(["xenon"], FakeEncoder()) == clusters.lookup(["xenon"], FakeEncoder())


def test_training_words_are_cached_on_disk(cache_dir: Path) -> None:
    encoder = FakeEncoder()
    first = embed_words(["xanadu", "apple"], encoder)
    assert (cache_dir / "fake-words.npz").is_file()
    wordclusters._MEMO.clear()
    wordclusters._LOADED.clear()
    again = FakeEncoder()
    second = embed_words(["apple", "xanadu"], again)
    assert again.calls == 0  # read back from the cache
    np.testing.assert_allclose(second[::-1], first, atol=1e-3)
    assert np.allclose(np.linalg.norm(second, axis=1), 1.0, atol=1e-3)


def test_clusterable_words() -> None:
    assert clusterable("coward") and clusterable("трус")
    assert not clusterable("a1b") and not clusterable("of")


def test_only_marked_words_are_embedded() -> None:
    encoder = FakeEncoder()
    clusters = WordClusters.fit(["xanadu", "xerox", "apple", "banana"], 2, encoder)
    calls = encoder.calls
    assert clusters.lookup(["xenon"], encoder, [False]) == [None]
    assert encoder.calls == calls
