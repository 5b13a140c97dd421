"""slant: how does this article try to persuade?

>>> import slant
>>> result = slant.analyze(open("examples/op-ed.txt").read())   # doctest: +SKIP
>>> result.genre.label, [f.label for f in result.frames][:2]     # doctest: +SKIP
('opinion', ['Political', 'Economic'])
"""

from __future__ import annotations

__version__ = "0.1.0"  # pyproject.toml reads it from here

from slant.analyzer import Analyzer
from slant.doc import Analysis, Paragraph, Span, Technique

_default: Analyzer | None = None


def analyze(text: str, *, language: str | None = None) -> Analysis:
    """Analyse one article with the default model (loaded once, on first use)."""
    global _default
    if _default is None:
        _default = Analyzer()
    return _default.analyze(text, language=language)


__all__ = ["Analysis", "Analyzer", "Paragraph", "Span", "Technique", "__version__", "analyze"]
