"""Organisations and workers."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from raj_release.domain import Language, Role, Worker
from raj_release.domain import Organisation as DomainOrganisation
from raj_release.errors import Conflict, NotFound, RajError, from_validation
from raj_release.notify import channels
from raj_release.services import audit, figures
from raj_release.services.context import Context
from raj_release.services.sessions import end_sessions
from raj_release.store import models as m


@dataclass(frozen=True)
class WorkerView:
    id: str
    name: str
    role: str
    language: str
    organisation: str
    notify: list[str]
    contact: str | None = None

    def as_json(self, reveal_channels: bool = False) -> dict:
        d = {"id": self.id, "name": self.name, "role": self.role, "language": self.language,
             "organisation": self.organisation, "channels": len(self.notify), "contact": self.contact}
        if reveal_channels:
            d["notify"] = list(self.notify)
        return d


def check_organisation(code: str, name: str) -> None:
    try:
        DomainOrganisation(code=code, name=name)
    except ValidationError as e:
        field = e.errors()[0]["loc"][0]
        if field == "name":
            raise RajError("give a name of 1 to 200 characters", field="organisation_name") from None
        raise RajError("'{code}' is not an organisation code (lowercase letters, digits and '-', "
                       "2 to 40 characters, e.g. ambulatoire-forest)", field="organisation", code=code) from None


def ensure_organisation(ctx: Context, code: str | None = None, name: str | None = None,
                        actor: str = "system") -> m.Organisation:
    code = code or ctx.settings.organisation
    check_organisation(code, name or ctx.settings.organisation_name)
    with ctx.db.transaction() as s:
        org = s.scalar(select(m.Organisation).where(m.Organisation.code == code))
        if org is None:
            org = m.Organisation(code=code, name=name or ctx.settings.organisation_name, created_at=ctx.now())
            s.add(org)
            s.flush()
            audit.record(s, ctx, actor, "organisation.created", "organisation", code, new={"name": org.name})
        return org


def check_channel(url: str) -> None:
    if (why := channels.problem(url)) is not None:
        raise RajError("{problem} (e.g. mailto://user@host, json://host/path)", field="notify", problem=why)


def checked_worker(ctx: Context, worker_id: str, name: str, role: str, language: str = "fr",
                   notify: list[str] | None = None, organisation: str | None = None) -> Worker:
    """A new account's fields, checked (no database): RajError naming the first wrong field."""
    try:
        Role(role)
    except ValueError:
        raise RajError("unknown role '{role}'; use one of {allowed}", field="role", role=role,
                       allowed=[r.value for r in Role]) from None
    try:
        Language(language)
    except ValueError:
        raise RajError("unknown language '{language}'; use fr or nl", field="language", language=language) from None
    org_code = organisation or ctx.settings.organisation
    try:
        w = Worker(id=worker_id, name=name, role=role, language=language, organisation=org_code,
                   notify=tuple(notify or ()))
    except ValidationError as e:
        err = e.errors()[0]
        where = {"id": "worker", "name": "name"}.get(str(err["loc"][0]))  # the model's field, in the forms' words
        raise from_validation([err], field=where) from None
    for url in w.notify:
        check_channel(url)
    return w


def add_worker(s: Session, ctx: Context, w: Worker, contact: str | None, actor: str) -> WorkerView:
    """Insert a checked account (checked_worker) in the caller's transaction, audited."""
    org = s.scalar(select(m.Organisation).where(m.Organisation.code == w.organisation))
    if org is None:
        raise NotFound("unknown organisation '{organisation}'; run `raj init` first", field="organisation",
                       organisation=w.organisation)
    if s.get(m.Worker, w.id) is not None:
        raise Conflict("worker '{worker}' already exists", field="worker", worker=w.id)
    contact = (contact or "").strip() or None
    s.add(m.Worker(id=w.id, organisation_id=org.id, name=w.name, role=w.role.value, language=w.language.value,
                   notify=list(w.notify), contact=contact, active=True, created_at=ctx.now()))
    audit.record(s, ctx, actor, "worker.registered", "worker", w.id,
                 new={"role": w.role.value, "language": w.language.value, "channels": len(w.notify)})
    return WorkerView(w.id, w.name, w.role.value, w.language.value, w.organisation, list(w.notify), contact)


def register_worker(ctx: Context, worker_id: str, name: str, role: str, language: str = "fr",
                    notify: list[str] | None = None, organisation: str | None = None,
                    actor: str = "system", contact: str | None = None) -> WorkerView:
    w = checked_worker(ctx, worker_id, name, role, language, notify, organisation)
    with ctx.db.transaction() as s:
        return add_worker(s, ctx, w, contact, actor)


def worker_names(ctx: Context) -> dict[str, str]:
    """Every worker's name by id: what the pages print for an id (kept while no worker changes:
    services/figures.py; shared, not to be changed)."""
    return figures.kept(ctx, ("worker-names",), lambda: _worker_names(ctx))


def _worker_names(ctx: Context) -> dict[str, str]:
    with ctx.db.reading() as s:
        return {wid: name for wid, name in s.execute(select(m.Worker.id, m.Worker.name))}


def list_workers(ctx: Context) -> list[WorkerView]:
    with ctx.db.reading() as s:
        rows = s.execute(select(m.Worker, m.Organisation.code).join(m.Organisation)
                         .order_by(m.Worker.id)).all()
        return [WorkerView(w.id, w.name, w.role, w.language, code, list(w.notify or []), w.contact)
                for w, code in rows]


def set_active(ctx: Context, worker_id: str, active: bool, *, actor: str = "system") -> None:
    """Deactivate an account (it can no longer log in, its sessions and tokens stop at once, its reminders
    stop) or activate it again. Its history stays."""
    with ctx.db.transaction() as s:
        w = s.get(m.Worker, worker_id)
        if w is None:
            raise NotFound("worker '{worker}' not found", field="worker", worker=worker_id)
        if w.active == active:
            return
        w.active = active
        ended = end_sessions(s, ctx, worker_id) if not active else 0
        audit.record(s, ctx, actor, "worker.activated" if active else "worker.deactivated", "worker", worker_id,
                     old={"active": not active}, new={"active": active, "sessions_ended": ended})
