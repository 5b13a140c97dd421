"""A results folder: committed parts, atomic writes, the ids already done, one writer at a time.

Layout::

    RESULTS/
      corpus.json              what produced the results, and a log of every run
      parts/part-000001/       one committed part: articles.parquet, paragraphs.parquet,
                               spans.parquet, targets.parquet, errors.parquet
      tmp/                     parts being written (never read as results; cleared on start)
      .lock                    held by the run that is writing

Why parts are folders: a part is written under ``tmp/`` and then renamed into ``parts/`` in one
``rename`` call, so its five tables appear together or not at all. The ids in the committed parts
*are* the manifest of what is done, so after ``kill -9`` at any instant a rerun redoes exactly
the articles that had not been committed: none lost, none written twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from slant.errors import SlantError

META_FILE = "corpus.json"
FORMAT = "slant-corpus-results"
PART_TABLES = ("articles", "paragraphs", "spans", "targets", "errors")


def id_hash(article_id: str) -> int:
    """A 64-bit hash of an id: the done-set keeps 8 bytes per article, not the id string."""
    return int.from_bytes(hashlib.blake2b(article_id.encode(), digest_size=8).digest(), "little")


class IdSet:
    """Ids done in earlier runs (a sorted array) plus ids taken in this run (a set)."""

    def __init__(self, earlier: np.ndarray | None = None) -> None:
        self.earlier = np.unique(earlier) if earlier is not None else np.zeros(0, np.uint64)
        self.now: set[int] = set()

    def __len__(self) -> int:
        return len(self.earlier) + len(self.now)

    def done_before(self, article_id: str) -> bool:
        h = np.uint64(id_hash(article_id))
        i = int(np.searchsorted(self.earlier, h))
        return i < len(self.earlier) and self.earlier[i] == h

    def seen_now(self, article_id: str) -> bool:
        return id_hash(article_id) in self.now

    def add(self, article_id: str) -> None:
        self.now.add(id_hash(article_id))


class ResultsDir:
    """The folder that ``slant corpus run`` writes and ``report``/``query`` read."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.parts = self.path / "parts"
        self.tmp = self.path / "tmp"
        self.meta_path = self.path / META_FILE

    # -- reading -------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.meta_path.is_file() or self.parts.is_dir()

    def part_dirs(self) -> list[Path]:
        if not self.parts.is_dir():
            return []
        return sorted(p for p in self.parts.iterdir() if p.is_dir() and p.name.startswith("part-"))

    def table_files(self, table: str) -> list[str]:
        return [str(p / f"{table}.parquet") for p in self.part_dirs()]

    def read_meta(self) -> dict[str, Any]:
        if not self.meta_path.is_file():
            return {}
        return json.loads(self.meta_path.read_text())

    def done_ids(self) -> IdSet:
        """Hashes of every id in the committed parts: articles, and errors that would fail again.

        An article whose worker was lost (error stage ``worker``) is not done: the next run
        retries it.
        """
        import pyarrow.parquet as pq

        hashes: list[int] = []
        for part in self.part_dirs():
            ids = pq.read_table(part / "articles.parquet", columns=["id"]).column("id")
            hashes.extend(id_hash(x) for x in ids.to_pylist())
            errors = pq.read_table(part / "errors.parquet", columns=["id", "stage"]).to_pylist()
            hashes.extend(id_hash(row["id"]) for row in errors if row["stage"] != "worker")
        return IdSet(np.array(hashes, dtype=np.uint64))

    # -- writing (only under lock()) -------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's writer lock; a second run on the same folder fails at once.

        ``flock`` locks are dropped by the kernel when a process dies, even by ``kill -9``.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SlantError(
                    f"{self.path}: another `slant corpus run` is writing to this folder"
                ) from None
            shutil.rmtree(self.tmp, ignore_errors=True)  # half-written parts of a killed run
            self.parts.mkdir(exist_ok=True)
            self.tmp.mkdir(exist_ok=True)
            yield  # the lock goes with the file handle

    def write_part(self, tables: dict[str, Any]) -> Path:
        """Write one part atomically: every table to ``tmp/``, fsync, then one rename."""
        import pyarrow.parquet as pq

        staging = self.tmp / f"part-{uuid.uuid4().hex}"
        staging.mkdir()
        for name in PART_TABLES:
            path = staging / f"{name}.parquet"
            pq.write_table(tables[name], path, compression="zstd")
            _fsync(path)
        _fsync(staging)
        existing = self.part_dirs()
        number = int(existing[-1].name.split("-")[1]) + 1 if existing else 1
        final = self.parts / f"part-{number:06d}"
        os.rename(staging, final)  # atomic: the part is committed from here on
        _fsync(self.parts)
        return final

    def write_meta(self, meta: dict[str, Any]) -> None:
        tmp = self.path / f".{META_FILE}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str) + "\n")
        _fsync(tmp)
        os.replace(tmp, self.meta_path)


def new_meta(model: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "runs": [],
    }


def _fsync(path: Path) -> None:
    """Flush to disk so that a committed part survives a power cut, not only a killed process."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
