"""``Analyzer`` with the tiny fixture model: offsets, numbering, schema, scores and languages."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from conftest import (
    CRLF_ARTICLE,
    FIXTURE_ARTICLES,
    FIXTURE_CORPUS,
    read_article,
    use_fake_e5,
)

from slant import Analysis, Analyzer
from slant.errors import InputError
from slant.ingest import Source
from slant.labels import CATEGORY_OF, FRAMES, GENRES, TECHNIQUES

SCHEMA_KEYS = {
    "schema_version",
    "slant_version",
    "model",
    "language",
    "genre",
    "frames",
    "paragraphs",
    "warnings",
    "source",
    "title",
    "targets",
}
# Georgian (script known, language never trained on) and text in no language at all.
GEORGIAN = (
    "საქართველოს პარლამენტმა დღეს ახალი კანონი მიიღო.\n\n"
    "მთავრობამ განაცხადა, რომ ეს კანონი ქვეყნის ეკონომიკას გააძლიერებს.\n"
)
NONSENSE = "Zxqv blorp\n\nWugga flimflam quorx zibble vex.\n"
ARTICLE_PATHS = sorted(FIXTURE_ARTICLES.glob("article*.txt"))


@pytest.fixture(scope="module")
def results(analyzer: Analyzer) -> list[tuple[str, Analysis]]:
    """The three fixture articles (one CRLF), analysed in one batch."""
    sources = [Source(str(path), read_article(path)) for path in ARTICLE_PATHS]
    analyses = list(analyzer.analyze_many(sources))
    return [(s.text, a) for s, a in zip(sources, analyses, strict=True)]


def _template_rows() -> list[tuple[str, int, str]]:
    """(article id, paragraph number, text) rows of the fixture's per-article templates."""
    rows = []
    folder = FIXTURE_CORPUS / "en" / "train-labels-subtask-3"
    for path in sorted(folder.glob("*.template")):
        for line in read_article(path).split("\n"):
            if line.strip():
                aid, number, text = line.rstrip("\r").split("\t")
                rows.append((aid, int(number), text))
    return rows


def test_fixture_articles_are_found() -> None:
    assert len(ARTICLE_PATHS) == 3
    assert "\r\n" in read_article(CRLF_ARTICLE)


def test_paragraph_offsets_slice_the_text(results) -> None:
    for text, analysis in results:
        assert analysis.paragraphs
        for p in analysis.paragraphs:
            assert p.text and p.text == p.text.strip()
            assert text[p.start : p.end] == p.text


def test_span_offsets_slice_the_text_inside_their_paragraph(results) -> None:
    n_spans = 0
    for text, analysis in results:
        for p in analysis.paragraphs:
            for technique in p.techniques:
                for span in technique.spans:
                    n_spans += 1
                    assert span.text
                    assert text[span.start : span.end] == span.text
                    assert p.start <= span.start < span.end <= p.end
    assert n_spans > 0, "the tiny model should find some techniques in the fixture"


def test_every_technique_has_a_span_and_official_labels(results) -> None:
    found = 0
    for _, analysis in results:
        for p in analysis.paragraphs:
            labels = [t.label for t in p.techniques]
            assert len(labels) == len(set(labels))
            for technique in p.techniques:
                found += 1
                assert technique.label in TECHNIQUES
                assert technique.category == CATEGORY_OF[technique.label]
                assert technique.spans, f"{technique.label} in paragraph {p.index} has no span"
                assert 0.0 <= technique.score <= 1.0
    assert found > 0


def test_every_technique_of_a_punctuation_only_paragraph_has_a_span(analyzer: Analyzer) -> None:
    text = "Title of a piece\n\n!!! ???\n\n12345\n"
    analysis = analyzer.analyze(text)
    assert [p.index for p in analysis.paragraphs] == [1, 3, 5]
    for p in analysis.paragraphs:
        for technique in p.techniques:
            assert technique.spans
            for span in technique.spans:
                assert text[span.start : span.end] == span.text
                assert p.start <= span.start < span.end <= p.end


def test_paragraph_index_is_semeval_line_numbering(results) -> None:
    got = []
    for _, analysis in results:
        aid = Path(analysis.source).stem.removeprefix("article")
        got.extend((aid, p.index, p.text) for p in analysis.paragraphs)
    assert got == _template_rows()


