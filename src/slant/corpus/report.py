"""``slant corpus report``: one self-contained HTML file describing a results folder.

Aggregates run in DuckDB over the Parquet parts (streaming, bounded memory, any corpus size);
plots are matplotlib figures inlined as SVG, so the file needs nothing from the network.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slant.corpus.query import connect
from slant.corpus.results import ResultsDir
from slant.labels import CATEGORIES, CATEGORY_OF, FRAMES, GENRES, TECHNIQUES, describe

# one colour per SemEval category, used for bars and legends everywhere in the report
CATEGORY_COLOURS = {
    "Attack_on_Reputation": "#c0392b",
    "Justification": "#2874a6",
    "Simplification": "#b9770e",
    "Distraction": "#7d3c98",
    "Call": "#1e8449",
    "Manipulative_Wording": "#5d6d7e",
}
GENRE_COLOURS = {"opinion": "#d35400", "reporting": "#2e86c1", "satire": "#8e44ad"}


def write_report(
    results_dir: str | Path,
    out_file: str | Path,
    *,
    title: str | None = None,
    examples: int = 5,
    top_sources: int = 15,
) -> dict[str, Any]:
    """Write the HTML report of ``results_dir`` to ``out_file``; returns a few numbers."""
    report = _Report(results_dir, examples=examples, top_sources=top_sources)
    page = report.render(title)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)  # never leave a half-written report behind
    return {"articles": report.n_articles, "bytes": len(page.encode())}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(n: float, d: float) -> str:
    return f"{100 * n / d:.1f}%" if d else "–"


def _title(name: str) -> str:
    try:
        return describe(name).title
    except KeyError:
        return name


def _label(name: str) -> str:
    """A label's readable title with its official name (what tools and papers use)."""
    return f'{_e(_title(name))} <code class="name">{_e(name)}</code>'


