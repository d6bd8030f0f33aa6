"""Sessions of the web workspace, kept server-side so that they can be ended at once.

The browser holds a random token (in a signed cookie); the table holds its SHA-256 digest, the worker,
the session's CSRF token and when it was opened and last used. A session ends on logout, when the
worker's password changes, when the account is deactivated, when an administrator ends the account's
sessions, after `session_idle_minutes` unused and `session_max_hours` after login, whatever happens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update

from raj_release.errors import NotFound
from raj_release.services import audit
from raj_release.services.access import Viewer, load_viewer
from raj_release.services.context import Context
from raj_release.store import models as m
from raj_release.store.db import aware

TOUCH_EVERY = dt.timedelta(minutes=1)  # last use is written at most this often: reads stay reads


def digest(secret: str) -> str:
    """What is stored of a token or secret (sessions, API tokens, feed addresses): its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(ctx: Context, worker_id: str) -> tuple[str, str]:
    """A new session for a worker who just logged in: (token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = ctx.now()
    with ctx.db.transaction() as s:
        s.add(m.WebSession(id=digest(token), worker_id=worker_id, csrf=csrf, created_at=now, last_seen_at=now))
    return token, csrf


def session_viewer(ctx: Context, token: str | None) -> tuple[Viewer, str] | None:
    """The viewer of a live session and its CSRF token; None for an unknown, ended or expired session (or
    an inactive account)."""
    if not token:
        return None
    now = ctx.now()
    idle = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    lifetime = dt.timedelta(hours=ctx.settings.session_max_hours)
    sid = digest(token)
    with ctx.db.reading() as s:
        row = s.get(m.WebSession, sid)
        if row is None or row.ended_at is not None:
            return None
        seen, opened = aware(row.last_seen_at), aware(row.created_at)
        if now - seen > idle or now - opened > lifetime:
            return None
        try:
            viewer = load_viewer(s, row.worker_id)
        except NotFound:  # the account was deactivated
            return None
        csrf = row.csrf
    if now - seen > TOUCH_EVERY:
        with ctx.db.transaction() as s:
            s.execute(update(m.WebSession).where(m.WebSession.id == sid).values(last_seen_at=now))
    return viewer, csrf


def end_session(ctx: Context, token: str | None) -> None:
    """Logout: this session ends (others of the same account go on)."""
    if not token:
        return
    with ctx.db.transaction() as s:
        s.execute(update(m.WebSession).where(m.WebSession.id == digest(token), m.WebSession.ended_at.is_(None))
                  .values(ended_at=ctx.now()))


def end_sessions(s, ctx: Context, worker_id: str) -> int:
    """Every open session of the account ends, in the caller's transaction; returns how many."""
    return s.execute(update(m.WebSession).where(m.WebSession.worker_id == worker_id, m.WebSession.ended_at.is_(None))
                     .values(ended_at=ctx.now())).rowcount


def log_out_everywhere(ctx: Context, worker_id: str, *, actor: str = "system") -> int:
    """An administrator ends every session of an account (a lost phone, a shared computer)."""
    with ctx.db.transaction() as s:
        if s.get(m.Worker, worker_id) is None:
            raise NotFound("worker '{worker}' not found", field="worker", worker=worker_id)
        n = end_sessions(s, ctx, worker_id)
        audit.record(s, ctx, actor, "worker.sessions_ended", "worker", worker_id, new={"sessions": n})
    return n
