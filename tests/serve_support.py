"""Helpers shared by the tests of ``slant serve``: an app on a temporary database, a live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="slant serve needs the 'serve' extra")

import uvicorn
from conftest import REPO_ROOT

from slant import Analyzer
from slant.serve import Settings, create_app

OP_ED = (REPO_ROOT / "examples" / "op-ed.txt").read_text(encoding="utf-8")
KNOWN_TECHNIQUE = "Loaded_Language"  # the tiny model finds it in every op-ed paragraph


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_app(analyzer: Analyzer, database: Path, **settings: object):
    return create_app(
        Settings(database_url=sqlite_url(database), **settings),  # type: ignore[arg-type]
        analyzer=analyzer,
    )


@contextmanager
def live_server(app: object) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
