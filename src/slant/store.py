"""Stored analyses: an SQL database (SQLite by default) whose schema Alembic migrates.

The schema is only ever created or changed by the migrations in ``slant/migrations``, which run
when a ``Store`` opens a database, so upgrading slant never loses stored analyses.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import make_url

from slant.doc import Analysis

metadata = MetaData()

# Keep in step with the newest migration (tests/test_serve_store.py checks that they agree).
analyses = Table(
    "analyses",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("title", Text, nullable=True),
    Column("source", Text, nullable=True),
    Column("language", String(16), nullable=False),
    Column("genre", String(32), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("techniques", Text, nullable=False),  # JSON: [[label, count], ...], most frequent first
    Column("technique_count", Integer, nullable=False),
    Column("body", Text, nullable=False),  # the article text, for search
    Column("analysis", Text, nullable=False),  # Analysis.to_dict() as JSON
)


def default_database_url() -> str:
    """``$SLANT_DATABASE_URL``, else an SQLite file in the user's data folder."""
    if url := os.environ.get("SLANT_DATABASE_URL"):
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'slant' / 'slant.db'}"


def display_url(url: str) -> str:
    """The URL with any password hidden, for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say so without echoing secrets
        return "<invalid database URL>"


@dataclass(frozen=True)
class Summary:
    """One row of a listing: what a reader needs to pick an analysis."""

    id: str
    created_at: str
    title: str | None
    source: str | None
    language: str
    genre: str
    top_techniques: list[dict[str, Any]]
    technique_count: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Stored:
    id: str
    created_at: str
    analysis: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        a = self.analysis
        return {
            "id": self.id,
            "created_at": self.created_at,
            "title": a.get("title"),
            "analysis": a,
        }


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite drops the zone; stored values are UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _technique_counts(analysis: dict[str, Any]) -> list[tuple[str, int]]:
    counts = Counter(
        t["label"] for p in analysis.get("paragraphs", []) for t in p.get("techniques", [])
    )
    return counts.most_common()


def migrate(database_url: str, revision: str = "head") -> None:
    """Create or upgrade the database schema to ``revision`` (Alembic)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision)


class Store:
    """Stored analyses in one database; safe to share between threads."""

    def __init__(self, database_url: str | None = None, *, migrate_schema: bool = True) -> None:
        self.url = database_url or default_database_url()
        url = make_url(self.url)
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, pool_pre_ping=True, **kwargs)
        if url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate_schema:
            migrate(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def add(self, analysis: Analysis | dict[str, Any]) -> Stored:
        data = analysis.to_dict() if isinstance(analysis, Analysis) else analysis
        counts = _technique_counts(data)
        now = datetime.now(UTC).replace(microsecond=0)
        row_id = secrets.token_urlsafe(9)  # 12 characters; ids are not guessable
        with self.engine.begin() as conn:
            conn.execute(
                analyses.insert().values(
                    id=row_id,
                    created_at=now,
                    title=data.get("title"),
                    source=data.get("source"),
                    language=str(data.get("language", "unknown")),
                    genre=str(data.get("genre", {}).get("label", "")),
                    model_version=str(data.get("model", {}).get("version", "")),
                    techniques=json.dumps(counts),
                    technique_count=sum(n for _, n in counts),
                    body="\n".join(p.get("text", "") for p in data.get("paragraphs", [])),
                    analysis=json.dumps(data, ensure_ascii=False),
                )
            )
        return Stored(row_id, _iso(now), data)

    def get(self, row_id: str) -> Stored | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(analyses.c.id, analyses.c.created_at, analyses.c.analysis).where(
                    analyses.c.id == row_id
                )
            ).first()
        if row is None:
            return None
        return Stored(row.id, _iso(row.created_at), json.loads(row.analysis))

    def delete(self, row_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(analyses.delete().where(analyses.c.id == row_id))
        return bool(result.rowcount)

    def list(
        self, query: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[int, list[Summary]]:
        """Newest first; ``query`` matches title, source or text (case-insensitive substring)."""
        where = []
        if query and query.strip():
            pattern = "%" + _escape_like(query.strip()) + "%"
            where.append(
                or_(
                    analyses.c.title.ilike(pattern, escape="\\"),
                    analyses.c.source.ilike(pattern, escape="\\"),
                    analyses.c.body.ilike(pattern, escape="\\"),
                )
            )
        columns = [c for c in analyses.c if c.name not in ("body", "analysis")]
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(analyses).where(*where)).scalar()
            rows = conn.execute(
                select(*columns)
                .where(*where)
                .order_by(analyses.c.created_at.desc(), analyses.c.id)
                .limit(limit)
                .offset(offset)
            ).all()
        items = [
            Summary(
                id=r.id,
                created_at=_iso(r.created_at),
                title=r.title,
                source=r.source,
                language=r.language,
                genre=r.genre,
                top_techniques=[
                    {"label": label, "count": n} for label, n in json.loads(r.techniques)[:3]
                ],
                technique_count=r.technique_count,
            )
            for r in rows
        ]
        return int(total or 0), items


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
