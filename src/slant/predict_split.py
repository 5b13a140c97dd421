"""Run slant over a whole split in the SemEval layout and score it with the official metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slant.analyzer import Analyzer
from slant.errors import InputError
from slant.ingest import Source
from slant.report import sorted_official
from slant.scoring import score_frames, score_genres, score_techniques
from slant.semeval import (
    ISO_OF,
    load_split,
    read_frames,
    read_genres,
    read_techniques,
    write_predictions,
)


def predict_split(
    analyzer: Analyzer, root: Path, lang: str, split: str, out_dir: Path
) -> list[Path]:
    """Write ``L-subtask-{1,2,3}.txt`` and ``L-subtask-3-spans.txt`` for every article of a split.

    Subtask-3 rows follow the template exactly (same ids, same order); spans are offsets into the
    raw article text (CRLF kept).
    """
    data = load_split(root, lang, split, with_labels=False)
    iso = ISO_OF.get(lang)
    sources = [Source(aid, data.texts[aid]) for aid in data.article_ids]
    results = dict(zip(data.article_ids, analyzer.analyze_many(sources, language=iso), strict=True))
    genres = {aid: results[aid].genre.label for aid in data.subtask_ids[1]}
    frames = {aid: [f.label for f in results[aid].frames] for aid in data.subtask_ids[2]}
    by_paragraph = {(aid, p.index): p for aid, r in results.items() for p in r.paragraphs}
    techniques = []
    for aid, number in data.paragraph_ids:
        paragraph = by_paragraph.get((aid, number))
        labels = [t.label for t in paragraph.techniques] if paragraph else []
        techniques.append((aid, number, sorted_official(labels)))
    spans = [
        (aid, t.label, s.start, s.end)
        for aid, r in results.items()
        for p in r.paragraphs
        for t in p.techniques
        for s in t.spans
    ]
    return write_predictions(out_dir, lang, genres, frames, techniques, spans)


def evaluate_split(
    root: Path, lang: str, split: str, pred_dir: Path | None, model: Path | None = None
) -> dict[str, Any]:
    """Score prediction files (or, without ``pred_dir``, a fresh prediction) against gold."""
    gold = load_split(root, lang, split)
    if gold.genres is None or gold.frames is None or gold.techniques is None:
        raise InputError(f"{root}/{lang}", f"the {split} split has no gold labels to score against")
    if pred_dir is None:
        import tempfile

        pred_dir = Path(tempfile.mkdtemp(prefix="slant-pred-"))
        predict_split(Analyzer(model), root, lang, split, pred_dir)
    pred_dir = Path(pred_dir)
    return {
        "subtask1": score_genres(gold.genres, read_genres(pred_dir / f"{lang}-subtask-1.txt")),
        "subtask2": score_frames(gold.frames, read_frames(pred_dir / f"{lang}-subtask-2.txt")),
        "subtask3": score_techniques(
            gold.techniques, read_techniques(pred_dir / f"{lang}-subtask-3.txt")
        ),
    }
