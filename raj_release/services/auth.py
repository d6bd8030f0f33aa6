"""Accounts of the web workspace: passwords (argon2id), slowed-down guessing, personal API tokens and the
revocable secret of each worker's calendar feed. Tokens and secrets are random, shown once, and stored only
as SHA-256 digests; passwords only as argon2 hashes. Nothing secret reaches the audit log."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from raj_release.errors import Conflict, NotFound, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer, load_viewer
from raj_release.services.context import Context
from raj_release.services.sessions import digest, end_sessions
from raj_release.store import models as m
from raj_release.store.db import aware

MIN_PASSWORD = 12
FREE_FAILURES = 3  # failures of one account from one address before its guessing is slowed down
FREE_FAILURES_PER_CLIENT = 10  # failures from one address, whatever the accounts, before it is slowed down
WINDOW = dt.timedelta(minutes=30)  # failures older than this are forgotten
MAX_DELAY = 900  # seconds

_hasher = PasswordHasher()
# verified against when the account does not exist, so that both cases take the same time
_DUMMY = _hasher.hash("not a password of anyone: equal timing for unknown accounts")


LINK_HOURS = 72  # a one-time link works this long: made on a Friday afternoon, still good on Monday morning
MAX_PASSWORD = 200  # argon2 takes any length; a bound keeps a pasted book from costing the server


def check_password(password: str) -> None:
    """RajError (field `password`) unless `password` is acceptable."""
    if len(password) < MIN_PASSWORD:
        raise RajError("at least {min} characters (a sentence is easier to remember)", field="password",
                       min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise RajError("at most {max} characters", field="password", max=MAX_PASSWORD)
    if password.strip() != password or not password.strip():
        raise RajError("no leading or trailing spaces", field="password")


def set_password(ctx: Context, worker_id: str, password: str, actor: str = "system") -> None:
    check_password(password)
    hashed = _hasher.hash(password)  # ~50 ms of CPU: not inside the write transaction
    with ctx.db.transaction() as s:
        w = s.get(m.Worker, worker_id)
        if w is None:
            raise NotFound("worker '{worker}' not found", worker=worker_id)
        had = w.password_hash is not None
        w.password_hash = hashed
        w.link_hash = w.link_expires_at = None  # a password set otherwise retires a pending link
        ended = end_sessions(s, ctx, worker_id)  # a new password ends every session opened with the old one
        audit.record(s, ctx, actor, "worker.password_set", "worker", worker_id, old={"had_password": had},
                     new={"has_password": True, "sessions_ended": ended})


# One-time links: an account created or reset in the web chooses its own password (docs/decisions.md,
# issue 11): the administrator never knows it. The link's secret is random, shown once, stored as a digest.

def issue_link(s: Session, ctx: Context, worker_id: str, actor: str, *, reset: bool) -> tuple[str, dt.datetime]:
    """A new one-time link for the account, in the caller's transaction: (secret, when it stops working).
    A previous link stops working. With `reset`, the account's password is cleared and its sessions end:
    until the link is used, nobody can sign in as the account."""
    w = s.get(m.Worker, worker_id)
    if w is None:
        raise NotFound("worker '{worker}' not found", field="worker", worker=worker_id)
    secret = secrets.token_urlsafe(32)
    expires = ctx.now() + dt.timedelta(hours=LINK_HOURS)
    had = w.password_hash is not None
    w.link_hash, w.link_expires_at = digest(secret), expires
    ended = 0
    if reset:
        w.password_hash = None
        ended = end_sessions(s, ctx, worker_id)
    audit.record(s, ctx, actor, "worker.password_reset" if reset else "worker.link_created", "worker", worker_id,
                 old={"had_password": had},
                 new={"has_password": had and not reset, "link_expires_at": expires.isoformat(),
                      "sessions_ended": ended})
    return secret, expires


@dataclass(frozen=True)
class LinkHolder:
    """Whom a one-time link is for (the page that uses it greets them in their language)."""

    id: str
    name: str
    language: str


def _live_link(s: Session, ctx: Context, secret: str) -> m.Worker | None:
    if not secret or len(secret) > 100:
        return None
    w = s.scalar(select(m.Worker).where(m.Worker.link_hash == digest(secret), m.Worker.active.is_(True)))
    if w is None or w.link_expires_at is None or aware(w.link_expires_at) <= ctx.now():
        return None
    return w


def link_holder(ctx: Context, secret: str) -> LinkHolder | None:
    """The account a live one-time link is for; None for an unknown, used, expired or deactivated one."""
    with ctx.db.reading() as s:
        w = _live_link(s, ctx, secret)
        return LinkHolder(w.id, w.name, w.language) if w is not None else None


def set_password_by_link(ctx: Context, secret: str, password: str) -> str:
    """The account's owner chooses a password with a one-time link; the link stops working. Returns the
    account's id. NotFound when the link does not work (whatever the reason: nothing can be probed)."""
    check_password(password)
    hashed = _hasher.hash(password)  # ~50 ms of CPU: not inside the write transaction
    with ctx.db.transaction() as s:
        w = _live_link(s, ctx, secret)
        if w is None:
            raise NotFound("this link does not work (any more): ask an administrator for a new one")
        had = w.password_hash is not None
        w.password_hash, w.link_hash, w.link_expires_at = hashed, None, None
        ended = end_sessions(s, ctx, w.id)
        audit.record(s, ctx, w.id, "worker.password_set", "worker", w.id, old={"had_password": had},
                     new={"has_password": True, "via": "link", "sessions_ended": ended})
        return w.id


