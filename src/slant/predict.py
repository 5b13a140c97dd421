"""Classifier heads over encoded features, with the scikit-learn estimator contract.

The fitted state is plain numpy arrays (``get_state`` / ``from_state``), so a model directory holds
no pickles and loads with any scikit-learn version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from slant.encode import SURFACE_WIDTH, TfidfEncoder, article_surface
from slant.segment import paragraphs

# scikit-learn is imported inside the fitting functions only: analysing never needs it.

THRESHOLD_GRID = np.round(np.arange(0.20, 0.951, 0.025), 3)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _softmax(z: np.ndarray) -> np.ndarray:
    """Rows of scores (log-odds up to a constant) to rows of probabilities."""
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _new_tfidf(max_features: int, n_texts: int) -> TfidfEncoder:
    # min_df=2 drops one-off words, except in tiny corpora where it would drop everything
    return TfidfEncoder(max_features, min_df=2 if n_texts >= 100 else 1)


def _fit_binary(X: np.ndarray, y: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, float]:
    if y.min() == y.max():  # a label never (or always) seen: a constant, calibrated to the prior
        prior = np.clip(y.mean(), 1e-4, 1 - 1e-4)
        return np.zeros(X.shape[1], np.float32), float(np.log(prior / (1 - prior)))
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit(X, y)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


class MultiLabelClassifier:
    """One balanced logistic regression per label, with a decision threshold per label."""

    def __init__(self, labels: Sequence[str], C: float = 1.0, seed: int = 0, n_jobs: int = 2):
        self.labels = tuple(labels)
        self.C = C
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, X: np.ndarray, Y: np.ndarray) -> MultiLabelClassifier:
        X = np.asarray(X, np.float32)
        Y = np.asarray(Y)
        if Y.shape != (X.shape[0], len(self.labels)):
            raise ValueError(f"Y must have shape ({X.shape[0]}, {len(self.labels)}), not {Y.shape}")
        from joblib import Parallel, delayed

        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_binary)(X, Y[:, j], self.C, self.seed) for j in range(len(self.labels))
        )
        self.coef_ = np.stack([w for w, _ in fitted])
        self.intercept_ = np.array([b for _, b in fitted], np.float32)
        self.thresholds_ = np.full(len(self.labels), 0.5, np.float32)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid(np.asarray(X, np.float32) @ self.coef_.T + self.intercept_)

    def predict(self, X: np.ndarray, thresholds: np.ndarray | None = None) -> np.ndarray:
        cut = self.thresholds_ if thresholds is None else thresholds
        return (self.predict_proba(X) >= cut).astype(np.int8)

    def get_state(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef_, "intercept": self.intercept_, "thresholds": self.thresholds_}

    @classmethod
    def from_state(
        cls, labels: Sequence[str], state: dict[str, np.ndarray]
    ) -> MultiLabelClassifier:
        model = cls(labels)
        model.coef_ = state["coef"].astype(np.float32)
        model.intercept_ = state["intercept"].astype(np.float32)
        model.thresholds_ = state["thresholds"].astype(np.float32)
        return model


class MLPMultiLabelClassifier:
    """One-hidden-layer networks (ReLU, one sigmoid output per label) over dense features.

    Same contract as ``MultiLabelClassifier``. It sees how the paragraph, its neighbours and the
    article combine, which a linear head per label cannot; in 5-fold CV it beat the linear head
    by 5 to 9 points of technique micro-F1 in every language (docs/benchmarks.md). Trained with
    scikit-learn (Adam, early stopping on a held-out tenth), predicted with numpy.

    ``networks`` > 1 trains that many with seeds ``seed``, ``seed + 1``, ... and averages their
    probabilities: one network's result moves by about a point of micro-F1 with its seed, and
    the average of three beat each of them in nested CV (docs/benchmarks.md).
    """

    def __init__(
        self,
        labels: Sequence[str],
        hidden: int = 256,
        alpha: float = 1e-2,
        max_iter: int = 60,
        early_stopping: bool | None = None,
        networks: int = 1,
        seed: int = 0,
    ):
        """``early_stopping``: stop when a held-out tenth stops improving (None: when there are
        at least 200 rows; with fewer, at least 500 epochs instead)."""
        if networks < 1:
            raise ValueError(f"networks must be at least 1, not {networks}")
        self.labels = tuple(labels)
        self.hidden = hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.networks = networks
        self.seed = seed

    def fit(self, X: np.ndarray, Y: np.ndarray) -> MLPMultiLabelClassifier:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        X = np.asarray(X, np.float32)
        Y = np.asarray(Y, np.int8)
        if Y.shape != (X.shape[0], len(self.labels)):
            raise ValueError(f"Y must have shape ({X.shape[0]}, {len(self.labels)}), not {Y.shape}")
        # A held-out tenth for early stopping needs enough rows to mean anything; tiny data
        # (one batch per epoch) gets more epochs instead.
        auto = self.early_stopping is None
        early = len(X) >= 200 if auto else bool(self.early_stopping)
        layers: list[tuple[np.ndarray, ...]] = []
        for k in range(self.networks):
            net = MLPClassifier(
                hidden_layer_sizes=(self.hidden,),
                alpha=self.alpha,
                batch_size=min(128, len(X)),
                max_iter=max(self.max_iter, 500) if auto and not early else self.max_iter,
                early_stopping=early,
                random_state=self.seed + k,
            )
            with warnings.catch_warnings():  # max_iter is a budget here, not a failure
                warnings.simplefilter("ignore", ConvergenceWarning)
                net.fit(X, Y)
            layers.append((*net.coefs_, *net.intercepts_))
        # stacked: networks x ...
        self.w1_, self.w2_, self.b1_, self.b2_ = (
            np.stack([layer[i] for layer in layers]).astype(np.float32) for i in range(4)
        )
        # the input layer is saved in half precision (half a model's size): rounded here too,
        # so a fitted head and its saved copy predict alike
        self.w1_ = self.w1_.astype(np.float16).astype(np.float32)
        self.thresholds_ = np.full(len(self.labels), 0.5, np.float32)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, np.float32)
        probs = np.zeros((X.shape[0], len(self.labels)), np.float32)
        for w1, b1, w2, b2 in zip(self.w1_, self.b1_, self.w2_, self.b2_, strict=True):
            probs += _sigmoid(np.maximum(X @ w1 + b1, 0.0) @ w2 + b2)
        return probs / len(self.w1_)

    def predict(self, X: np.ndarray, thresholds: np.ndarray | None = None) -> np.ndarray:
        cut = self.thresholds_ if thresholds is None else thresholds
        return (self.predict_proba(X) >= cut).astype(np.int8)

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            "w1": self.w1_.astype(np.float16),
            "b1": self.b1_,
            "w2": self.w2_,
            "b2": self.b2_,
            "thresholds": self.thresholds_,
        }

    @classmethod
    def from_state(
        cls, labels: Sequence[str], state: dict[str, np.ndarray]
    ) -> MLPMultiLabelClassifier:
        networks, _, hidden = state["w1"].shape
        model = cls(labels, hidden=hidden, networks=networks)
        for name in ("w1", "b1", "w2", "b2"):
            setattr(model, f"{name}_", state[name].astype(np.float32))
        model.thresholds_ = state["thresholds"].astype(np.float32)
        return model


DenseHead = MultiLabelClassifier | MLPMultiLabelClassifier


def noisy_or(probs: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group (e.g. the paragraph of each sentence), the chance that at least one of its
    rows carries each label, the rows taken as independent: 1 - prod(1 - p)."""
    log_none = np.zeros((groups, probs.shape[1]), np.float64)
    np.add.at(log_none, group, np.log1p(-np.clip(probs, 0.0, 1.0 - 1e-6)))
    return (1.0 - np.exp(log_none)).astype(np.float32)


