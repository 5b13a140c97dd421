"""Identify an article's language among those slant knows, instantly and offline.

Articles are long, so the writing system plus counts of very common function words identify the
language reliably, with no model to load (a statistical detector cost seconds at start-up).
"""

from __future__ import annotations

import re
from collections import Counter

# ISO 639-1 codes of the languages slant was trained on or can analyse zero-shot.
SUPPORTED: tuple[str, ...] = ("en", "fr", "de", "it", "pl", "ru", "es", "el", "ka")

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "is",
            "that",
            "in",
            "it",
            "was",
            "for",
            "with",
            "he",
            "on",
            "are",
            "this",
            "his",
            "they",
            "be",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "les",
            "et",
            "des",
            "est",
            "une",
            "dans",
            "pour",
            "qui",
            "pas",
            "sur",
            "au",
            "du",
            "ce",
            "il",
            "sont",
            "l",
            "d",
            "avec",
            "mais",
            "nous",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "zu",
            "den",
            "mit",
            "sich",
            "auf",
            "für",
            "dem",
            "des",
            "auch",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "di",
            "che",
            "la",
            "per",
            "una",
            "sono",
            "della",
            "non",
            "gli",
            "nel",
            "delle",
            "con",
            "anche",
            "alla",
            "è",
        ]
    ),
    "pl": frozenset(
        [
            "i",
            "w",
            "nie",
            "się",
            "na",
            "że",
            "z",
            "do",
            "jest",
            "to",
            "jak",
            "po",
            "od",
            "przez",
            "ale",
            "dla",
            "są",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "y",
            "los",
            "las",
            "del",
            "se",
            "por",
            "con",
            "para",
            "es",
            "su",
            "al",
            "pero",
            "como",
            "más",
            "muy",
            "también",
        ]
    ),
}
# A word in two lists says nothing about which of the two languages it is.
_SHARED = {
    w
    for a in _FUNCTION_WORDS
    for b in _FUNCTION_WORDS
    if a < b
    for w in _FUNCTION_WORDS[a] & _FUNCTION_WORDS[b]
}
_FUNCTION_WORDS = {lang: words - _SHARED for lang, words in _FUNCTION_WORDS.items()}
_LANGUAGE_OF = {w: lang for lang, words in _FUNCTION_WORDS.items() for w in words}  # disjoint
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# runs of each script's letters: summing run lengths makes one string per run, not per letter
_CYRILLIC = re.compile(r"[\u0400-\u04FF]+")
_GREEK = re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]+")
_GEORGIAN = re.compile(r"[\u10A0-\u10FF]+")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]+")


def _letters(script: re.Pattern[str], text: str) -> int:
    return sum(map(len, script.findall(text)))


def detect(text: str) -> str | None:
    """Return the ISO 639-1 code of ``text``'s language, or None when it is none of SUPPORTED."""
    sample = text[:20000]
    scripts = Counter(
        {
            "ru": _letters(_CYRILLIC, sample),
            "el": _letters(_GREEK, sample),
            "ka": _letters(_GEORGIAN, sample),
            "latin": _letters(_LATIN, sample),
        }
    )
    script, count = scripts.most_common(1)[0]
    if count == 0:
        return None
    if script != "latin":
        return script
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return None
    hits = Counter(map(_LANGUAGE_OF.get, words))
    lang = max(_FUNCTION_WORDS, key=hits.__getitem__)  # ties: the first language listed
    best = hits[lang]
    # Too few function words: a word list, a headline, or a language we do not know.
    if best < max(2, 0.08 * len(words)):
        return None
    return lang
