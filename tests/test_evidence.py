"""Evidence: span/paragraph consistency, targets, explanations, and their offsets on LF and CRLF
texts (fixtures written for these tests)."""

from __future__ import annotations

import pytest

import slant
from slant.doc import Analysis, Genre, ModelInfo, Paragraph, Span, Technique
from slant.evidence import add_evidence, consistent_spans
from slant.explain import explain
from slant.labels import CATEGORY_OF, describe
from slant.segment import paragraphs
from slant.targets import TargetFinder, mentions

ARTICLE = (
    "Putin and the cowards of Europe\n"
    "\n"
    "Yesterday Vladimir Putin reacted like a wounded beast. He’s a coward.\n"
    "Why is the European Union silent? For cowardice.\n"
    "Senator Bob Corker urges colleagues to fight while he retires to Tennessee.\n"
    "The pope dismissed the protesters as “lefties” and praised Barros.\n"
    "The food is scarce and the salaries are tiny.\n"
)


def _span(text: str, words: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(words, start + 1)
    return start, start + len(words)


@pytest.mark.parametrize(
    ("words", "technique", "target"),
    [
        ("wounded beast", "Name_Calling-Labeling", "Vladimir Putin"),  # subject of the sentence
        ("wounded beast", "Loaded_Language", None),  # loaded words: only a name in or next to it
        ("coward", "Name_Calling-Labeling", "Vladimir Putin"),  # "He": the previous subject
        ("For cowardice", "Name_Calling-Labeling", "European Union"),  # answers the question
        ("while he retires to Tennessee", "Appeal_to_Hypocrisy", "Bob Corker"),  # pronoun first
        ("lefties", "Name_Calling-Labeling", "the protesters"),  # "X as SPAN"
        ("scarce", "Loaded_Language", None),  # loaded words aimed at no one
        ("scarce", "Slogans", None),  # not an attack technique
    ],
)
def test_targets_on_a_fixture(words: str, technique: str, target: str | None) -> None:
    start, end = _span(ARTICLE, words)
    assert TargetFinder(ARTICLE).find_for(technique, start, end) == target


def test_mentions_skip_common_words_and_titles() -> None:
    names = [m.text for m in mentions(ARTICLE)]
    assert "Vladimir Putin" in names and "European Union" in names and "Bob Corker" in names
    assert "Senator Bob Corker" not in names  # titles are dropped
    assert "Why" not in names and "The" not in names and "He" not in names


def test_one_word_mention_takes_the_articles_usual_name() -> None:
    text = "Putin spoke.\nThey say Vladimir Putin is a liar. Putin lied again, said Putin."
    finder = TargetFinder(text)
    start, end = _span(text, "liar")
    # "Vladimir Putin" and "Putin" are one person, named by the article's most frequent form
    assert finder.find_for("Name_Calling-Labeling", start, end) == "Putin"
    start, end = _span(text, "lied")
    assert finder.find_for("Doubt", start, end) == "Putin"


def _analysis(text: str, found: dict[int, list[tuple[str, list[str]]]]) -> Analysis:
    """An analysis of ``text`` whose paragraph ``n`` (1-based line) has the given techniques,
    each with spans quoting the given words of that paragraph."""
    out = []
    for line in paragraphs(text):
        techniques = []
        for label, words in found.get(line.number, []):
            spans = []
            for w in words:
                s = text.index(w, line.start)
                spans.append(Span(s, s + len(w), text[s : s + len(w)], 0.6))
            techniques.append(Technique(label, CATEGORY_OF[label], 0.8, spans))
        out.append(Paragraph(line.number, line.start, line.end, line.text, techniques))
    return Analysis(
        slant_version="0",
        model=ModelInfo("test", "0"),
        language="en",
        genre=Genre("opinion", {"opinion": 1.0, "reporting": 0.0, "satire": 0.0}),
        frames=[],
        paragraphs=out,
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_evidence_offsets_targets_and_table(newline: str) -> None:
    text = ARTICLE.replace("\n", newline)
    analysis = _analysis(
        text,
        {
            3: [("Name_Calling-Labeling", ["wounded beast", "coward"])],
            4: [("Name_Calling-Labeling", ["For cowardice"])],
            7: [("Loaded_Language", ["scarce"])],
        },
    )
    add_evidence(analysis, text)
    for p in analysis.paragraphs:
        assert "\r" not in p.text and text[p.start : p.end] == p.text
        for t in p.techniques:
            assert t.spans and t.explanation is not None
            for s in t.spans:
                assert text[s.start : s.end] == s.text
                assert p.start <= s.start < s.end <= p.end
    assert [(t.target, t.count) for t in analysis.targets] == [
        ("Vladimir Putin", 2),
        ("European Union", 1),
    ]
    putin = analysis.targets[0]
    assert [(t.label, t.count) for t in putin.techniques] == [("Name_Calling-Labeling", 2)]
    example = putin.techniques[0].examples[1]
    assert (example.paragraph, example.text) == (3, "coward")
    assert text[example.start : example.end] == "coward"
    assert Analysis.from_dict(analysis.to_dict()) == analysis  # the new fields round-trip


def test_targets_only_for_english() -> None:
    analysis = _analysis(ARTICLE, {3: [("Name_Calling-Labeling", ["coward"])]})
    analysis.language = "fr"
    add_evidence(analysis, ARTICLE)
    assert analysis.targets == []
    assert analysis.paragraphs[1].techniques[0].spans[0].target is None


def test_consistency_repairs_spans_outside_their_paragraph() -> None:
    text = "Title\nFirst paragraph with words.\nSecond one."
    lines = paragraphs(text)
    first = lines[1]
    outside = Span(lines[2].start, lines[2].end, lines[2].text)  # belongs to the next paragraph
    wrong_text = Span(first.start, first.start + 5, "nope!")  # does not quote the text
    inside = Span(first.start, first.start + 5, text[first.start : first.start + 5])
    paragraph = Paragraph(
        first.number,
        first.start,
        first.end,
        first.text,
        [
            Technique("Doubt", "Attack_on_Reputation", 0.7, [outside, wrong_text]),
            Technique("Slogans", "Call", 0.6, [inside, inside]),
        ],
    )
    consistent_spans(paragraph, text)
    doubt, slogans = paragraph.techniques
    assert [(s.start, s.end, s.text, s.score) for s in doubt.spans] == [
        (first.start, first.end, first.text, 0.0)  # nothing left: the whole paragraph
    ]
    assert slogans.spans == [inside]  # duplicates dropped


def test_explanation_comes_from_the_span_and_the_scores() -> None:
    spans = [Span(0, 6, "coward", 0.71, "Putin")]
    e = explain("Name_Calling-Labeling", 0.83, spans)
    assert e.definition == describe("Name_Calling-Labeling").definition
    assert e.why.startswith("“coward” labels Putin with a name meant to insult")
    assert "0.83" in e.why and "0.71" in e.why
    many = [Span(0, 4, "vile", 0.5), Span(5, 9, "evil", 0.4), Span(9, 12, "bad", 0.3)]
    e = explain("Loaded_Language", 0.6, [*many, Span(13, 16, "odd", 0.2)])
    assert "“vile”, “evil”, “bad” and 1 more use emotionally charged words." in e.why
    e = explain("Appeal_to_Time", 0.55, [Span(0, 3, "now", 0.9)])
    assert e.why.startswith("“now” presses for urgency.")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_analyzer_output_obeys_the_rules(analyzer: slant.Analyzer, newline: str) -> None:
    text = ARTICLE.replace("\n", newline)
    result = analyzer.analyze(text, language="en")
    for p in result.paragraphs:
        assert text[p.start : p.end] == p.text
        for t in p.techniques:
            assert t.spans, t.label
            assert t.explanation is not None and t.explanation.definition
            for s in t.spans:
                assert p.start <= s.start < s.end <= p.end
                assert text[s.start : s.end] == s.text
    spans = {(s.target, s.text) for p in result.paragraphs for t in p.techniques for s in t.spans}
    for target in result.targets:
        assert target.count == sum(t.count for t in target.techniques)
        for t in target.techniques:
            for e in t.examples:
                assert (target.target, e.text) in spans


@pytest.mark.corpus
def test_target_accuracy_on_the_annotated_spans() -> None:
    """bench/targets.py on the hand-annotated English spans (skips without the corpus)."""
    import sys

    from conftest import REPO_ROOT, require_corpus

    root = require_corpus()
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import targets as bench_targets
    finally:
        sys.path.pop(0)
    dev = bench_targets.evaluate(root, bench_targets.SETS["dev"])
    held_out = bench_targets.evaluate(root, bench_targets.SETS["held-out"])
    assert dev["all"][1] >= 30 and held_out["all"][1] >= 30
    # the figures recorded in docs/benchmarks.md: 38/70 and 9/30
    assert dev["all"][0] / dev["all"][1] >= 0.5
    assert held_out["all"][0] / held_out["all"][1] >= 0.25


def test_report_shows_targets_and_explanations() -> None:
    from rich.console import Console

    from slant.report import render

    analysis = _analysis(ARTICLE, {3: [("Name_Calling-Labeling", ["wounded beast", "coward"])]})
    add_evidence(analysis, ARTICLE)
    console = Console(record=True, width=200, color_system=None)
    render(analysis, console)
    shown = console.export_text()
    assert "Targets (who is attacked)" in shown
    assert "Vladimir Putin" in shown and "Name Calling / Labeling ×2" in shown
    assert "“wounded beast” and “coward” label Vladimir Putin" in shown


def test_targets_table_quotes_each_example_once_and_short() -> None:
    from rich.console import Console

    from slant.doc import Target, TargetExample, TargetTechnique
    from slant.report import _targets_table

    sentence = (
        "Russia is not an authoritarian regime, but a terrible dictatorship covered by"
        " propaganda and complicity in the silence of the EU countries"
    )
    example = TargetExample(paragraph=3, start=0, end=len(sentence), text=sentence)
    analysis = _analysis(ARTICLE, {})
    analysis.targets = [
        Target(
            target="Russia",
            count=2,
            techniques=[
                TargetTechnique(label="Name_Calling-Labeling", count=1, examples=[example]),
                TargetTechnique(label="Doubt", count=1, examples=[example]),
            ],
        )
    ]
    console = Console(record=True, width=300, color_system=None)
    console.print(_targets_table(analysis))
    shown = console.export_text()
    assert shown.count("Russia is not an authoritarian regime") == 1
    assert "“Russia is not an authoritarian regime, but a terrible dictatorship…”" in shown
