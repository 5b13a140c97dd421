"""``slant corpus report`` and ``slant corpus query`` on a small synthetic results folder.

The results are written directly (no model), so every technique, source and month is known.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from slant.cli import app
from slant.corpus.query import connect, run_query
from slant.corpus.report import write_report
from slant.corpus.results import ResultsDir, new_meta
from slant.corpus.schema import Rows
from slant.doc import Analysis, Genre, LabelScore, ModelInfo, Paragraph, Span, Technique
from slant.errors import SlantError
from slant.labels import CATEGORY_OF, FRAMES, GENRES, TECHNIQUES

runner = CliRunner()
USED = TECHNIQUES[:-1]  # the last technique never occurs: the report must say so
SOURCES = ("Daily Planet", "Northport Herald", "<script>alert(1)</script>")


@dataclass
class _WithTargets(Analysis):
    """An analysis with article-level targets, as later slant versions report them."""

    targets: list[dict[str, Any]] = field(default_factory=list)


def _analysis(i: int, with_targets: bool) -> Analysis:
    title = f"Article {i}"
    text = title + "\n"
    paragraphs = []
    for k in range(3):
        label = USED[(3 * i + k) % len(USED)]
        words = f"the {label.lower()} words"
        line = f"Paragraph {k} of article {i} has {words} in it."
        start = len(text) + 1
        text += "\n" + line + "\n"
        s = start + line.index(words)
        paragraphs.append(
            Paragraph(
                index=2 * k + 3,
                start=start,
                end=start + len(line),
                text=line,
                techniques=[
                    Technique(label, CATEGORY_OF[label], 0.9, [Span(s, s + len(words), words, 0.8)])
                ],
            )
        )
    kwargs = dict(
        slant_version="0.1.0",
        model=ModelInfo("synthetic", "1"),
        language="en",
        genre=Genre(GENRES[i % 3], {g: (0.8 if g == GENRES[i % 3] else 0.1) for g in GENRES}),
        frames=[LabelScore(FRAMES[i % len(FRAMES)], 0.7)],
        paragraphs=paragraphs,
        source=f"s{i}",
        title=title,
    )
    if with_targets:
        target = ("Mayor Dalton", "the council")[i % 2]
        return _WithTargets(
            **kwargs,
            targets=[  # the shape of slant.doc.Target
                {"target": target, "count": 2, "techniques": [
                    {"label": "Name_Calling-Labeling", "count": 2, "examples": [
                        {"paragraph": 3, "start": 0, "end": 5, "text": f"{target} is a disgrace"}
                    ]}
                ]}
            ],
        )  # fmt: skip
    return Analysis(**kwargs)


def _results(path: Path, n: int = 30, with_targets: bool = True) -> Path:
    results = ResultsDir(path)
    with results.lock():
        for half in (range(0, n // 2), range(n // 2, n)):  # two parts
            rows = Rows()
            for i in half:
                meta = {
                    "id": f"id{i}",
                    "input": "synthetic.jsonl",
                    "source": SOURCES[i % 3],
                    "published": datetime(2023, 1 + i % 3, 10, tzinfo=UTC),
                }
                rows.add_analysis(_analysis(i, with_targets), meta, chars=100)
            if not with_targets:  # as written by a slant version without target detection
                for row in rows.rows["articles"]:
                    row["n_targets"] = None
            rows.add_error(f"bad{half.start}", "synthetic.jsonl:99", "invalid JSON: line 1", "read")
            results.write_part(rows.tables())
        results.write_meta(new_meta({"name": "synthetic", "version": "1", "mode": "default"}))
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _results(tmp_path_factory.mktemp("report") / "results")


@pytest.fixture(scope="module")
def report_html(results: Path) -> str:
    out = results.parent / "report.html"
    stats = write_report(results, out)
    assert stats["articles"] == 30
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained(report_html: str) -> None:
    assert report_html.startswith("<!DOCTYPE html>")
    lowered = report_html.lower()
    for needle in ("<script", "<link", "<iframe", "@import", "url(http", '<img src="http'):
        assert needle not in lowered, needle
    # the only URLs are SVG/XLink namespace names, which browsers never fetch
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", report_html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert report_html.count("<svg") >= 8  # the plots are inline


def test_report_names_every_technique_present_and_the_missing_one(report_html: str) -> None:
    for technique in USED:
        assert technique in report_html, technique
        assert f"the {technique.lower()} words" in report_html  # an example span
    assert "Not found in this corpus" in report_html
    examples = report_html.split('id="examples"')[1].split("</section>")[0]
    assert TECHNIQUES[-1] in examples.split("Not found in this corpus")[1]


def test_report_breaks_down_by_source_and_month_and_lists_targets(report_html: str) -> None:
    for source in SOURCES[:2]:
        assert source in report_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report_html  # escaped, never executed
    for month in ("2023-01", "2023-02", "2023-03"):
        assert month in report_html
    targets = report_html.split('id="targets"')[1].split("</section>")[0]
    assert "Mayor Dalton" in targets and "the council" in targets
    assert "Mayor Dalton is a disgrace" in targets and "Name Calling" in targets
    assert "invalid JSON" in report_html  # the errors section
    for frame in {FRAMES[i % len(FRAMES)] for i in range(30)}:
        assert frame in report_html


def test_report_says_when_targets_are_absent(tmp_path: Path) -> None:
    results = _results(tmp_path / "r", n=6, with_targets=False)
    write_report(results, tmp_path / "r.html")
    targets = (tmp_path / "r.html").read_text().split('id="targets"')[1].split("</section>")[0]
    assert "Not available" in targets


def test_report_of_an_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SlantError, match="not a results folder"):
        write_report(tmp_path / "nothing", tmp_path / "r.html")
    with ResultsDir(tmp_path / "empty").lock():
        pass
    write_report(tmp_path / "empty", tmp_path / "e.html")
    assert "No articles were analysed" in (tmp_path / "e.html").read_text()


def test_query_views_and_api(results: Path) -> None:
    con = connect(results)
    assert con.execute("SELECT count(*) FROM articles").fetchall() == [(30,)]
    assert con.execute("SELECT count(*) FROM errors").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM paragraphs").fetchall() == [(90,)]
    assert con.execute("SELECT count(*) FROM spans").fetchall() == [(90,)]
    assert con.execute("SELECT count(DISTINCT target) FROM targets").fetchall() == [(2,)]
    columns, rows = run_query(
        results, "SELECT technique_counts['Doubt'] AS n FROM articles WHERE id = 'id6'"
    )
    assert columns == ["n"] and list(rows) == [(1,)]


def test_cli_query_table_csv_json_and_errors(results: Path) -> None:
    sql = "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source"
    table = runner.invoke(app, ["corpus", "query", str(results), sql])
    assert table.exit_code == 0, table.output
    assert "Daily Planet" in table.stdout and "3 rows" in table.stderr
    as_csv = runner.invoke(app, ["corpus", "query", str(results), sql, "--csv"])
    parsed = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert parsed[0] == ["source", "n"] and ["Daily Planet", "10"] in parsed
    as_json = runner.invoke(app, ["corpus", "query", str(results), sql, "--json"])
    assert json.loads(as_json.stdout.splitlines()[0]) == {
        "source": "<script>alert(1)</script>",
        "n": 10,
    }
    bad = runner.invoke(app, ["corpus", "query", str(results), "SELECT nope FROM articles"])
    assert bad.exit_code == 2 and "SQL error" in bad.stderr
    missing = runner.invoke(app, ["corpus", "query", str(results / "nope"), "SELECT 1"])
    assert missing.exit_code == 2 and "not a results folder" in missing.stderr


def test_cli_report(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    result = runner.invoke(app, ["corpus", "report", str(results), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "30 articles" in result.stderr
