"""Signed session cookies and CSRF tokens, with the standard library's HMAC (no extra dependency).

A session cookie holds the session's random token, signed with the deployment's secret key (RAJ_SECRET_KEY,
or var/secret.key created on first use with mode 0600); the session itself, its CSRF token and its
lifetime are kept server-side (services/sessions.py). Forms carry the CSRF token of the session (or,
before login, of a short-lived cookie) and POSTs without the right token are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

SESSION_COOKIE = "raj_session"
LOGIN_CSRF_COOKIE = "raj_login_csrf"


def load_secret(configured: str | None, var_dir: Path) -> bytes:
    """RAJ_SECRET_KEY, else var/secret.key, made on first use. Several processes (`raj web --workers N`) may
    start at once: the key is written whole under another name, then linked into place, which only one of
    them can do; the others read the winner's key. So every process signs with the same key."""
    if configured:
        return configured.encode()
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = var_dir / f".secret.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # atomic, and refused if another process made it first
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode()


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sign(secret: bytes, payload: dict) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def unsign(secret: bytes, token: str | None) -> dict | None:
    """The payload of a cookie we signed; None for anything else. How long a session lives is decided
    server-side (services/sessions.py), where it can also be ended."""
    if not token or "." not in token:
        return None
    body, mac = token.rsplit(".", 1)
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)
