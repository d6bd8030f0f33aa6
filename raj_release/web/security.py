"""What every answer of the workspace carries, and how refusals are answered, whatever the route.

- Security headers: a Content-Security-Policy without any script for the pages (they need none: the
  one-click forms are plain forms) and framing refused (a "Fait" button cannot be clickjacked); nosniff;
  no referrer (URLs carry references); `no-store` on pages and API answers, which hold personal data.
  Only /api/docs runs a script, Swagger UI's own, served from the app.
- Errors: an HTML error goes through the escaped layout in the reader's language, like any page; an API
  error is JSON `{"detail": "<one line>"}`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")
# Swagger UI: its bundle and our initialiser, both from /static; it sets inline styles on its widgets
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
COMMON = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
          "Cross-Origin-Opener-Policy": "same-origin"}


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class SecurityHeaders:
    """Pure ASGI middleware (no buffering of bodies: calendar feeds and pages stream through untouched)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers[name] = value
                headers["Content-Security-Policy"] = DOCS_CSP if path == "/api/docs" else PAGES_CSP
                if not path.startswith(("/static/", "/calendar/")):
                    headers["Cache-Control"] = "no-store"  # feeds keep their own revalidation (ETag)
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)
