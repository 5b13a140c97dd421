"""The span metric (SemEval-2020 Task 11 / CheckThat! partial-overlap credit), on hand-computed
cases, and the ``slant evaluate --spans`` command around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS
from typer.testing import CliRunner

from slant.cli import app
from slant.errors import InputError
from slant.scoring import score_spans
from slant.semeval import load_split

LOADED, NAMES = "Loaded_Language", "Name_Calling-Labeling"


def test_exact_match_scores_one() -> None:
    gold = {"1": [(LOADED, 0, 10), (NAMES, 20, 25)]}
    s = score_spans(gold, gold)
    assert s["micro"]["precision"] == s["micro"]["recall"] == s["micro"]["f1"] == 1.0
    assert s["per_label"][NAMES]["gold_spans"] == 1


def test_partial_overlap_gets_partial_credit() -> None:
    # gold 0-10; predicted 5-15 covers half of gold (recall 0.5) and is half inside (precision 0.5)
    s = score_spans({"1": [(LOADED, 0, 10)]}, {"1": [(LOADED, 5, 15)]})
    assert s["micro"]["precision"] == pytest.approx(0.5)
    assert s["micro"]["recall"] == pytest.approx(0.5)
    assert s["micro"]["f1"] == pytest.approx(0.5)


def test_credit_is_capped_and_techniques_must_match() -> None:
    gold = {"1": [(LOADED, 0, 10), (LOADED, 10, 20)], "2": [(NAMES, 0, 4)]}
    # one long prediction covers both gold spans: precision 1 (capped), recall 1 + 1
    # the Name_Calling gold span is predicted as Loaded_Language: no credit, counts as a miss
    pred = {"1": [(LOADED, 0, 20)], "2": [(LOADED, 0, 4)]}
    s = score_spans(gold, pred)
    assert s["per_label"][LOADED]["precision"] == pytest.approx(1 / 2)  # (1 + 0) / 2 predicted
    assert s["per_label"][LOADED]["recall"] == pytest.approx(1.0)  # (1 + 1) / 2 gold
    assert s["per_label"][NAMES]["recall"] == 0.0
    # micro: precision credit 1 over 2 predicted spans; recall credit 2 over 3 gold spans
    assert s["micro"]["precision"] == pytest.approx(0.5)
    assert s["micro"]["recall"] == pytest.approx(2 / 3)
    assert s["micro"]["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_a_prediction_smaller_than_gold() -> None:
    # predicted 2-4 inside gold 0-10: precision 1, recall 2/10
    s = score_spans({"a": [(NAMES, 0, 10)]}, {"a": [(NAMES, 2, 4)]})
    assert s["micro"]["precision"] == pytest.approx(1.0)
    assert s["micro"]["recall"] == pytest.approx(0.2)


def test_missing_article_means_nothing_predicted() -> None:
    s = score_spans({"1": [(LOADED, 0, 10)], "2": [(LOADED, 0, 5)]}, {"1": [(LOADED, 0, 10)]})
    assert s["micro"]["precision"] == 1.0
    assert s["micro"]["recall"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "pred",
    [{"9": [(LOADED, 0, 5)]}, {"1": [("Not_A_Technique", 0, 5)]}, {"1": [(LOADED, 5, 5)]}],
)
def test_bad_predictions_are_errors(pred) -> None:
    with pytest.raises(InputError):
        score_spans({"1": [(LOADED, 0, 5)]}, pred)


def _write_spans(path: Path, spans: dict[str, list[tuple[str, int, int]]]) -> None:
    lines = [f"{aid}\t{t}\t{s}\t{e}\n" for aid, rows in spans.items() for t, s, e in rows]
    path.write_text("".join(lines), encoding="utf-8")


def test_evaluate_spans_pred_scores_gold_as_one(tmp_path: Path) -> None:
    gold = load_split(FIXTURE_CORPUS, "en", "train").spans
    assert gold
    _write_spans(tmp_path / "en-subtask-3-spans.txt", gold)
    result = CliRunner().invoke(
        app, ["evaluate", str(FIXTURE_CORPUS), "--spans", "--pred", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["en"]
    assert scores["micro"]["f1"] == pytest.approx(1.0)


def test_evaluate_spans_pred_table_and_half_spans(tmp_path: Path) -> None:
    gold = load_split(FIXTURE_CORPUS, "en", "train").spans
    halves = {a: [(t, s, s + max(1, (e - s) // 2)) for t, s, e in rows] for a, rows in gold.items()}
    _write_spans(tmp_path / "en-subtask-3-spans.txt", halves)
    result = CliRunner().invoke(
        app, ["evaluate", str(FIXTURE_CORPUS), "--spans", "--pred", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "en spans: micro-F1" in result.output and "Loaded_Language" in result.output


def test_evaluate_spans_missing_file_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", str(FIXTURE_CORPUS), "--spans", "--pred", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "prediction file not found" in result.output


def test_evaluate_spans_cross_validation(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", str(FIXTURE_CORPUS), "--spans", "--cv", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output[result.output.index("{") :])["en"]
    assert 0.0 < scores["micro"]["f1"] <= 1.0
    assert scores["micro"]["gold_spans"] == sum(
        len(v) for v in load_split(FIXTURE_CORPUS, "en", "train").spans.values()
    )
