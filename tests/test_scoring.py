"""Official SemEval-2023 Task 3 scoring semantics, checked against hand-computed values."""

from __future__ import annotations

import json

import pytest

from slant import scoring
from slant.errors import InputError
from slant.labels import FRAMES, GENRES, TECHNIQUES


def test_genres_hand_computed() -> None:
    gold = {"a": "opinion", "b": "opinion", "c": "reporting", "d": "satire"}
    pred = {"a": "opinion", "b": "reporting", "c": "reporting", "d": "opinion"}
    result = scoring.score_genres(gold, pred)
    # opinion: tp=1 fp=1 fn=1 -> F1 1/2; reporting: tp=1 fp=1 fn=0 -> 2/3; satire: 0
    assert result["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)
    assert result["micro_f1"] == pytest.approx(2 / 4)
    # each gold genre's row scaled to 1: opinion [.5 .5 0], reporting [0 1 0], satire [1 0 0]
    # opinion 2*.5/(1.5+1), reporting 2*1/(1.5+1), satire 0
    assert result["balanced_macro_f1"] == pytest.approx((0.4 + 0.8 + 0) / 3)
    assert result["n"] == 4
    per = result["per_label"]
    assert list(per) == list(GENRES)
    assert per["opinion"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert per["reporting"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )
    assert per["satire"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_genre_macro_averages_only_labels_seen_in_gold_or_predictions() -> None:
    gold = {"a": "opinion", "b": "reporting"}
    pred = {"a": "opinion", "b": "opinion"}
    result = scoring.score_genres(gold, pred)
    # satire occurs nowhere, so it is not averaged: (2/3 + 0) / 2, not / 3
    assert result["macro_f1"] == pytest.approx(1 / 3)
    assert result["micro_f1"] == pytest.approx(1 / 2)


def test_balanced_macro_f1_weighs_every_gold_genre_equally() -> None:
    import numpy as np

    gold = {str(i): "opinion" if i < 8 else "reporting" for i in range(10)}
    everything_opinion = {key: "opinion" for key in gold}
    result = scoring.score_genres(gold, everything_opinion)
    assert result["macro_f1"] == pytest.approx((2 * 8 / 18 + 0) / 2)  # the skewed sample's
    assert result["balanced_macro_f1"] == pytest.approx((2 / 3 + 0) / 2)  # as if 1:1
    # on a sample that is already balanced the two agree
    rng = np.random.default_rng(0)
    y_true, y_pred = np.repeat([0, 1, 2], 20), rng.integers(0, 3, 60)
    names = dict(enumerate(GENRES))
    balanced = scoring.score_genres(
        {i: names[g] for i, g in enumerate(y_true)}, {i: names[g] for i, g in enumerate(y_pred)}
    )
    assert balanced["balanced_macro_f1"] == pytest.approx(balanced["macro_f1"])
    assert scoring.balanced_macro_f1(y_true, y_pred, 3) == pytest.approx(balanced["macro_f1"])


def test_micro_f1_by_genre_hand_computed() -> None:
    import numpy as np

    # two labels; articles o1, o2 (opinion, 1 row each), r1 (reporting, 2 rows), x (no genre)
    y_true = np.array([[1, 0], [1, 1], [1, 0], [0, 1], [1, 1]])
    y_pred = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0]])
    genres = ["opinion", "opinion", "reporting", "reporting", None]
    articles = ["o1", "o2", "r1", "r1", "x"]
    result = scoring.micro_f1_by_genre(
        y_true, y_pred, genres, articles, mixes={"news": {"opinion": 1, "reporting": 3}}
    )
    # opinion: tp 2 fp 0 fn 1 -> 4/5; reporting: tp 1 fp 1 fn 1 -> 2/4
    assert result["micro_f1"] == pytest.approx({"opinion": 0.8, "reporting": 0.5})
    assert result["articles"] == {"opinion": 2, "reporting": 1}
    # balanced: opinion rows weigh 1/2 (tp 1 fp 0 fn .5), reporting rows 1 (tp 1 fp 1 fn 1)
    assert result["balanced_micro_f1"] == pytest.approx(4 / (4 + 1 + 1.5))
    # news mix: opinion rows weigh 1/2, reporting rows 3: tp 1+3, fp 3, fn .5+3
    assert result["news_micro_f1"] == pytest.approx(8 / (8 + 3 + 3.5))
    # the article without a genre counts in neither
    unlabelled_right = y_pred.copy()
    unlabelled_right[4] = [1, 1]
    again = scoring.micro_f1_by_genre(y_true, unlabelled_right, genres, articles)
    assert again["balanced_micro_f1"] == pytest.approx(result["balanced_micro_f1"])


def test_micro_f1_by_genre_without_genre_labels_has_no_scores() -> None:
    import math

    import numpy as np

    result = scoring.micro_f1_by_genre(np.ones((2, 3)), np.ones((2, 3)), [None, None], ["a", "b"])
    assert result["micro_f1"] == {} and result["articles"] == {}
    assert math.isnan(result["balanced_micro_f1"])


def test_micro_f1_by_genre_needs_one_genre_and_article_per_row() -> None:
    import numpy as np

    with pytest.raises(ValueError, match="one entry per row"):
        scoring.micro_f1_by_genre(np.zeros((2, 3)), np.zeros((2, 3)), ["opinion"], ["a", "b"])


