"""The model shipped inside the package: it loads offline and gets the acceptance examples right."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT, SHARED_DATA

import slant
from slant.labels import TECHNIQUES
from slant.model import DEFAULT_MODEL_DIR, Model

COLUMN = SHARED_DATA.parent / "examples" / "kazakhstan-column.txt"


@pytest.fixture(scope="module")
def default_model() -> Model:
    return Model.load()


def _spans(result: slant.Analysis, label: str) -> list[str]:
    return [
        s.text.lower()
        for p in result.paragraphs
        for t in p.techniques
        if t.label == label
        for s in t.spans
    ]


def test_shipped_model_is_small_and_documented(default_model: Model) -> None:
    size = sum(f.stat().st_size for f in DEFAULT_MODEL_DIR.iterdir())
    assert size < 25_000_000
    card = default_model.card
    assert card["training"]["languages"] == ["en", "fr", "ge", "it", "po", "ru"]
    assert card["training"]["command"].startswith("slant train")
    assert (DEFAULT_MODEL_DIR / "README.md").is_file()
    # The quality bar of the core issue, as measured by the CV recorded at training time.
    assert card["cv"]["en"]["st3_micro_f1"] >= 0.30
    assert card["cv"]["en"]["st2_micro_f1"] >= 0.55
    # English genre: train is 88% opinion, so genre decisions move toward equal genre shares
    # (scored by balanced macro-F1: 0.602 on the card's split and as the mean of three). It
    # hinges on 10 satire articles and swings with the fold split: this guards against a drop.
    assert card["cv"]["en"]["st1_balanced_macro_f1"] >= 0.50
    for lang in ("fr", "ge", "it", "po", "ru"):
        assert card["cv"][lang]["st3_micro_f1"] >= 0.25
        assert card["cv_fast"][lang]["st3_micro_f1"] >= 0.2


def test_bundled_op_ed() -> None:
    result = slant.analyze((REPO_ROOT / "examples" / "op-ed.txt").read_text(encoding="utf-8"))
    assert result.language == "en"
    assert result.genre.label == "opinion"
    assert {"Political", "Economic"} & {f.label for f in result.frames}
    assert {"Loaded_Language", "Name_Calling-Labeling", "Doubt"} <= set(result.techniques)


def test_acceptance_column() -> None:
    if not COLUMN.is_file():
        pytest.skip(f"acceptance example not found at {COLUMN}")
    text = Path(COLUMN).read_text(encoding="utf-8")
    result = slant.analyze(text)
    assert result.genre.label == "opinion"
    assert "Political" in {f.label for f in result.frames}
    names = _spans(result, "Name_Calling-Labeling")
    loaded = _spans(result, "Loaded_Language")
    assert any("despot" in s or "beast" in s or "barbarians" in s for s in names + loaded), loaded
    # The right words (issue 4): "coward" ("He's a coward", "For cowardice", "cowardly behavior")
    # is highlighted. The tagger puts it under Loaded_Language (word score 0.63) rather than
    # Name_Calling-Labeling (0.27), so the test accepts either.
    assert any("coward" in s for s in names + loaded), names + loaded
    # Evidence: attacks name whom they attack, and every technique is explained.
    assert "Putin" in {t.target for t in result.targets}, result.targets
    for paragraph in result.paragraphs:
        for technique in paragraph.techniques:
            assert technique.label in TECHNIQUES and technique.spans
            assert technique.explanation is not None and technique.explanation.why
            for span in technique.spans:
                assert text[span.start : span.end] == span.text
                assert paragraph.start <= span.start < span.end <= paragraph.end
