"""Who is attacked: the person, group or organisation a technique span is aimed at.

A transparent heuristic, no parser (only PyPI-shipped models are allowed, and none parses English
offline without a third-party re-upload). Mentions are runs of capitalised words ("Vladimir
Putin", "the European Union"; a sentence's first word only when the article also capitalises it
mid-sentence and never writes it in lower case) and "the" + plural nouns for people ("the
communists", "the protesters"). For a span, in order:

1. the first mention or person pronoun inside the span ("Crooked Hillary", "while he retires"),
   not counting possessors ("Trump's supporters") or demonyms before a noun ("Russian lies");
2. a labelled mention: a possessive just before the span ("Putin's neo-communism"), a name right
   after it ("the corrupt Joe Biden"), or the mention before "as" ("dismissing the protesters as
   lefties");
3. the subject before the span in its sentence: its first mention or person pronoun ("He's a
   coward"), a pronoun resolved to the first fitting mention of its sentence, else of the
   nearest earlier sentence with one;
4. the first mention after the span in its sentence;
5. the first mention of the previous sentence ("Why is the EU silent? For cowardice.");
6. a possessor or demonym inside the span; else no one.

Mentions also include common nouns for groups ("officials", "the media", "Obama officials").
Loaded language is often aimed at no one, so it gets rules 1-2 only.
Measured on hand-annotated English train spans by ``bench/targets.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from slant.segment import SPACED_TOKEN, paragraphs, sentences

# Techniques that attack someone's reputation, and loaded language (when aimed at someone).
ATTACKS: frozenset[str] = frozenset(
    {
        "Name_Calling-Labeling",
        "Doubt",
        "Guilt_by_Association",
        "Appeal_to_Hypocrisy",
        "Questioning_the_Reputation",
        "Loaded_Language",
    }
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that are not names even in mid-sentence.
_NOT_NAMES = _words(
    "i the a an this that these those he she it they we you his her its their our my your "
    "but and or if when while as so yet because although though then there here what who why "
    "how which where no yes not in on at of for to from by with after before one all some many "
    "most every each both either neither such also however meanwhile monday tuesday wednesday "
    "thursday friday saturday sunday january february march april may june july august "
    "september october november december"
)
_GLUE = _words("of the for and de von van al bin")  # words inside a name: "Bank of England"
_TITLES = _words(
    "mr mrs ms dr sir president senator sen rep gov governor mayor minister prime secretary "
    "chancellor king queen pope judge lieutenant colonel general former vice deputy cardinal "
    "bishop ambassador"
)
_SINGULAR = _words("he him his himself she her hers herself")
_PLURAL = _words("they them their theirs themselves")
_POSSESSIVE = frozenset({"'s", "’s", "’", "'"})
# plural nouns for people ("the communists", "the bureaucrats", "the barbarians", "the elites")
_PEOPLE = ("ists", "ians", "ans", "ers", "ites", "ats", "als", "ives", "ors", "ics", "ains")
_DEMONYM = re.compile(r"(?:an|ese|ish|ic|i)$")  # "Russian", "Chinese", "British", "Baltic"
_CLITIC = re.compile(r"[’'](?:s|re|ll|d|ve|m)$", re.IGNORECASE)
_OPENERS = set("\"“«‘'([—–-:")
# Common nouns for groups that get attacked: a mention even without "the" ("officials are ...").
_GROUPS = _words(
    "officials authorities politicians lawmakers legislators leaders bureaucrats elites liberals "
    "conservatives progressives leftists democrats republicans journalists reporters media press "
    "priests bishops clergy activists globalists socialists communists marxists fascists "
    "protesters protestors immigrants migrants refugees muslims christians jews terrorists "
    "jihadists islamists police government establishment regime administration"
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str  # as written, without a leading "the", titles and a trailing possessive
    plural: bool  # "the communists", "Democrats": a group (antecedent of "they")
    group: bool = False  # "the" + lower-case plural noun
    modifier: bool = False  # a demonym before a lower-case word: "Russian lies"
    possessor: bool = False  # followed by "'s": "Trump's supporters"


class _Tok(NamedTuple):  # a tuple: an article has thousands, made in a hot loop
    start: int
    end: int
    text: str
    sentence: int


def _tokens(text: str) -> list[_Tok]:
    """Word tokens with the index of their sentence (sentences never cross a line)."""
    ends = [s.end for line in paragraphs(text) for s in sentences(line.text, line.start)]
    # offsets from the lengths of tokens and the whitespace between them, as segment.tokens
    # does; inlined, since building on its Tokens made a second tuple per token (slower)
    out, position, k, last = [], 0, 0, len(ends) - 1
    for space, word in SPACED_TOKEN.findall(text):
        position += len(space)
        while k < last and position >= ends[k]:
            k += 1
        end = position + len(word)
        out.append(_Tok(position, end, word, k))
        position = end
    return out


def _bare(word: str) -> str:
    """The word without a clitic, lower-cased: "He’s" -> "he"."""
    return _CLITIC.sub("", word).lower()


def _starts_sentence(toks: Sequence[_Tok], i: int) -> bool:
    return i == 0 or toks[i - 1].sentence != toks[i].sentence or toks[i - 1].text in _OPENERS


def mentions(text: str, toks: Sequence[_Tok] | None = None) -> list[Mention]:
    """Names and "the <people>" groups in ``text``, in order (``toks``: its ``_tokens``)."""
    toks = _tokens(text) if toks is None else toks
    lower = set(re.findall(r"\b[a-z]\w*", text))
    # per token, computed once: whether it opens a sentence and, if capitalised, its bare form
    opens = [_starts_sentence(toks, i) for i in range(len(toks))]
    bare = [_bare(t.text) if t.text[:1].isupper() else "" for t in toks]
    capitals = {word for word, first in zip(bare, opens, strict=True) if word and not first}

    def name_word(i: int) -> bool:
        word = bare[i]
        return (
            word != ""  # capitalised
            and sum(c.isalpha() for c in word) >= 2  # not "U" of "U.S."
            and word not in _NOT_NAMES
            # a capitalised word also written in lower case is a common word ("Ignorant" in a
            # title), and a sentence's first word is a name only if capitalised elsewhere too
            and word not in lower
            and (not opens[i] or word in capitals)
        )

    out: list[Mention] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if name_word(i):
            j = i + 1
            while j < len(toks) and toks[j].sentence == tok.sentence:
                if name_word(j) and not opens[j]:
                    j += 1
                elif toks[j].text in _GLUE and j + 1 < len(toks) and name_word(j + 1):
                    j += 2
                else:
                    break
            start = tok.start
            if i > 0 and toks[i - 1].text.lower() == "the":
                start = toks[i - 1].start
            words = _CLITIC.sub("", text[tok.start : toks[j - 1].end]).split()
            while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
                words = words[1:]
            follower = toks[j] if j < len(toks) and toks[j].sentence == tok.sentence else None
            if follower is not None and follower.text.lower() in _GROUPS:  # "Obama officials"
                words.append(follower.text)
                j += 1
                follower = toks[j] if j < len(toks) and toks[j].sentence == tok.sentence else None
            name = " ".join(words)
            out.append(
                Mention(
                    start,
                    toks[j - 1].end,
                    name,
                    plural=len(words) == 1 and name.endswith("s") and not name.endswith("ss"),
                    modifier=len(words) == 1
                    and _DEMONYM.search(name) is not None
                    and follower is not None
                    and follower.text.islower(),
                    possessor=_CLITIC.search(toks[j - 1].text) is not None
                    or (follower is not None and follower.text in _POSSESSIVE),
                )
            )
            i = j
            continue
        nxt = toks[i + 1].text if i + 1 < len(toks) else ""
        if tok.text.lower() == "the" and nxt.islower() and nxt.endswith(_PEOPLE):
            out.append(Mention(tok.start, toks[i + 1].end, "the " + nxt, True, group=True))
            i += 2
            continue
        if tok.text.islower() and tok.text in _GROUPS:
            out.append(Mention(tok.start, tok.end, tok.text, tok.text.endswith("s"), group=True))
        i += 1
    return out


class TargetFinder:
    """Finds the targets of many spans of one article (its tokens and mentions computed once)."""

    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.mentions = mentions(text, self.toks)
        self._starts = [t.start for t in self.toks]
        self._mention_starts = [m.start for m in self.mentions]  # both ascending: mentions
        self._ends = [m.end for m in self.mentions]  # are found left to right, never overlap
        self._names: dict[str, str] = {}
        # the sentence of each mention, and the mention that holds each token (if any)
        self._sentence = [self.toks[self._token_at(m.end - 1)].sentence for m in self.mentions]
        self._mention_at: dict[int, int] = {}
        for k, m in enumerate(self.mentions):
            i = self._token_at(m.start)
            while i < len(self.toks) and self.toks[i].start < m.end:
                self._mention_at[i] = k
                i += 1

    def _token_at(self, offset: int) -> int:
        """Index of the token that holds or follows character ``offset``."""
        i = bisect_left(self._starts, offset)
        if i > 0 and self.toks[i - 1].end > offset:
            i -= 1
        return min(i, len(self.toks) - 1)

    def find_for(self, technique: str, start: int, end: int) -> str | None:
        """The target of a span of ``technique`` (None for techniques that attack no one)."""
        if technique not in ATTACKS:
            return None
        return self.find(start, end, loaded=technique == "Loaded_Language")

    def find(self, start: int, end: int, loaded: bool = False) -> str | None:
        """Who the span ``text[start:end]`` is aimed at, or None when no one is found.

        ``loaded``: the span is loaded language (rules 1-2 only).
        """
        toks = self.toks
        if not toks:
            return None
        first = self._token_at(start)
        last = bisect_left(self._starts, end) - 1
        if last < first:
            return None
        sentence = toks[first].sentence
        # 1. the first mention or person pronoun inside the span
        found = self._subject(range(first, last + 1))
        if found:
            return found
        # 2. a possessive before, a name right after, or "X as SPAN": only the mention that ends
        # last before the span and the first after it can touch it (others have words between)
        k = bisect_right(self._ends, start) - 1
        if k >= 0:
            m = self.mentions[k]
            between = self.text[m.end : start].strip()
            if between in _POSSESSIVE or (m.possessor and not between):
                return self._name(m)
        k = bisect_left(self._mention_starts, end)
        if k < len(self.mentions):
            m = self.mentions[k]
            if (
                not m.group
                and self.text[end : m.start].strip() in {"", ","}
                and self._sentence[k] == sentence
            ):
                return self._name(m)
        before = first - 1
        while before >= 0 and toks[before].text in _OPENERS | {"a", "an"}:
            before -= 1
        if before >= 1 and toks[before].text.lower() == "as" and before - 1 in self._mention_at:
            return self._name(self.mentions[self._mention_at[before - 1]])
        # 3. the subject before the span in its sentence
        begin = first
        while begin > 0 and toks[begin - 1].sentence == sentence:
            begin -= 1
        if loaded:  # loaded words describe things more often than people: only rules 1-2
            return None
        found = self._subject(range(begin, first))
        if found:
            return found
        # 4. the first mention after the span in its sentence
        for k, m in enumerate(self.mentions):
            if m.start >= end and self._sentence[k] == sentence and self._plain(m):
                return self._name(m)
        # 5. the first mention of the previous sentence
        for k, m in enumerate(self.mentions):
            if self._sentence[k] == sentence - 1 and self._plain(m):
                return self._name(m)
        # 6. a possessor or demonym inside the span
        for m in self.mentions:
            if m.start >= start and m.end <= end and not m.group:
                return self._name(m)
        return None

    @staticmethod
    def _plain(m: Mention) -> bool:
        return not m.modifier and not m.possessor

    def _subject(self, indices: range) -> str | None:
        """The first plain mention, or resolved person pronoun, among the tokens ``indices``."""
        for i in indices:
            k = self._mention_at.get(i)
            if k is not None:
                m = self.mentions[k]
                if self._plain(m) and m.start >= self.toks[indices.start].start - 4:
                    return self._name(m)
                continue
            word = _bare(self.toks[i].text)
            if word in _SINGULAR or word in _PLURAL:
                m = self._resolve(word in _PLURAL, self.toks[i])
                if m is not None:
                    return self._name(m)
        return None

    def _resolve(self, plural: bool, at: _Tok) -> Mention | None:
        """The antecedent of a pronoun: the first fitting mention before it in its sentence,
        else the first fitting mention (usually the subject) of the nearest earlier sentence
        with one."""
        fitting = [
            (m, s)
            for m, s in zip(self.mentions, self._sentence, strict=True)
            if m.end <= at.start and m.plural == plural and not m.modifier
        ]
        if not fitting:
            return None
        nearest = fitting[-1][1]
        return next(m for m, s in fitting if s == nearest)

    def _name(self, mention: Mention) -> str:
        """The article's usual name for a mention: the most frequent of the mentions that end
        with it or that it ends with, the longest on a tie ("Vladimir Putin", "Putin", "Putin"
        -> "Putin"), so that one person is one target."""
        if mention.group:
            return mention.text
        if mention.text not in self._names:
            self._names[mention.text] = self._usual_name(mention.text)
        return self._names[mention.text]

    def _usual_name(self, text: str) -> str:
        words = text.lower().split()
        family: Counter[str] = Counter()
        for m in self.mentions:
            other = m.text.lower().split()
            n = min(len(words), len(other))
            if not m.group and other[-n:] == words[-n:]:
                family[m.text] += 1
        return max(family, key=lambda n: (family[n], len(n))) if family else text


def find_target(
    text: str, start: int, end: int, technique: str = "Name_Calling-Labeling"
) -> str | None:
    """Who the span ``text[start:end]`` of the article ``text`` attacks (None: no one found)."""
    return TargetFinder(text).find_for(technique, start, end)