def test_frames_hand_computed() -> None:
    gold = {"a": ["Economic", "Political"], "b": ["Morality"], "c": []}
    pred = {"a": ["Economic"], "b": ["Morality", "Political"], "c": ["Crime_and_punishment"]}
    result = scoring.score_frames(gold, pred)
    # tp=2 fp=2 fn=1 -> micro F1 = 2tp / (2tp + fp + fn) = 4/7
    assert result["micro_f1"] == pytest.approx(4 / 7)
    # Economic, Morality = 1; Political, Crime = 0; the 10 unused frames = 1 (zero_division=1)
    assert result["macro_f1"] == pytest.approx(12 / 14)
    per = result["per_label"]
    assert list(per) == list(FRAMES)
    assert per["Political"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["Crime_and_punishment"]["f1"] == 0.0
    assert per["Crime_and_punishment"]["support"] == 0
    assert per["Economic"]["support"] == 1
    assert result["n"] == 3


def test_techniques_hand_computed() -> None:
    gold = {
        ("1", 1): ["Loaded_Language", "Doubt"],
        ("1", 2): [],
        ("2", 1): ["Name_Calling-Labeling"],
        ("2", 2): ["Slogans"],
    }
    pred = {
        ("1", 1): ["Loaded_Language"],
        ("1", 2): ["Doubt"],
        ("2", 1): ["Name_Calling-Labeling", "Loaded_Language"],
        ("2", 2): ["Slogans"],
    }
    result = scoring.score_techniques(gold, pred)
    # tp=3 fp=2 fn=1 -> 6/9
    assert result["micro_f1"] == pytest.approx(2 / 3)
    # Loaded_Language 2/3, Doubt 0, Name_Calling 1, Slogans 1, 19 unused techniques 1
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0 + 1 + 1 + 19) / 23)
    assert list(result["per_label"]) == list(TECHNIQUES)
    assert result["per_label"]["Loaded_Language"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )
    assert result["n"] == 4


def test_perfect_predictions_score_one() -> None:
    genres = {"a": "opinion", "b": "satire", "c": "reporting"}
    frames = {"a": ["Economic"], "b": ["Morality", "Political"], "c": []}
    techniques = {("a", 1): ["Doubt"], ("a", 3): [], ("b", 1): ["Slogans", "Repetition"]}
    assert scoring.score_genres(genres, dict(genres))["macro_f1"] == 1.0
    assert scoring.score_genres(genres, dict(genres))["micro_f1"] == 1.0
    for result in (
        scoring.score_frames(frames, dict(frames)),
        scoring.score_techniques(techniques, dict(techniques)),
    ):
        assert result["micro_f1"] == 1.0
        assert result["macro_f1"] == 1.0


def test_label_order_within_an_item_does_not_matter() -> None:
    gold = {"a": ["Economic", "Morality"]}
    pred = {"a": ["Morality", "Economic", "Economic"]}
    assert scoring.score_frames(gold, pred)["micro_f1"] == 1.0


def test_all_empty_frames_score_one_as_with_zero_division_1() -> None:
    gold: dict[str, list[str]] = {"a": [], "b": []}
    result = scoring.score_frames(gold, {"a": [], "b": []})
    assert result["micro_f1"] == 1.0
    assert result["macro_f1"] == 1.0


def test_predicting_nothing_against_gold_labels_scores_zero() -> None:
    gold = {("a", 1): ["Doubt"], ("a", 2): ["Slogans"]}
    result = scoring.score_techniques(gold, {("a", 1): [], ("a", 2): []})
    assert result["micro_f1"] == 0.0
    assert result["per_label"]["Doubt"] == {
        "precision": 1.0,  # 0/0 -> zero_division=1
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
    }


def test_results_are_json_serialisable() -> None:
    result = scoring.score_frames({"a": ["Economic"]}, {"a": []})
    again = json.loads(json.dumps(result))
    assert again == result
    assert type(result["micro_f1"]) is float
    assert type(result["per_label"]["Economic"]["support"]) is int


def test_missing_and_extra_ids_are_reported() -> None:
    gold = {f"a{i}": "opinion" for i in range(8)}
    pred = {f"a{i}": "opinion" for i in range(2, 8)}
    pred["zzz"] = "satire"
    with pytest.raises(InputError) as info:
        scoring.score_genres(gold, pred, source="run1/en-subtask-1.txt")
    message = str(info.value)
    assert info.value.source == "run1/en-subtask-1.txt"
    assert "2 gold id(s) missing" in message
    assert "a0, a1" in message
    assert "1 id(s) not in the gold" in message
    assert "zzz" in message


def test_many_missing_ids_are_abbreviated() -> None:
    gold = {(str(i), 1): [] for i in range(20)}
    with pytest.raises(InputError) as info:
        scoring.score_techniques(gold, {})
    assert "20 gold id(s) missing" in str(info.value)
    assert "..." in str(info.value)
    assert str(info.value).startswith("predictions: ")


def test_unknown_labels_are_rejected() -> None:
    with pytest.raises(InputError, match="unknown label 'editorial'"):
        scoring.score_genres({"a": "opinion"}, {"a": "editorial"})
    with pytest.raises(InputError, match="id b: unknown label 'Economy'"):
        scoring.score_frames({"a": [], "b": []}, {"a": [], "b": ["Economy"]})
    with pytest.raises(InputError, match="id a:2: unknown label 'Loaded_language'"):
        scoring.score_techniques({("a", 2): []}, {("a", 2): ["Loaded_language"]})
    with pytest.raises(InputError) as info:
        scoring.score_frames({"a": ["Sport"]}, {"a": []})
    assert info.value.source == "gold"


def test_a_bare_string_is_not_a_label_list() -> None:
    with pytest.raises(InputError, match="expected a list of labels"):
        scoring.score_frames({"a": ["Economic"]}, {"a": "Economic"})  # type: ignore[dict-item]


def test_empty_gold_is_an_error() -> None:
    with pytest.raises(InputError, match="nothing to score"):
        scoring.score_frames({}, {})