def dense_head_from_state(labels: Sequence[str], state: dict[str, np.ndarray]) -> DenseHead:
    """A saved dense head, linear or MLP (told apart by their arrays)."""
    if "w1" in state:
        return MLPMultiLabelClassifier.from_state(labels, state)
    return MultiLabelClassifier.from_state(labels, state)


class SingleLabelClassifier:
    """Multinomial logistic regression with class weights for rare classes (e.g. satire)."""

    def __init__(self, labels: Sequence[str], C: float = 1.0, seed: int = 0):
        self.labels = tuple(labels)
        self.C = C
        self.seed = seed

    def fit(self, X: np.ndarray, y: Sequence[str]) -> SingleLabelClassifier:
        index = {label: i for i, label in enumerate(self.labels)}
        unknown = sorted(set(y) - set(index))
        if unknown:
            raise ValueError(f"labels not in {self.labels}: {unknown}")
        targets = np.array([index[label] for label in y])
        coef = np.zeros((len(self.labels), X.shape[1]), np.float32)
        intercept = np.full(len(self.labels), -30.0, np.float32)  # classes unseen in training
        classes = np.unique(targets)
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        if len(classes) == 1:  # nothing to discriminate: always the one class seen
            intercept[classes[0]] = 0.0
        else:
            model = LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=3000, random_state=self.seed
            )
            model.fit(X if sparse.issparse(X) else np.asarray(X, np.float32), targets)
            if len(classes) == 2:  # sklearn stores one row for two classes
                coef[classes[1]], intercept[classes[1]] = model.coef_[0], model.intercept_[0]
                intercept[classes[0]] = 0.0
            else:
                coef[classes] = model.coef_
                intercept[classes] = model.intercept_
        self.coef_, self.intercept_ = coef, intercept
        return self

    def widen(self, columns: np.ndarray, width: int) -> SingleLabelClassifier:
        """This head, fitted on ``columns`` of some features, made to read all ``width`` of
        them (zero weight on the others), so heads fitted on different columns share inputs."""
        coef = np.zeros((len(self.labels), width), np.float32)
        coef[:, columns] = self.coef_
        self.coef_ = coef
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _softmax(np.asarray(X, np.float32) @ self.coef_.T + self.intercept_)

    def predict(self, X: np.ndarray) -> list[str]:
        return [self.labels[i] for i in self.predict_proba(X).argmax(axis=1)]

    def get_state(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef_, "intercept": self.intercept_}

    @classmethod
    def from_state(
        cls, labels: Sequence[str], state: dict[str, np.ndarray]
    ) -> SingleLabelClassifier:
        model = cls(labels)
        model.coef_ = state["coef"].astype(np.float32)
        model.intercept_ = state["intercept"].astype(np.float32)
        return model