class _Report:
    def __init__(self, results_dir: str | Path, *, examples: int, top_sources: int) -> None:
        self.results = ResultsDir(results_dir)
        self.con = connect(results_dir)
        self.meta = self.results.read_meta()
        self.examples = examples
        self.top_sources = top_sources
        self.n_articles = self.one("SELECT count(*) FROM articles")
        self.n_errors = self.one("SELECT count(*) FROM errors")
        self.figures = 0

    # -- helpers ---------------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def svg(self, fig: Any) -> str:
        """A matplotlib figure as inline SVG (ids salted per figure so they never clash)."""
        import matplotlib

        self.figures += 1
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"f{self.figures}"}):
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        text = buffer.getvalue()
        text = text[text.index("<svg") :]
        text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
        # scale with the page: drop the fixed size, keep the viewBox
        text = re.sub(
            r'<svg([^>]*?) width="[^"]*" height="[^"]*"',
            r'<svg\1 class="plot" preserveAspectRatio="xMinYMin meet"',
            text,
            count=1,
        )
        return f'<figure class="plot">{text}</figure>'

    def figure(self, width: float, height: float) -> tuple[Any, Any]:
        from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

        fig = Figure(figsize=(width, height), dpi=100)
        ax = fig.add_subplot()
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return fig, ax

    def hbar(self, labels: list[str], values: list[float], colours: list[str], xlabel: str) -> str:
        fig, ax = self.figure(8, 0.32 * len(labels) + 0.8)
        y = list(range(len(labels)))[::-1]
        ax.barh(y, values, color=colours)
        ax.set_yticks(y, labels, fontsize=9)
        ax.set_xlabel(xlabel)
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {v:.1f}", va="center", fontsize=8)
        ax.set_xlim(0, max([*values, 1]) * 1.15)
        return self.svg(fig)

    def heatmap(
        self, rows: list[str], columns: list[str], values: list[list[float]], title: str
    ) -> str:
        fig, ax = self.figure(0.42 * len(columns) + 3, 0.36 * len(rows) + 2.2)
        top = max([5.0, *(v for row in values for v in row)])  # contrast for rare labels
        image = ax.imshow(values, aspect="auto", cmap="Reds", vmin=0, vmax=top)
        ax.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v >= 0.5:
                    ax.text(
                        j,
                        i,
                        f"{v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if v > 0.6 * top else "black",
                    )
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, label="% of articles", shrink=0.8)
        return self.svg(fig)

    # -- sections --------------------------------------------------------------------------------

    def render(self, title: str | None) -> str:
        title = title or f"slant corpus report: {self.results.path.resolve().name}"
        sections = [
            ("overview", "Overview", self.overview()),
            ("techniques", "Persuasion techniques", self.techniques()),
            ("categories", "Technique categories", self.categories()),
            ("frames", "Frames", self.frames()),
            ("genres", "Genres and languages", self.genres()),
            ("sources", "By source", self.by_source()),
            ("months", "By month of publication", self.by_month()),
            ("targets", "Most attacked targets", self.targets()),
            ("examples", "Example spans for each technique", self.example_spans()),
            ("errors", "Inputs that failed", self.errors()),
            ("method", "How to read this report", self.method()),
        ]
        toc = "".join(f'<li><a href="#{key}">{_e(name)}</a></li>' for key, name, _ in sections)
        body = "".join(
            f'<section id="{key}"><h2>{_e(name)}</h2>{content}</section>'
            for key, name, content in sections
        )
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f'<header><h1>{_e(title)}</h1><p class="sub">Generated {generated} by slant from '
            f"<code>{_e(self.results.path)}</code></p><nav><ol>{toc}</ol></nav></header>"
            f"<main>{body}</main></body></html>\n"
        )

    def overview(self) -> str:
        n = self.n_articles
        model = self.meta.get("model") or {}
        stats = self.rows(
            "SELECT count(DISTINCT source), min(published), max(published), "
            "sum(n_paragraphs), sum(n_spans), count(published), count(DISTINCT language) "
            "FROM articles"
        )[0]
        sources, first, last, paragraphs, spans, dated, languages = stats
        with_any = self.one("SELECT count(*) FROM articles WHERE n_techniques > 0")
        cards = [
            ("articles analysed", f"{n:,}"),
            ("inputs failed", f"{self.n_errors:,}"),
            ("paragraphs", f"{paragraphs or 0:,}"),
            ("spans", f"{spans or 0:,}"),
            ("articles with ≥1 technique", _pct(with_any, n)),
            ("sources", f"{sources:,}"),
            ("languages", f"{languages:,}"),
            (
                "published",
                f"{first:%Y-%m-%d} – {last:%Y-%m-%d}" if first and last else "no dates",
            ),
        ]
        html_cards = "".join(
            f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
            for k, v in cards
        )
        runs = self.meta.get("runs") or []
        model_text = (
            f"model <b>{_e(model.get('name'))} {_e(model.get('version'))}</b> "
            f"({_e(model.get('mode', 'default'))} mode)"
            if model
            else "model unknown"
        )
        return (
            f'<div class="cards">{html_cards}</div><p>{model_text}; {len(runs)} run(s) wrote '
            f"these results; {dated:,} of {n:,} articles have a <code>published</code> date.</p>"
        )

    def _technique_counts(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        articles = dict(
            self.rows("SELECT t, count(*) FROM articles, unnest(techniques) u(t) GROUP BY t")
        )
        paragraphs = dict(
            self.rows("SELECT t, count(*) FROM paragraphs, unnest(techniques) u(t) GROUP BY t")
        )
        spans = dict(self.rows("SELECT technique, count(*) FROM spans GROUP BY technique"))
        return articles, paragraphs, spans

    def techniques(self) -> str:
        n = self.n_articles
        if not n:
            return "<p>No articles were analysed.</p>"
        n_par = self.one("SELECT count(*) FROM paragraphs")
        articles, paragraphs, spans = self._technique_counts()
        order = sorted(TECHNIQUES, key=lambda t: (-articles.get(t, 0), TECHNIQUES.index(t)))
        chart = self.hbar(
            [_title(t) for t in order],
            [100 * articles.get(t, 0) / n for t in order],
            [CATEGORY_COLOURS[CATEGORY_OF[t]] for t in order],
            "% of articles with the technique in at least one paragraph",
        )
        legend = "".join(
            f'<span class="key" style="background:{CATEGORY_COLOURS[c]}"></span>{_e(_title(c))} '
            for c in CATEGORIES
        )
        rows = "".join(
            f"<tr><td>{_label(t)}</td><td>{_e(_title(CATEGORY_OF[t]))}</td>"
            f"<td>{articles.get(t, 0):,}</td><td>{_pct(articles.get(t, 0), n)}</td>"
            f"<td>{paragraphs.get(t, 0):,}</td><td>{_pct(paragraphs.get(t, 0), n_par)}</td>"
            f"<td>{spans.get(t, 0):,}</td></tr>"
            for t in order
        )
        return (
            f'{chart}<p class="legend">{legend}</p><table><thead><tr><th>technique</th>'
            "<th>category</th><th>articles</th><th>% articles</th><th>paragraphs</th>"
            f"<th>% paragraphs</th><th>spans</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def categories(self) -> str:
        n = self.n_articles
        if not n:
            return "<p>No articles.</p>"
        counts = dict(
            self.rows(
                "SELECT k, count(*) FROM articles, unnest(map_keys(category_counts)) u(k) "
                "GROUP BY k"
            )
        )
        order = sorted(CATEGORIES, key=lambda c: -counts.get(c, 0))
        chart = self.hbar(
            [_title(c) for c in order],
            [100 * counts.get(c, 0) / n for c in order],
            [CATEGORY_COLOURS[c] for c in order],
            "% of articles with at least one technique of the category",
        )
        rows = "".join(
            f"<tr><td>{_label(c)}</td><td>{_e(', '.join(_title(t) for t in TECHNIQUES if CATEGORY_OF[t] == c))}</td>"  # noqa: E501
            f"<td>{counts.get(c, 0):,}</td><td>{_pct(counts.get(c, 0), n)}</td></tr>"
            for c in order
        )
        return (
            f"{chart}<table><thead><tr><th>category</th><th>techniques</th><th>articles</th>"
            f"<th>% articles</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def frames(self) -> str:
        n = self.n_articles
        if not n:
            return "<p>No articles.</p>"
        counts = dict(self.rows("SELECT f, count(*) FROM articles, unnest(frames) u(f) GROUP BY f"))
        order = sorted(FRAMES, key=lambda f: -counts.get(f, 0))
        chart = self.hbar(
            [_title(f) for f in order],
            [100 * counts.get(f, 0) / n for f in order],
            ["#117a65"] * len(order),
            "% of articles using the frame",
        )
        rows = "".join(
            f"<tr><td>{_label(f)}</td><td>{counts.get(f, 0):,}</td>"
            f"<td>{_pct(counts.get(f, 0), n)}</td></tr>"
            for f in order
        )
        return (
            f"{chart}<table><thead><tr><th>frame</th><th>articles</th><th>% articles</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )

    def genres(self) -> str:
        n = self.n_articles
        if not n:
            return "<p>No articles.</p>"
        counts = dict(self.rows("SELECT genre, count(*) FROM articles GROUP BY genre"))
        chart = self.hbar(
            [_title(g) for g in GENRES],
            [100 * counts.get(g, 0) / n for g in GENRES],
            [GENRE_COLOURS[g] for g in GENRES],
            "% of articles",
        )
        rows = "".join(
            f"<tr><td>{_label(g)}</td><td>{counts.get(g, 0):,}</td>"
            f"<td>{_pct(counts.get(g, 0), n)}</td></tr>"
            for g in GENRES
        )
        languages = self.rows(
            "SELECT language, count(*) AS n FROM articles GROUP BY language ORDER BY n DESC"
        )
        lang_rows = "".join(
            f"<tr><td><code>{_e(lang)}</code></td><td>{c:,}</td><td>{_pct(c, n)}</td></tr>"
            for lang, c in languages
        )
        return (
            f"{chart}<table><thead><tr><th>genre</th><th>articles</th><th>% articles</th></tr>"
            f"</thead><tbody>{rows}</tbody></table><h3>Languages</h3><table><thead><tr>"
            f"<th>language</th><th>articles</th><th>% articles</th></tr></thead>"
            f"<tbody>{lang_rows}</tbody></table>"
        )

    def _grouped(self, key_sql: str, where: str, keys: list[str]) -> dict[str, Any]:
        """Prevalence tables (% of articles) per group for techniques, categories, frames."""
        totals = dict(
            self.rows(f"SELECT {key_sql} AS k, count(*) FROM articles {where} GROUP BY k")
        )

        def table(unnest: str) -> dict[tuple[str, str], int]:
            return {
                (k, label): c
                for k, label, c in self.rows(
                    f"SELECT {key_sql} AS k, x, count(*) FROM articles, unnest({unnest}) u(x) "
                    f"{where} GROUP BY k, x"
                )
            }

        def pct(counts: dict[tuple[str, str], int], labels: Sequence[str]) -> list[list[float]]:
            return [[100 * counts.get((k, label), 0) / totals[k] for label in labels] for k in keys]

        genres = {
            (k, g): c
            for k, g, c in self.rows(
                f"SELECT {key_sql} AS k, genre, count(*) FROM articles {where} GROUP BY k, genre"
            )
        }
        return {
            "totals": totals,
            "techniques": pct(table("techniques"), TECHNIQUES),
            "categories": pct(table("map_keys(category_counts)"), CATEGORIES),
            "frames": pct(table("frames"), FRAMES),
            "genres": pct(genres, GENRES),
        }

    def _group_section(
        self, keys: list[str], names: list[str], data: dict[str, Any], what: str
    ) -> str:
        parts = [
            self.heatmap(
                names,
                [_title(t) for t in TECHNIQUES],
                data["techniques"],
                f"Techniques by {what} (% of articles)",
            ),
            self.heatmap(
                names,
                [_title(f) for f in FRAMES],
                data["frames"],
                f"Frames by {what} (% of articles)",
            ),
        ]
        head = "".join(f"<th>{_e(_title(c))}</th>" for c in CATEGORIES) + "".join(
            f"<th>{_e(g)}</th>" for g in GENRES
        )
        rows = []
        for i, (k, name) in enumerate(zip(keys, names, strict=True)):
            top = sorted(zip(TECHNIQUES, data["techniques"][i], strict=True), key=lambda x: -x[1])
            top_text = ", ".join(f"{_e(_title(t))} {v:.0f}%" for t, v in top[:3] if v > 0)
            cells = "".join(f"<td>{v:.1f}%</td>" for v in data["categories"][i]) + "".join(
                f"<td>{v:.1f}%</td>" for v in data["genres"][i]
            )
            rows.append(
                f"<tr><td>{_e(name)}</td><td>{data['totals'][k]:,}</td>{cells}"
                f"<td>{top_text or '–'}</td></tr>"
            )
        return (
            "".join(parts)
            + f"<p>Categories and genres by {what} (% of the {what}'s articles):</p>"
            + f"<table><thead><tr><th>{what}</th><th>articles</th>{head}<th>top techniques</th>"
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def by_source(self) -> str:
        if not self.n_articles:
            return "<p>No articles.</p>"
        top = self.rows(
            "SELECT coalesce(source, '(no source)') AS k, count(*) AS n FROM articles "
            f"GROUP BY k ORDER BY n DESC, k LIMIT {int(self.top_sources)}"
        )
        n_sources = self.one("SELECT count(DISTINCT coalesce(source, '(no source)')) FROM articles")
        if n_sources == 1 and top[0][0] == "(no source)":
            return "<p>No article has a <code>source</code>, so there is nothing to compare.</p>"
        keys = [k for k, _ in top]
        data = self._grouped("coalesce(source, '(no source)')", "", keys)
        note = (
            f"<p>The {len(keys)} sources with the most articles (of {n_sources:,}).</p>"
            if n_sources > len(keys)
            else ""
        )
        return note + self._group_section(keys, keys, data, "source")

    def by_month(self) -> str:
        if not self.n_articles:
            return "<p>No articles.</p>"
        key = "strftime(date_trunc('month', published), '%Y-%m')"
        months = [
            k
            for (k,) in self.rows(
                f"SELECT DISTINCT {key} AS k FROM articles WHERE published IS NOT NULL ORDER BY k"
            )
        ]
        if not months:
            return "<p>No article has a <code>published</code> date.</p>"
        data = self._grouped(key, "WHERE published IS NOT NULL", months)
        fig, ax = self.figure(9, 3.6)
        x = list(range(len(months)))
        for j, c in enumerate(CATEGORIES):
            ax.plot(
                x,
                [row[j] for row in data["categories"]],
                marker="o",
                markersize=3,
                color=CATEGORY_COLOURS[c],
                label=_title(c),
            )
        ax.set_xticks(x, months, rotation=60 if len(months) > 8 else 0, fontsize=8)
        ax.set_ylabel("% of articles")
        ax.set_ylim(0, 105)
        ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))
        ax.set_title("Technique categories by month", fontsize=10)
        lines = self.svg(fig)
        fig, ax = self.figure(9, 2.4)
        ax.bar(x, [data["totals"][m] for m in months], color="#566573")
        ax.set_xticks(x, months, rotation=60 if len(months) > 8 else 0, fontsize=8)
        ax.set_ylabel("articles")
        ax.set_title("Articles per month", fontsize=10)
        counts = self.svg(fig)
        return lines + counts + self._group_section(months, months, data, "month")

    def targets(self) -> str:
        available = self.one("SELECT count(n_targets) FROM articles")
        if not available:
            return (
                "<p>Not available: these results hold no article-level targets (who is attacked)."
                " The model or slant version that produced them does not report targets; rerun "
                "with a version that does to fill this section.</p>"
            )
        rows = self.rows(
            "SELECT mode(target) AS name, count(DISTINCT id) AS articles, sum(count) AS mentions,"
            " list_distinct(flatten(list(techniques))) AS techniques,"
            " list_distinct(flatten(list(examples)))[1:3] AS examples"
            " FROM targets WHERE trim(target) <> '' GROUP BY lower(trim(target))"
            " ORDER BY articles DESC, mentions DESC LIMIT 25"
        )
        if not rows:
            return f"<p>No targets were found in the {available:,} articles that report them.</p>"
        body = "".join(
            f"<tr><td><b>{_e(name)}</b></td><td>{arts:,}</td><td>{int(m or 0):,}</td>"
            f"<td>{', '.join(_e(_title(t)) for t in techs or [])}</td>"
            f"<td>{'<br>'.join('“' + _e(x) + '”' for x in ex or [])}</td></tr>"
            for name, arts, m, techs, ex in rows
        )
        return (
            f"<p>Who the attacks are aimed at ({available:,} articles report targets).</p>"
            "<table><thead><tr><th>target</th><th>articles</th><th>mentions</th>"
            f"<th>techniques</th><th>examples</th></tr></thead><tbody>{body}</tbody></table>"
        )

    def example_spans(self) -> str:
        k = max(0, int(self.examples))
        rows = self.rows(
            f"""
            WITH best AS (
                SELECT * FROM spans
                QUALIFY row_number() OVER (PARTITION BY technique, id ORDER BY score DESC) = 1
            ), top AS (
                SELECT * FROM best
                QUALIFY row_number() OVER (
                    PARTITION BY technique ORDER BY score DESC, id) <= {k}
            )
            SELECT t.technique, t.text, t.score, t.start, t."end", t.id, t.paragraph,
                   p.start, p.text, a.title, a.source
            FROM top t
            JOIN paragraphs p ON p.id = t.id AND p.paragraph = t.paragraph
            JOIN articles a ON a.id = t.id
            ORDER BY t.technique, t.score DESC, t.id
            """
        )
        by_technique: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_technique.setdefault(row[0], []).append(row)
        if not by_technique:
            return "<p>No technique was found, so there are no examples.</p>"
        blocks = []
        for technique in TECHNIQUES:
            found = by_technique.get(technique)
            if not found:
                continue
            info = describe(technique)
            items = "".join(self._example(row) for row in found)
            blocks.append(
                f'<div class="technique"><h3 style="border-color:'
                f'{CATEGORY_COLOURS[info.category or ""]}">{_label(technique)}</h3>'
                f'<p class="def">{_e(info.definition)}</p><ol class="examples">{items}</ol></div>'
            )
        missing = [t for t in TECHNIQUES if t not in by_technique]
        note = (
            f"<p>Not found in this corpus: {', '.join(_label(t) for t in missing)}.</p>"
            if missing
            else ""
        )
        return "".join(blocks) + note

    def _example(self, row: tuple[Any, ...]) -> str:
        _, span_text, score, start, end, article_id, _, p_start, p_text, title, source = row
        s, e = start - p_start, end - p_start
        if not (0 <= s <= e <= len(p_text)) or p_text[s:e] != span_text:
            context = f"<mark>{_e(span_text)}</mark>"  # offsets from another text: no context
        else:
            left, right = max(0, s - 160), min(len(p_text), e + 160)
            context = (
                ("…" if left else "")
                + _e(p_text[left:s])
                + f"<mark>{_e(span_text)}</mark>"
                + _e(p_text[e:right])
                + ("…" if right < len(p_text) else "")
            )
        where = " · ".join(_e(x) for x in (source, title or article_id) if x)
        return (
            f'<li><div class="ctx">{context}</div><div class="src">{where} '
            f'<span class="score">score {score:.2f}</span></div></li>'
        )

    def errors(self) -> str:
        if not self.n_errors:
            return "<p>None: every input was analysed.</p>"
        stages = self.rows("SELECT stage, count(*) FROM errors GROUP BY stage ORDER BY 2 DESC")
        reasons = self.rows(
            "SELECT regexp_replace(reason, '[0-9][0-9,]*', 'N', 'g') AS r, count(*) AS n "
            "FROM errors GROUP BY r ORDER BY n DESC LIMIT 15"
        )
        sample = self.rows("SELECT id, input, reason FROM errors ORDER BY failed_at, id LIMIT 20")
        stage_text = ", ".join(f"{n:,} at {_e(s)}" for s, n in stages)
        reason_rows = "".join(f"<tr><td>{_e(r)}</td><td>{n:,}</td></tr>" for r, n in reasons)
        sample_rows = "".join(
            f"<tr><td>{_e(i)}</td><td>{_e(inp)}</td><td>{_e(r)}</td></tr>" for i, inp, r in sample
        )
        return (
            f"<p>{self.n_errors:,} inputs could not be analysed ({stage_text}). The full list is "
            'the <code>errors</code> table: <code>slant corpus query DIR "SELECT * FROM errors'
            '"</code>.</p><table><thead><tr><th>reason (numbers as N)</th><th>inputs</th></tr>'
            f"</thead><tbody>{reason_rows}</tbody></table><h3>First failures</h3><table><thead>"
            f"<tr><th>id</th><th>input</th><th>reason</th></tr></thead><tbody>{sample_rows}"
            "</tbody></table>"
        )

    def method(self) -> str:
        mode = (self.meta.get("model") or {}).get("mode", "default")
        mode_note = {
            "fast": " These results were made in <b>fast</b> mode (lexical models only), which is "
            "less accurate than the default mode.",
            "accurate": " These results were made in <b>accurate</b> mode: techniques were also "
            "read with multilingual-e5-small, which scores higher than the default mode in "
            "cross-validation.",
        }.get(mode, "")
        return (
            "<p>Prevalence is the share of articles in which slant found a technique (or a "
            "category, frame or genre) at least once; each article counts once per label however "
            "often the label occurs. Techniques are detected per paragraph with thresholds tuned "
            "by cross-validation on SemEval-2023 Task 3; categories are the six coarse groups of "
            "its taxonomy. The detections are model predictions, not annotations: compare groups "
            "with care, and read the example spans to see what the model counts."
            f"{mode_note}</p>"
        )


CSS = """
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2833;
margin:0;background:#fbfcfc}
header{background:#1c2833;color:#fdfefe;padding:1.2em 2em}
header a{color:#aed6f1}h1{margin:0 0 .2em;font-size:1.6em}.sub{margin:0;color:#d5dbdb}
nav ol{columns:3;margin:.6em 0 0;padding-left:1.2em}
main{max-width:1100px;margin:0 auto;padding:1em 2em 4em}
section{margin-top:2.2em}h2{border-bottom:2px solid #d5dbdb;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em;width:100%}
th,td{border-bottom:1px solid #e5e8e8;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f4f4}td:nth-child(n+2){font-variant-numeric:tabular-nums}
code.name{font-size:.78em;color:#717d7e;margin-left:.3em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{background:#fff;border:1px solid #e5e8e8;
border-radius:6px;padding:.6em 1em;min-width:9em}.card .v{font-size:1.4em;font-weight:600}
.card .k{color:#717d7e;font-size:.85em}
figure.plot{margin:1em 0}svg.plot{width:100%;height:auto;max-width:1000px}
.legend .key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;
vertical-align:middle;border-radius:2px}
.technique h3{border-left:6px solid;padding-left:.5em}.def{color:#566573;font-size:.92em}
.examples li{margin:.5em 0}.ctx{background:#fff;border:1px solid #e5e8e8;border-radius:4px;
padding:.4em .6em}mark{background:#fcf3cf;padding:0 .1em;font-weight:600}
.src{color:#717d7e;font-size:.82em}.score{margin-left:.5em}
"""
