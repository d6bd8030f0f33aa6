"""The person's version of the plan (« Version pour la personne »): what the person is handed, read in the
same scope as the plan (the binôme, the organisation's coordinators). The rules are domain/handout.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from raj_release.domain.handout import Handout, handout
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.replan import load_person, view_of
from raj_release.store import models as m


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    contact: str | None  # the worker's phone (or e-mail), else None: the service's phone stands for it


@dataclass(frozen=True, slots=True)
class HandoutView:
    ref: str
    name: str | None           # the person's name when the file has one (else the reference identifies it)
    language: str              # the person's: fr or nl
    interpreter: bool
    procedure: str | None
    as_of: dt.date
    plan: Handout
    social_worker: Contact
    psychologist: Contact
    service: str
    service_phone: str | None


def person_handout(ctx: Context, ref: str, *, today: dt.date, viewer: Viewer) -> HandoutView:
    """The handout of person `ref` as of `today`; NotFound outside the viewer's scope (as for the plan)."""
    with ctx.db.transaction() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        audit.record(s, ctx, viewer.id, "person.read", "person", ref, person_id=p.id)
        view = view_of(s, ctx, p, today)
        workers = {w.id: w for w in s.scalars(select(m.Worker).where(m.Worker.id.in_([p.as_id, p.psy_id])))}
        org = s.get(m.Organisation, p.organisation_id)
        org_name, org_code = (org.name, org.code) if org is not None else (ctx.settings.organisation_name, "")

    def contact(wid: str) -> Contact:
        w = workers.get(wid)
        return Contact(w.name, w.contact) if w is not None else Contact(wid, None)

    person = view.person
    phone = ctx.settings.organisation_phone if org_code == ctx.settings.organisation else None
    return HandoutView(
        ref=person.ref, name=person.name, language=person.language, interpreter=person.interpreter,
        procedure=person.procedure, as_of=today,
        plan=handout(view.demarches, ctx.config.templates.by_key, view.milestones, person.language, today),
        social_worker=contact(person.as_id), psychologist=contact(person.psy_id), service=org_name,
        service_phone=phone)
