"""The evidence of an analysis: consistent spans, their targets, explanations, a targets table.

``add_evidence`` runs after the models: it makes the two levels agree (every reported technique
has at least one span inside its paragraph, every span's technique is reported for its paragraph
by construction: spans live inside their technique), names who each attack is aimed at
(``slant.targets``, English only), writes each technique's explanation (``slant.explain``) and
builds the article's ``targets`` table.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from slant.doc import Analysis, Paragraph, Span, Target, TargetExample, TargetTechnique
from slant.explain import explain
from slant.targets import TargetFinder

TARGET_LANGUAGES = frozenset({"en"})  # where the target heuristic was built and measured
EXAMPLES = 3  # example spans per target and technique in the table


def consistent_spans(paragraph: Paragraph, text: str) -> None:
    """Keep spans inside the paragraph that quote ``text``; give a span-less technique the
    paragraph's text as its span (score 0: the tagger located nothing)."""
    for technique in paragraph.techniques:
        kept: dict[tuple[int, int], Span] = {}
        for span in technique.spans:
            inside = paragraph.start <= span.start < span.end <= paragraph.end
            if inside and text[span.start : span.end] == span.text:
                kept.setdefault((span.start, span.end), span)
        technique.spans = sorted(kept.values(), key=lambda s: s.start)
        if not technique.spans:
            technique.spans = [Span(paragraph.start, paragraph.end, paragraph.text, 0.0)]


def add_evidence(analysis: Analysis, text: str) -> Analysis:
    """Fill spans' targets, techniques' explanations and ``analysis.targets`` (in place)."""
    finder = TargetFinder(text) if analysis.language in TARGET_LANGUAGES else None
    for paragraph in analysis.paragraphs:
        consistent_spans(paragraph, text)
        for technique in paragraph.techniques:
            if finder is not None:
                for span in technique.spans:
                    span.target = finder.find_for(technique.label, span.start, span.end)
            technique.explanation = explain(technique.label, technique.score, technique.spans)
    analysis.targets = targets_table(analysis)
    return analysis


def targets_table(analysis: Analysis) -> list[Target]:
    """Target -> technique -> count and example spans; most attacked first."""
    found: dict[str, dict[str, list[TargetExample]]] = defaultdict(lambda: defaultdict(list))
    for paragraph in analysis.paragraphs:
        for technique in paragraph.techniques:
            for span in technique.spans:
                if span.target:
                    example = TargetExample(paragraph.index, span.start, span.end, span.text)
                    found[span.target][technique.label].append(example)
    table = []
    for target, by_label in found.items():
        counts = Counter({label: len(examples) for label, examples in by_label.items()})
        techniques = [
            TargetTechnique(label, count, by_label[label][:EXAMPLES])
            for label, count in counts.most_common()
        ]
        table.append(Target(target, sum(counts.values()), techniques))
    table.sort(key=lambda t: (-t.count, t.target))
    return table