def test_crlf_offsets_count_carriage_returns(results) -> None:
    text, analysis = next((t, a) for t, a in results if a.source == str(CRLF_ARTICLE))
    for p in analysis.paragraphs:
        assert "\r" not in p.text
        assert text[p.start : p.end] == p.text
    # The official span file puts the slogan of line 9 at 410-442, counting every "\r".
    last = analysis.paragraphs[-1]
    assert (last.index, last.start, last.end) == (9, 410, 442)
    assert text.replace("\r\n", "\n").index(last.text) != last.start


def test_analyze_a_crlf_string_directly(analyzer: Analyzer) -> None:
    text = "A Title\r\n\r\nFirst paragraph here.\r\n   \r\nSecond one, with a \r inside.\r\n"
    analysis = analyzer.analyze(text)
    assert [p.index for p in analysis.paragraphs] == [1, 3, 5]
    assert [p.text for p in analysis.paragraphs][:2] == ["A Title", "First paragraph here."]
    for p in analysis.paragraphs:
        assert text[p.start : p.end] == p.text
    assert analysis.paragraphs[1].start == len("A Title\r\n\r\n")


def test_to_dict_has_exactly_the_documented_keys(results) -> None:
    for _, analysis in results:
        data = analysis.to_dict()
        assert set(data) == SCHEMA_KEYS
        assert data["schema_version"] == 1
        assert set(data["model"]) == {"name", "version", "mode"}
        assert data["model"]["mode"] == "default"
        assert set(data["genre"]) == {"label", "scores"}
        paragraph = data["paragraphs"][0]
        assert set(paragraph) == {"index", "start", "end", "text", "techniques"}


def test_round_trip_through_dict_and_json(results) -> None:
    for _, analysis in results:
        assert Analysis.from_dict(analysis.to_dict()) == analysis
        encoded = analysis.to_json()
        assert json.loads(encoded) == analysis.to_dict()
        assert Analysis.from_dict(json.loads(encoded)) == analysis
        assert json.loads(analysis.to_json(indent=None)) == analysis.to_dict()
        assert "\n" not in analysis.to_json(indent=None)


def test_from_dict_sees_a_changed_field(results) -> None:
    _, analysis = results[0]
    data = analysis.to_dict()
    data["paragraphs"][0]["start"] += 1
    assert Analysis.from_dict(data) != analysis


def test_genre_scores_are_a_distribution_and_label_is_argmax(results) -> None:
    for _, analysis in results:
        scores = analysis.genre.scores
        assert list(scores) == list(GENRES)
        assert all(0.0 <= s <= 1.0 for s in scores.values())
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert analysis.genre.label == max(scores, key=scores.__getitem__)


def test_techniques_and_frames_are_ordered_by_score(results) -> None:
    for _, analysis in results:
        for p in analysis.paragraphs:
            scores = [t.score for t in p.techniques]
            assert scores == sorted(scores, reverse=True)
        frame_scores = [f.score for f in analysis.frames]
        assert frame_scores == sorted(frame_scores, reverse=True)


def test_frames_are_official_labels(results) -> None:
    for _, analysis in results:
        labels = [f.label for f in analysis.frames]
        assert len(labels) == len(set(labels))
        assert set(labels) <= set(FRAMES)
        assert all(0.0 <= f.score <= 1.0 for f in analysis.frames)


def test_english_is_detected_without_warning(results) -> None:
    for _, analysis in results:
        assert analysis.language == "en"
        assert analysis.warnings == []


def test_title_and_source(results) -> None:
    for (_, analysis), path in zip(results, ARTICLE_PATHS, strict=True):
        assert analysis.source == str(path)
        assert analysis.title == analysis.paragraphs[0].text


def test_language_can_be_given(analyzer: Analyzer) -> None:
    text = read_article(ARTICLE_PATHS[0])
    assert analyzer.analyze(text, language="fr").language == "fr"


