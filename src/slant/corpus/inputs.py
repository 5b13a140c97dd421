"""Stream corpus inputs (folders, JSONL, CSV/TSV, Parquet) as small picklable work items.

Nothing here holds a whole corpus in memory: every reader yields one item at a time. Items carry
only what a worker needs; a file item carries its path (the worker reads and decodes it, so that
I/O and HTML extraction run in parallel), a table row carries its text or HTML.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slant.ingest import expand_paths

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
META_FIELDS = ("source", "url", "published", "title")


@dataclass(frozen=True)
class Item:
    """One article to analyse, or one input that is already known to be broken.

    ``kind`` is ``file`` (``payload`` is a path), ``text`` or ``html`` (``payload`` is the
    content) or ``error`` (``payload`` is the reason). ``input`` says where it came from, e.g.
    ``news.jsonl:17``; ``id`` is the article's unique id in the results.
    """

    id: str
    input: str
    kind: str
    payload: str
    source: str | None = None
    url: str | None = None
    published: Any = None  # str, datetime or date as found in the input; parsed by the worker
    title: str | None = None


def table_kind(path: str) -> str | None:
    """``jsonl``, ``csv``, ``tsv`` or ``parquet`` for a table file, else None (an article)."""
    name = path.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(CSV_SUFFIXES):
        return "tsv" if ".tsv" in name else "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def iter_items(inputs: Iterable[str]) -> Iterator[Item]:
    """Yield every article of ``inputs`` in a stable order (so that reruns see the same ids).

    Folders are searched recursively for .txt/.html articles and for table files.
    """
    for path in _expand(inputs):
        kind = table_kind(path)
        if kind == "jsonl":
            yield from _jsonl(path)
        elif kind in ("csv", "tsv"):
            yield from _csv(path, delimiter="\t" if kind == "tsv" else ",")
        elif kind == "parquet":
            yield from _parquet(path)
        elif not os.path.exists(path):
            yield Item(os.path.normpath(path), path, "error", "no such file or folder")
        else:
            yield Item(os.path.normpath(path), path, "file", path)


def count_items(inputs: Iterable[str]) -> int:
    """Count the articles of ``inputs`` cheaply (no parsing of JSON or article text)."""
    total = 0
    for path in _expand(inputs):
        kind = table_kind(path)
        try:
            if kind == "jsonl":
                with _open_binary(path) as handle:
                    total += sum(1 for line in handle if line.strip())
            elif kind in ("csv", "tsv"):
                total += sum(1 for _ in _csv_rows(path, "\t" if kind == "tsv" else ","))
            elif kind == "parquet":
                import pyarrow.parquet as pq

                total += pq.ParquetFile(path).metadata.num_rows
            else:
                total += 1
        except Exception:  # a broken file is reported (once) by iter_items, not here
            total += 1
    return total


def _expand(inputs: Iterable[str]) -> Iterator[str]:
    table_suffixes = JSONL_SUFFIXES + CSV_SUFFIXES + PARQUET_SUFFIXES
    for item in inputs:
        if item == "-":
            raise ValueError("corpus runs read files and folders, not standard input")
        if os.path.isdir(item):
            # expand_paths finds the articles; table files in the folder are inputs too
            articles = list(expand_paths([item]))
            tables = sorted(
                str(p)
                for p in Path(item).rglob("*")
                if p.is_file() and p.name.lower().endswith(table_suffixes)
            )
            yield from sorted(articles + tables)
        else:
            yield item


def _open_binary(path: str) -> io.BufferedIOBase:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _row_item(row: dict[str, Any], input_name: str, fallback_id: str) -> Item:
    """Turn one table row into an item; a row without text becomes an error item."""
    raw_id = row.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        article_id = fallback_id  # stable across reruns as long as the file is unchanged
    else:
        article_id = str(raw_id).strip()
    meta = {key: _clean(row.get(key)) for key in META_FIELDS}
    for key in ("source", "url", "title"):
        if meta[key] is not None:
            meta[key] = str(meta[key])
    text, html = row.get("text"), row.get("html")
    if isinstance(text, str) and text.strip():
        return Item(article_id, input_name, "text", text, **meta)
    if isinstance(html, str) and html.strip():
        return Item(article_id, input_name, "html", html, **meta)
    if text is None and html is None and "text" not in row and "html" not in row:
        reason = "no `text` or `html` column"
    else:
        reason = "empty: no text to analyse"
    return Item(article_id, input_name, "error", reason, **meta)


def _jsonl(path: str) -> Iterator[Item]:
    try:
        handle = _open_binary(path)
    except OSError as exc:
        yield Item(path, path, "error", exc.strerror or str(exc))
        return
    with handle:
        number = 0
        while True:
            try:
                line = handle.readline()
            except (OSError, EOFError) as exc:  # e.g. a truncated .gz
                yield Item(f"{path}:{number + 1}", f"{path}:{number + 1}", "error", str(exc))
                return
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield Item(where, where, "error", f"invalid JSON: {exc}")
                continue
            if not isinstance(row, dict):
                yield Item(where, where, "error", "not a JSON object")
                continue
            yield _row_item(row, where, where)


def _csv_rows(path: str, delimiter: str) -> Iterator[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)  # articles are longer than csv's 128 kB default limit
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        yield from csv.DictReader(text, delimiter=delimiter)


def _csv(path: str, delimiter: str) -> Iterator[Item]:
    number = 1  # the header is line 1; rows are numbered like a spreadsheet
    try:
        for row in _csv_rows(path, delimiter):
            number += 1
            where = f"{path}:{number}"
            yield _row_item(row, where, where)
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        where = f"{path}:{number + 1}"
        yield Item(where, where, "error", f"unreadable CSV: {exc}")


def _parquet(path: str) -> Iterator[Item]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = set(parquet.schema_arrow.names)
        columns = [c for c in ("id", "text", "html", *META_FIELDS) if c in names]
        number = 0
        # batches keep memory bounded for files of any size
        for batch in parquet.iter_batches(batch_size=256, columns=columns):
            for row in batch.to_pylist():
                number += 1
                where = f"{path}:{number}"
                yield _row_item(row, where, where)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        yield Item(path, path, "error", f"unreadable Parquet file: {exc}")
