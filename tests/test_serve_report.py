"""The self-contained HTML report (``slant analyze --format html`` and the web page's export)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from typer.testing import CliRunner

import slant.analyzer
from slant import Analyzer
from slant.cli import app
from slant.html_report import build_report, label_catalog, script_json, static_article

OP_ED_PATH = REPO_ROOT / "examples" / "op-ed.txt"
PAYLOAD = "Title <b>bold</b>\n\nThe spineless bureaucrats <script>alert(1)</script></script> won.\n"


@pytest.fixture(scope="module", autouse=True)
def _shared_encoder(analyzer: Analyzer) -> Iterator[None]:
    encoder = analyzer.encoder  # loaded once; every Analyzer the CLI builds reuses it
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slant.analyzer, "load_encoder", lambda *_, **__: encoder)
        yield


def inline_scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, flags=re.S)


def test_report_is_self_contained_and_escaped(analyzer: Analyzer) -> None:
    page = build_report(analyzer.analyze(PAYLOAD))
    assert "<script>alert(1)" not in page
    unmarked = re.sub(r"<mark[^>]*>|</mark>", "", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in unmarked  # the static fallback, escaped
    assert "<b>bold</b>" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    data = re.search(r'<script type="application/json" id="slant-data">(.*?)</script>', page, re.S)
    assert data is not None
    decoded = json.loads(data.group(1))
    assert decoded["analyses"][0]["paragraphs"][1]["text"].startswith("The spineless")
    assert decoded["labels"] == label_catalog()


def test_csp_allows_exactly_the_inline_scripts(analyzer: Analyzer) -> None:
    page = build_report(analyzer.analyze(PAYLOAD))
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found is not None
    csp = html.unescape(found.group(1))
    assert "default-src 'none'" in csp
    scripts = inline_scripts(page)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"t": "</script><!-- \u2028 & >"})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"t": "</script><!-- \u2028 & >"}


def test_static_fallback_marks_spans(analyzer: Analyzer) -> None:
    result = analyzer.analyze(OP_ED_PATH.read_text(encoding="utf-8"))
    fallback = static_article(result.to_dict())
    marked = [p for p in result.paragraphs if any(t.spans for t in p.techniques)]
    assert fallback.count("<mark") >= len(marked) > 0


def test_cli_format_html_writes_one_page(tiny_model: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.txt"
    second.write_text(PAYLOAD, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["analyze", str(OP_ED_PATH), str(second), "--format", "html", "--model", str(tiny_model)],
    )
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert page.count('<section class="slant-static">') == 2
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in re.sub(r"<mark[^>]*>|</mark>", "", page)
