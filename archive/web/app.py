"""The curator web app: gallery, detail pages, curator actions, JSON API (FastAPI + Jinja2)."""

import logging
import math
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from dreamdraw.archive.blobs import is_sha256
from dreamdraw.archive.errors import ArchiveError, BlobUnavailable, RecordNotFound
from dreamdraw.archive.export import export_records, stream_csv, stream_jsonl
from dreamdraw.archive.record import CLUSTERS, PLOT_STATUSES, Record
from dreamdraw.archive.schema import MAX_RECORD_ID
from dreamdraw.archive.store import Archive, RecordFilter
from dreamdraw.archive.web.presentation import evidence_rows, figure_views
from dreamdraw.archive.web.session import COOKIE_NAME, SessionCodec, new_csrf_token
from dreamdraw.archive.web.throttle import LoginThrottle
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

__all__ = ["RecordOut", "RecordPage", "create_app"]

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)
_PAGE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver"}
# Stored files are shown as images only; as documents they may run nothing.
_BLOB_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


# Every number the app takes has bounds: out of them is 422, never a database error.
RecordId = Annotated[
    int, FastAPIPath(ge=1, le=MAX_RECORD_ID, description="record id (1 to 2^31 - 1)")
]
PageNumber = Annotated[int, Query(ge=1, le=MAX_RECORD_ID, description="page, from 1")]


class RecordOut(BaseModel):
    """A record as the JSON API shows it; image URLs are relative to the app."""

    id: int
    created_at: datetime
    venue: str
    language: str
    dream: str
    english: str
    clip_score: float | None
    cluster: str | None
    cluster_confidence: float | None
    cluster_rationale: str
    cluster_evidence: dict[str, Any]
    label: str | None
    hidden: bool
    plot_status: str
    images: dict[str, str]
    analysis: dict[str, Any] | None = None
    drawing: dict[str, Any] | None = None


class RecordPage(BaseModel):
    """One page of records, newest first."""

    total: int
    page: int
    per_page: int
    records: list[RecordOut]


def _record_out(record: Record, *, full: bool) -> RecordOut:
    assert record.id is not None
    return RecordOut(
        id=record.id,
        created_at=record.created_at,
        venue=record.venue,
        language=record.language,
        dream=record.dream,
        english=record.english,
        clip_score=record.clip_score,
        cluster=record.cluster,
        cluster_confidence=record.cluster_confidence,
        cluster_rationale=record.cluster_rationale,
        cluster_evidence=record.cluster_evidence,
        label=record.label,
        hidden=record.hidden,
        plot_status=record.plot_status,
        images={role: f"/blobs/{sha}" for role, sha in record.blobs.items() if role != "audio"},
        analysis=record.analysis if full else None,
        drawing=record.drawing if full else None,
    )


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"dates are YYYY-MM-DD, not {value!r}") from None
    if end:
        if day == date.max:
            return None  # nothing is archived after the last day of the calendar
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=UTC)


class FilterParams:
    """The gallery's and the API's query parameters (blank values do not filter)."""

    def __init__(
        self,
        q: Annotated[str | None, Query(description="words of the dream (prefixes)")] = None,
        cluster: Annotated[str | None, Query(description="automatic cluster id")] = None,
        label: Annotated[str | None, Query(description="curator label (cluster id)")] = None,
        venue: str | None = None,
        language: Annotated[str | None, Query(description="ISO 639-1 code, e.g. 'de'")] = None,
        since: Annotated[str | None, Query(description="first day, YYYY-MM-DD (UTC)")] = None,
        until: Annotated[str | None, Query(description="last day, YYYY-MM-DD (UTC)")] = None,
    ) -> None:
        self.values = {
            "q": _blank_to_none(q),
            "cluster": _blank_to_none(cluster),
            "label": _blank_to_none(label),
            "venue": _blank_to_none(venue),
            "language": _blank_to_none(language),
            "since": _blank_to_none(since),
            "until": _blank_to_none(until),
        }
        for key in ("cluster", "label"):
            if self.values[key] not in (None, *CLUSTERS):
                raise HTTPException(400, f"unknown {key}; use one of {', '.join(CLUSTERS)}")

    def record_filter(self, *, curator: bool) -> RecordFilter:
        v = self.values
        return RecordFilter(
            cluster=v["cluster"],
            label=v["label"],
            venue=v["venue"],
            language=v["language"],
            since=_day(v["since"]),
            until=_day(v["until"], end=True),
            text=v["q"],
            include_hidden=curator,
            public_only=not curator,
        )

    def query(self, **extra: Any) -> str:
        """The query string of these filters (plus `extra`), for links that keep them."""
        items = {k: v for k, v in self.values.items() if v is not None}
        items.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(items)


