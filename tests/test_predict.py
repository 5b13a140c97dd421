"""Classifier heads: decision thresholds tuned on out-of-fold probabilities, averaged networks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from slant.predict import (
    THRESHOLD_GRID,
    MLPMultiLabelClassifier,
    dense_head_from_state,
    shift_classes,
    tune_class_offsets,
    tune_thresholds,
)


def _micro(Y: np.ndarray, probs: np.ndarray, cut: np.ndarray) -> float:
    return float(f1_score(Y, probs >= cut, average="micro", zero_division=0))


@pytest.fixture()
def frequent_and_rare() -> tuple[np.ndarray, np.ndarray]:
    """A frequent, well-separated label and a rare one whose own best F1 needs a low threshold
    that floods the output with false positives."""
    rng = np.random.default_rng(0)
    n = 400
    Y = np.zeros((n, 2), np.int8)
    Y[:200, 0] = 1
    Y[:8, 1] = 1
    P = np.empty((n, 2), np.float32)
    P[:, 0] = np.where(Y[:, 0] == 1, rng.uniform(0.5, 0.9, n), rng.uniform(0.1, 0.6, n))
    P[:, 1] = rng.uniform(0.2, 0.35, n)  # mostly noise ...
    P[:4, 1] = 0.9  # ... with half its positives sure
    P[8:28, 1] = 0.45  # and a band of negatives above the noise
    return Y, P


def test_per_label_thresholds_maximise_each_labels_f1(frequent_and_rare) -> None:
    Y, P = frequent_and_rare
    cut = tune_thresholds(Y, P, objective="per_label")
    for j in range(Y.shape[1]):
        best = max(f1_score(Y[:, j], P[:, j] >= t, zero_division=0) for t in THRESHOLD_GRID)
        assert f1_score(Y[:, j], P[:, j] >= cut[j]) == pytest.approx(best)


def test_micro_thresholds_give_micro_f1_at_least_the_per_label_ones(frequent_and_rare) -> None:
    Y, P = frequent_and_rare
    per_label = tune_thresholds(Y, P, objective="per_label")
    micro = tune_thresholds(Y, P)
    assert _micro(Y, P, micro) >= _micro(Y, P, per_label)
    # no single threshold move improves it further: a coordinate-wise optimum
    for j in range(Y.shape[1]):
        for t in THRESHOLD_GRID:
            moved = micro.copy()
            moved[j] = t
            assert _micro(Y, P, moved) <= _micro(Y, P, micro) + 1e-12


def test_micro_thresholds_trade_a_rare_labels_recall_for_precision() -> None:
    # label 1 has one sure positive and 30 unsure rows holding its 9 other positives: its own
    # F1 is best catching them all (0.3), but they cost the frequent label's micro-F1 more
    Y = np.zeros((200, 2), np.int8)
    Y[:100, 0] = 1
    Y[100:110, 1] = 1
    P = np.zeros((200, 2), np.float32)
    P[:, 0] = np.where(Y[:, 0] == 1, 0.8, 0.3)
    P[100, 1] = 0.9
    P[101:131, 1] = 0.4
    per_label = tune_thresholds(Y, P, objective="per_label")
    micro = tune_thresholds(Y, P)
    assert per_label[1] <= 0.4 < micro[1]
    assert _micro(Y, P, micro) > _micro(Y, P, per_label)


def test_a_label_without_positives_keeps_the_neutral_threshold(frequent_and_rare) -> None:
    Y, P = frequent_and_rare
    Y = np.hstack([Y, np.zeros((len(Y), 1), np.int8)])
    P = np.hstack([P, np.full((len(P), 1), 0.7, np.float32)])
    for objective in ("micro", "per_label"):
        assert tune_thresholds(Y, P, objective=objective)[2] == pytest.approx(0.5)


def test_an_unknown_objective_is_refused() -> None:
    with pytest.raises(ValueError, match="objective"):
        tune_thresholds(np.zeros((2, 1)), np.zeros((2, 1)), objective="macro")


def _xor_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    Y = np.stack([(X[:, 0] * X[:, 1]) > 0, X[:, 2] > 0.5, X[:, 3] < -1], axis=1).astype(np.int8)
    return X, Y


def test_averaged_networks_are_the_mean_of_networks_with_successive_seeds() -> None:
    X, Y = _xor_data(600, 0)
    test, _ = _xor_data(50, 1)
    settings = dict(labels=("a", "b", "c"), hidden=16, max_iter=30)
    three = MLPMultiLabelClassifier(**settings, networks=3, seed=5).fit(X, Y)
    singles = [MLPMultiLabelClassifier(**settings, seed=5 + k).fit(X, Y) for k in range(3)]
    mean = np.mean([net.predict_proba(test) for net in singles], axis=0)
    np.testing.assert_allclose(three.predict_proba(test), mean, rtol=1e-5, atol=1e-6)
    assert not np.allclose(singles[0].predict_proba(test), singles[1].predict_proba(test))

    restored = dense_head_from_state(("a", "b", "c"), three.get_state())
    assert isinstance(restored, MLPMultiLabelClassifier) and restored.networks == 3
    np.testing.assert_array_equal(restored.predict_proba(test), three.predict_proba(test))


def test_averaging_no_network_is_refused() -> None:
    with pytest.raises(ValueError, match="networks"):
        MLPMultiLabelClassifier(("a",), networks=0)


def test_a_widened_single_label_head_reads_its_columns_of_wider_features() -> None:
    from slant.predict import SingleLabelClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = np.array(["a", "b", "c"])[np.argmax(X[:, [1, 3, 4]], axis=1)]
    columns = np.array([1, 3, 4])
    head = SingleLabelClassifier(("a", "b", "c")).fit(X[:, columns], list(y))
    narrow = head.predict_proba(X[:, columns])
    wide = head.widen(columns, X.shape[1])
    assert wide.coef_.shape == (3, 6) and not wide.coef_[:, [0, 2, 5]].any()
    np.testing.assert_allclose(wide.predict_proba(X), narrow, rtol=1e-5, atol=1e-6)
    assert (np.array(wide.predict(X)) == y).mean() > 0.9


def test_shift_classes_moves_log_odds_and_keeps_rows_normalised() -> None:
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    np.testing.assert_allclose(shift_classes(P, np.zeros(3)), P, rtol=1e-6)
    shifted = shift_classes(P, np.array([0.0, np.log(4.0), 0.0]))
    np.testing.assert_allclose(shifted.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(shifted[0], np.array([0.7, 0.8, 0.1]) / 1.6, rtol=1e-5)


def test_class_offsets_restore_an_under_called_class() -> None:
    from slant.scoring import balanced_macro_f1

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.15).astype(int)  # class 1 rare
    p1 = np.clip(0.1 + 0.3 * y + rng.normal(0, 0.08, 400), 0.01, 0.95)  # rarely above 0.5
    P = np.column_stack([1 - p1, p1])
    offsets = tune_class_offsets(y, P)
    assert offsets[0] == 0.0 and offsets[1] > 0
    before = balanced_macro_f1(y, P.argmax(axis=1), 2)
    after = balanced_macro_f1(y, shift_classes(P, offsets).argmax(axis=1), 2)
    assert after > before + 0.2
    # a strength below 1 moves part of the way
    np.testing.assert_allclose(tune_class_offsets(y, P, strength=0.5), offsets / 2)
    # a head that already separates the classes keeps zero offsets (ties: the smallest)
    sure = np.column_stack([1 - y, y]).astype(float) * 0.8 + 0.1
    np.testing.assert_array_equal(tune_class_offsets(y, sure), np.zeros(2))


def _articles(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Reports quote, opinion pieces ask and exclaim; their words come from the same pool."""
    words = ["the", "council", "plan", "city", "budget", "water", "road", "school", "vote", "week"]
    texts, labels = [], []
    for i in range(n):
        first, second = (" ".join(rng.choice(words, 15)) for _ in range(2))
        if i % 2:
            texts.append(f"Title\n\n“{first},” {second}.\n\n“{second}.”")
            labels.append("reporting")
        else:
            texts.append(f"Title\n\n{first}? {second}!\n\n{second}?")
            labels.append("opinion")
    return texts, labels


