"""Reading and writing the SemEval-2023 Task 3 layout, on the small invented fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slant import segment, semeval
from slant.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = FIXTURES / "semeval"
EN = ROOT / "en"
IDS = ["9000001", "9000002", "9000003"]


def _raw(aid: str) -> str:
    with open(
        EN / "train-articles-subtask-3" / f"article{aid}.txt", encoding="utf-8", newline=""
    ) as f:
        return f.read()


def _template_rows() -> list[tuple[str, int, str]]:
    rows = []
    for path in sorted((EN / "train-labels-subtask-3").glob("*.template")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line:
                aid, number, text = line.split("\t")
                rows.append((aid, int(number), text))
    return rows


@pytest.fixture(scope="module")
def data() -> semeval.Split:
    return semeval.load_split(ROOT, "en", "train")


def test_texts_are_read_with_line_endings_kept(data: semeval.Split) -> None:
    assert data.article_ids == IDS
    assert data.texts["9000002"].startswith("Why the Brenholm Stadium Plan Must Be Stopped\r\n\r\n")
    assert "\r" not in data.texts["9000001"]
    assert data.texts["9000003"].endswith("the spokesperson added.")
    for aid in IDS:
        assert data.texts[aid] == _raw(aid)


def test_paragraph_ids_match_the_templates(data: semeval.Split) -> None:
    rows = _template_rows()
    assert data.paragraph_ids == [(aid, number) for aid, number, _ in rows]
    assert [key for key in data.paragraph_ids if key[0] == "9000001"] == [
        ("9000001", n) for n in (1, 3, 5, 6, 8, 9)
    ]


def test_paragraph_ids_equal_segment_numbering(data: semeval.Split) -> None:
    by_segment = [(aid, p.number) for aid in IDS for p in segment.paragraphs(data.texts[aid])]
    assert data.paragraph_ids == by_segment
    texts = {(aid, p.number): p.text for aid in IDS for p in segment.paragraphs(data.texts[aid])}
    for aid, number, text in _template_rows():
        assert texts[(aid, number)] == text


def test_genre_and_frame_labels(data: semeval.Split) -> None:
    assert data.genres == {"9000001": "opinion", "9000002": "opinion", "9000003": "reporting"}
    assert data.frames == {
        "9000001": ["Political", "Economic"],
        "9000002": ["Economic", "Public_opinion", "Quality_of_life"],
        "9000003": [],
    }


def test_technique_labels(data: semeval.Split) -> None:
    assert data.techniques is not None
    assert set(data.techniques) == set(data.paragraph_ids)
    assert data.techniques[("9000001", 1)] == []
    assert data.techniques[("9000001", 3)] == ["Name_Calling-Labeling"]
    assert data.techniques[("9000002", 3)] == ["Flag_Waving", "Loaded_Language"]
    assert data.techniques[("9000003", 4)] == ["Exaggeration-Minimisation"]
    assert sum(1 for labels in data.techniques.values() if labels) == 11


def test_spans_point_at_the_phrases_in_the_crlf_article(data: semeval.Split) -> None:
    assert data.spans is not None
    text = data.texts["9000002"]
    quoted = {(tech, text[start:end]) for tech, start, end in data.spans["9000002"]}
    assert ("Loaded_Language", "monument to greed") in quoted
    assert ("Conversation_Killer", "that's the end of it") in quoted
    assert (
        "Doubt",
        "Can we really trust a council whose last three budgets were wrong by millions?",
    ) in quoted
    # The offsets count "\r": the same offsets on the LF-normalised text quote something else.
    _, start, end = next(s for s in data.spans["9000002"] if s[0] == "Loaded_Language")
    assert text.replace("\r\n", "\n")[start:end] != "monument to greed"


def test_spans_lie_inside_paragraphs_labelled_with_their_technique(data: semeval.Split) -> None:
    assert data.spans is not None and data.techniques is not None
    assert [len(data.spans[aid]) for aid in IDS] == [6, 6, 1]
    text1 = data.texts["9000001"]
    assert {text1[s:e] for _, s, e in data.spans["9000001"]} >= {"spineless cowards", "ravage"}
    for aid in IDS:
        paras = segment.paragraphs(data.texts[aid])
        for tech, start, end in data.spans[aid]:
            owner = [p for p in paras if p.start <= start and end <= p.end]
            assert len(owner) == 1
            assert tech in data.techniques[(aid, owner[0].number)]


def test_load_without_labels() -> None:
    data = semeval.load_split(ROOT, "en", "train", with_labels=False)
    assert data.genres is None and data.frames is None and data.techniques is None
    assert data.spans is None
    assert len(data.paragraph_ids) == 17


def test_write_predictions_writes_the_official_format(tmp_path: Path) -> None:
    written = semeval.write_predictions(
        tmp_path / "out",
        "en",
        genres={"9000001": "opinion", "9000003": "reporting"},
        frames={"9000001": ["Political", "Economic"], "9000003": []},
        techniques=[("9000001", 1, []), ("9000001", 3, ["Name_Calling-Labeling", "Doubt"])],
        spans=[("9000001", "Name_Calling-Labeling", 38, 55)],
    )
    names = ["en-subtask-1.txt", "en-subtask-2.txt", "en-subtask-3.txt", "en-subtask-3-spans.txt"]
    assert [p.name for p in written] == names
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)
    contents = {p.name: p.read_bytes().decode("utf-8") for p in written}
    assert contents["en-subtask-1.txt"] == "9000001\topinion\n9000003\treporting\n"
    assert contents["en-subtask-2.txt"] == "9000001\tPolitical,Economic\n9000003\t\n"
    assert contents["en-subtask-3.txt"] == (
        "9000001\t1\t\n9000001\t3\tName_Calling-Labeling,Doubt\n"
    )
    assert contents["en-subtask-3-spans.txt"] == "9000001\tName_Calling-Labeling\t38\t55\n"


def test_written_predictions_read_back(tmp_path: Path, data: semeval.Split) -> None:
    assert data.techniques is not None and data.frames is not None
    techniques = [(aid, n, data.techniques[(aid, n)]) for aid, n in data.paragraph_ids]
    semeval.write_predictions(tmp_path, "en", data.genres or {}, data.frames, techniques, [])
    assert semeval.read_genres(tmp_path / "en-subtask-1.txt") == data.genres
    assert semeval.read_frames(tmp_path / "en-subtask-2.txt") == data.frames
    assert semeval.read_techniques(tmp_path / "en-subtask-3.txt") == data.techniques


def test_malformed_label_file_names_file_and_line() -> None:
    bad = FIXTURES / "semeval-bad"
    with pytest.raises(InputError) as info:
        semeval.load_split(bad, "en", "train")
    message = str(info.value)
    assert "train-labels-subtask-3.txt" in message
    assert "line 2" in message
    assert "Loaded_Langauge" in message


def test_missing_language_folder() -> None:
    with pytest.raises(InputError) as info:
        semeval.load_split(ROOT, "fr", "train")
    assert str(ROOT / "fr") in str(info.value)
    assert "'fr'" in str(info.value)


def test_missing_split_folder() -> None:
    with pytest.raises(InputError, match="no dev-articles-subtask-N folder"):
        semeval.load_split(ROOT, "en", "dev")


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "semeval"
    shutil.copytree(ROOT, root)
    return root


def test_falls_back_to_segmenting_without_templates(tmp_path: Path, data: semeval.Split) -> None:
    root = _copy(tmp_path)
    shutil.rmtree(root / "en" / "train-labels-subtask-3")
    copy = semeval.load_split(root, "en", "train")
    assert copy.paragraph_ids == data.paragraph_ids
    assert copy.techniques == data.techniques


def test_template_text_may_contain_unicode_line_separators(tmp_path: Path) -> None:
    # SemEval lines end at "\n" only; U+2028 or a form feed inside a paragraph is not a row break.
    root = _copy(tmp_path)
    article = root / "en" / "train-articles-subtask-3" / "article9000003.txt"
    article.write_bytes(b"Harbour Fees\xe2\x80\xa8Rise\x0cAgain\nSecond line.\n")
    template = (
        root / "en" / "train-labels-subtask-3" / "article9000003-labels-subtask-3.txt.template"
    )
    template.write_bytes(
        b"9000003\t1\tHarbour Fees\xe2\x80\xa8Rise\x0cAgain\n9000003\t2\tSecond line.\n"
    )
    data = semeval.load_split(root, "en", "train", with_labels=False)
    assert [key for key in data.paragraph_ids if key[0] == "9000003"] == [
        ("9000003", 1),
        ("9000003", 2),
    ]


def test_bad_paragraph_number_in_template(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    template = (
        root / "en" / "train-labels-subtask-3" / "article9000001-labels-subtask-3.txt.template"
    )
    template.write_text("9000001\t1\tTitle\n9000001\tthree\tText\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        semeval.load_split(root, "en", "train", with_labels=False)
    assert template.name in str(info.value)
    assert "line 2" in str(info.value)


def test_span_past_the_end_of_the_article(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    spans = root / "en" / "train-labels-subtask-3-spans" / "article9000003-labels-subtask-3.txt"
    spans.write_text("9000003\tLoaded_Language\t10\t99999\n", encoding="utf-8")
    with pytest.raises(InputError, match="past the end of article 9000003"):
        semeval.load_split(root, "en", "train")
