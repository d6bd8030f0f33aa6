"""The accounts of the web workspace, as an administrator manages them and a coordinator reads them.

- An administrator lists every account of the deployment (all organisations), creates one (its role,
  language, organisation, channels), deactivates and reactivates it, resets its password and ends its
  sessions. A new or reset account gets a one-time link to choose its password (services/auth.py): shown
  once to the administrator, who hands it over; nobody but the owner ever knows the password.
- A coordinator reads the accounts of their own organisation, and changes nothing.
- Anyone else is refused (Forbidden): a worker's pages say so, like the dashboard's.
The CLI (`raj worker ...`, `raj user ...`) is the operator's tool and calls the unchecked services below
these ones. Every change is audited, without any password or link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from raj_release.domain.enums import Language, Role
from raj_release.errors import Conflict, Forbidden, NotFound, RajError
from raj_release.notify.channels import scheme
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.auth import issue_link
from raj_release.services.context import Context
from raj_release.services.sessions import end_sessions
from raj_release.services.workers import add_worker, checked_worker
from raj_release.store import models as m
from raj_release.store.db import aware

MAX_CHANNELS = 5


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    role: Role
    language: Language
    organisation: str
    organisation_name: str
    channels: tuple[str, ...]  # what each channel is, without its URL (it may hold a secret): "mailto a@b.be"
    contact: str | None
    active: bool
    has_password: bool
    link_until: dt.datetime | None  # a one-time link waits to be used until then
    last_sign_in: dt.datetime | None
    open_sessions: int


@dataclass(frozen=True)
class Link:
    """A one-time link's secret, for the page that shows it once; never stored nor logged."""

    worker: str
    name: str
    secret: str
    expires_at: dt.datetime


def can_read(v: Viewer) -> bool:
    return v.role in (Role.ADMIN, Role.COORDINATOR)


def _reader(v: Viewer) -> None:
    if not can_read(v):
        raise Forbidden("the accounts are for administrators and coordinators")


def _admin(v: Viewer) -> None:
    if v.role is not Role.ADMIN:
        raise Forbidden("accounts are managed by administrators")


def channel_summary(url: str) -> str:
    """A channel in a few words, without what may be secret in it: "mailto a.dupont@example.org" (the
    recipient of an e-mail channel), else its kind ("json", "ntfy"), or the variable a URL starts with
    ("${RAJ_DEMO_SINK}": set in the deliverer's environment)."""
    if url.startswith("${") and "}" in url:
        return url[:url.index("}") + 1][:60]
    kind = scheme(url)
    if kind in ("mailto", "mailtos") and "${" not in url.split("?", 1)[-1]:
        to = parse_qs(urlsplit(url).query).get("to")
        if to:
            return f"{kind} {to[0][:80]}"
    return kind


def organisations(ctx: Context, v: Viewer) -> list[tuple[str, str]]:
    """(code, name) of the organisations the viewer's account list covers."""
    _reader(v)
    q = select(m.Organisation.code, m.Organisation.name).order_by(m.Organisation.name)
    if v.role is not Role.ADMIN:
        q = q.where(m.Organisation.id == v.organisation_id)
    with ctx.db.reading() as s:
        return [(c, n) for c, n in s.execute(q).all()]


def list_accounts(ctx: Context, v: Viewer, organisation: str | None = None, role: str | None = None) -> list[Account]:
    """The accounts the viewer may read (an admin: all; a coordinator: their organisation's), optionally of
    one organisation and one role; the last sign-in and the open sessions of each."""
    _reader(v)
    if role:
        try:
            Role(role)
        except ValueError:
            raise RajError("unknown role '{role}'", field="role", role=role) from None
    q = (select(m.Worker, m.Organisation.code, m.Organisation.name).join(m.Organisation)
         .order_by(m.Worker.active.desc(), m.Worker.name, m.Worker.id))
    if v.role is not Role.ADMIN:
        q = q.where(m.Worker.organisation_id == v.organisation_id)
    if organisation:
        q = q.where(m.Organisation.code == organisation)
    if role:
        q = q.where(m.Worker.role == role)
    now = ctx.now()
    idle = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    lifetime = dt.timedelta(hours=ctx.settings.session_max_hours)
    with ctx.db.reading() as s:
        rows = s.execute(q).all()
        ids = [w.id for w, _c, _n in rows]
        last = dict(s.execute(select(m.WebSession.worker_id, func.max(m.WebSession.created_at))
                              .where(m.WebSession.worker_id.in_(ids)).group_by(m.WebSession.worker_id)).all())
        live: dict[str, int] = {}
        for wid, seen in s.execute(select(m.WebSession.worker_id, m.WebSession.last_seen_at)
                                   .where(m.WebSession.worker_id.in_(ids), m.WebSession.ended_at.is_(None),
                                          m.WebSession.created_at > now - lifetime)).all():
            if now - aware(seen) <= idle:
                live[wid] = live.get(wid, 0) + 1
    out = []
    for w, code, org_name in rows:
        link = aware(w.link_expires_at) if w.link_expires_at is not None else None
        out.append(Account(
            id=w.id, name=w.name, role=Role(w.role), language=Language(w.language), organisation=code,
            organisation_name=org_name, channels=tuple(channel_summary(u) for u in (w.notify or [])),
            contact=w.contact, active=w.active, has_password=w.password_hash is not None,
            link_until=link if link is not None and link > now else None,
            last_sign_in=aware(last[w.id]) if last.get(w.id) is not None else None,
            open_sessions=live.get(w.id, 0) if w.active else 0))
    return out


