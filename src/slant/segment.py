"""Split an article into SemEval paragraphs, sentences and word tokens, keeping character offsets.

SemEval-2023 numbers paragraphs by 1-based line number and skips lines that are blank (after
stripping whitespace). Lines are split on ``\\n`` only, so a ``\\r`` of a CRLF file stays inside
the text and every offset counts it, as the official span files do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import blingfire

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Line(Segment):
    """A paragraph: one non-blank line; ``number`` is its 1-based line number."""

    number: int


def paragraphs(text: str) -> list[Line]:
    """Return the non-blank lines of ``text`` with offsets of their stripped content."""
    out: list[Line] = []
    pos = 0
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            out.append(Line(start, start + len(stripped), stripped, number))
        pos += len(line) + 1
    return out


def sentences(text: str, offset: int = 0) -> list[Segment]:
    """Sentences of one paragraph; offsets are shifted by ``offset``."""
    if not text.strip():
        return []
    _, spans = blingfire.text_to_sentences_and_offsets(text)
    out = [Segment(offset + a, offset + b, text[a:b]) for a, b in spans if b > a]
    return out or [Segment(offset, offset + len(text), text)]


def tokens(text: str, offset: int = 0) -> list[Segment]:
    """Word and punctuation tokens; offsets are shifted by ``offset``."""
    return [Segment(offset + m.start(), offset + m.end(), m.group()) for m in _TOKEN.finditer(text)]


def title_of(text: str) -> str:
    """SemEval articles carry their title on the first non-blank line."""
    lines = paragraphs(text)
    return lines[0].text if lines else ""
