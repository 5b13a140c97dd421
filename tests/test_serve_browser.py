"""The web page in a real browser: Debian's chromium driven by Playwright (pytest-playwright).

Skipped with a message when chromium or Playwright is missing; .ci/run installs both. Never run
``playwright install`` (it downloads a browser); the launch arguments below use /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SLANT_CHROMIUM", "/usr/bin/chromium")
if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
try:
    import pytest_playwright  # noqa: F401
    from playwright.sync_api import Page, expect
except ImportError:
    pytest.skip(
        "browser tests need playwright and pytest-playwright (pip install -e '.[dev]')",
        allow_module_level=True,
    )
pytest.importorskip("fastapi", reason="slant serve needs the 'serve' extra")

from conftest import REPO_ROOT  # noqa: E402
from serve_support import KNOWN_TECHNIQUE, OP_ED, live_server, make_app  # noqa: E402

from slant import Analyzer  # noqa: E402
from slant.errors import ModelError  # noqa: E402
from slant.html_report import build_report  # noqa: E402

SCREENSHOT = REPO_ROOT / "docs" / "img" / "web-page.png"
XSS_TITLE = '<img src=x onerror="window.__xss=1">Headline'
XSS_TEXT = (
    f"{XSS_TITLE}\n\n"
    "The spineless bureaucrats <script>window.__xss=2</script> sold our water again.\n\n"
    '<svg onload="window.__xss=3"></svg> A faceless consortium now owns the reservoirs.\n'
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="module")
def server(analyzer: Analyzer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = make_app(analyzer, tmp_path_factory.mktemp("db") / "browser.db")
    with live_server(app) as url:
        yield url


ARTICLE_TEXT = """() => Array.from(document.querySelectorAll('.slant-par')).map(p =>
    Array.from(p.childNodes).filter(n => !(n.classList && n.classList.contains('badge')))
        .map(n => n.textContent).join('')).join('\\n')"""


def article_text(page: Page) -> str:
    """The article as shown, without the technique labels inserted after spans."""
    return page.evaluate(ARTICLE_TEXT)


def analyse(page: Page, server: str, text: str) -> None:
    page.goto(server + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#text", text)
    page.click("#analyze")
    expect(page.locator("#status")).to_contain_text("Done")


def test_paste_analyse_highlight_filter(page: Page, server: str) -> None:
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(server) else None,
    )
    analyse(page, server, OP_ED)
    marks = page.locator(f'#view mark.hl[data-techniques~="{KNOWN_TECHNIQUE}"]')
    expect(marks.first).to_be_visible()
    assert marks.count() > 0
    expect(page.locator(".slant-summary")).to_contain_text("Genre")
    expect(page.locator(".slant-legend")).to_contain_text(KNOWN_TECHNIQUE.replace("_", " "))

    # hover and keyboard focus show the technique, its confidence and its definition
    page.mouse.move(0, 0)  # keep the pointer off the text: this checks the keyboard path
    marks.first.focus()
    tip = page.locator(".slant-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Confidence")
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()

    # the technique filter hides its highlights, and brings them back
    box = page.locator(f'input[data-technique="{KNOWN_TECHNIQUE}"]')
    box.uncheck()
    expect(marks).to_have_count(0)
    box.check()
    assert marks.count() > 0
    # the category filter and the confidence slider too
    category = page.locator('input[data-category="Attack_on_Reputation"]')
    category.uncheck()
    expect(page.locator("#view mark.hl.cat-Attack_on_Reputation")).to_have_count(0)
    category.check()
    page.locator(".slant-min").fill("1")
    expect(page.locator("#view mark.hl")).to_have_count(0)
    assert external == [], f"the page loaded external resources: {external}"


def test_xss_payload_stays_text(page: Page, server: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    analyse(page, server, XSS_TEXT)
    expect(page.locator(".slant-article")).to_be_visible()
    shown = article_text(page)
    assert "<script>window.__xss=2</script>" in shown
    assert '<img src=x onerror="window.__xss=1">' in shown
    assert '<svg onload="window.__xss=3"></svg>' in shown
    assert (
        page.locator(".slant-article img, .slant-article script, .slant-article svg").count() == 0
    )
    # saved and listed: the title is shown as text in the library too
    page.click("#save")
    expect(page.locator("#permalink a")).to_be_visible()
    expect(page.locator("#library-list")).to_contain_text(XSS_TITLE)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_permalink_opens_a_stored_analysis(page: Page, server: str) -> None:
    analyse(page, server, OP_ED)
    page.click("#save")
    link = page.locator("#permalink a")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href and href.startswith("/a/")
    fresh = page.context.new_page()
    fresh.goto(server + href)
    expect(
        fresh.locator(f'#view mark.hl[data-techniques~="{KNOWN_TECHNIQUE}"]').first
    ).to_be_visible()
    fresh.goto(server + "/a/does-not-exist")
    expect(fresh.locator("#status")).to_contain_text("No stored analysis")
    fresh.close()


def test_file_upload(page: Page, server: str, tmp_path: Path) -> None:
    path = tmp_path / "column.txt"
    path.write_text(OP_ED, encoding="utf-8")
    page.goto(server + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.set_input_files("#file", str(path))
    expect(page.locator("#status")).to_contain_text("Done")
    expect(page.locator(".slant-summary")).to_contain_text("column.txt")


def test_exported_report_works_offline(page: Page, analyzer: Analyzer, tmp_path: Path) -> None:
    """The CLI/web export: a file that renders the same highlights with no network at all."""
    report = tmp_path / "report.html"
    report.write_text(build_report(analyzer.analyze(XSS_TEXT + OP_ED)), encoding="utf-8")
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report.as_uri())
    marks = page.locator(f'mark.hl[data-techniques~="{KNOWN_TECHNIQUE}"]')
    expect(marks.first).to_be_visible()  # rendered by the inlined script: CSP hashes are right
    assert "<script>window.__xss=2</script>" in article_text(page)
    page.locator(f'input[data-technique="{KNOWN_TECHNIQUE}"]').uncheck()
    expect(marks).to_have_count(0)
    assert page.evaluate("window.__xss") is None
    assert requests == [report.as_uri()]
    assert errors == []


def test_phone_width_and_screenshot(page: Page, server: str, analyzer: Analyzer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    analyse(page, server, OP_ED)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the page scrolls sideways on a phone"


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        shipped = Analyzer()
    except ModelError as exc:
        pytest.skip(f"the shipped default model does not load: {exc}")
    app = make_app(shipped, tmp_path_factory.mktemp("db") / "shot.db")
    with live_server(app) as url:
        yield url


def test_screenshot_for_the_readme(page: Page, default_server: str, tmp_path: Path) -> None:
    """The example column analysed with the shipped model, as docs/img/web-page.png shows it.

    The picture goes to a temporary folder, so a test run leaves the working tree alone;
    ``SLANT_UPDATE_SCREENSHOTS=1`` writes it over the README's copy.
    """
    page.set_viewport_size({"width": 1360, "height": 900})
    analyse(page, default_server, OP_ED)
    first = page.locator("#view mark.hl").first
    expect(first).to_be_visible()
    page.locator("#result").scroll_into_view_if_needed()
    update = os.environ.get("SLANT_UPDATE_SCREENSHOTS") == "1"
    target = SCREENSHOT if update else tmp_path / SCREENSHOT.name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 10_000


def test_offline_api_reference(page: Page, server: str) -> None:
    page.goto(server + "/docs")
    expect(page.locator("#api")).to_contain_text("/v1/analyze")
    expect(page.locator("#api")).to_contain_text("/v1/analyses/{analysis_id}")
