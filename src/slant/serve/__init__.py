"""``slant serve``: REST API and web page (the ``serve`` extra: FastAPI, SQLAlchemy, ...)."""

from __future__ import annotations

from slant.serve.app import Settings, create_app

__all__ = ["Settings", "create_app"]
