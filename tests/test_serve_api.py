"""The REST API of ``slant serve`` through FastAPI's TestClient (tiny model, temporary SQLite)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import KNOWN_TECHNIQUE, OP_ED, make_app

from slant import Analyzer
from slant.labels import CATEGORIES, FRAMES, GENRES, TECHNIQUES

from fastapi.testclient import TestClient  # isort: skip

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SCHEMA_KEYS = {"schema_version", "slant_version", "model", "language", "genre", "frames",
               "paragraphs", "warnings", "source", "title"}  # fmt: skip
HTML_PAGE = (
    "<!doctype html><html><head><title>Council sells the water</title></head><body>"
    "<nav>Home | About</nav><article><h1>Council sells the water</h1>"
    "<p>The spineless bureaucrats of the council will sell our water to a faceless consortium.</p>"
    "<p>Every family in this city will pay for their shameful fire sale, again and again.</p>"
    "</article><footer>Copyright</footer></body></html>"
)


@pytest.fixture(scope="module")
def client(analyzer: Analyzer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = make_app(analyzer, tmp_path_factory.mktemp("db") / "api.db")
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def secured(analyzer: Analyzer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = make_app(analyzer, tmp_path_factory.mktemp("db") / "auth.db", token="s3cret")
    with TestClient(app) as c:
        yield c


def check_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["message"]
    return body


# ---- POST /v1/analyze ----


def test_analyze_json_text_matches_the_cli_schema(client: TestClient, analyzer: Analyzer) -> None:
    response = client.post("/v1/analyze", json={"text": OP_ED, "source": "op-ed.txt"})
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= SCHEMA_KEYS
    assert data["source"] == "op-ed.txt"
    expected = analyzer.analyze(OP_ED, source="op-ed.txt").to_dict()
    assert data == json.loads(json.dumps(expected))  # the same JSON as `slant analyze -f json`
    found = {t["label"] for p in data["paragraphs"] for t in p["techniques"]}
    assert KNOWN_TECHNIQUE in found


def test_analyze_html_json(client: TestClient) -> None:
    data = client.post("/v1/analyze", json={"html": HTML_PAGE}).json()
    assert data["title"] == "Council sells the water"
    texts = [p["text"] for p in data["paragraphs"]]
    assert any("spineless bureaucrats" in t for t in texts)
    assert not any("Copyright" in t for t in texts)


def test_analyze_language_is_passed_on(client: TestClient) -> None:
    data = client.post("/v1/analyze", json={"text": OP_ED, "language": "fr"}).json()
    assert data["language"] == "fr"


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("op-ed.txt", OP_ED.encode(), "text/plain"), ("page.html", HTML_PAGE.encode(), "text/html")],
)
def test_analyze_file_upload(client: TestClient, name: str, content: bytes, kind: str) -> None:
    response = client.post(
        "/v1/analyze", files={"file": (name, content, kind)}, data={"language": "en"}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["source"] == name and data["language"] == "en"
    assert data["paragraphs"]


def test_analyze_raw_text_body(client: TestClient) -> None:
    response = client.post(
        "/v1/analyze", content=OP_ED.encode(), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == OP_ED.splitlines()[0]
    french = client.post(
        "/v1/analyze?language=fr", content=OP_ED.encode(), headers={"content-type": "text/plain"}
    )
    assert french.json()["language"] == "fr"


def test_bad_json_is_400(client: TestClient) -> None:
    for body in (b'{"text": ', b"\xff\xfe", b"[1, 2]"):
        response = client.post(
            "/v1/analyze", content=body, headers={"content-type": "application/json"}
        )
        check_error(response, 400, "bad_json")
    check_error(
        client.post("/v1/analyses", content=b"{nope", headers={"content-type": "application/json"}),
        400,
        "bad_json",
    )
    check_error(
        client.post("/v1/analyze-url", content=b"{", headers={"content-type": "application/json"}),
        400,
        "bad_json",
    )


def test_invalid_requests_are_422(client: TestClient) -> None:
    check_error(client.post("/v1/analyze", json={}), 422, "invalid_request")
    check_error(client.post("/v1/analyze", json={"text": "a", "html": "b"}), 422, "invalid_request")
    check_error(client.post("/v1/analyze", json={"txt": "a"}), 422, "invalid_request")
    check_error(
        client.post("/v1/analyze", json={"text": OP_ED, "language": "English"}),
        422,
        "invalid_request",
    )
    check_error(client.post("/v1/analyze", json={"text": "  \n "}), 422, "invalid_input")
    body = check_error(
        client.post("/v1/analyze", json={"html": "<html><body></body></html>"}),
        422,
        "invalid_input",
    )
    assert "no article text" in body["message"]


def test_bad_uploads(client: TestClient) -> None:
    check_error(
        client.post("/v1/analyze", files={"file": ("a.pdf", b"%PDF", "application/pdf")}),
        415,
        "unsupported_file",
    )
    check_error(
        client.post("/v1/analyze", files={"other": ("a.txt", b"x", "text/plain")}),
        400,
        "bad_request",
    )
    body = check_error(
        client.post("/v1/analyze", files={"file": ("a.txt", b"\xff\xfe\x00bin", "text/plain")}),
        422,
        "invalid_input",
    )
    assert "a.txt" not in body["message"] or "binary" in body["message"]
    check_error(
        client.post("/v1/analyze", content=b"x", headers={"content-type": "application/xml"}),
        415,
        "unsupported_media_type",
    )


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    big = "word " * 450_000  # 2.25 MB > 2 MB
    check_error(client.post("/v1/analyze", json={"text": big}), 413, "payload_too_large")
    check_error(
        client.post("/v1/analyze", files={"file": ("big.txt", big.encode(), "text/plain")}),
        413,
        "payload_too_large",
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(30):
            yield b"x" * 100_000

    check_error(
        client.post("/v1/analyze", content=chunks(), headers={"content-type": "text/plain"}),
        413,
        "payload_too_large",
    )


def test_max_body_is_configurable(analyzer: Analyzer, tmp_path: Path) -> None:
    with TestClient(make_app(analyzer, tmp_path / "small.db", max_body=1000)) as c:
        check_error(c.post("/v1/analyze", json={"text": "x" * 2000}), 413, "payload_too_large")
        assert c.get("/v1/version").json()["limits"]["max_body"] == 1000


# ---- stored analyses ----


def test_store_get_list_delete(client: TestClient) -> None:
    response = client.post("/v1/analyses", json={"text": OP_ED, "source": "op-ed.txt"})
    assert response.status_code == 201
    stored = response.json()
    assert response.headers["location"] == f"/v1/analyses/{stored['id']}"
    assert stored["url"] == f"/a/{stored['id']}"
    assert stored["analysis"]["title"] == OP_ED.splitlines()[0]

    got = client.get(f"/v1/analyses/{stored['id']}").json()
    assert got["analysis"] == stored["analysis"] and got["created_at"].endswith("Z")

    listing = client.get("/v1/analyses", params={"query": "kessford"}).json()
    assert listing["total"] >= 1
    item = next(i for i in listing["items"] if i["id"] == stored["id"])
    assert item["title"] == OP_ED.splitlines()[0]
    assert item["genre"] in GENRES and item["language"]
    assert item["top_techniques"] and {"label", "count"} <= set(item["top_techniques"][0])
    assert client.get("/v1/analyses", params={"query": "zzz-nothing"}).json()["total"] == 0

    assert client.delete(f"/v1/analyses/{stored['id']}").status_code == 204
    check_error(client.get(f"/v1/analyses/{stored['id']}"), 404, "not_found")
    check_error(client.delete(f"/v1/analyses/{stored['id']}"), 404, "not_found")


def test_store_a_given_analysis_keeps_new_fields(client: TestClient, analyzer: Analyzer) -> None:
    data = analyzer.analyze("A title\nSpineless cowards ran the council.").to_dict()
    data["targets"] = [{"target": "the council", "count": 1, "techniques": []}]
    data["future_field"] = {"kept": True}  # fields of newer schemas are stored as given
    stored = client.post("/v1/analyses", json={"analysis": data}).json()
    assert client.get(f"/v1/analyses/{stored['id']}").json()["analysis"] == data
    check_error(client.post("/v1/analyses", json={"analysis": {"x": 1}}), 422, "invalid_analysis")


def test_list_paging_and_limits(client: TestClient) -> None:
    ids = [
        client.post("/v1/analyses", json={"text": f"Paging test {i}\nSome words here."}).json()[
            "id"
        ]
        for i in range(3)
    ]
    page = client.get("/v1/analyses", params={"query": "paging test", "limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert [i["id"] for i in page["items"]] == ids[::-1][:2] or page["items"][0]["id"] in ids
    rest = client.get("/v1/analyses", params={"query": "paging test", "limit": 2, "offset": 2})
    assert len(rest.json()["items"]) == 1
    like = client.get("/v1/analyses", params={"query": "100%_"}).json()  # LIKE wildcards escaped
    assert like["total"] == 0
    check_error(client.get("/v1/analyses", params={"limit": 0}), 422, "invalid_request")
    check_error(client.get("/v1/analyses", params={"limit": 1000}), 422, "invalid_request")
    check_error(client.get("/v1/analyses", params={"offset": -1}), 422, "invalid_request")


def test_unknown_routes_are_404_json(client: TestClient) -> None:
    check_error(client.get("/v1/nothing"), 404, "not_found")
    check_error(client.get("/v1/analyses/does-not-exist"), 404, "not_found")
    check_error(client.get("/v1/analyses/does-not-exist/report"), 404, "not_found")
    check_error(client.get("/v1/analyze"), 405, "method_not_allowed")


# ---- reports, labels, version, health, page ----


def test_reports(client: TestClient) -> None:
    stored = client.post("/v1/analyses", json={"text": OP_ED}).json()
    response = client.get(f"/v1/analyses/{stored['id']}/report", params={"download": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    assert "sha256-" in response.headers["content-security-policy"]
    assert "Kessford" in response.text and 'src="http' not in response.text
    posted = client.post("/v1/report", json=stored["analysis"])
    assert posted.status_code == 200 and "SlantRender" in posted.text
    check_error(client.post("/v1/report", json={"nope": 1}), 422, "invalid_analysis")
    check_error(
        client.post("/v1/report", content=b"{", headers={"content-type": "application/json"}),
        400,
        "bad_json",
    )


def test_labels(client: TestClient) -> None:
    data = client.get("/v1/labels").json()
    assert [t["name"] for t in data["techniques"]] == list(TECHNIQUES)
    assert [c["name"] for c in data["categories"]] == list(CATEGORIES)
    assert [f["name"] for f in data["frames"]] == list(FRAMES)
    assert [g["name"] for g in data["genres"]] == list(GENRES)
    assert all(t["definition"] and t["category"] in CATEGORIES for t in data["techniques"])


def test_version_health_page_docs(client: TestClient, analyzer: Analyzer) -> None:
    version = client.get("/v1/version").json()
    assert version["model"] == {"name": analyzer.model.name, "version": analyzer.model.version}
    assert version["features"] == {"url_fetch": False, "auth": False}
    assert client.get("/healthz").json()["status"] == "ok"
    page = client.get("/")
    assert page.status_code == 200 and "render.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/a/anything").text == page.text  # permalinks open the same page
    for asset in ("render.js", "app.js", "style.css", "docs.js", "favicon.svg"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/analyze", "/v1/analyses", "/v1/analyses/{analysis_id}", "/v1/labels",
            "/v1/version", "/v1/analyze-url", "/healthz"} <= set(spec["paths"])  # fmt: skip
    texts = [client.get(f"/static/{a}").text for a in ("render.js", "app.js", "style.css")]
    external = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//""")
    assert not any(external.search(t) for t in [*texts, page.text])  # no CDN: works offline


