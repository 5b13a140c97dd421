"""The HTTP service: REST API under /v1, the web page, and an offline API reference at /docs.

One ``Analyzer`` per process; blocking work (analysis, HTML extraction, URL fetching) runs in
the bounded ``Engine``; storage calls run in FastAPI's thread pool.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from slant import __version__
from slant.analyzer import Analyzer
from slant.doc import SCHEMA_VERSION, Analysis
from slant.errors import InputError
from slant.html_report import WEB, asset, build_report, label_catalog, report_csp
from slant.ingest import HTML_SUFFIXES, TEXT_SUFFIXES, Source, from_bytes, html_to_text
from slant.serve.batcher import Batcher
from slant.serve.engine import Busy, Deadline, Engine
from slant.serve.limits import BodyLimit, SecurityHeaders
from slant.serve.urlfetch import FetchRefused, fetch
from slant.store import Store

LANGUAGE_PATTERN = r"^[a-z]{2,3}$"


@dataclass
class Settings:
    """Everything ``slant serve`` can configure (see ``slant serve --help``)."""

    model: str | None = None
    fast: bool = False
    accurate: bool = False
    database_url: str | None = None
    token: str | None = None
    max_body: int = 2_000_000
    timeout: float = 30.0
    workers: int = 2
    max_batch: int = 16
    max_queue: int = 256
    enable_url_fetch: bool = False
    url_max_bytes: int = 2_000_000
    url_timeout: float = 10.0


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": ...}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class ArticleIn(BaseModel):
    """An article to analyse: exactly one of ``text`` or ``html``."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, description="Plain text: title on the first line.")
    html: str | None = Field(None, description="An HTML page; its main text is extracted.")
    language: str | None = Field(
        None, pattern=LANGUAGE_PATTERN, description="ISO 639-1 code; detected when omitted."
    )
    source: str | None = Field(None, max_length=500, description="A name for where it came from.")

    @model_validator(mode="after")
    def _one_input(self) -> ArticleIn:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of 'text' or 'html'")
        return self


