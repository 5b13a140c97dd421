"""Helpers for the corpus tests: small synthetic corpora in every input format."""

from __future__ import annotations

import json
import random
from pathlib import Path

from conftest import FIXTURE_ARTICLES, read_article

PARAGRAPHS = [
    line.strip()
    for path in sorted(FIXTURE_ARTICLES.glob("article*.txt"))
    for line in read_article(path).splitlines()[1:]
    if line.strip()
]


def article_text(i: int) -> str:
    """A short article (title + three paragraphs) built from the fixture paragraphs."""
    rng = random.Random(i)
    body = rng.sample(PARAGRAPHS, 3)
    return f"Synthetic article number {i}\n\n" + "\n\n".join(body) + "\n"


def write_jsonl(path: Path, n: int, start: int = 0) -> list[str]:
    """``n`` articles with id, text, source and published; returns the ids."""
    ids = []
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(start, start + n):
            ids.append(f"a{i:05d}")
            row = {
                "id": ids[-1],
                "text": article_text(i),
                "source": ("Daily Planet", "Northport Herald", "Kessford Gazette")[i % 3],
                "url": f"https://example.org/{i}",
                "published": f"2023-{1 + i % 4:02d}-{1 + i % 27:02d}",
            }
            handle.write(json.dumps(row) + "\n")
    return ids


def all_ids(results: Path) -> list[str]:
    """Every id in the committed articles and errors tables (duplicates kept)."""
    import duckdb

    con = duckdb.connect()
    out = []
    for table in ("articles", "errors"):
        files = sorted(results.glob(f"parts/part-*/{table}.parquet"))
        if files:
            listing = ", ".join(f"'{f}'" for f in files)
            out += [
                r[0] for r in con.execute(f"SELECT id FROM read_parquet([{listing}])").fetchall()
            ]
    return out
