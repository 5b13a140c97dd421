"""Split an article into SemEval paragraphs, sentences and word tokens, keeping character offsets.

SemEval-2023 numbers paragraphs by 1-based line number and skips lines that are blank (after
stripping whitespace). Lines are split on ``\\n`` only, so a ``\\r`` of a CRLF file stays inside
the text and every offset counts it, as the official span files do.
"""

from __future__ import annotations

import ctypes
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

import blingfire
import numpy as np

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
# (whitespace, token) pairs: only whitespace lies between tokens, so their lengths give offsets
SPACED_TOKEN = re.compile(rf"(\s*)({_TOKEN.pattern})")


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
    out = [Segment(offset + a, offset + b, text[a:b]) for a, b in _sentence_offsets(text) if b > a]
    return out or [Segment(offset, offset + len(text), text)]


def _sentence_offsets(text: str) -> list[tuple[int, int]]:
    """``blingfire.text_to_sentences_and_offsets(text)[1]``, several times faster.

    blingfire's wrapper maps its UTF-8 byte offsets to character offsets in a Python loop over
    every byte, which cost more than the sentence splitting itself; here only the few sentence
    boundaries are mapped.
    """
    data = text.encode("utf-8")
    size = len(data)
    room = 1 << max(8, (size * 2 - 1).bit_length())  # a few sizes: ctypes array types are slow
    buffer, starts, ends = _buffer_type(room)(), _offsets_type(room)(), _offsets_type(room)()
    n = blingfire.blingfire.TextToSentencesWithOffsets(
        ctypes.c_char_p(data), ctypes.c_int(size), ctypes.byref(buffer), ctypes.byref(starts),
        ctypes.byref(ends), ctypes.c_int(room),
    )  # fmt: skip
    if n == -1 or n > room:
        return []
    count = buffer.value.count(b"\n") + 1
    # plain lists: a paragraph has a few sentences, too few for numpy to pay
    first, last = starts[:count], [end + 1 for end in ends[:count]]  # last: the byte after
    if size != len(text):  # not ASCII: byte offset -> character offset
        if count * size > 100_000:  # decoding prefixes would grow as sentences x length
            lead = (np.frombuffer(data, np.uint8) & 0xC0) != 0x80
            char_at = np.concatenate([[0], np.cumsum(lead)])  # characters begun before each byte
            first, last = char_at[first].tolist(), char_at[np.minimum(last, size)].tolist()
            return list(zip(first, last, strict=True))
        # a prefix cut inside a character decodes to one replacement character, so this too
        # counts the characters begun before byte b
        first = [len(data[:b].decode("utf-8", "replace")) for b in first]
        last = [len(data[:b].decode("utf-8", "replace")) for b in last]
    return list(zip(first, last, strict=True))


@functools.cache
def _buffer_type(size: int) -> type[ctypes.Array]:
    return ctypes.c_char * size


@functools.cache
def _offsets_type(size: int) -> type[ctypes.Array]:
    return ctypes.c_int32 * size


class Token(NamedTuple):
    """A word or punctuation token: a ``Segment`` made cheaply (an article has thousands)."""

    start: int
    end: int
    text: str


def tokens(text: str, offset: int = 0) -> list[Token]:
    """Word and punctuation tokens; offsets are shifted by ``offset``."""
    # Only whitespace lies between tokens, so each token's offset is the lengths before it:
    # a third faster than reading every match object's offsets.
    out, position = [], offset
    for space, token in SPACED_TOKEN.findall(text):
        position += len(space)
        end = position + len(token)
        out.append(Token(position, end, token))
        position = end
    return out


def title_of(text: str) -> str:
    """SemEval articles carry their title on the first non-blank line."""
    lines = paragraphs(text)
    return lines[0].text if lines else ""
