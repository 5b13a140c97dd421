"""Fetch an article by URL without letting the server be used against its own network (SSRF).

Every hop (the first URL and each redirect) is resolved once; the request is refused unless every
address the name resolves to is a public unicast address, and the connection goes to exactly the
address that was checked (so a second, different DNS answer cannot slip in a private address).
The body is capped in size and the whole fetch in time.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from slant.errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services that are not already caught as private or link-local.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog"})
MAX_REDIRECTS = 5


class FetchRefused(InputError):
    """The URL points somewhere the server will not fetch from."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


def address_problem(ip: IPAddress) -> str | None:
    """Why the server must not connect to ``ip`` (None when it is a public unicast address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (problem := address_problem(embedded)):
            return problem
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private or reserved address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(host, f"cannot resolve host name ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, resolver: Resolver = system_resolver) -> tuple[str, int, IPAddress]:
    """Validate a URL and resolve it; returns ``(host, port, address to connect to)``.

    Raises ``FetchRefused`` for anything but http(s) to a public address.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(url, "only http and https URLs can be fetched")
    if parts.username or parts.password:
        raise FetchRefused(url, "URLs with credentials are not fetched")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise FetchRefused(url, "the URL has no host")
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise FetchRefused(url, f"{host} is not a public host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(url, "the URL has an invalid port") from None
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    candidates = [str(literal)] if literal else resolver(host, port)
    if not candidates:
        raise InputError(url, "the host name resolves to no address")
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in candidates]
    for ip in addresses:  # one bad answer refuses the host: DNS could pick it on any connect
        if problem := address_problem(ip):
            raise FetchRefused(url, f"{host} resolves to {ip}, {problem}")
    return host, port, addresses[0]


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    resolver: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET ``url`` (following up to five redirects, each checked) with size and time caps."""
    deadline = time.monotonic() + timeout
    with httpx.Client(transport=transport, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host, port, ip = check_url(url, resolver)
            parts = urlsplit(url)
            netloc = f"[{ip}]" if ip.version == 6 else str(ip)
            pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
            left = deadline - time.monotonic()
            if left <= 0:
                raise InputError(url, f"fetching took longer than {timeout:g} s")
            headers = {
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "User-Agent": "slant (+https://github.com/) article fetcher",
                "Accept": "text/html, text/plain;q=0.9, */*;q=0.1",
            }
            try:
                with client.stream(
                    "GET",
                    pinned,
                    headers=headers,
                    timeout=httpx.Timeout(left),
                    extensions={"sni_hostname": host},
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise InputError(url, "redirect without a Location header")
                        url = urljoin(url, location)
                        continue
                    if response.status_code >= 400:
                        raise InputError(url, f"the server answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise InputError(url, f"too large ({int(declared):,} bytes)")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise InputError(url, f"too large (over {max_bytes:,} bytes)")
                        if time.monotonic() > deadline:
                            raise InputError(url, f"fetching took longer than {timeout:g} s")
                    return Fetched(url, response.headers.get("content-type", ""), bytes(body))
            except httpx.TimeoutException:
                raise InputError(url, f"fetching took longer than {timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise InputError(url, f"could not fetch ({type(exc).__name__}: {exc})") from None
    raise InputError(url, f"more than {MAX_REDIRECTS} redirects")
