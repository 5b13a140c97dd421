"""Load test of `slant serve`: N concurrent clients for T seconds against 127.0.0.1.

    flock /tmp/slant-bench.lock python bench/load.py                  # 50 clients, 60 s
    flock /tmp/slant-bench.lock python bench/load.py --record         # append to docs/benchmarks.md
    python bench/load.py --clients 10 --duration 10 --model my-model   # a quick look

The script starts `slant serve` itself (a fresh SQLite database in a temporary folder), waits for
/healthz, then runs the clients: each one loops, sending `POST /v1/analyze` with the example column
(examples/op-ed.txt, 15 paragraphs) and, every tenth request, `POST /v1/analyses` followed by
`GET /v1/analyses/{id}` and `GET /v1/analyses?query=`. It reports requests/s, latency percentiles,
errors (anything but 2xx, and transport errors) and the server's resident memory (RSS from
/proc, sampled every 0.5 s) at the start, the peak and the end. Clients and server share the
machine, so the figures are for both together.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "examples" / "op-ed.txt").read_text(encoding="utf-8")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def ok(self, route: str, seconds: float) -> None:
        self.latencies.setdefault(route, []).append(seconds)

    def fail(self, route: str, what: str) -> None:
        self.errors[route] = self.errors.get(route, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(f"{route}: {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def timed(client: httpx.AsyncClient, tally: Tally, route: str, method: str, url: str,
                **kwargs) -> httpx.Response | None:  # fmt: skip
    start = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        tally.fail(route, f"{type(exc).__name__}: {exc}")
        return None
    if response.is_success:
        tally.ok(route, time.perf_counter() - start)
    else:
        tally.fail(route, f"HTTP {response.status_code} {response.text[:120]}")
    return response


async def client_loop(client: httpx.AsyncClient, tally: Tally, stop_at: float, n: int) -> None:
    count = 0
    while time.monotonic() < stop_at:
        count += 1
        if (count + n) % 10 == 0:
            stored = await timed(client, tally, "POST /v1/analyses", "POST", "/v1/analyses",
                                 json={"text": ARTICLE})  # fmt: skip
            if stored is not None and stored.status_code == 201:
                await timed(client, tally, "GET /v1/analyses/{id}", "GET",
                            f"/v1/analyses/{stored.json()['id']}")  # fmt: skip
                await timed(client, tally, "GET /v1/analyses?query=", "GET", "/v1/analyses",
                            params={"query": "kessford", "limit": 20})  # fmt: skip
        else:
            await timed(client, tally, "POST /v1/analyze", "POST", "/v1/analyze",
                        json={"text": ARTICLE})  # fmt: skip


async def sample_rss(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_load(base: str, pid: int, clients: int, duration: float, timeout: float):
    tally = Tally()
    samples: list[float] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        sampler = asyncio.create_task(sample_rss(pid, samples, stop))
        start = time.monotonic()
        stop_at = start + duration
        await asyncio.gather(*(client_loop(client, tally, stop_at, i) for i in range(clients)))
        elapsed = time.monotonic() - start
        stop.set()
        await sampler
    return tally, samples, elapsed


def start_server(args: argparse.Namespace, port: int, db: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "slant.cli", "serve", "--port", str(port),
               "--database-url", f"sqlite:///{db}", "--log-level", "warning",
               "--workers", str(args.workers), "--timeout", str(args.server_timeout)]  # fmt: skip
    if args.model:
        command += ["--model", args.model]
    if args.fast:
        command.append("--fast")
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True)


def wait_ready(base: str, server: subprocess.Popen, limit: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if server.poll() is not None:
            raise SystemExit(f"slant serve exited with {server.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("slant serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="slant serve --workers")
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--fast", action="store_true", help="slant serve --fast")
    parser.add_argument("--timeout", type=float, default=180, help="client timeout (s)")
    parser.add_argument(
        "--server-timeout",
        type=float,
        default=120,
        help="slant serve --timeout: 50 clients that never pause keep a queue, so a request "
        "waits for the ones before it (default 120 s; the server's own default is 30 s)",
    )
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(args, port, Path(tmp) / "load.db")
        try:
            ready = wait_ready(base, server)
            warm = httpx.post(base + "/v1/analyze", json={"text": ARTICLE}, timeout=60)
            warm.raise_for_status()  # loads the encoder lazily: not part of the measurement
            model = httpx.get(base + "/v1/version").json()["model"]
            load_before = os.getloadavg()[0]
            tally, samples, elapsed = asyncio.run(
                run_load(base, server.pid, args.clients, args.duration, args.timeout)
            )
            rss_end = rss_mb(server.pid)
            load_after = os.getloadavg()[0]
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(20)

    everything = [x for values in tally.latencies.values() for x in values]
    total_ok = len(everything)
    total_err = sum(tally.errors.values())
    rate = (total_ok + total_err) / elapsed
    rows = []
    for route in sorted(set(tally.latencies) | set(tally.errors)):
        values = tally.latencies.get(route, [])
        rows.append((route, len(values), tally.errors.get(route, 0), len(values) / elapsed,
                     percentile(values, 0.5), percentile(values, 0.99)))  # fmt: skip
    analyze = tally.latencies.get("POST /v1/analyze", [])
    print(f"server ready in {ready:.1f} s; model {model['name']} {model['version']}")
    print(f"1-minute load average: {load_before:.1f} before, {load_after:.1f} after")
    print(f"{args.clients} clients, {elapsed:.1f} s: {total_ok + total_err} requests "
          f"({rate:.1f}/s), {total_err} errors")  # fmt: skip
    for route, n, errors, per_s, p50, p99 in rows:
        print(f"  {route:26s} {n:6d} ok {errors:4d} err {per_s:7.2f}/s "
              f"p50 {p50 * 1000:7.0f} ms  p99 {p99 * 1000:7.0f} ms")  # fmt: skip
    print(
        f"server RSS: start {samples[0]:.0f} MB, peak {max(samples):.0f} MB, end {rss_end:.0f} MB"
    )
    for example in tally.examples:
        print("  error:", example)
    if analyze:
        print(f"analyze mean {statistics.mean(analyze) * 1000:.0f} ms")

    if args.record:
        cpu = platform.processor() or platform.machine()
        lines = [
            f"\n### Load: `slant serve`, {args.clients} clients for {args.duration:g} s"
            + (" (--fast)" if args.fast else ""),
            "",
            f"- date: {dt.date.today().isoformat()}; machine: {platform.machine()} ({cpu}), "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; clients and server "
            "on the same machine",
            "- command: `flock /tmp/slant-bench.lock python bench/load.py"
            + (f" --clients {args.clients}" if args.clients != 50 else "")
            + (f" --duration {args.duration:g}" if args.duration != 60 else "")
            + (" --fast" if args.fast else "")
            + (f" --model {args.model}" if args.model else "")
            + (f" --server-timeout {args.server_timeout:g}" if args.server_timeout != 120 else "")
            + " --record`",
            f"- 1-minute load average {load_before:.1f} before, {load_after:.1f} after (other "
            "jobs were running on the machine)",
            f"- server: `slant serve --workers {args.workers} --timeout {args.server_timeout:g}`, "
            f"model {model['name']} "
            f"{model['version']}, SQLite; 9 in 10 requests `POST /v1/analyze` of "
            "examples/op-ed.txt (15 paragraphs), 1 in 10 stores it and reads it back and lists",
            "",
            "| route | ok | errors | req/s | p50 (ms) | p99 (ms) |",
            "|---|---|---|---|---|---|",
        ]
        for route, n, errors, per_s, p50, p99 in rows:
            lines.append(f"| {route} | {n} | {errors} | {per_s:.2f} | {p50 * 1000:.0f} | "
                         f"{p99 * 1000:.0f} |")  # fmt: skip
        p50_all, p99_all = percentile(everything, 0.5), percentile(everything, 0.99)
        lines.append(
            f"| **all** | {total_ok} | {total_err} | {rate:.2f} | {p50_all * 1000:.0f} | "
            f"{p99_all * 1000:.0f} |"
        )
        lines += [
            "",
            f"Server RSS: {samples[0]:.0f} MB at the start of the load, peak "
            f"{max(samples):.0f} MB, {rss_end:.0f} MB at the end.",
            "",
        ]
        with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        print("recorded in docs/benchmarks.md")


if __name__ == "__main__":
    main()
