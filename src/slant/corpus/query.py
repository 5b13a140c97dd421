"""``slant corpus query``: DuckDB SQL over the Parquet tables of a results folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from slant.corpus.results import ResultsDir
from slant.corpus.schema import SCHEMAS, TABLES
from slant.errors import SlantError


def connect(results_dir: str | Path) -> Any:
    """An in-memory DuckDB connection with one view per table of ``results_dir``.

    The views read only committed parts, so a query during or after a killed run never sees a
    half-written file.

    >>> con = connect("results")  # doctest: +SKIP
    >>> con.execute("SELECT genre, count(*) FROM articles GROUP BY 1").fetchall()  # doctest: +SKIP
    """
    import duckdb

    results = ResultsDir(results_dir)
    if not results.exists():
        raise SlantError(f"{results_dir}: not a results folder of `slant corpus run`")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # months of `published` are UTC months
    for name in TABLES:
        files = results.table_files(name)
        if files:
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            # union_by_name: parts written by a later slant version may have more columns
            source = f"read_parquet([{listing}], union_by_name=true)"
            if name == "errors":  # an article retried after its worker was lost: latest outcome
                source = (
                    f"(SELECT * FROM {source} WHERE id NOT IN (SELECT id FROM articles) "
                    "QUALIFY row_number() OVER (PARTITION BY id ORDER BY failed_at DESC) = 1)"
                )
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        else:
            con.register(f"_empty_{name}", SCHEMAS[name].empty_table())
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    return con


def run_query(
    results_dir: str | Path, sql: str, batch: int = 1000
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Run ``sql``; returns the column names and an iterator over the rows (streamed)."""
    import duckdb

    con = connect(results_dir)
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        raise SlantError(f"SQL error: {exc}") from None
    columns = [d[0] for d in cursor.description or []]

    def rows() -> Iterator[tuple[Any, ...]]:
        while True:
            chunk = cursor.fetchmany(batch)
            if not chunk:
                return
            yield from chunk

    return columns, rows()