class LexicalSingleLabelClassifier:
    """Multinomial logistic regression over an article's TF-IDF words and, with
    ``surface_weight`` > 0, its standardised ``article_surface`` (how much it quotes, asks,
    exclaims and counts): the genre head of ``--fast`` mode, which has no sentence encoder.

    One multinomial model, not one model per class, so the probabilities compete and the
    genre offsets of ``tune_class_offsets`` act on calibrated log-odds; the surface separates
    reports from opinion where the words alone do not (bench notes in docs/benchmarks.md).
    """

    def __init__(
        self,
        labels: Sequence[str],
        C: float = 10.0,
        surface_weight: float = 0.0,
        max_features: int = 40000,
        seed: int = 0,
    ):
        self.labels = tuple(labels)
        self.C = C
        self.surface_weight = surface_weight
        self.max_features = max_features
        self.seed = seed

    def fit(self, texts: Sequence[str], y: Sequence[str]) -> LexicalSingleLabelClassifier:
        if len(texts) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(y)} labels")
        self.vectorizer_ = _new_tfidf(self.max_features, len(texts)).fit(texts)
        surface = self._raw_surface(texts)
        self.surface_mean_ = surface.mean(axis=0).astype(np.float32)
        spread = surface.std(axis=0)  # a column constant in training keeps its raw scale
        self.surface_scale_ = np.where(spread > 1e-6, spread, 1.0).astype(np.float32)
        self.head_ = SingleLabelClassifier(self.labels, C=self.C, seed=self.seed)
        self.head_.fit(self._features(texts, surface), y)
        # saved as float16 (half the file); rounded now so a loaded head predicts the same
        self.head_.coef_ = self.head_.coef_.astype(np.float16).astype(np.float32)
        self._weights = None
        return self

    @staticmethod
    def _raw_surface(texts: Sequence[str]) -> np.ndarray:
        return np.array(
            [article_surface([line.text for line in paragraphs(t)]) for t in texts], np.float32
        ).reshape(len(texts), SURFACE_WIDTH)

    def _scaled(self, surface: np.ndarray) -> np.ndarray:
        return self.surface_weight * (surface - self.surface_mean_) / self.surface_scale_

    def _features(self, texts: Sequence[str], surface: np.ndarray):
        from scipy import sparse

        words = self.vectorizer_.transform(texts)
        return sparse.hstack([words, sparse.csr_matrix(self._scaled(surface))], format="csr")

    def predict_proba(self, texts: Sequence[str], surface: np.ndarray | None = None) -> np.ndarray:
        """One row per article text, summing to 1 over ``labels``. ``surface``: the texts'
        ``article_surface`` rows, when the caller has them already."""
        if getattr(self, "_weights", None) is None:  # word and surface columns, laid out once
            coef, width = self.head_.coef_, self.vectorizer_.n_terms
            self._weights = (
                np.ascontiguousarray(coef[:, :width].T),
                np.ascontiguousarray(coef[:, width:].T),
            )
        word_weights, surface_weights = self._weights
        z, _ = self.vectorizer_.project(texts, word_weights)
        if surface is None:
            surface = self._raw_surface(texts)
        z += self._scaled(np.asarray(surface, np.float32)) @ surface_weights
        return _softmax(z + self.head_.intercept_)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.labels[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            **self.vectorizer_.get_state(),
            **self.head_.get_state(),
            "coef": self.head_.coef_.astype(np.float16),
            "surface_mean": self.surface_mean_,
            "surface_scale": self.surface_scale_,
            "surface_weight": np.array(self.surface_weight, np.float32),
        }

    @classmethod
    def from_state(
        cls, labels: Sequence[str], state: dict[str, np.ndarray]
    ) -> LexicalSingleLabelClassifier:
        model = cls(labels, surface_weight=float(state["surface_weight"]))
        model.vectorizer_ = TfidfEncoder.from_state(state)
        model.head_ = SingleLabelClassifier.from_state(labels, state)
        model.surface_mean_ = state["surface_mean"].astype(np.float32)
        model.surface_scale_ = state["surface_scale"].astype(np.float32)
        return model


