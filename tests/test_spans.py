"""The span tagger: its invariants, its decoding, and saving/loading it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_corpus

from slant.labels import TECHNIQUES
from slant.segment import paragraphs
from slant.semeval import load_split
from slant.spans import SpanExample, SpanTagger

LOADED, NAMES, DOUBT = "Loaded_Language", "Name_Calling-Labeling", "Doubt"

_WORDS = ("vile", "sinister", "disgraceful", "monstrous")
_CALLS = ("traitors", "thugs", "crooks", "clowns")


def _example(i: int) -> SpanExample:
    """A paragraph with a loaded word, a name-calling noun and a whole-sentence doubt."""
    word, call = _WORDS[i % 4], _CALLS[(i // 4) % 4]
    first = f"The {word} plan was signed by the council on day {i}."
    second = f"Those {call} voted for it again."
    third = "Can we really trust what they said about the money?"
    text = f"{first} {second} {third}"
    spans = [
        (LOADED, text.index(word), text.index(word) + len(word)),
        (NAMES, text.index(call), text.index(call) + len(call)),
        (DOUBT, text.index(third), text.index(third) + len(third) - 1),
    ]
    return SpanExample(text, spans)


@pytest.fixture(scope="module")
def tagger() -> SpanTagger:
    examples = [_example(i) for i in range(48)]
    examples.append(SpanExample("A paragraph without any technique at all.", []))
    return SpanTagger(TECHNIQUES, n_jobs=1, stop_words=10).fit(examples)


def test_every_requested_technique_gets_a_span_inside_the_paragraph(tagger: SpanTagger) -> None:
    article = "Title\n\nThe sinister clowns said so. Is it true? Nobody knows!\n\n—\n\na\n"
    for line in paragraphs(article):
        out = tagger.predict(line.text, TECHNIQUES, offset=line.start)
        assert sorted(out) == sorted(TECHNIQUES)
        for spans in out.values():
            assert spans
            for start, end, score in spans:
                assert line.start <= start < end <= line.end
                assert article[start:end].strip()
                assert 0.0 <= score <= 1.0


def test_short_techniques_take_words_and_long_ones_take_sentences(tagger: SpanTagger) -> None:
    text = (
        "The monstrous plan was signed by the council. Those thugs voted for it. Can we trust it?"
    )
    out = tagger.predict(text, [LOADED, NAMES, DOUBT])
    assert [text[s:e] for s, e, _ in out[LOADED]] == ["monstrous"]
    assert [text[s:e] for s, e, _ in out[NAMES]] == ["thugs"]
    assert [text[s:e] for s, e, _ in out[DOUBT]] == ["Can we trust it"]
    assert tagger.sentence_level_[TECHNIQUES.index(DOUBT)]
    assert not tagger.sentence_level_[TECHNIQUES.index(LOADED)]


def test_spans_never_start_or_end_on_a_stop_word(tagger: SpanTagger) -> None:
    text = "And the vile thugs of the council were the crooks of the town."
    for s, e, _ in tagger.predict(text, [LOADED, NAMES])[NAMES]:
        words = text[s:e].split()
        assert words[0].lower() not in tagger.stop_words_
        assert words[-1].lower() not in tagger.stop_words_


def test_state_round_trips_as_plain_arrays(tagger: SpanTagger) -> None:
    state = tagger.get_state()
    for key, value in state.items():
        assert isinstance(value, np.ndarray), key
        assert value.dtype != object, key
    loaded = SpanTagger.from_state(TECHNIQUES, state)
    text = "Those vile crooks signed it. Can we trust them? Nobody knows."
    assert loaded.predict(text, TECHNIQUES, offset=7) == tagger.predict(text, TECHNIQUES, offset=7)


def test_a_state_saved_without_decoding_arrays_still_predicts(tagger: SpanTagger) -> None:
    state = {
        k: v for k, v in tagger.get_state().items() if k in {"vocabulary", "coef", "intercept"}
    }
    old = SpanTagger.from_state(TECHNIQUES, state)
    text = "Those vile crooks signed it."
    out = old.predict(text, [LOADED, DOUBT])
    assert all(out[t] for t in (LOADED, DOUBT))


@pytest.mark.corpus
def test_real_paragraph_gets_sensible_spans() -> None:
    root = require_corpus()
    split = load_split(root, "en", "train")
    examples = []
    for aid, spans in (split.spans or {}).items():
        for line in paragraphs(split.texts[aid]):
            inside = [
                (t, max(s, line.start) - line.start, min(e, line.end) - line.start)
                for t, s, e in spans
                if s < line.end and e > line.start
            ]
            examples.append(SpanExample(line.text, inside))
    tagger = SpanTagger(TECHNIQUES, n_jobs=2).fit(examples)
    text = (
        "Putin reacted like a wounded beast… He’s a coward. "
        "The barbarians of geopolitics are silent about nonsense!"
    )
    out = tagger.predict(text, [LOADED, "Appeal_to_Fear-Prejudice", "Causal_Oversimplification"])
    assert any("wounded beast" in text[s:e] for s, e, _ in out[LOADED])
    for technique in ("Appeal_to_Fear-Prejudice", "Causal_Oversimplification"):
        for s, e, _ in out[technique]:
            assert len(text[s:e].split()) >= 3, (technique, text[s:e])


_SCORING_TEXTS = [
    "Putin reacted like a wounded beast… He’s a coward. Isn't it «obvious»?",
    'He said: "Make our city great again!" And the crooks, the VILE crooks, laughed.',
    "Hi",
    "?",
    "« Les traîtres » ont voté: honte à eux! Wie bitte? Предатели снова голосуют.",
    "The vile plan was signed by the council on day 3. Those thugs voted for it again.",
]


@pytest.mark.parametrize("which", ["fixture", "shipped"])
def test_fast_token_scores_equal_the_feature_matrix_product(tagger: SpanTagger, which: str) -> None:
    from slant.model import Model
    from slant.segment import tokens
    from slant.spans import token_features

    if which == "shipped":
        tagger = Model.load().spans  # real vocabulary, word clusters, float16 weights
    coef = np.asarray(tagger.coef_, np.float32).T
    from conftest import FIXTURE_ARTICLES, read_article

    articles = sorted(FIXTURE_ARTICLES.glob("*.txt"))
    lines = [line.text for path in articles for line in paragraphs(read_article(path))]
    for text in (_SCORING_TEXTS + lines) * 2:  # twice: the second pass reads the word caches
        toks = tokens(text)
        clusters = tagger._cluster_ids(toks)
        expected = tagger._matrix(token_features(toks, clusters)) @ coef + tagger.intercept_
        np.testing.assert_allclose(
            tagger._linear_scores(toks, clusters), expected, rtol=1e-4, atol=1e-4
        )


@pytest.mark.parametrize("which", ["fixture", "shipped"])
def test_paragraphs_scored_together_score_as_scored_alone(tagger: SpanTagger, which: str) -> None:
    from slant.model import Model

    if which == "shipped":
        tagger = Model.load().spans
    lines = [(text, 10 * i) for i, text in enumerate(["", *_SCORING_TEXTS, "", "Hi"])]
    together = tagger.token_scores_many(lines)
    assert len(together) == len(lines)
    for (text, offset), (toks, scores) in zip(lines, together, strict=True):
        alone_toks, alone = tagger.token_scores(text, offset)
        assert toks == alone_toks and scores.shape == (len(toks), len(TECHNIQUES))
        np.testing.assert_allclose(scores, alone, rtol=1e-5, atol=1e-6)
    assert tagger.token_scores_many([]) == []


def test_threads_sharing_a_tagger_score_as_one_thread_does(
    tagger: SpanTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a service scores articles in threads; a tiny table bound makes them clear it under load
    from concurrent.futures import ThreadPoolExecutor

    import slant.spans

    lines = [(text, 0) for text in _SCORING_TEXTS if text.strip()]
    expected = [scores for _, scores in tagger.token_scores_many(lines)]
    monkeypatch.setattr(slant.spans, "_MAX_ROWS", 8)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: tagger.token_scores_many(lines), range(200)))
    for run in runs:
        for (_, scores), want in zip(run, expected, strict=True):
            np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-6)


def test_a_tagger_pickles_without_its_prediction_tables(tagger: SpanTagger) -> None:
    import pickle

    before = tagger.token_scores(_SCORING_TEXTS[0])[1]  # builds the tables
    copy = pickle.loads(pickle.dumps(tagger))
    np.testing.assert_allclose(copy.token_scores(_SCORING_TEXTS[0])[1], before, rtol=1e-6)


def test_evidence_is_each_techniques_peak_and_mean_word_probability(tagger: SpanTagger) -> None:
    texts = ["Those thugs signed the vile plan.", "The plan was signed on Monday.", "  "]
    evidence = tagger.evidence(texts)
    n = len(TECHNIQUES)
    assert evidence.shape == (3, 2 * n) and evidence.dtype == np.float32
    _, scores = tagger.token_scores(texts[0])
    np.testing.assert_allclose(evidence[0, :n], scores.max(axis=0), rtol=1e-6)
    np.testing.assert_allclose(evidence[0, n:], scores.mean(axis=0), rtol=1e-6)
    loaded, names = TECHNIQUES.index(LOADED), TECHNIQUES.index(NAMES)
    assert evidence[0, loaded] > evidence[1, loaded] + 0.1  # "vile"
    assert evidence[0, names] > evidence[1, names] + 0.1  # "thugs"
    assert not evidence[2].any()  # no words: no evidence
    assert not SpanTagger(TECHNIQUES).evidence(texts).any()  # unfitted: no evidence
