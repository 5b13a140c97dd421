"""Storage of ``slant serve``: Alembic migrations, restarts, and the schema kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest
from serve_support import OP_ED, make_app, sqlite_url

from slant import Analyzer

from fastapi.testclient import TestClient  # isort: skip

sqlalchemy = pytest.importorskip("sqlalchemy")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_stored_analysis_survives_a_restart(analyzer: Analyzer, tmp_path: Path) -> None:
    database = tmp_path / "nested" / "slant.db"  # the folder is created on first start
    with TestClient(make_app(analyzer, database)) as first:
        stored = first.post("/v1/analyses", json={"text": OP_ED}).json()
    assert database.is_file()
    with TestClient(make_app(analyzer, database)) as second:  # a new process would do the same
        again = second.get(f"/v1/analyses/{stored['id']}")
        assert again.status_code == 200
        assert again.json()["analysis"] == stored["analysis"]
        assert second.get("/v1/analyses").json()["total"] == 1


def test_migrations_create_the_schema_and_record_the_revision(tmp_path: Path) -> None:
    from slant.store import Store

    url = sqlite_url(tmp_path / "m.db")
    store = Store(url)
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        revision = conn.execute(sqlalchemy.text("select version_num from alembic_version")).scalar()
        tables = set(sqlalchemy.inspect(conn).get_table_names())
    assert revision == "0001" and {"analyses", "alembic_version"} <= tables
    store.close()
    engine.dispose()


def test_upgrading_keeps_stored_rows(tmp_path: Path) -> None:
    """A database made by an earlier revision keeps its analyses through ``upgrade head``."""
    from slant.store import Store, migrate

    url = sqlite_url(tmp_path / "old.db")
    migrate(url, "0001")
    old = Store(url, migrate_schema=False)
    row = old.add({"title": "Kept", "language": "en", "genre": {"label": "opinion"},
                   "model": {"version": "0"}, "paragraphs": []})  # fmt: skip
    old.close()
    new = Store(url)  # runs every newer migration
    assert new.get(row.id) is not None and new.get(row.id).analysis["title"] == "Kept"
    new.close()


def test_the_table_definition_matches_the_migrations(tmp_path: Path) -> None:
    """Changing ``slant.store.analyses`` without a migration would fail here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from slant.store import Store, metadata

    url = sqlite_url(tmp_path / "diff.db")
    Store(url).close()
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_search_listing_and_delete(tmp_path: Path) -> None:
    from slant.store import Store

    store = Store(sqlite_url(tmp_path / "s.db"))
    base = {"language": "en", "genre": {"label": "opinion"}, "model": {"version": "0"}}
    one = store.add({**base, "title": "Water for sale", "paragraphs": [
        {"text": "The spineless council", "techniques": [
            {"label": "Name_Calling-Labeling"}, {"label": "Name_Calling-Labeling"},
            {"label": "Doubt"}]}]})  # fmt: skip
    store.add({**base, "title": "Other 50% news", "paragraphs": []})
    total, items = store.list("SPINELESS")
    assert total == 1 and items[0].id == one.id
    assert items[0].top_techniques[0] == {"label": "Name_Calling-Labeling", "count": 2}
    assert store.list("50%")[0] == 1 and store.list("5_%")[0] == 0
    assert store.list()[0] == 2
    assert store.delete(one.id) and not store.delete(one.id)
    assert store.get(one.id) is None
    store.close()


def test_default_database_url(monkeypatch, tmp_path: Path) -> None:
    from slant.store import default_database_url, display_url

    monkeypatch.delenv("SLANT_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path}/slant/slant.db"
    monkeypatch.setenv("SLANT_DATABASE_URL", "postgresql://u:pw@db/slant")
    assert default_database_url() == "postgresql://u:pw@db/slant"
    assert "pw" not in display_url(default_database_url())
