"""The Parquet tables of a results folder (documented in docs/corpus.md) and how rows are made.

Every table has a fixed Arrow schema, so that parts written by different runs and workers can
be read together and an empty part still says what its columns are.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from slant.doc import Analysis
from slant.labels import CATEGORY_OF, GENRES

TABLE_VERSION = 1
TABLES = ("articles", "paragraphs", "spans", "targets", "errors")

_counts = pa.map_(pa.string(), pa.int32())
_ts = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema(
        [
            ("id", pa.string()),
            ("input", pa.string()),
            ("source", pa.string()),
            ("url", pa.string()),
            ("published", _ts),
            ("title", pa.string()),
            ("language", pa.string()),
            ("genre", pa.string()),
            *[(f"genre_{g}", pa.float32()) for g in GENRES],
            ("frames", pa.list_(pa.string())),
            ("frame_scores", pa.list_(pa.float32())),
            ("techniques", pa.list_(pa.string())),
            ("technique_counts", _counts),
            ("category_counts", _counts),
            ("n_paragraphs", pa.int32()),
            ("n_techniques", pa.int32()),
            ("n_spans", pa.int32()),
            ("n_targets", pa.int32()),
            ("chars", pa.int32()),
            ("warnings", pa.list_(pa.string())),
            ("model_name", pa.string()),
            ("model_version", pa.string()),
            ("model_mode", pa.string()),
            ("slant_version", pa.string()),
            ("analyzed_at", _ts),
        ]
    ),
    "paragraphs": pa.schema(
        [
            ("id", pa.string()),
            ("paragraph", pa.int32()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("text", pa.string()),
            ("techniques", pa.list_(pa.string())),
            ("scores", pa.list_(pa.float32())),
        ]
    ),
    "spans": pa.schema(
        [
            ("id", pa.string()),
            ("paragraph", pa.int32()),
            ("technique", pa.string()),
            ("category", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("text", pa.string()),
            ("score", pa.float32()),
            ("technique_score", pa.float32()),
            ("target", pa.string()),  # who the words attack, when slant reports it
        ]
    ),
    "targets": pa.schema(
        [
            ("id", pa.string()),
            ("target", pa.string()),
            ("techniques", pa.list_(pa.string())),
            ("count", pa.int32()),
            ("examples", pa.list_(pa.string())),
        ]
    ),
    "errors": pa.schema(
        [
            ("id", pa.string()),
            ("input", pa.string()),
            ("reason", pa.string()),
            # "read" (input unusable), "analyze" (the analyser failed on it) or "worker" (the
            # worker was lost: retried by the next run)
            ("stage", pa.string()),
            ("failed_at", _ts),
        ]
    ),
}


class Rows:
    """Column-free row buffers for every table; ``tables()`` turns them into Arrow tables."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}

    def __len__(self) -> int:
        return len(self.rows["articles"]) + len(self.rows["errors"])

    def extend(self, other: Rows) -> None:
        for name in TABLES:
            self.rows[name].extend(other.rows[name])

    def tables(self) -> dict[str, pa.Table]:
        return {
            name: pa.Table.from_pylist(rows, schema=SCHEMAS[name])
            for name, rows in self.rows.items()
        }

    def add_error(self, article_id: str, input_name: str, reason: str, stage: str) -> None:
        self.rows["errors"].append(
            {
                "id": article_id,
                "input": input_name,
                "reason": reason,
                "stage": stage,
                "failed_at": _now(),
            }
        )

    def add_analysis(self, analysis: Analysis, meta: dict[str, Any], chars: int) -> None:
        """Add one analysed article (``meta``: id, input, source, url, published, title)."""
        article_id = meta["id"]
        technique_counts: Counter[str] = Counter()
        n_spans = 0
        for p in analysis.paragraphs:
            self.rows["paragraphs"].append(
                {
                    "id": article_id,
                    "paragraph": p.index,
                    "start": p.start,
                    "end": p.end,
                    "text": p.text,
                    "techniques": [t.label for t in p.techniques],
                    "scores": [t.score for t in p.techniques],
                }
            )
            for t in p.techniques:
                technique_counts[t.label] += 1
                for s in t.spans:
                    n_spans += 1
                    self.rows["spans"].append(
                        {
                            "id": article_id,
                            "paragraph": p.index,
                            "technique": t.label,
                            "category": t.category,
                            "start": s.start,
                            "end": s.end,
                            "text": s.text,
                            "score": s.score,
                            "technique_score": t.score,
                            "target": getattr(s, "target", None),
                        }
                    )
        category_counts: Counter[str] = Counter()
        for label, n in technique_counts.items():
            category_counts[CATEGORY_OF[label]] += n
        targets = _targets(analysis)
        for target in targets or []:
            self.rows["targets"].append({"id": article_id, **target})
        model = analysis.model
        self.rows["articles"].append(
            {
                "id": article_id,
                "input": meta["input"],
                "source": meta.get("source"),
                "url": meta.get("url"),
                "published": meta.get("published"),
                "title": meta.get("title") or analysis.title,
                "language": analysis.language,
                "genre": analysis.genre.label,
                **{f"genre_{g}": analysis.genre.scores.get(g) for g in GENRES},
                "frames": [f.label for f in analysis.frames],
                "frame_scores": [f.score for f in analysis.frames],
                "techniques": analysis.techniques,
                "technique_counts": list(technique_counts.items()),
                "category_counts": list(category_counts.items()),
                "n_paragraphs": len(analysis.paragraphs),
                "n_techniques": sum(technique_counts.values()),
                "n_spans": n_spans,
                "n_targets": None if targets is None else len(targets),
                "chars": chars,
                "warnings": list(analysis.warnings) + list(meta.get("warnings", [])),
                "model_name": model.name,
                "model_version": model.version,
                "model_mode": getattr(model, "mode", "default"),
                "slant_version": analysis.slant_version,
                "analyzed_at": _now(),
            }
        )