Objective = Literal["micro", "per_label"]


def tune_thresholds(
    Y: np.ndarray,
    P: np.ndarray,
    grid: np.ndarray = THRESHOLD_GRID,
    objective: Objective = "micro",
    rounds: int = 3,
) -> np.ndarray:
    """Per-label thresholds tuned on out-of-fold probabilities ``P`` against ``Y``.

    ``objective="per_label"`` maximises each label's own F1. ``"micro"`` (the official metric
    of subtasks 2 and 3) starts there and then, label by label for ``rounds`` passes, moves
    each threshold to where the micro-F1 over all labels is highest: a rare label's F1-optimal
    threshold buys it a few hits with many false positives that cost micro-F1 more than they
    give (nested CV, mean ST3 micro-F1 of six languages: dense head +0.004, lexical heads
    +0.036; docs/benchmarks.md).
    Labels with no positive example keep 0.5: tuning on nothing would only overfit.
    """
    if objective not in ("micro", "per_label"):
        raise ValueError(f"objective must be 'micro' or 'per_label', not {objective!r}")
    Y = np.asarray(Y).astype(bool)
    probs = np.asarray(P, np.float32)
    grid = np.asarray(grid, np.float32)  # as the thresholds will be stored and applied
    above = probs[:, :, None] >= grid[None, None, :]  # rows x labels x grid
    hits = (above & Y[:, :, None]).sum(axis=0)  # labels x grid
    predicted = above.sum(axis=0)
    gold = Y.sum(axis=0)
    with np.errstate(invalid="ignore"):
        label_f1 = np.nan_to_num(2 * hits / (gold[:, None] + predicted))
    tuned = gold > 0
    index = np.where(tuned, label_f1.argmax(axis=1), int(np.argmin(np.abs(grid - 0.5))))
    thresholds = np.where(tuned, grid[index], 0.5).astype(np.float32)
    if objective == "per_label" or gold.sum() == 0:
        return thresholds
    # labels without positives keep 0.5, but their false positives still count against micro-F1
    fixed_hits = (Y & (probs >= thresholds)).sum(axis=0)
    fixed_predicted = (probs >= thresholds).sum(axis=0)
    labels = np.arange(Y.shape[1])
    for _ in range(rounds):
        for j in np.flatnonzero(tuned):
            tp = np.where(tuned, hits[labels, index], fixed_hits).sum() - hits[j, index[j]]
            pp = np.where(tuned, predicted[labels, index], fixed_predicted).sum()
            pp -= predicted[j, index[j]]
            index[j] = int(np.argmax((tp + hits[j]) / (gold.sum() + pp + predicted[j])))
    return np.where(tuned, grid[index], 0.5).astype(np.float32)


# Offsets tried for each class but the first (which stays at 0): log-odds from -1 to +3.
CLASS_OFFSET_GRID = np.round(np.arange(-1.0, 3.001, 0.25), 2)


def _log_scores(P: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(P, np.float64), 1e-12, None))