class TooManyAttempts(RajError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} s")
        self.retry_after = retry_after


# Addresses slowed down, until when: a flood of tries from one address is answered from memory, without a
# query, so that it costs the others next to nothing. The database stays the authority (several processes).
_slowed: dict[tuple[str, str], dt.datetime] = {}


def login_delay(failures: int, free: int = FREE_FAILURES) -> int:
    """Seconds to wait before the next try after `failures` recent failures: 0, then doubling."""
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), MAX_DELAY)


def authenticate(ctx: Context, username: str, password: str, *, client: str | None = None) -> Viewer | None:
    """The account if the password is right; None if not. Raises TooManyAttempts while guessing is slowed.

    Guessing is slowed per account and address (the same account's owner, from elsewhere, is not slowed by
    someone failing on purpose) and per address across accounts (one address trying ten accounts once
    each). A try refused for the wait is not counted, so a right password after the wait always works.
    The password is hashed outside any write transaction: failed logins cannot hold the database's write
    lock while argon2 works (~50 ms each), which is what slowed every other user before."""
    now = ctx.now()
    username = username[:60]
    client = client[:64] if client else None
    box = (ctx.db.engine.url.render_as_string(), client)  # one box per database
    until = _slowed.get(box) if client is not None else None
    if until is not None and now < until:  # known slowed down: answered without reading anything
        raise TooManyAttempts(int((until - now).total_seconds()) + 1)
    since = now - WINDOW
    mine = (m.LoginAttempt.username == username) & (
        m.LoginAttempt.client == client if client is not None else m.LoginAttempt.client.is_(None))
    with ctx.db.reading() as s:
        failures, last = s.execute(select(func.count(), func.max(m.LoginAttempt.at))
                                   .where(mine, m.LoginAttempt.at >= since)).one()
        waits = [(login_delay(failures), last)]
        if client is not None:
            waits.append(tuple(s.execute(
                select(func.count(), func.max(m.LoginAttempt.at))
                .where(m.LoginAttempt.client == client, m.LoginAttempt.at >= since)).one()))
            waits[1] = (login_delay(waits[1][0], FREE_FAILURES_PER_CLIENT), waits[1][1])
        w = s.get(m.Worker, username)
        stored = w.password_hash if (w is not None and w.active) else None
    ends = [aware(at) + dt.timedelta(seconds=wait) for wait, at in waits if wait and at is not None]
    if client is not None and len(ends) == 2 and waits[1][0] and ends[-1] > now:
        _slowed[box] = ends[-1]  # the address's wait, remembered by this process
        if len(_slowed) > 10_000:
            _slowed.pop(next(iter(_slowed)))
    left = max((int((end - now).total_seconds()) + 1 for end in ends), default=0)
    if left > 0:
        raise TooManyAttempts(left)
    try:
        ok = _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    rehash = _hasher.hash(password) if ok and _hasher.check_needs_rehash(stored) else None
    with ctx.db.transaction() as s:
        s.execute(delete(m.LoginAttempt).where(m.LoginAttempt.at < since))
        if not ok:
            s.add(m.LoginAttempt(username=username, client=client, at=now))
            return None
        s.execute(delete(m.LoginAttempt).where(mine))
        if rehash is not None:
            s.execute(update(m.Worker).where(m.Worker.id == username).values(password_hash=rehash))
        return load_viewer(s, username)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    worker: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