def create_account(ctx: Context, v: Viewer, worker_id: str, name: str, role: str, language: str,
                   organisation: str, notify: list[str] | None = None, contact: str | None = None) -> Link:
    """A new account, and the one-time link with which its owner chooses a password (one transaction)."""
    _admin(v)
    worker_id, name = worker_id.strip(), name.strip()
    if not worker_id:
        raise RajError("give the username", field="worker")
    if not name:
        raise RajError("give the full name", field="name")
    notify = [u.strip() for u in (notify or []) if u.strip()]
    if len(notify) > MAX_CHANNELS:
        raise RajError("at most {max} channels", field="notify", max=MAX_CHANNELS)
    if contact is not None and len(contact.strip()) > 200:
        raise RajError("at most 200 characters", field="contact")
    w = checked_worker(ctx, worker_id, name, role, language, notify, organisation or v.organisation)
    with ctx.db.transaction() as s:
        add_worker(s, ctx, w, contact, v.id)
        secret, expires = issue_link(s, ctx, w.id, v.id, reset=False)
    return Link(w.id, w.name, secret, expires)


def _account(s, worker_id: str) -> m.Worker:
    w = s.get(m.Worker, worker_id)
    if w is None:
        raise NotFound("account '{worker}' not found", field="worker", worker=worker_id)
    return w


def set_account_active(ctx: Context, v: Viewer, worker_id: str, active: bool) -> bool:
    """Deactivate an account (no more sign-in; its sessions end, its tokens and calendar stop; its history
    stays) or reactivate it. False when it already was so (nothing changed). One's own account cannot be
    deactivated: the last administrator would lock everyone out."""
    _admin(v)
    if not active and worker_id == v.id:
        raise Conflict("you cannot deactivate your own account", field="worker")
    with ctx.db.transaction() as s:
        w = _account(s, worker_id)
        if w.active == active:
            return False
        w.active = active
        ended = end_sessions(s, ctx, worker_id) if not active else 0
        if not active:
            w.link_hash = w.link_expires_at = None  # a deactivated account's pending link is void
        audit.record(s, ctx, v.id, "worker.activated" if active else "worker.deactivated", "worker", worker_id,
                     old={"active": not active}, new={"active": active, "sessions_ended": ended})
    return True


def reset_password(ctx: Context, v: Viewer, worker_id: str) -> Link:
    """The account's password is cleared and its sessions end; its owner chooses a new one with the
    one-time link returned (shown once). An inactive account is refused: reactivate it first."""
    _admin(v)
    with ctx.db.transaction() as s:
        w = _account(s, worker_id)
        if not w.active:
            raise Conflict("the account is inactive: reactivate it first", field="worker")
        secret, expires = issue_link(s, ctx, worker_id, v.id, reset=True)
        return Link(w.id, w.name, secret, expires)


def end_account_sessions(ctx: Context, v: Viewer, worker_id: str) -> int:
    """Every web session of the account ends (a lost phone, a shared computer); how many were open."""
    _admin(v)
    with ctx.db.transaction() as s:
        _account(s, worker_id)
        n = end_sessions(s, ctx, worker_id)
        audit.record(s, ctx, v.id, "worker.sessions_ended", "worker", worker_id, new={"sessions": n})
    return n