def _targets(analysis: Analysis) -> list[dict[str, Any]] | None:
    """Article-level targets (who is attacked) when this slant version reports them, else None.

    Read through ``to_dict`` so this works whatever the field's exact shape in ``slant.doc``:
    techniques as names or as ``{label, count, examples}``, examples as strings or spans.
    """
    if not hasattr(analysis, "targets"):
        return None
    raw = analysis.to_dict().get("targets")
    if raw is None:
        return None
    out = []
    for t in raw:
        if isinstance(t, str):
            t = {"target": t}
        techniques, examples = [], [_text(e) for e in t.get("examples") or []]
        for tech in t.get("techniques") or []:
            if isinstance(tech, dict):
                techniques.append(str(tech.get("label")))
                examples.extend(_text(e) for e in tech.get("examples") or [])
            else:
                techniques.append(str(tech))
        out.append(
            {
                "target": str(t.get("target") or t.get("name") or t.get("text") or ""),
                "techniques": techniques,
                "count": int(t.get("count") or max(1, len(examples))),
                "examples": list(dict.fromkeys(examples)),
            }
        )
    return out


def _text(example: Any) -> str:
    return str(example.get("text", "")) if isinstance(example, dict) else str(example)


def parse_published(value: Any) -> tuple[datetime | None, str | None]:
    """A ``published`` value as a UTC datetime, or ``(None, warning)`` if it is not a date.

    Accepts ISO 8601 dates and date-times (``2023-05-01``, ``2023-05-01T10:00:00Z``), Python
    dates/datetimes (from Parquet) and Unix timestamps in seconds.
    """
    if value is None or value == "":
        return None, None
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(float(value), UTC)
        else:
            text = str(value).strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None, f"`published` value {str(value)[:40]!r} is not an ISO 8601 date; ignored"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a date without a zone is taken as UTC
    return moment.astimezone(UTC), None


def _now() -> datetime:
    return datetime.now(UTC)