def test_url_fetch_is_off_by_default(client: TestClient) -> None:
    response = client.post("/v1/analyze-url", json={"url": "https://example.org/"})
    check_error(response, 403, "url_fetch_disabled")


def test_url_fetch_refuses_private_addresses_when_on(analyzer: Analyzer, tmp_path: Path) -> None:
    with TestClient(make_app(analyzer, tmp_path / "u.db", enable_url_fetch=True)) as c:
        assert c.get("/v1/version").json()["features"]["url_fetch"] is True
        for url in (
            "http://127.0.0.1:8000/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://localhost/",
            "file:///etc/passwd",
        ):
            check_error(c.post("/v1/analyze-url", json={"url": url}), 403, "url_refused")


# ---- token ----


def test_token_guards_every_v1_route(secured: TestClient) -> None:
    routes = [
        ("post", "/v1/analyze"),
        ("post", "/v1/analyses"),
        ("get", "/v1/analyses"),
        ("get", "/v1/analyses/x"),
        ("delete", "/v1/analyses/x"),
        ("get", "/v1/analyses/x/report"),
        ("post", "/v1/report"),
        ("get", "/v1/labels"),
        ("get", "/v1/version"),
        ("post", "/v1/analyze-url"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            response = secured.request(method, path, headers=headers, json={"text": OP_ED})
            body = check_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer", (path, body)
    ok = {"Authorization": "Bearer s3cret"}
    assert secured.get("/v1/labels", headers=ok).status_code == 200
    assert secured.post("/v1/analyze", headers=ok, json={"text": OP_ED}).status_code == 200
    assert secured.get("/v1/version", headers=ok).json()["features"]["auth"] is True
    assert secured.get("/healthz").status_code == 200  # health and the page stay open
    assert secured.get("/").status_code == 200


# ---- limits: busy and timeout ----


def test_timeout_is_504(analyzer: Analyzer, tmp_path: Path, monkeypatch) -> None:
    import time as _time

    slow = type(analyzer)(analyzer.model, analyzer.encoder)
    original = slow.analyze_each

    def sleepy(*args, **kwargs):
        _time.sleep(0.6)
        return original(*args, **kwargs)

    monkeypatch.setattr(slow, "analyze_each", sleepy)
    app = make_app(slow, tmp_path / "t2.db", timeout=0.2)
    with TestClient(app) as c:
        check_error(c.post("/v1/analyze", json={"text": OP_ED}), 504, "timeout")


def test_an_accurate_service_says_so(
    accurate_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import use_fake_e5

    use_fake_e5(monkeypatch)
    app = make_app(Analyzer(accurate_model, accurate=True), tmp_path / "accurate.db")
    with TestClient(app) as c:
        version = c.get("/v1/version").json()
        assert version["mode"] == "accurate" and version["fast"] is False
        data = c.post("/v1/analyze", json={"text": OP_ED}).json()
    assert data["model"]["mode"] == "accurate"
