"""Who may see which person (the web workspace and the API use this; the CLI is the operator's tool).

- A worker (AS or psychologue) sees the persons of the binômes they belong to.
- A coordinator sees every person of their organisation.
- An admin manages accounts and sees no person data (least privilege: a coordinator account reads plans).
Another organisation's data is never visible. A person outside one's scope is *not found*, with the same
message as a person that does not exist, so that a reference cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from raj_release.domain.enums import Role
from raj_release.errors import NotFound
from raj_release.store import models as m


@dataclass(frozen=True)
class Viewer:
    id: str
    role: Role
    organisation_id: int
    organisation: str
    name: str = ""
    language: str = "fr"


def load_viewer(s: Session, worker_id: str) -> Viewer:
    row = s.execute(select(m.Worker, m.Organisation.code).join(m.Organisation)
                    .where(m.Worker.id == worker_id, m.Worker.active.is_(True))).first()
    if row is None:
        raise NotFound("account not found or inactive")
    w, code = row
    return Viewer(w.id, Role(w.role), w.organisation_id, code, w.name, w.language)


def person_scope(v: Viewer) -> ColumnElement[bool]:
    """A condition on `person` rows: those `v` may see."""
    same_org = m.Person.organisation_id == v.organisation_id
    if v.role is Role.COORDINATOR:
        return same_org
    if v.role in (Role.AS, Role.PSY):
        return and_(same_org, or_(m.Person.as_id == v.id, m.Person.psy_id == v.id))
    return false()


def visible_person_id(s: Session, v: Viewer, ref: str) -> int:
    """The id of person `ref` if `v` may see it; NotFound otherwise (same message either way)."""
    pid = s.scalar(select(m.Person.id).where(m.Person.ref == ref, person_scope(v)))
    if pid is None:
        raise NotFound("person '{ref}' not found", ref=ref)
    return pid