class StoreIn(BaseModel):
    """What to store: an article to analyse, or an analysis already made (``analysis``)."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    html: str | None = None
    language: str | None = Field(None, pattern=LANGUAGE_PATTERN)
    source: str | None = Field(None, max_length=500)
    analysis: dict[str, Any] | None = Field(
        None, description="The JSON of a previous analysis, stored as it is."
    )

    @model_validator(mode="after")
    def _one_input(self) -> StoreIn:
        given = [x for x in (self.text, self.html, self.analysis) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'text', 'html' or 'analysis'")
        return self


class UrlIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(..., max_length=2000)
    language: str | None = Field(None, pattern=LANGUAGE_PATTERN)


ARTICLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ArticleIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "language": {"type": "string"},
                    },
                }
            },
            "text/plain": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
}
STORE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            **ARTICLE_BODY["requestBody"]["content"],
            "application/json": {"schema": {"$ref": "#/components/schemas/StoreIn"}},
        },
    }
}


def _json_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse({"error": code, "message": message, **extra}, status, headers=headers)


def create_app(
    settings: Settings | None = None,
    *,
    analyzer: Analyzer | None = None,
    store: Store | None = None,
) -> FastAPI:
    """Build the service; the model and the database are opened here, once."""
    settings = settings or Settings()
    analyzer = analyzer or Analyzer(settings.model, fast=settings.fast, accurate=settings.accurate)
    store = store or Store(settings.database_url)
    engine = Engine(settings.workers, settings.max_queue, settings.timeout)  # ingest, fetch
    batcher = Batcher(
        analyzer,
        workers=settings.workers,
        max_batch=settings.max_batch,
        max_queue=settings.max_queue,
        timeout=settings.timeout,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.shutdown()
        batcher.shutdown()
        store.close()

    app = FastAPI(
        title="slant",
        version=__version__,
        summary="How does this article try to persuade? Genre, frames and persuasion techniques.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.analyzer = analyzer
    app.state.store = store
    app.state.engine = engine
    app.state.batcher = batcher

    # ---- errors: always JSON {"error", "message"} ----
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _json_error(exc.status, exc.code, exc.message, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return _json_error(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _plain_errors(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return _json_error(400, "bad_json", "the request body is not valid JSON")
        return _json_error(422, "invalid_request", _summary(errors), details=errors)

    # ---- auth for /v1 ----
    def require_token(request: Request) -> None:
        if not settings.token:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            given.strip().encode(), settings.token.encode()
        ):
            raise ApiError(
                401,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    async def run(fn: Callable[[], Any], source: bool = False) -> Any:
        """Run blocking ``fn`` in the engine (or, with ``source``, analyse the Source it makes)."""
        try:
            result = await engine.run(fn)
            return await batcher.analyze(*result) if source else result
        except Busy:
            raise ApiError(
                503, "busy", "the server is busy; retry shortly", headers={"Retry-After": "2"}
            ) from None
        except Deadline:
            raise ApiError(
                504, "timeout", f"the analysis took longer than {settings.timeout:g} s"
            ) from None
        except InputError as exc:
            raise ApiError(422, "invalid_input", exc.problem) from None

    async def read_article(request: Request, model: type[BaseModel]) -> tuple[BaseModel, Any]:
        """Parse a JSON, multipart (``file``) or raw text/html body into ``model``."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=8, max_part_size=settings.max_body)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(400, "bad_request", "upload the article in a form field 'file'")
            name = PurePath(upload.filename or "upload.txt").name
            suffix = PurePath(name).suffix.lower()
            if suffix not in TEXT_SUFFIXES + HTML_SUFFIXES:
                raise ApiError(415, "unsupported_file", "upload a .txt or .html file")
            data = await upload.read()
            field = form.get("language")
            language = field if isinstance(field, str) and field else None
            try:
                parsed = model.model_validate({"text": "", "language": language})
            except ValidationError as exc:
                raise RequestValidationError(exc.errors()) from None
            return parsed, ("bytes", data, name, suffix in HTML_SUFFIXES)
        raw = await request.body()
        if kind in ("text/plain", "text/html"):  # a raw body; ?language= may name its language
            try:
                parsed = model.model_validate(
                    {"text": "", "language": request.query_params.get("language") or None}
                )
            except ValidationError as exc:
                raise RequestValidationError(exc.errors()) from None
            return parsed, ("bytes", raw, "<upload>", kind == "text/html")
        if kind not in ("", "application/json") and not kind.endswith("+json"):
            raise ApiError(
                415,
                "unsupported_media_type",
                "send JSON, multipart/form-data (field 'file'), text/plain or text/html",
            )
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", "the request body must be a JSON object")
        try:
            return model.model_validate(data), None
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None

    async def analyse_request(request: Request, model: type[BaseModel]) -> tuple[Any, BaseModel]:
        body, raw = await read_article(request, model)
        language = getattr(body, "language", None)
        if raw is not None:
            _, data, name, is_html = raw

            def job() -> tuple[Source, str | None]:
                return from_bytes(data, name, html=is_html, max_bytes=settings.max_body), language

            return await run(job, source=True), body
        if getattr(body, "analysis", None) is not None:
            return None, body
        name = getattr(body, "source", None) or "<text>"
        text, html = getattr(body, "text", None), getattr(body, "html", None)

        def job() -> tuple[Source, str | None]:
            src = Source(name, text) if text is not None else html_to_text(html or "", name)
            return src, language

        return await run(job, source=True), body

    @v1.post(
        "/analyze",
        summary="Analyse an article",
        description='JSON `{"text": ...}` or `{"html": ...}`, a multipart upload (field '
        "`file`, a .txt or .html file), or a raw text/plain or text/html body. Returns the "
        "same JSON as `slant analyze --format json` (docs/json-schema.md).",
        openapi_extra=ARTICLE_BODY,
    )
    async def analyze(request: Request) -> dict[str, Any]:
        result, _ = await analyse_request(request, ArticleIn)
        return result.to_dict()

    @v1.post(
        "/analyze-url",
        summary="Fetch a URL and analyse it (off unless the server runs with --enable-url-fetch)",
        description="Refuses loopback, private, link-local, multicast and cloud-metadata "
        "addresses, also after redirects and DNS resolution; caps size and time.",
    )
    async def analyze_url(body: UrlIn) -> dict[str, Any]:
        if not settings.enable_url_fetch:
            raise ApiError(
                403,
                "url_fetch_disabled",
                "fetching URLs is disabled on this server (start it with --enable-url-fetch)",
            )

        def job() -> tuple[Source, str | None]:
            try:
                page = fetch(
                    body.url, max_bytes=settings.url_max_bytes, timeout=settings.url_timeout
                )
            except FetchRefused as exc:
                raise ApiError(403, "url_refused", exc.problem) from None
            except InputError as exc:
                raise ApiError(502, "fetch_failed", exc.problem) from None
            is_html = "html" in page.content_type.lower() or not page.content_type
            src = from_bytes(page.body, page.url, html=is_html, max_bytes=settings.url_max_bytes)
            return src, body.language

        result = await run(job, source=True)
        return result.to_dict()

    @v1.post(
        "/analyses",
        status_code=201,
        summary="Store an analysis",
        description="Analyses an article (same inputs as /v1/analyze) or stores the JSON of an "
        'analysis given as `{"analysis": {...}}`; returns its id and permalink.',
        openapi_extra=STORE_BODY,
    )
    async def create_analysis(request: Request) -> JSONResponse:
        result, body = await analyse_request(request, StoreIn)
        if result is None:
            try:
                data = Analysis.from_dict(body.analysis).to_dict()  # type: ignore[attr-defined]
            except (KeyError, TypeError, ValueError) as exc:
                raise ApiError(
                    422, "invalid_analysis", f"not an analysis in slant's JSON schema ({exc})"
                ) from None
            extra = {k: v for k, v in body.analysis.items() if k not in data}  # type: ignore[attr-defined]
            data.update(extra)  # keep fields of newer schemas (e.g. targets, explanations)
        else:
            data = result.to_dict()
        stored = await _threaded(lambda: store.add(data))
        payload = {**stored.to_dict(), "url": f"/a/{stored.id}"}
        return JSONResponse(payload, 201, headers={"Location": f"/v1/analyses/{stored.id}"})

    @v1.get("/analyses", summary="List stored analyses, newest first")
    def list_analyses(
        query: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        total, items = store.list(query, limit, offset)
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [i.to_dict() for i in items],
        }

    def _get(analysis_id: str) -> Any:
        stored = store.get(analysis_id)
        if stored is None:
            raise ApiError(404, "not_found", f"no stored analysis with id {analysis_id!r}")
        return stored

    @v1.get("/analyses/{analysis_id}", summary="One stored analysis")
    def get_analysis(analysis_id: str) -> dict[str, Any]:
        return _get(analysis_id).to_dict()

    @v1.delete("/analyses/{analysis_id}", status_code=204, summary="Delete a stored analysis")
    def delete_analysis(analysis_id: str) -> Response:
        if not store.delete(analysis_id):
            raise ApiError(404, "not_found", f"no stored analysis with id {analysis_id!r}")
        return Response(status_code=204)

    @v1.get(
        "/analyses/{analysis_id}/report",
        summary="A stored analysis as a self-contained HTML report",
        response_class=HTMLResponse,
    )
    def stored_report(analysis_id: str, download: bool = False) -> HTMLResponse:
        return _report(_get(analysis_id).analysis, download)

    @v1.post(
        "/report",
        summary="Render an analysis (its JSON) as a self-contained HTML report",
        response_class=HTMLResponse,
    )
    async def report(request: Request, download: bool = False) -> HTMLResponse:
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", "the request body must be a JSON object")
        try:
            Analysis.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(
                422, "invalid_analysis", f"not an analysis in slant's JSON schema ({exc})"
            ) from None
        return _report(data, download)

    def _report(data: dict[str, Any], download: bool) -> HTMLResponse:
        headers = {"Content-Security-Policy": report_csp()}
        if download:
            headers["Content-Disposition"] = 'attachment; filename="slant-report.html"'
        return HTMLResponse(build_report(data), headers=headers)

    @v1.get("/labels", summary="Techniques, categories, frames and genres with definitions")
    def labels() -> dict[str, Any]:
        return label_catalog()

    @v1.get("/version", summary="slant and model versions, and what this server allows")
    def version() -> dict[str, Any]:
        model = analyzer.model
        return {
            "slant": __version__,
            "schema_version": SCHEMA_VERSION,
            "model": {"name": model.name, "version": model.version},
            "fast": analyzer.fast,
            "mode": analyzer.mode,
            "features": {"url_fetch": settings.enable_url_fetch, "auth": bool(settings.token)},
            "limits": {
                "max_body": settings.max_body,
                "timeout_s": settings.timeout,
                "workers": batcher.workers,
                "max_batch": batcher.max_batch,
                "max_queue": batcher.max_queue,
            },
        }

    app.include_router(v1)

    @app.get("/healthz", summary="Liveness: 200 when the model is loaded", tags=["health"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "in_flight": batcher.in_flight + engine.in_flight}

    page = asset("index.html")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/a/{analysis_id}", include_in_schema=False)
    def permalink(analysis_id: str) -> HTMLResponse:
        return HTMLResponse(page)  # the page fetches the analysis (and asks for a token if needed)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(asset("docs.html"))

    app.mount("/static", StaticFiles(directory=str(WEB)), name="static")

    app.add_middleware(BodyLimit, max_bytes=settings.max_body)
    app.add_middleware(SecurityHeaders)
    return app


async def _threaded(fn: Callable[[], Any]) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)


def _plain_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append(
            {
                "type": str(e.get("type")),
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg")),
            }
        )
    return out


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:3]:
        where = ".".join(x for x in e["loc"] if x != "body")
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts) or "invalid request"
