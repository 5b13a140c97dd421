"""A self-contained HTML report of analyses: no external resources, works offline and by e-mail.

The report embeds the web page's own renderer (``web/render.js``) and style sheet together with the
analyses as JSON, so it shows the same highlights, filters and summary as the web page. Without
JavaScript it falls back to a static rendering made here. Article text is always escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from slant import __version__
from slant.doc import Analysis
from slant.labels import CATEGORIES, FRAMES, GENRES, TECHNIQUES, describe

WEB = files("slant") / "web"


def asset(name: str) -> str:
    """The text of one packaged web asset (``style.css``, ``render.js``, ...)."""
    return (WEB / name).read_text(encoding="utf-8")


def label_catalog() -> dict[str, list[dict[str, Any]]]:
    """Every label with its human-readable title, definition and example (``GET /v1/labels``)."""

    def entries(names: Iterable[str]) -> list[dict[str, Any]]:
        out = []
        for name in names:
            info = describe(name)
            entry: dict[str, Any] = {
                "name": name,
                "title": info.title,
                "definition": info.definition,
                "example": info.example,
            }
            if info.category:
                entry["category"] = info.category
            out.append(entry)
        return out

    return {
        "genres": entries(GENRES),
        "frames": entries(FRAMES),
        "categories": entries(CATEGORIES),
        "techniques": entries(TECHNIQUES),
    }


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</script>``, ``<!--`` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def report_csp() -> str:
    """The report's Content-Security-Policy: only its own two inline scripts may run."""
    hashes = " ".join(f"'sha256-{_sha256(asset(n))}'" for n in ("render.js", "report-boot.js"))
    return f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:"


def _as_dict(analysis: Analysis | Mapping[str, Any]) -> dict[str, Any]:
    return analysis.to_dict() if isinstance(analysis, Analysis) else dict(analysis)


def build_report(
    analyses: Analysis | Mapping[str, Any] | Sequence[Analysis | Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> str:
    """The HTML report of one analysis or several (one section each)."""
    if isinstance(analyses, Analysis | Mapping):
        analyses = [analyses]
    items = [_as_dict(a) for a in analyses]
    titles = [str(a.get("title") or a.get("source") or "article") for a in items]
    title = "slant: " + (titles[0] if len(titles) == 1 else f"{len(titles)} articles")
    date = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    script, boot = asset("render.js"), asset("report-boot.js")
    if "</script" in (script + boot).lower():  # never true for our own files; guards edits
        raise ValueError("the report's scripts must not contain a closing script tag")
    values = {
        "@@TITLE@@": html.escape(title),
        "@@VERSION@@": html.escape(__version__),
        "@@DATE@@": html.escape(date),
        "@@STYLE@@": asset("style.css").replace("</", "<\\/"),
        "@@STATIC@@": "\n".join(static_article(a) for a in items),
        "@@DATA@@": script_json({"analyses": items, "labels": label_catalog()}),
        "@@SCRIPT@@": script,
        "@@BOOT@@": boot,
        "@@CSP@@": html.escape(report_csp()),
    }
    template = asset("report.html")
    out = []
    rest = template
    while "@@" in rest:  # substitute markers of the template only, never inside inserted text
        head, _, tail = rest.partition("@@")
        key, sep, after = tail.partition("@@")
        marker = f"@@{key}@@"
        if sep and marker in values:
            out.append(head + values[marker])
            rest = after
        else:
            out.append(head + "@@")
            rest = tail
    out.append(rest)
    return "".join(out)


def _segments(text: str, start: int, marks: list[tuple[int, int, str, str]]) -> str:
    """``text`` with ``<mark>`` around every marked range; overlaps take the earlier mark."""
    cuts = sorted({0, len(text), *(m[0] - start for m in marks), *(m[1] - start for m in marks)})
    out = []
    for a, b in itertools.pairwise(cuts):
        if not 0 <= a < b <= len(text):
            continue
        piece = html.escape(text[a:b])
        cover = [m for m in marks if m[0] - start <= a and m[1] - start >= b]
        if cover:
            category = cover[0][2]
            names = ", ".join(dict.fromkeys(describe(m[3]).title for m in cover))
            out.append(
                f'<mark class="hl cat-{html.escape(category)}" title="{html.escape(names)}">'
                f"{piece}</mark>"
            )
        else:
            out.append(piece)
    return "".join(out)


def static_article(analysis: Mapping[str, Any]) -> str:
    """A no-JavaScript rendering: highlighted paragraphs, each followed by its techniques."""
    parts = ['<section class="slant-static">']
    title = analysis.get("title")
    if title:
        parts.append(f"<h2>{html.escape(str(title))}</h2>")
    genre = analysis.get("genre") or {}
    frames = ", ".join(
        f"{describe(f['label']).title} {f['score']:.2f}"
        for f in analysis.get("frames", [])
        if f.get("label") in FRAMES
    )
    parts.append(
        "<p>"
        f"Genre: <strong>{html.escape(str(genre.get('label', '?')))}</strong>. "
        f"Frames: {html.escape(frames or 'none')}. "
        f"Language: {html.escape(str(analysis.get('language', '?')))}."
        "</p>"
    )
    for paragraph in analysis.get("paragraphs", []):
        techniques = [t for t in paragraph.get("techniques", []) if t.get("label") in TECHNIQUES]
        marks = [
            (int(s["start"]), int(s["end"]), str(t["category"]), str(t["label"]))
            for t in techniques
            for s in t.get("spans", [])
        ]
        body = _segments(str(paragraph.get("text", "")), int(paragraph.get("start", 0)), marks)
        parts.append(f"<p>{body}</p>")
        if techniques:
            listed = "; ".join(
                f"{describe(t['label']).title} {float(t['score']):.2f}" for t in techniques
            )
            parts.append(f'<p class="techniques">{html.escape(listed)}</p>')
    parts.append("</section>")
    return "\n".join(parts)
