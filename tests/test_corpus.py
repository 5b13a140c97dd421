"""The real SemEval-2023 Task 3 data read through ``slant.semeval`` (skipped when it is absent).

Set SLANT_DATA to the folder that holds ``semeval2023t3/`` (default: ``<repo>/../shared/data``).
"""

from __future__ import annotations

import pytest
from conftest import SHARED_DATA, read_article, require_corpus

from slant.segment import paragraphs
from slant.semeval import LANGS, load_split

pytestmark = pytest.mark.corpus


def _by_article(keys) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for aid, number in keys:
        out.setdefault(aid, set()).add(number)
    return out


@pytest.fixture(scope="module", params=LANGS)
def train_split(request: pytest.FixtureRequest):
    return load_split(require_corpus(), request.param, "train")


def test_all_six_languages_are_checked() -> None:
    assert LANGS == ("en", "fr", "ge", "it", "po", "ru")


def test_paragraph_ids_are_the_segmented_line_numbers(train_split) -> None:
    ids = train_split.paragraph_ids
    assert ids
    assert len(ids) == len(set(ids)), "a paragraph id is listed twice"
    by_article = _by_article(ids)
    # every subtask-3 article has its paragraphs listed (articles only in subtasks 1-2 have none)
    folder = require_corpus() / train_split.lang / "train-articles-subtask-3"
    subtask3 = {p.stem.removeprefix("article") for p in folder.glob("article*.txt")}
    assert set(by_article) == subtask3
    for aid, numbers in by_article.items():
        assert numbers == {p.number for p in paragraphs(train_split.texts[aid])}, aid


def test_every_labelled_paragraph_is_a_paragraph_id(train_split) -> None:
    assert train_split.techniques
    ids = set(train_split.paragraph_ids)
    unknown = [key for key in train_split.techniques if key not in ids]
    assert unknown == []
    assert set(train_split.techniques) == ids


def test_gold_spans_slice_their_paragraphs(train_split) -> None:
    assert train_split.spans and train_split.techniques
    n = 0
    for aid, spans in train_split.spans.items():
        text = train_split.texts[aid]
        lines = paragraphs(text)
        for technique, start, end in spans:
            n += 1
            where = f"{aid} {technique} {start}-{end}"
            assert 0 <= start < end <= len(text), where
            assert text[start:end].strip(), where
            # a span starts inside a paragraph (the title line counts as one) ...
            assert any(line.start <= start < line.end for line in lines), where
            if "\n" not in text[start:end]:  # ... and, on one line, ends inside it
                assert any(line.start <= start and end <= line.end for line in lines), where
            # every paragraph a span touches carries its technique in the subtask-3 labels
            touched = [line.number for line in lines if start < line.end and end > line.start]
            for number in touched:
                assert technique in train_split.techniques[(aid, number)], (where, number)
    assert n > 1000


def test_unlabelled_english_test_split_follows_its_template() -> None:
    require_corpus()
    root = SHARED_DATA / "semeval2023t3-unlabelled"
    lang_dir = root / "en"
    if not (lang_dir / "test-articles").is_dir():
        pytest.skip(f"unlabelled test articles not found at {lang_dir}")
    data = load_split(root, "en", "test", with_labels=False)
    assert data.techniques is None and data.genres is None
    assert len(data.texts) == len(list((lang_dir / "test-articles").glob("article*.txt")))
    template = []
    for line in read_article(lang_dir / "test-labels-subtask-3.template").split("\n"):
        if line.strip():
            aid, number, _ = line.split("\t", 2)
            template.append((aid, int(number)))
    assert data.paragraph_ids == template
    for aid, numbers in _by_article(template).items():
        assert numbers == {p.number for p in paragraphs(data.texts[aid])}, aid
