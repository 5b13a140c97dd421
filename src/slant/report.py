"""Render an ``Analysis``: a Rich terminal report, JSON, or SemEval-format lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from slant.doc import Analysis
from slant.labels import TECHNIQUES, describe

CATEGORY_STYLE = {
    "Attack_on_Reputation": "bold white on red3",
    "Justification": "bold black on gold3",
    "Simplification": "bold white on dark_orange3",
    "Distraction": "bold white on purple4",
    "Call": "bold white on dodger_blue3",
    "Manipulative_Wording": "bold black on light_sky_blue1",
}
_ARTICLE_ID = re.compile(r"article(\d+)")


def _bar(score: float, width: int = 20) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def render(analysis: Analysis, console: Console, min_score: float = 0.0) -> None:
    """Print the human-readable report of one article."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Source", Text(analysis.source or "-"))
    head.add_row("Language", analysis.language)
    genre_scores = "  ".join(f"{g} {s:.2f}" for g, s in analysis.genre.scores.items())
    head.add_row("Genre", f"[bold]{analysis.genre.label}[/] ({genre_scores})")
    frames = Table.grid(padding=(0, 1))
    for frame in analysis.frames:
        frames.add_row(describe(frame.label).title, _bar(frame.score), f"{frame.score:.2f}")
    head.add_row("Frames", frames if analysis.frames else "none above threshold")
    counts: dict[str, int] = {}
    for paragraph in analysis.paragraphs:
        for technique in paragraph.techniques:
            counts[technique.label] = counts.get(technique.label, 0) + 1
    summary = ", ".join(
        f"{describe(k).title} ×{v}" for k, v in sorted(counts.items(), key=lambda x: -x[1])
    )
    head.add_row("Techniques", summary or "none found")
    for warning in analysis.warnings:
        head.add_row("[yellow]Warning[/]", Text(warning))
    title = escape(analysis.title) if analysis.title else "Article"  # article text is not markup
    console.print(Panel(head, title=title, title_align="left"))
    if analysis.targets:
        console.print(_targets_table(analysis))

    for paragraph in analysis.paragraphs:
        shown = [t for t in paragraph.techniques if t.score >= min_score]
        if not shown:
            continue
        body = Text(paragraph.text)
        for technique in shown:
            style = CATEGORY_STYLE[technique.category]
            for span in technique.spans:
                body.stylize(style, span.start - paragraph.start, span.end - paragraph.start)
        rows = Table.grid(padding=(0, 1))
        for technique in shown:
            quotes = "; ".join(f"“{s.text}”" for s in technique.spans[:3])
            rows.add_row(
                Text(
                    f" {describe(technique.label).title} ", style=CATEGORY_STYLE[technique.category]
                ),
                f"{technique.score:.2f}",
                Text(quotes),
            )
            if technique.explanation is not None:
                rows.add_row("", "", Text(technique.explanation.why, style="dim"))
        console.print(
            Panel(Group(body, Text(""), rows), title=f"¶ {paragraph.index}", title_align="left")
        )


def _targets_table(analysis: Analysis) -> Table:
    """Who the article attacks: target, how often, with which techniques, example words."""
    table = Table(title="Targets (who is attacked)", title_justify="left", expand=False)
    table.add_column("target", style="bold")
    table.add_column("count", justify="right")
    table.add_column("techniques")
    table.add_column("examples")
    for target in analysis.targets:
        techniques = ", ".join(f"{describe(t.label).title} ×{t.count}" for t in target.techniques)
        # one sentence can carry two techniques aimed at the same target: quote it once
        quotes = dict.fromkeys(_short(e.text) for t in target.techniques for e in t.examples[:2])
        examples = "; ".join(f"“{q}”" for q in quotes)
        table.add_row(Text(target.target), str(target.count), techniques, Text(examples))
    return table


def _short(text: str, limit: int = 70) -> str:
    """``text`` cut at the last word boundary before ``limit`` characters, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def article_id(analysis: Analysis) -> str:
    """The SemEval article id: digits of an ``article<ID>.txt`` name, else the file stem."""
    name = Path(analysis.source or "text").name
    match = _ARTICLE_ID.search(name)
    return match.group(1) if match else Path(name).stem


def semeval_lines(analysis: Analysis) -> list[str]:
    """Subtask-3 lines (``id TAB paragraph TAB techniques``) for every paragraph."""
    aid = article_id(analysis)
    return [
        f"{aid}\t{p.index}\t{','.join(sorted_official(t.label for t in p.techniques))}"
        for p in analysis.paragraphs
    ]


def sorted_official(labels: Iterable[str]) -> list[str]:
    order = {name: i for i, name in enumerate(TECHNIQUES)}
    return sorted(set(labels), key=order.__getitem__)