def create_token(ctx: Context, worker_id: str, name: str, actor: str = "system") -> str:
    """A new personal access token for the API; returned once, stored as a digest."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise RajError("give the token a name (1-100 characters), e.g. the script that uses it", field="name")
    token = "raj_" + secrets.token_urlsafe(32)
    with ctx.db.transaction() as s:
        if s.get(m.Worker, worker_id) is None:
            raise NotFound("worker '{worker}' not found", worker=worker_id)
        if s.scalar(select(m.ApiToken.id).where(m.ApiToken.worker_id == worker_id, m.ApiToken.name == name,
                                                m.ApiToken.revoked_at.is_(None))) is not None:
            raise Conflict("worker '{worker}' already has an active token named '{name}'", worker=worker_id,
                           name=name)
        s.add(m.ApiToken(worker_id=worker_id, name=name, token_hash=digest(token), created_at=ctx.now()))
        audit.record(s, ctx, actor, "token.created", "worker", worker_id, new={"name": name})
    return token


def list_tokens(ctx: Context, worker_id: str | None = None) -> list[TokenInfo]:
    q = select(m.ApiToken).order_by(m.ApiToken.worker_id, m.ApiToken.id)
    if worker_id:
        q = q.where(m.ApiToken.worker_id == worker_id)
    with ctx.db.transaction() as s:
        return [TokenInfo(t.id, t.worker_id, t.name, t.created_at, t.last_used_at, t.revoked_at is not None)
                for t in s.scalars(q)]


def revoke_token(ctx: Context, worker_id: str, name: str, actor: str = "system") -> None:
    with ctx.db.transaction() as s:
        t = s.scalar(select(m.ApiToken).where(m.ApiToken.worker_id == worker_id, m.ApiToken.name == name,
                                              m.ApiToken.revoked_at.is_(None)))
        if t is None:
            raise NotFound("no active token named '{name}' for worker '{worker}'", name=name, worker=worker_id)
        t.revoked_at = ctx.now()
        audit.record(s, ctx, actor, "token.revoked", "worker", worker_id, old={"name": name})


def viewer_for_token(ctx: Context, token: str) -> Viewer | None:
    if not token or not token.startswith("raj_"):
        return None
    with ctx.db.transaction() as s:
        t = s.scalar(select(m.ApiToken).where(m.ApiToken.token_hash == digest(token),
                                              m.ApiToken.revoked_at.is_(None)))
        if t is None:
            return None
        t.last_used_at = ctx.now()
        try:
            return load_viewer(s, t.worker_id)
        except NotFound:
            return None


def create_feed_secret(ctx: Context, worker_id: str, actor: str = "system") -> str:
    """A new secret for the worker's calendar feed URL; any previous URL stops working."""
    secret = secrets.token_urlsafe(32)
    with ctx.db.transaction() as s:
        w = s.get(m.Worker, worker_id)
        if w is None:
            raise NotFound("worker '{worker}' not found", worker=worker_id)
        had = w.feed_secret_hash is not None
        w.feed_secret_hash = digest(secret)
        audit.record(s, ctx, actor, "feed.created", "worker", worker_id, old={"had_feed": had},
                     new={"has_feed": True})
    return secret


def revoke_feed(ctx: Context, worker_id: str, actor: str = "system") -> None:
    with ctx.db.transaction() as s:
        w = s.get(m.Worker, worker_id)
        if w is None or w.feed_secret_hash is None:
            raise NotFound("worker '{worker}' has no calendar feed", worker=worker_id)
        w.feed_secret_hash = None
        audit.record(s, ctx, actor, "feed.revoked", "worker", worker_id, old={"had_feed": True})


def worker_for_feed(ctx: Context, secret: str) -> str | None:
    if not secret:
        return None
    with ctx.db.reading() as s:
        return s.scalar(select(m.Worker.id).where(m.Worker.feed_secret_hash == digest(secret),
                                                  m.Worker.active.is_(True)))