def create_app(
    archive: Archive,
    *,
    public: bool = False,
    secret: str | None = None,
    login_throttle: LoginThrottle | None = None,
) -> FastAPI:
    """The web app over `archive`.

    `public=True` is read-only: no login, no curator routes (they answer 403), hidden
    records and records without public consent never shown. `secret` signs session
    cookies (default: `archive.settings.session_secret`, else a key for this process).
    `login_throttle` slows down password guessing (default: a new one for this app).
    """
    settings = archive.settings
    codec = SessionCodec(
        secret or settings.session_secret or secrets.token_urlsafe(48), settings.session_max_age_s
    )
    throttle = login_throttle or LoginThrottle()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(clusters=CLUSTERS, public=public)
    app = FastAPI(
        title="dreamdraw archive",
        description="Dream-drawing pairs of the dreamdraw installation.",
        version="1",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        session = {} if public else codec.loads(request.cookies.get(COOKIE_NAME))
        fresh = not public and "csrf" not in session
        if fresh:
            session = {"csrf": new_csrf_token()}
        request.state.curator = None
        token = session.get("sid")
        if isinstance(token, str):
            # The cookie only names the session; the database says whether it still lives.
            try:
                request.state.curator = await run_in_threadpool(archive.session_curator, token)
            except DBAPIError as exc:
                # Fail closed, and keep the cookie: the session may live once the database does.
                log.error("archive database error while reading a session: %s", exc.orig)
                token = None
            if token is not None and request.state.curator is None:
                session = {"csrf": new_csrf_token()}
                fresh = True
        request.state.session = session
        request.state.session_changed = fresh
        response = await call_next(request)
        if request.state.session_changed:
            response.set_cookie(
                COOKIE_NAME,
                codec.dumps(request.state.session),
                max_age=settings.session_max_age_s,
                httponly=True,
                secure=settings.secure_cookies,
                samesite="strict",
                path="/",
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", _PAGE_CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.startswith("/blobs/"):
            return await http_exception_handler(request, exc)
        return templates.TemplateResponse(
            request,
            "error.html",
            _context(request, status=exc.status_code, message=str(exc.detail)),
            status_code=exc.status_code,
        )

    @app.exception_handler(ArchiveError)
    async def _archive_error(request: Request, exc: ArchiveError) -> Response:
        if isinstance(exc, BlobUnavailable):
            # The operator's message names server folders: it goes to the log, not the page.
            log.warning("%s", exc)
            message = "this file is missing or damaged in the archive"
            return await _http_error(request, HTTPException(404, message))
        status = 404 if isinstance(exc, RecordNotFound) else 400
        return await _http_error(request, HTTPException(status, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{error['loc'][-1]}: {error['msg']}".replace("record_id", "record id")
            for error in exc.errors()
        )
        return await _http_error(request, HTTPException(422, problems))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        log.error("archive database error: %s", exc.orig)
        message = "the archive database cannot be read just now; the server log says why"
        return await _http_error(request, HTTPException(503, message))

    def _curator(request: Request) -> str | None:
        return None if public else request.state.curator

    def _context(request: Request, **values: Any) -> dict[str, Any]:
        return {
            "curator": _curator(request),
            "csrf_token": request.state.session.get("csrf", ""),
            **values,
        }

    def _check_csrf(request: Request, token: str) -> None:
        expected = request.state.session.get("csrf", "")
        if not token or not expected or not secrets.compare_digest(token, expected):
            message = "the form has expired or did not come from this site; reload the page"
            insecure = request.url.scheme == "http" and request.url.hostname not in _LOCAL_HOSTS
            if settings.secure_cookies and insecure and COOKIE_NAME not in request.cookies:
                # The browser dropped the Secure cookie: say how to fix it, not just "reload".
                message += (
                    " (this page is served over plain HTTP, so the browser refuses the secure "
                    "session cookie: serve it over HTTPS or set archive.secure_cookies = false)"
                )
            raise HTTPException(403, message)

    def require_curator(request: Request, csrf_token: Annotated[str, Form()] = "") -> str:
        """A logged-in curator with a valid CSRF token, else 401/403."""
        if public:
            raise HTTPException(403, "this archive is read-only")
        curator = _curator(request)
        if curator is None:
            raise HTTPException(401, "log in as a curator first")
        _check_csrf(request, csrf_token)
        return curator

    Curator = Annotated[str, Depends(require_curator)]
    Filters = Annotated[FilterParams, Depends()]

    # -- pages -----------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def gallery(request: Request, filters: Filters, page: PageNumber = 1) -> Response:
        curator = _curator(request) is not None
        result = archive.list(filters.record_filter(curator=curator), page=page)
        return templates.TemplateResponse(
            request,
            "gallery.html",
            _context(
                request,
                page=result,
                filters=filters.values,
                prev_link=f"/?{filters.query(page=page - 1)}" if page > 1 else None,
                next_link=(f"/?{filters.query(page=page + 1)}" if page < result.pages else None),
            ),
        )

    @app.get("/records/{record_id}", include_in_schema=False)
    def detail(request: Request, record_id: RecordId) -> Response:
        record = _visible(request, record_id)
        curator = _curator(request)
        return templates.TemplateResponse(
            request,
            "detail.html",
            _context(
                request,
                record=record,
                figures=figure_views(record.blobs, record.analysis),
                # Research measurements are for curators, not for the public gallery.
                evidence=[] if public else evidence_rows(record.cluster_evidence),
                audit=archive.audit_log(record_id, limit=20) if curator else [],
                plot_statuses=PLOT_STATUSES,
            ),
        )

    def _visible(request: Request, record_id: int) -> Record:
        curator = _curator(request) is not None
        record = archive.get(record_id, include_hidden=curator)
        if not curator and not record.consent.public:
            raise RecordNotFound(f"no record {record_id} in the archive")
        return record

    @app.get("/blobs/{sha}", include_in_schema=False)
    def blob(request: Request, sha: str) -> Response:
        if not is_sha256(sha):
            raise HTTPException(404, "no such file")
        media_type = archive.blob_info(sha, include_hidden=_curator(request) is not None)
        if media_type is None:
            raise HTTPException(404, "no such file")
        return Response(
            archive.blob(sha),
            media_type=media_type,
            headers={
                "Content-Security-Policy": _BLOB_CSP,
                "Cache-Control": "private, max-age=3600",
            },
        )

    # -- login -----------------------------------------------------------------------
    @app.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        if public:
            raise HTTPException(403, "this archive is read-only")
        return templates.TemplateResponse(request, "login.html", _context(request, error=None))

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        name: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        if public:
            raise HTTPException(403, "this archive is read-only")
        _check_csrf(request, csrf_token)
        address = request.client.host if request.client else ""
        wait = math.ceil(throttle.wait_s(name, address))
        if wait > 0:
            return templates.TemplateResponse(
                request,
                "login.html",
                _context(
                    request, error=f"too many wrong passwords: wait {wait} s before trying again"
                ),
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        if not archive.verify_curator(name, password):
            throttle.failed(name, address)
            return templates.TemplateResponse(
                request,
                "login.html",
                _context(request, error="wrong name or password"),
                status_code=401,
            )
        throttle.succeeded(name, address)
        # A new token at login: a token seen before logging in is worth nothing after.
        request.state.session = {"csrf": new_csrf_token(), "sid": archive.start_session(name)}
        request.state.session_changed = True
        return RedirectResponse("/", status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, curator: Curator) -> Response:
        archive.end_session(request.state.session["sid"])
        request.state.session = {"csrf": new_csrf_token()}
        request.state.session_changed = True
        return RedirectResponse("/", status_code=303)

    # -- curator actions -------------------------------------------------------------
    @app.post("/records/{record_id}/label", include_in_schema=False)
    def relabel(
        record_id: RecordId, curator: Curator, label: Annotated[str, Form()] = ""
    ) -> Response:
        archive.relabel(record_id, label or None, actor=curator)
        return RedirectResponse(f"/records/{record_id}", status_code=303)

    @app.post("/records/{record_id}/hide", include_in_schema=False)
    def hide(
        record_id: RecordId, curator: Curator, hidden: Annotated[str, Form()] = "1"
    ) -> Response:
        archive.hide(record_id, hidden == "1", actor=curator)
        return RedirectResponse(f"/records/{record_id}", status_code=303)

    @app.get("/records/{record_id}/delete", include_in_schema=False)
    def confirm_delete(request: Request, record_id: RecordId) -> Response:
        if public:
            raise HTTPException(403, "this archive is read-only")
        if _curator(request) is None:
            raise HTTPException(401, "log in as a curator first")
        record = archive.get(record_id)
        return templates.TemplateResponse(
            request, "confirm_delete.html", _context(request, record=record)
        )

    @app.post("/records/{record_id}/delete", include_in_schema=False)
    def delete(
        record_id: RecordId, curator: Curator, confirm: Annotated[str, Form()] = ""
    ) -> Response:
        if confirm != "yes":
            return RedirectResponse(f"/records/{record_id}/delete", status_code=303)
        archive.delete(record_id, actor=curator)
        return RedirectResponse("/", status_code=303)

    @app.post("/export", include_in_schema=False)
    def export(
        curator: Curator,
        format: Annotated[str, Form()] = "csv",
        q: Annotated[str | None, Form()] = None,
        cluster: Annotated[str | None, Form()] = None,
        label: Annotated[str | None, Form()] = None,
        venue: Annotated[str | None, Form()] = None,
        language: Annotated[str | None, Form()] = None,
        since: Annotated[str | None, Form()] = None,
        until: Annotated[str | None, Form()] = None,
    ) -> Response:
        chosen = FilterParams(q, cluster, label, venue, language, since, until)
        # The same records as `dreamdraw archive export`: research consent decides (the
        # export functions add it), public-display consent does not, hidden ones stay out.
        record_filter = replace(chosen.record_filter(curator=True), include_hidden=False)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        if format == "csv":
            return StreamingResponse(
                stream_csv(archive, record_filter),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="dreams-{stamp}.csv"'},
            )
        if format == "jsonl":
            return StreamingResponse(
                stream_jsonl(archive, record_filter),
                media_type="application/x-ndjson",
                headers={"Content-Disposition": f'attachment; filename="dreams-{stamp}.jsonl"'},
            )
        if format == "parquet":
            folder = tempfile.TemporaryDirectory(prefix="dreamdraw-export-")
            result = export_records(archive, "parquet", folder.name, filter=record_filter)
            return FileResponse(
                result.files[0],
                media_type="application/vnd.apache.parquet",
                filename=f"dreams-{stamp}.parquet",
                background=BackgroundTask(folder.cleanup),
            )
        raise HTTPException(400, "export format must be csv, jsonl or parquet")

    # -- JSON API --------------------------------------------------------------------
    @app.get("/api/records", response_model=RecordPage, tags=["records"])
    def api_records(
        request: Request,
        filters: Filters,
        page: PageNumber = 1,
        per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> RecordPage:
        """Records matching the filters, newest first, one page at a time."""
        curator = _curator(request) is not None
        result = archive.list(filters.record_filter(curator=curator), page=page, per_page=per_page)
        return RecordPage(
            total=result.total,
            page=result.page,
            per_page=result.per_page,
            records=[_record_out(r, full=False) for r in result.records],
        )

    @app.get(
        "/api/records/{record_id}",
        response_model=RecordOut,
        tags=["records"],
        responses={404: {"description": "no such record (or hidden)"}},
    )
    def api_record(request: Request, record_id: RecordId) -> RecordOut:
        """One record with its transcript texts, drawing parameters and analysis results."""
        return _record_out(_visible(request, record_id), full=True)

    @app.get("/api/health", include_in_schema=False)
    def health() -> JSONResponse:
        return JSONResponse({"ok": True, "public": public})

    return app
