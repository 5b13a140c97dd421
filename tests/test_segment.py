"""Paragraph, sentence and token segmentation with exact character offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from slant import segment

FIXTURE_EN = Path(__file__).parent / "fixtures" / "semeval" / "en" / "train-articles-subtask-3"

LINES = [
    "Harbour Fees Double",
    "",
    "  The spineless cowards on the council voted again.  ",
    "   \t ",
    "Can we really trust them?",
    "",
    "",
    "Northport first!",
]


def _check_offsets(text: str, parts: list[segment.Segment]) -> None:
    for part in parts:
        assert text[part.start : part.end] == part.text


def test_paragraphs_are_numbered_by_line_skipping_blank_and_whitespace_lines() -> None:
    text = "\n".join(LINES) + "\n"
    got = segment.paragraphs(text)
    assert [p.number for p in got] == [1, 3, 5, 8]
    assert [p.text for p in got] == [
        "Harbour Fees Double",
        "The spineless cowards on the council voted again.",
        "Can we really trust them?",
        "Northport first!",
    ]


def test_paragraph_offsets_point_at_the_stripped_content() -> None:
    text = "\n".join(LINES)  # no final newline
    got = segment.paragraphs(text)
    _check_offsets(text, got)
    indented = got[1]
    assert indented.start == text.index("The spineless")
    assert text[indented.end :].startswith("  \n")
    assert got[-1].end == len(text)


def test_crlf_offsets_count_carriage_returns() -> None:
    lf = "\n".join(LINES) + "\n"
    crlf = "\r\n".join(LINES) + "\r\n"
    lf_paras = segment.paragraphs(lf)
    crlf_paras = segment.paragraphs(crlf)
    _check_offsets(crlf, crlf_paras)
    assert [p.number for p in crlf_paras] == [p.number for p in lf_paras]
    assert [p.text for p in crlf_paras] == [p.text for p in lf_paras]
    for p_lf, p_crlf in zip(lf_paras, crlf_paras, strict=True):
        # every earlier line ends with one extra "\r"
        assert p_crlf.start == p_lf.start + (p_lf.number - 1)
        assert "\r" not in p_crlf.text
    assert segment.paragraphs("A\r\nB\r\n")[1].start == 3


def test_no_paragraphs_in_empty_or_blank_text() -> None:
    assert segment.paragraphs("") == []
    assert segment.paragraphs(" \n\t\r\n\n") == []
    assert segment.title_of(" \n\t\r\n\n") == ""


def test_title_is_first_non_blank_line() -> None:
    assert segment.title_of("\n\r\n  Headline here \r\nBody.\r\n") == "Headline here"


@pytest.mark.parametrize("name", ["article9000001.txt", "article9000002.txt", "article9000003.txt"])
def test_fixture_articles_round_trip(name: str) -> None:
    with open(FIXTURE_EN / name, encoding="utf-8", newline="") as handle:
        text = handle.read()
    paras = segment.paragraphs(text)
    assert paras
    _check_offsets(text, paras)
    for p in paras:
        assert text.split("\n")[p.number - 1].strip() == p.text


def test_crlf_fixture_really_has_crlf() -> None:
    raw = (FIXTURE_EN / "article9000002.txt").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 0


def test_tokens_offsets_round_trip_with_shift() -> None:
    para = "It’s a well-known café — 3.5% “fact”, isn't it?"
    offset = 17
    text = "x" * offset + para
    toks = segment.tokens(para, offset)
    _check_offsets(text, toks)
    assert [t.text for t in toks] == [
        "It’s", "a", "well-known", "café", "—", "3", ".", "5", "%", "“", "fact", "”", ",",
        "isn't", "it", "?",
    ]  # fmt: skip


def test_tokens_keep_offsets_across_every_kind_of_whitespace() -> None:
    # offsets are summed from token and gap lengths, so odd gaps must be counted exactly
    para = " \t«Ça\u00a0va?»\r\n  Москва\u2003—\u3000東京 e\u0301te\u200b!  "
    toks = segment.tokens(para, 3)
    _check_offsets("abc" + para, toks)
    assert "".join(t.text for t in toks) == "".join(para.split())


def test_sentences_use_character_offsets_with_non_ascii_text() -> None:
    para = "Café owners — naïve as ever — were furious. “Why?” they asked 😀 twice. Then they left."
    offset = 40
    text = "y" * offset + para
    sents = segment.sentences(para, offset)
    _check_offsets(text, sents)
    assert [s.text for s in sents] == [
        "Café owners — naïve as ever — were furious.",
        "“Why?” they asked 😀 twice.",
        "Then they left.",
    ]
    assert sents[-1].end == len(text)


def test_sentences_of_blank_text_are_empty() -> None:
    assert segment.sentences("  \t ") == []


def test_sentences_and_tokens_inside_crlf_paragraphs() -> None:
    text = "Title\r\n\r\nFirst claim here. Second claim there.\r\nLast one.\r\n"
    for para in segment.paragraphs(text):
        sents = segment.sentences(para.text, para.start)
        _check_offsets(text, sents)
        for sent in sents:
            _check_offsets(text, segment.tokens(sent.text, sent.start))
    second = segment.paragraphs(text)[1]
    assert [s.text for s in segment.sentences(second.text, second.start)] == [
        "First claim here.",
        "Second claim there.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "One. Two! Three?",
        "Zürich said «no». Köln agreed… Then: ВСЁ. 日本語。二番目。",
        "emoji 😀 here. Next 🎉 one.\r",
        "é",
        "x" * 3000 + ". " + "ü" * 3000 + ".",
        "Zürich sagt nein, Köln auch. " * 400,  # long and many sentences: mapped by numpy
    ],
)
def test_sentence_offsets_match_blingfire_own_mapping(text: str) -> None:
    import blingfire

    expected = [tuple(span) for span in blingfire.text_to_sentences_and_offsets(text)[1]]
    assert segment._sentence_offsets(text) == expected