def test_untrained_language_gets_a_warning(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze(GEORGIAN)
    assert analysis.language == "ka"
    assert len(analysis.warnings) == 1
    assert "'ka'" in analysis.warnings[0] and "not in the training data" in analysis.warnings[0]
    assert [p.index for p in analysis.paragraphs] == [1, 3]


def test_unrecognised_language_gets_a_warning(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze(NONSENSE)
    assert analysis.language == "unknown"
    assert len(analysis.warnings) == 1
    assert "not recognised" in analysis.warnings[0]


def test_analyze_many_keeps_order_and_matches_single_analysis(analyzer: Analyzer) -> None:
    sources = [
        Source("b-first", read_article(ARTICLE_PATHS[2])),
        Source("a-second", GEORGIAN),
        Source("c-third", read_article(ARTICLE_PATHS[0])),
    ]
    analyses = list(analyzer.analyze_many(sources, batch_size=2))
    assert [a.source for a in analyses] == ["b-first", "a-second", "c-third"]
    assert [a.language for a in analyses] == ["en", "ka", "en"]
    for source, analysis in zip(sources, analyses, strict=True):
        assert analysis == analyzer.analyze(source.text, source=source.name)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\r\n"])
def test_empty_text_raises_input_error(analyzer: Analyzer, text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        analyzer.analyze(text)


def test_empty_article_in_a_batch_is_named(analyzer: Analyzer) -> None:
    sources = [Source("good", read_article(ARTICLE_PATHS[0])), Source("blank.txt", " \n ")]
    with pytest.raises(InputError) as info:
        list(analyzer.analyze_many(sources))
    assert info.value.source == "blank.txt"


def _trapped_analyzer(model: Path, marker: str, spring) -> Analyzer:
    """An analyzer whose encoder calls ``spring()`` on any batch holding ``marker``."""

    class Trapped:
        name, dim = "trapped", 512

        def __init__(self, inner) -> None:
            self.inner = inner

        def encode(self, texts):
            if any(marker in t for t in texts):
                spring()
            return self.inner.encode(texts)

    base = Analyzer(model)
    return Analyzer(base.model, encoder=Trapped(base.encoder))


def test_analyze_each_reports_a_failing_article_and_analyses_the_rest(tiny_model: Path) -> None:
    def explode() -> None:
        raise RuntimeError("encoder exploded")

    fragile = _trapped_analyzer(tiny_model, "BOOM", explode)  # as a bug on odd input would
    sources = [
        Source("a.txt", "Title A\n\nThe council met on Monday."),
        Source("bad.txt", "Title B\n\nBOOM goes the encoder."),
        Source("empty.txt", "   \n"),
        Source("c.txt", "Title C\n\nSpineless cowards ran the council."),
    ]
    out = list(fragile.analyze_each(sources, batch_size=4))
    assert [type(r).__name__ for r in out] == ["Analysis", "InputError", "InputError", "Analysis"]
    assert [r.source for r in out if isinstance(r, Analysis)] == ["a.txt", "c.txt"]
    assert "bad.txt" in str(out[1]) and "encoder exploded" in str(out[1])
    assert "empty.txt" in str(out[2]) and "empty" in str(out[2])


def _mixed_sources() -> list[Source]:
    texts = [read_article(path) for path in ARTICLE_PATHS] + [GEORGIAN, NONSENSE]
    sources = [Source(f"article-{i}", texts[i % len(texts)]) for i in range(11)]
    sources.insert(4, Source("blank.txt", " \n "))
    return sources


@pytest.mark.parametrize("fast", [False, True])
def test_workers_give_the_same_results_in_the_same_order(tiny_model: Path, fast: bool) -> None:
    analyzer = Analyzer(tiny_model, fast=fast)
    sources = _mixed_sources()
    alone = list(analyzer.analyze_each(sources, batch_size=3))
    shared = list(analyzer.analyze_each(iter(sources), batch_size=3, workers=2))
    assert [type(r) for r in shared] == [type(r) for r in alone]
    assert [str(r) for r in shared if isinstance(r, InputError)] == [
        "blank.txt: empty: no text to analyse"
    ]
    assert [r.to_dict() for r in shared if isinstance(r, Analysis)] == [
        r.to_dict() for r in alone if isinstance(r, Analysis)
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_render_each_returns_what_render_makes_of_each_analysis(
    tiny_model: Path, workers: int
) -> None:
    analyzer = Analyzer(tiny_model, fast=True)
    sources = _mixed_sources()
    expected = [
        r if isinstance(r, InputError) else r.to_json(indent=None)
        for r in analyzer.analyze_each(sources, batch_size=3)
    ]
    render = functools.partial(Analysis.to_json, indent=None)  # must pickle for the workers
    out = list(analyzer.render_each(iter(sources), render, batch_size=3, workers=workers))
    assert [type(r) for r in out] == [type(r) for r in expected]
    assert [r for r in out if isinstance(r, str)] == [r for r in expected if isinstance(r, str)]
    assert [str(r) for r in out if isinstance(r, InputError)] == [
        "blank.txt: empty: no text to analyse"
    ]


def test_an_article_that_kills_its_worker_costs_only_itself(tiny_model: Path) -> None:
    import os

    # the process goes down as with a segfault or the out-of-memory killer
    deadly = _trapped_analyzer(tiny_model, "KILL", lambda: os._exit(1))
    sources = _mixed_sources()
    sources.insert(7, Source("deadly.txt", "Title\n\nKILL the worker."))
    out = list(deadly.analyze_each(sources, batch_size=3, workers=2))
    names = [r.source for r in out]
    assert names == [s.name for s in sources]
    failed = {r.source: str(r) for r in out if isinstance(r, InputError)}
    assert set(failed) == {"blank.txt", "deadly.txt"}
    assert "worker process died" in failed["deadly.txt"]


def test_workers_must_be_positive(analyzer: Analyzer) -> None:
    with pytest.raises(ValueError, match="workers"):
        list(analyzer.analyze_each([Source("a", "Title\n\nText.")], workers=0))


def test_to_dict_is_dataclasses_asdict_plus_the_schema_version(results) -> None:
    import dataclasses

    for _, analysis in results:
        assert analysis.to_dict() == {"schema_version": 1, **dataclasses.asdict(analysis)}


def test_accurate_mode_reads_e5_for_techniques_only(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    import numpy as np

    from slant.errors import ModelError
    from slant.model import AccurateHead
    from slant.predict import MLPMultiLabelClassifier
    from slant.segment import paragraphs

    with pytest.raises(ValueError, match="fast or accurate"):
        Analyzer(analyzer.model, fast=True, accurate=True)
    with pytest.raises(ModelError, match="no accurate mode; add one with `slant train-accurate`"):
        Analyzer(analyzer.model, accurate=True)

    text = read_article(ARTICLE_PATHS[0])
    lines = [p.text for p in paragraphs(text)]
    read = analyzer.model.technique_features(_features(analyzer, lines), lines)
    width = read.shape[1]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, width + 2 * 384)).astype(np.float32)
    Y = (rng.random((200, len(TECHNIQUES))) < 0.4).astype(np.int8)
    net = MLPMultiLabelClassifier(TECHNIQUES, hidden=8).fit(X, Y)
    head = AccurateHead(net, center=np.zeros(384, np.float32), scale=3.0, lexical_weight=0.2)
    table = analyzer.model.thresholds["techniques"]
    model = replace(
        analyzer.model,
        accurate=head,
        thresholds={**analyzer.model.thresholds, "accurate.techniques": table},
    )
    fake = use_fake_e5(monkeypatch)
    accurate = Analyzer(model, encoder=analyzer.encoder, accurate=True).analyze(text, language="en")
    default = Analyzer(model, encoder=analyzer.encoder).analyze(text, language="en")
    assert accurate.model.mode == "accurate" and default.model.mode == "default"
    # the article heads read the default mode's technique profile: same genre and frames
    assert accurate.genre == default.genre and accurate.frames == default.frames
    expected, _ = model.accurate_technique_proba(read, fake.encode(lines), lines, "en")
    on = expected >= table["en"]
    for paragraph, row, flags in zip(accurate.paragraphs, expected, on, strict=True):
        assert {t.label for t in paragraph.techniques} == {
            TECHNIQUES[j] for j in np.flatnonzero(flags)
        }
        for t in paragraph.techniques:
            assert t.score == round(float(row[TECHNIQUES.index(t.label)]), 4)
    assert any(p.techniques for p in accurate.paragraphs)


def _features(analyzer: Analyzer, lines: list[str]):
    from slant.encode import encode_features

    return encode_features(analyzer.encoder, [lines], analyzer.model.sentence_peaks).features[0]


def test_analyzer_mode_names_how_it_reads(accurate_model: Path) -> None:
    assert Analyzer(accurate_model).mode == "default"
    assert Analyzer(accurate_model, fast=True).mode == "fast"
    assert Analyzer(accurate_model, accurate=True).mode == "accurate"