def shift_classes(P: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Class probabilities ``P`` (or any positive scores: rows are renormalised) with ``offsets``
    added to their log-odds: the same model under other class priors."""
    return _softmax(_log_scores(P) + np.asarray(offsets)).astype(np.float32)


def tune_class_offsets(
    y: np.ndarray, P: np.ndarray, grid: np.ndarray = CLASS_OFFSET_GRID, strength: float = 1.0
) -> np.ndarray:
    """Log-odds offsets for the classes of out-of-fold probabilities ``P`` (gold class indices
    ``y``): those that maximise ``balanced_macro_f1`` of the shifted argmax, times ``strength``
    (0: none, 1: all the way); the first class's stays 0. Ties keep the smallest offsets.

    Balanced class weights alone leave a regularised model short of calling a rare class (CV,
    English genre: 27% of reporting articles called reporting); offsets tuned for the score
    under equal class frequencies restore its recall. A class with a handful of examples
    (English satire: 10) gets offsets that over-call it, which a ``strength`` below 1 tempers.
    """
    from itertools import product

    from slant.scoring import balanced_macro_f1

    y = np.asarray(y, int)
    n_labels = P.shape[1]
    logits = _log_scores(P)
    candidates = sorted(product(*[grid] * (n_labels - 1)), key=lambda c: float(np.abs(c).sum()))
    best, best_score = np.zeros(n_labels), -1.0
    for candidate in candidates:
        offsets = np.array([0.0, *candidate])
        score = balanced_macro_f1(y, (logits + offsets).argmax(axis=1), n_labels)
        if score > best_score + 1e-12:
            best, best_score = offsets, score
    return (best * strength).astype(np.float32)


class LexicalMultiLabelClassifier:
    """TF-IDF word uni+bigrams with one balanced linear model per label.

    Persuasion lives in wording ("so-called", "traitor", "wake up") that a sentence embedding
    blurs, so this head complements the dense one; their probabilities are averaged.
    """

    def __init__(
        self,
        labels: Sequence[str],
        C: float = 1.0,
        max_features: int = 40000,
        seed: int = 0,
        n_jobs: int = 2,
    ):
        self.labels = tuple(labels)
        self.C = C
        self.max_features = max_features
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, texts: Sequence[str], Y: np.ndarray) -> LexicalMultiLabelClassifier:
        Y = np.asarray(Y)
        self.vectorizer_ = self._new_vectorizer(len(texts))
        X = self.vectorizer_.fit(texts).transform(texts)
        from joblib import Parallel, delayed, parallel_config

        # Shared read-only memory maps break sparse solvers ("WRITEBACKIFCOPY base is read-only").
        with parallel_config(max_nbytes=None):
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_sparse)(X, Y[:, j], self.C, self.seed) for j in range(len(self.labels))
            )
        self.coef_ = np.stack([w for w, _ in fitted]).astype(np.float16)
        self._coef32 = None
        self.intercept_ = np.array([b for _, b in fitted], np.float32)
        return self

    def _new_vectorizer(self, n_texts: int) -> TfidfEncoder:
        return _new_tfidf(self.max_features, n_texts)

    def predict_proba(self, texts: Sequence[str], unknown_as_zero: bool = False) -> np.ndarray:
        """``unknown_as_zero``: a text with no word (or word pair) in the vocabulary gets 0 for
        every label instead of the same guess from label frequencies as every such text."""
        if getattr(self, "_coef32", None) is None:  # stored as float16; convert once, not per call
            self._coef32 = np.ascontiguousarray(self.coef_.T, dtype=np.float32)
        z, known = self.vectorizer_.project(texts, self._coef32)
        probs = _sigmoid(z + self.intercept_)
        if unknown_as_zero:
            probs[~known] = 0.0
        return probs

    def get_state(self) -> dict[str, np.ndarray]:
        return {**self.vectorizer_.get_state(), "coef": self.coef_, "intercept": self.intercept_}

    @classmethod
    def from_state(
        cls, labels: Sequence[str], state: dict[str, np.ndarray]
    ) -> LexicalMultiLabelClassifier:
        model = cls(labels)
        model.vectorizer_ = TfidfEncoder.from_state(state)
        model.coef_ = state["coef"]
        model.intercept_ = state["intercept"].astype(np.float32)
        return model


def _fit_sparse(X, y: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, float]:
    if y.min() == y.max():
        prior = np.clip(y.mean(), 1e-4, 1 - 1e-4)
        return np.zeros(X.shape[1], np.float32), float(np.log(prior / (1 - prior)))
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", random_state=seed)
    model.fit(X, y)
    return model.coef_[0], float(model.intercept_[0])
