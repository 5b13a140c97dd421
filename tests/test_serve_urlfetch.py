"""SSRF defences of POST /v1/analyze-url, tested without any network access."""

from __future__ import annotations

import ipaddress

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi", reason="slant serve needs the 'serve' extra")

from slant.errors import InputError  # noqa: E402
from slant.serve.urlfetch import FetchRefused, address_problem, check_url, fetch  # noqa: E402

PUBLIC = "93.184.215.14"


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fc00::1",
        "169.254.169.254", "169.254.1.1", "fe80::1", "100.100.100.200", "100.64.0.1",
        "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::1",
        "192.0.2.1", "198.18.0.1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x", "file:///etc/passwd", "gopher://x", "http://localhost/",
        "http://LOCALHOST./", "http://x.localhost/", "http://metadata.google.internal/",
        "http://user:pw@example.org/", "http://127.0.0.1/", "http://[::1]:8080/",
        "http://2130706433/", "http:///nohost",
    ],
)  # fmt: skip
def test_bad_urls_are_refused(url: str) -> None:
    table = {"2130706433": ["127.0.0.1"], "example.org": [PUBLIC]}
    with pytest.raises(InputError):
        check_url(url, resolver(table))


def test_dns_names_are_checked_after_resolution() -> None:
    table = {
        "rebind.example": ["127.0.0.1"],
        "mixed.example": [PUBLIC, "10.0.0.7"],  # one private answer is enough to refuse
        "ok.example": [PUBLIC],
    }
    with pytest.raises(FetchRefused, match="loopback"):
        check_url("http://rebind.example/", resolver(table))
    with pytest.raises(FetchRefused, match="private"):
        check_url("https://mixed.example/a", resolver(table))
    host, port, ip = check_url("https://ok.example/a", resolver(table))
    assert (host, port, str(ip)) == ("ok.example", 443, PUBLIC)


def fake_transport(pages: dict[str, httpx.Response], seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = f"{request.headers['host']}{request.url.path}"
        return pages[key]

    return httpx.MockTransport(handler)


def test_fetch_connects_to_the_checked_address_and_follows_safe_redirects() -> None:
    seen: list[httpx.Request] = []
    pages = {
        "news.example/a": httpx.Response(302, headers={"location": "https://cdn.example/b"}),
        "cdn.example/b": httpx.Response(
            200, text="<html><p>Hello</p></html>", headers={"content-type": "text/html"}
        ),
    }
    table = {"news.example": [PUBLIC], "cdn.example": ["8.8.8.8"]}
    page = fetch(
        "http://news.example/a",
        max_bytes=10_000,
        timeout=5,
        resolver=resolver(table),
        transport=fake_transport(pages, seen),
    )
    assert page.url == "https://cdn.example/b" and b"Hello" in page.body
    assert [r.url.host for r in seen] == [PUBLIC, "8.8.8.8"]  # pinned: no second DNS lookup
    assert seen[1].extensions["sni_hostname"] == "cdn.example"


def test_a_redirect_to_a_private_address_is_refused() -> None:
    pages = {
        "news.example/a": httpx.Response(
            301, headers={"location": "http://169.254.169.254/latest/meta-data/"}
        )
    }
    with pytest.raises(FetchRefused, match="metadata"):
        fetch(
            "http://news.example/a",
            max_bytes=10_000,
            timeout=5,
            resolver=resolver({"news.example": [PUBLIC]}),
            transport=fake_transport(pages, []),
        )
    loop = {"news.example/a": httpx.Response(302, headers={"location": "/a"})}
    with pytest.raises(InputError, match="redirects"):
        fetch(
            "http://news.example/a",
            max_bytes=10_000,
            timeout=5,
            resolver=resolver({"news.example": [PUBLIC]}),
            transport=fake_transport(loop, []),
        )


def test_size_cap() -> None:
    pages = {"big.example/": httpx.Response(200, content=b"x" * 50_000)}
    with pytest.raises(InputError, match="too large"):
        fetch(
            "http://big.example/",
            max_bytes=10_000,
            timeout=5,
            resolver=resolver({"big.example": [PUBLIC]}),
            transport=fake_transport(pages, []),
        )


def test_upstream_errors_are_reported() -> None:
    pages = {"gone.example/": httpx.Response(404)}
    with pytest.raises(InputError, match="HTTP 404"):
        fetch(
            "http://gone.example/",
            max_bytes=10_000,
            timeout=5,
            resolver=resolver({"gone.example": [PUBLIC]}),
            transport=fake_transport(pages, []),
        )
