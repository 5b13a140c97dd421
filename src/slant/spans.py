"""Find the words that carry a technique inside a paragraph.

A token tagger per technique: logistic regression over sparse features of each word and its
window (word forms, neighbours, bigrams, suffix, shape, whether it is quoted). It is trained only
on paragraphs that contain the technique, so it learns *where* a technique sits once the
paragraph classifier has said *that* it is there; the two levels therefore never contradict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, parallel_config
from sklearn.linear_model import LogisticRegression

from slant.segment import Segment, tokens

_QUOTES = set('"“”«»„')
MAX_GAP = 2  # tokens below threshold allowed inside one span ("the [so-called] expert")


@dataclass(frozen=True)
class SpanExample:
    """A training paragraph and its gold spans as (technique, start, end) within it."""

    text: str
    spans: Sequence[tuple[str, int, int]]


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


def token_features(toks: Sequence[Segment]) -> list[list[str]]:
    words = [t.text.lower() for t in toks]
    padded = ["<s>", "<s>", *words, "</s>", "</s>"]
    quoted = False
    out = []
    for i, tok in enumerate(toks):
        if tok.text in _QUOTES:
            quoted = not quoted
        j = i + 2
        w = padded[j]
        feats = [
            "w=" + w, "p=" + padded[j - 1], "n=" + padded[j + 1], "pp=" + padded[j - 2],
            "nn=" + padded[j + 2], "pw=" + padded[j - 1] + "_" + w, "wn=" + w + "_" + padded[j + 1],
            "s3=" + w[-3:], "pre4=" + w[:4], "sh=" + _shape(tok.text),
            "pos=" + str(min(i, 5)), "rpos=" + str(min(len(toks) - 1 - i, 5)),
        ]  # fmt: skip
        if quoted:
            feats.append("quoted")
        out.append(feats)
    return out


class SpanTagger:
    """Per-technique token scorer; ``predict`` turns scores into character spans."""

    def __init__(self, labels: Sequence[str], C: float = 0.5, min_count: int = 2, n_jobs: int = 2):
        self.labels = tuple(labels)
        self.C = C
        self.min_count = min_count
        self.n_jobs = n_jobs

    def _matrix(self, feats: Iterable[list[str]]) -> sp.csr_matrix:
        indptr, indices = [0], []
        for row in feats:
            indices.extend(i for i in (self.vocabulary_.get(f) for f in row) if i is not None)
            indptr.append(len(indices))
        data = np.ones(len(indices), np.float32)
        return sp.csr_matrix(
            (data, indices, indptr), shape=(len(indptr) - 1, len(self.vocabulary_))
        )

    def fit(self, examples: Sequence[SpanExample]) -> SpanTagger:
        label_index = {label: i for i, label in enumerate(self.labels)}
        rows_feats: list[list[str]] = []
        targets: list[np.ndarray] = []  # per token: which techniques cover it
        present: list[np.ndarray] = []  # per token: which techniques its paragraph has
        for example in examples:
            toks = tokens(example.text)
            if not toks:
                continue
            rows_feats.extend(token_features(toks))
            y = np.zeros((len(toks), len(self.labels)), bool)
            has = np.zeros(len(self.labels), bool)
            for technique, start, end in example.spans:
                k = label_index[technique]
                has[k] = True
                for t, tok in enumerate(toks):
                    if tok.start < end and tok.end > start:
                        y[t, k] = True
            targets.append(y)
            present.append(np.broadcast_to(has, y.shape))
        counts = Counter(f for row in rows_feats for f in row)
        kept = sorted(f for f, c in counts.items() if c >= self.min_count)
        self.vocabulary_ = {f: i for i, f in enumerate(kept)}
        X = self._matrix(rows_feats)
        Y = np.vstack(targets) if targets else np.zeros((0, len(self.labels)), bool)
        mask = np.vstack(present) if present else Y
        # Shared read-only memory maps break sparse solvers ("WRITEBACKIFCOPY base is read-only").
        with parallel_config(max_nbytes=None):
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_one)(X[mask[:, k]], Y[mask[:, k], k])
                for k in range(len(self.labels))
            )
        self.coef_ = np.stack([w for w, _ in fitted]).astype(np.float16)
        self.intercept_ = np.array([b for _, b in fitted], np.float32)
        return self

    def _fit_one(self, X: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, float]:
        if len(y) == 0 or y.min() == y.max():
            return np.zeros(X.shape[1], np.float32), 0.0 if len(y) == 0 else (4.0 if y[0] else -4.0)
        model = LogisticRegression(C=self.C, solver="liblinear", max_iter=500)
        model.fit(X, y)
        return model.coef_[0], float(model.intercept_[0])

    def token_scores(self, text: str, offset: int = 0) -> tuple[list[Segment], np.ndarray]:
        """Tokens of ``text`` and their probability of belonging to each technique's span."""
        toks = tokens(text, offset)
        if not toks:
            return toks, np.zeros((0, len(self.labels)), np.float32)
        X = self._matrix(token_features(toks))
        z = X @ self.coef_.T.astype(np.float32) + self.intercept_
        return toks, 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def predict(
        self, text: str, techniques: Sequence[str], offset: int = 0, threshold: float = 0.5
    ) -> dict[str, list[tuple[int, int, float]]]:
        """Character spans (start, end, score) for each technique said to be in the paragraph.

        Every technique gets at least one span: when no token passes the threshold, the best
        token and the neighbours that score at least half as high make the span.
        """
        toks, scores = self.token_scores(text, offset)
        out: dict[str, list[tuple[int, int, float]]] = {}
        if not toks:
            return out
        for technique in techniques:
            p = scores[:, self.labels.index(technique)]
            runs = _runs(p >= threshold, MAX_GAP, toks)
            if not runs:
                best = int(np.argmax(p))
                keep = p >= p[best] / 2
                lo = hi = best
                while lo > 0 and keep[lo - 1]:
                    lo -= 1
                while hi < len(toks) - 1 and keep[hi + 1]:
                    hi += 1
                runs = [(lo, hi)]
            out[technique] = [
                (toks[a].start, toks[b].end, float(p[a : b + 1].mean())) for a, b in runs
            ]
        return out

    def get_state(self) -> dict[str, np.ndarray]:
        vocab = np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)
        return {"vocabulary": vocab.astype(str), "coef": self.coef_, "intercept": self.intercept_}

    @classmethod
    def from_state(cls, labels: Sequence[str], state: dict[str, np.ndarray]) -> SpanTagger:
        tagger = cls(labels)
        tagger.vocabulary_ = {str(f): i for i, f in enumerate(state["vocabulary"])}
        tagger.coef_ = state["coef"]
        tagger.intercept_ = state["intercept"].astype(np.float32)
        return tagger


def _runs(on: np.ndarray, max_gap: int, toks: Sequence[Segment]) -> list[tuple[int, int]]:
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
