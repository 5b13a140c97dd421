"""Turn user inputs (files, folders, stdin, HTML) into article texts, with clear errors.

Every problem is raised as ``InputError`` naming the input, so a batch run can report the one bad
article and go on with the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from slant.errors import InputError

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
DEFAULT_MAX_BYTES = (
    5_000_000  # a long article is ~100 kB; this leaves room and stops runaway inputs
)


@dataclass(frozen=True)
class Source:
    """One article to analyse: where it came from and its text."""

    name: str
    text: str
    title: str | None = None


def decode(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Validate raw bytes as an article and decode them (UTF-8, line endings kept)."""
    if len(data) > max_bytes:
        raise InputError(name, f"too large ({len(data):,} bytes; the limit is {max_bytes:,})")
    if b"\x00" in data[:8192]:
        raise InputError(name, "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            name, f"not valid UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise InputError(name, "empty: no text to analyse")
    return text


def html_to_text(html: str, name: str) -> Source:
    """Extract the main article text of an HTML page, one paragraph per line."""
    import trafilatura  # imported lazily: it is slow to import and only HTML needs it

    body = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_recall=True
    )
    if not body or not body.strip():
        raise InputError(name, "no article text found in the HTML")
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata and metadata.title else None
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if title and (not lines or lines[0] != title):
        lines.insert(0, title)
    return Source(name=name, text="\n\n".join(lines) + "\n", title=title or lines[0])


def from_bytes(
    data: bytes, name: str, *, html: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> Source:
    text = decode(data, name, max_bytes)
    if html or _looks_like_html(text):
        return html_to_text(text, name)
    return Source(name=name, text=text)


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html"))


def read_path(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read one .txt or .html file."""
    name = str(path)
    if not path.exists():
        raise InputError(name, "no such file or folder")
    if path.is_dir():
        raise InputError(name, "is a folder; pass it to expand_paths")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(name, f"too large ({size:,} bytes; the limit is {max_bytes:,})")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    return from_bytes(data, name, html=path.suffix.lower() in HTML_SUFFIXES, max_bytes=max_bytes)


def expand_paths(inputs: Iterable[str]) -> Iterator[str]:
    """Yield ``-`` and file paths; folders expand (recursively, sorted) to their .txt/.html files.

    Missing paths are yielded too, so that reading them reports the error in order.
    """
    for item in inputs:
        path = Path(item)
        if item == "-" or not path.is_dir():
            yield item
            continue
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in TEXT_SUFFIXES + HTML_SUFFIXES:
                yield str(child)


def read_input(item: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read one expanded input: ``-`` is standard input."""
    if item == "-":
        return from_bytes(sys.stdin.buffer.read(), "<stdin>", max_bytes=max_bytes)
    return read_path(Path(item), max_bytes)