def test_lexical_single_label_head_reads_the_surface_when_words_do_not_separate() -> None:
    from slant.predict import LexicalSingleLabelClassifier

    rng = np.random.default_rng(0)
    texts, labels = _articles(rng, 120)
    fit, held = slice(0, 80), slice(80, 120)

    def held_out_accuracy(surface_weight: float) -> float:
        head = LexicalSingleLabelClassifier(("opinion", "reporting"), surface_weight=surface_weight)
        head.fit(texts[fit], labels[fit])
        probs = head.predict_proba(texts[held])
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
        return float(np.mean(np.array(head.predict(texts[held])) == np.array(labels[held])))

    assert held_out_accuracy(1.0) == 1.0
    assert held_out_accuracy(0.0) < 0.75


def test_lexical_single_label_head_round_trips_through_its_state() -> None:
    from slant.predict import LexicalSingleLabelClassifier

    rng = np.random.default_rng(1)
    texts, labels = _articles(rng, 40)
    head = LexicalSingleLabelClassifier(("opinion", "reporting", "satire"), surface_weight=0.3)
    head.fit(texts, labels)
    copy = LexicalSingleLabelClassifier.from_state(head.labels, head.get_state())
    np.testing.assert_array_equal(copy.predict_proba(texts), head.predict_proba(texts))
    # the scores read the word and surface columns of the one fitted model
    dense = head._features(texts, head._raw_surface(texts)).toarray()
    expected = head.head_.predict_proba(dense)
    np.testing.assert_allclose(head.predict_proba(texts), expected, atol=1e-6)
    assert copy.surface_weight == pytest.approx(0.3)
    # a genre never seen in training gets (almost) no probability
    assert head.predict_proba(texts)[:, 2].max() < 1e-6


def test_lexical_single_label_head_refuses_mismatched_labels() -> None:
    from slant.predict import LexicalSingleLabelClassifier

    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        LexicalSingleLabelClassifier(("a", "b")).fit(["one", "two"], ["a"])


def test_noisy_or_is_the_chance_that_any_row_of_a_group_carries_a_label() -> None:
    from slant.predict import noisy_or

    probs = np.array([[0.5, 0.0], [0.5, 0.2], [0.9, 1.0]], np.float32)
    out = noisy_or(probs, np.array([0, 0, 2]), 3)
    np.testing.assert_allclose(out[0], [0.75, 0.2], atol=1e-6)
    np.testing.assert_allclose(out[1], [0.0, 0.0])  # a group without rows: none
    assert out[2, 0] == pytest.approx(0.9) and out[2, 1] == pytest.approx(1.0, abs=1e-5)
