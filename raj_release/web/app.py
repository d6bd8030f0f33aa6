"""The FastAPI application: `raj web` serves it (127.0.0.1:8000 by default)."""

from __future__ import annotations

import gc
import hashlib
import threading
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from raj_release.errors import Conflict, Forbidden, NotFound, RajError, from_validation
from raj_release.services.auth import worker_for_feed
from raj_release.services.context import Context, open_context
from raj_release.services.feeds import calendar_feed, warm_feeds
from raj_release.settings import Settings
from raj_release.web import api, pages
from raj_release.web.security import SecurityHeaders, is_api
from raj_release.web.session import load_secret


def served_app() -> FastAPI:
    """The app as `raj web` serves it (uvicorn's factory): the context of the settings, and the feeds built
    in the background, since calendar clients come back soon after a restart."""
    ctx = open_context(Settings(), require_schema=True)
    app = create_app(ctx)
    # what is loaded by now (libraries, configuration, calendar) lives as long as the server: kept out of
    # the garbage collector's full passes, which would otherwise walk it again and again under load
    gc.collect()
    gc.freeze()
    threading.Thread(target=warm_feeds, args=(ctx,), name="raj-warm-feeds", daemon=True).start()
    return app


def create_app(ctx: Context, secret: bytes | None = None, secure_cookies: bool | None = None) -> FastAPI:
    """The application. `secret` signs session cookies (default: RAJ_SECRET_KEY or var/secret.key);
    `secure_cookies` marks them Secure, for a deployment behind HTTPS (default: RAJ_SECURE_COOKIES)."""
    app = FastAPI(title="raj-release", version="0.1.0", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None,
                  description="Plans de reclassement: démarches planned backward from the hearing and release "
                              "dates. Authenticate with a personal access token: `Authorization: Bearer raj_...`.")
    app.state.ctx = ctx
    app.state.secret = secret or load_secret(ctx.settings.secret_key, Path("var"))
    app.state.secure_cookies = ctx.settings.secure_cookies if secure_cookies is None else secure_cookies
    app.include_router(api.router)
    app.include_router(pages.router)
    # Swagger UI's files come with the app (fastapi-offline ships them): /api/docs works offline
    app.mount("/static/swagger", StaticFiles(directory=str(Path(fastapi_offline.__file__).parent / "static")),
              name="swagger")
    app.mount("/static", StaticFiles(directory=str(Path(__file__).resolve().parent / "static")), name="static")
    app.add_middleware(SecurityHeaders, hsts=app.state.secure_cookies)
    if ctx.settings.trusted_proxies:
        # the client's address and scheme from X-Forwarded-For/-Proto, believed from these proxies only
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=ctx.settings.trusted_proxies)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        return pages.templates.TemplateResponse(request, "api_docs.html", {"lang": "fr"})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request.url.path):
            return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
        detail = "" if exc.status_code == 404 else str(exc.detail)  # an unknown address: nothing to add
        return pages.error_response(request, exc.status_code, detail)

    @app.exception_handler(pages.NotSignedIn)
    async def _not_signed_in(_request: Request, exc: pages.NotSignedIn) -> Response:
        return exc.response

    @app.exception_handler(api.Unauthorized)
    async def _unauthorized(_request: Request, _exc: api.Unauthorized) -> JSONResponse:
        return JSONResponse({"detail": "a valid personal access token is required (Authorization: Bearer ...)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """One line, like every other error: the first problem, led by the field it is about."""
        first = next(iter(exc.errors()), {})
        field = next((x for x in reversed(first.get("loc", ())) if isinstance(x, str)), "request")
        message = f"{field}: {' '.join(str(first.get('msg', 'invalid request')).split())}"
        if is_api(request.url.path):
            return JSONResponse({"detail": message}, status_code=422)
        return pages.error_response(request, 422, from_validation(exc.errors()))  # in the reader's words

    @app.exception_handler(RajError)
    async def _refused(request: Request, exc: RajError) -> Response:
        status = (404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden)
                  else 409 if isinstance(exc, Conflict) else 422)
        if is_api(request.url.path):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return pages.error_response(request, status, exc)

    def calendar(secret: str, request: Request, events: bool) -> Response:
        """The worker's feed. Calendar clients poll it: an unchanged feed answers 304 to their
        If-None-Match. `private, no-cache`: kept by the worker's own client only, and revalidated each time."""
        worker = worker_for_feed(ctx, secret)
        if worker is None:
            return JSONResponse({"detail": "calendar not found"}, status_code=404)
        body = calendar_feed(ctx, worker, events=events)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"Cache-Control": "private, no-cache", "ETag": etag}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)

    # the secrets are URL-safe base64, without dots: "<secret>.events.ics" cannot be mistaken for a secret
    @app.get("/calendar/{secret}.events.ics", include_in_schema=False)
    def calendar_events(secret: str, request: Request) -> Response:
        """The same démarches as all-day events, for Outlook (it ignores tasks in subscribed calendars)."""
        return calendar(secret, request, events=True)

    @app.get("/calendar/{secret}.ics", include_in_schema=False)
    def calendar_tasks(secret: str, request: Request) -> Response:
        return calendar(secret, request, events=False)

    return app
