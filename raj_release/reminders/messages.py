"""Messages: Jinja2 templates in French and Dutch, in plain text (what the recipient reads, in an e-mail's
single text part or any other channel): no Markdown markers, no command-line instructions; a worker's or
coordinator's message ends with a link to the web workspace when RAJ_PUBLIC_URL is set (and with nothing
in its place when it is not).

Need-to-know: a worker's digest names persons by their reference, never by their name; a partner's message
carries only the person's reference (or initials, as configured), the démarche, the date wished, the
contact of the démarche's responsible worker(s) and the partner's personal reply link — never needs,
diagnosis, treatment, offence or judicial details. The partner renderer is given nothing else to print (see
`PartnerLine`). A partner's message is about one person (the consent that allows it is that person's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from urllib.parse import quote

import jinja2

from raj_release.domain.demarches import TO_AS, TO_PSY
from raj_release.domain.enums import MessageKind, MilestoneKind, Role
from raj_release.i18n import format_date, label, tr
from raj_release.reminders.contact import ContactDue, contact_sent
from raj_release.reminders.engine import Due, Item, sent_points

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Message:
    recipient: str  # worker id or partner id
    role: str  # as, psy, coordinator, partner
    kind: str  # digest, escalation, plan_moved, partner, partner_date, report, contact (MessageKind)
    language: str
    subject: str
    body: str
    items: tuple[dict, ...]  # {"person", "key", "due"}
    day: dt.date
    scope: str  # what makes the message unique for the day (with recipient and kind)
    urgent: bool = False
    person_id: int | None = None
    organisation: str | None = None  # the code of the organisation whose message it is (its coordinators see it)
    points: Mapping[str, Mapping[int, dt.date]] = field(default_factory=dict)  # bookkeeping, not shown

    @property
    def idempotency_key(self) -> str:
        return f"{self.recipient}|{self.kind}|{self.scope}|{self.day.isoformat()}"

    def as_json(self) -> dict:
        return {"recipient": self.recipient, "role": self.role, "kind": self.kind, "language": self.language,
                "subject": self.subject, "body": self.body, "items": list(self.items),
                "day": self.day.isoformat(), "urgent": self.urgent, "idempotency_key": self.idempotency_key}


@lru_cache(maxsize=4096)  # a digest repeats the same few hundred due dates
def _date(d: dt.date | None) -> str:
    return format_date(d, "fr")  # both communities write dates DD/MM/YYYY


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=False, keep_trailing_newline=False, trim_blocks=False)
    env.filters["date_fr"] = _date
    env.filters["date_nl"] = _date
    env.filters["label_fr"] = lambda code, context: label(code, "fr", context)
    env.filters["label_nl"] = lambda code, context: label(code, "nl", context)
    return env


def link(public_url: str | None, path: str) -> str | None:
    """The web workspace's page `path` ("/week") under RAJ_PUBLIC_URL, or None when it is not set."""
    return f"{public_url.rstrip('/')}{path}" if public_url else None


def heading(kind: MessageKind, lang: str) -> str:
    """A message kind's label as a subject's first words (« Signalement à la coordination »)."""
    text = label(kind, lang)
    return text[:1].upper() + text[1:]


def render(kind: str, language: str, **context) -> tuple[str, str]:
    """(subject, body) of template `kind` in `language` (falls back to French). `link` (a URL or None) is
    the web page the message leads to; without one the templates print no link line."""
    lang = language if language in ("fr", "nl") else "fr"
    context.setdefault("link", None)
    text = environment().get_template(f"{kind}.{lang}.txt.j2").render(**context).strip() + "\n"
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"template {kind}.{lang}.txt.j2 must start with 'Subject: '")
    body = rest.strip("\n")
    if " \n" in body or "\t\n" in body:  # a line ending in spaces (an empty value at its end): trimmed
        body = "\n".join([line.rstrip() for line in body.splitlines()])
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return first.removeprefix("Subject: ").strip(), body.strip() + "\n"


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    language: str
    role: str = ""  # as, psy, coordinator or partner
    contact: str = ""  # a worker's phone or e-mail, as a partner may read it


@dataclass(frozen=True)
class Contact:
    """Whom a partner answers: a responsible worker, their role in the reader's language, their contact."""

    name: str
    role: str
    contact: str


@dataclass(frozen=True)
class PartnerLine:
    """Everything a partner's message may show about one démarche."""

    person: str  # reference or initials
    label: str
    due: dt.date
    reason: str  # "soon" or "today": a date already past is not asked of the partner (engine.py)
    contacts: tuple[Contact, ...]  # the démarche's responsible worker(s): the AS, the psychologue, or both
    link: str | None = None  # the partner's personal link to answer (None: RAJ_PUBLIC_URL is not set)


class Directory:
    """What the message builder needs to know beyond the démarches (filled by the service layer)."""

    def __init__(self, organisation_name: Callable[[str], str], worker: Callable[[str], Recipient | None],
                 coordinators: Callable[[str], Sequence[Recipient]], partner: Callable[[str], Recipient | None],
                 label: Callable[[str, str], str], partner_person: Callable[[Item], str],
                 escalate_after: int = 5, public_url: str | None = None,
                 reply_link: Callable[[Item], str | None] | None = None) -> None:
        self.organisation_name = organisation_name
        self.worker = worker  # an active worker by id (with their name, language and contact), or None
        self.coordinators = coordinators
        self.partner = partner
        self.label = label
        self.partner_person = partner_person
        self.escalate_after = escalate_after
        self.public_url = public_url  # RAJ_PUBLIC_URL: the messages link to the web workspace under it
        # a partner's personal link to answer the application of an item (made by the service layer)
        self.reply_link = reply_link or (lambda _item: None)

    def name(self, worker_id: str) -> str:
        """A worker's name (their id when they are unknown or no longer active)."""
        w = self.worker(worker_id)
        return w.name if w is not None else worker_id

    def contacts(self, i: Item, lang: str) -> tuple[Contact, ...]:
        """Whom a partner answers about `i`: the démarche's responsible worker(s), with their role."""
        c = i.candidate
        out = []
        for wid, role, to in ((c.as_id, Role.AS, TO_AS), (c.psy_id, Role.PSY, TO_PSY)):
            w = self.worker(wid)
            if c.responsible in to and w is not None:
                out.append(Contact(w.name, label(role, lang), w.contact))
        return tuple(out)


SECTIONS = ("overdue", "today", "soon")  # a digest's sections, in this order (labels: context "Section")


class _Labels(dict):
    """The démarches' labels in one language, each looked up once per build (key → label)."""

    def __init__(self, d: Directory, lang: str) -> None:
        super().__init__()
        self.d, self.lang = d, lang

    def __missing__(self, key: str) -> str:
        got = self[key] = self.d.label(key, self.lang)
        return got


# A digest, an escalation or a "partner_date" message is given its lines as tuples, which the templates
# unpack by name (`{% for due, person, label, reason, days, status in rows %}`): a digest of a large
# caseload renders tens of thousands of lines, and a tuple costs a fraction of an object's attribute reads.

def _rows(items: Iterable[Item], labels: _Labels) -> list[tuple]:
    """A digest's lines: (due, person, label, reason, working days, status)."""
    return [((c := i.candidate).due, c.person_ref, labels[c.key], i.reason, i.working_days, c.status)
            for i in items]


def _escalation_rows(items: Iterable[Item], labels: _Labels, d: Directory) -> list[tuple]:
    """An escalation's lines: (due, person, label, working days, the AS's name, the psychologue's name)."""
    return [((c := i.candidate).due, c.person_ref, labels[c.key], i.working_days, d.name(c.as_id),
             d.name(c.psy_id)) for i in items]


def _partner_name(i: Item, d: Directory) -> str:
    pid = i.partner or i.candidate.partner_id
    p = d.partner(pid) if pid else None
    return p.name if p is not None else (pid or "")


def _partner_rows(items: Iterable[Item], labels: _Labels, d: Directory) -> list[tuple]:
    """A "partner_date" message's lines: (due, person, label, partner's name, working days)."""
    return [((c := i.candidate).due, c.person_ref, labels[c.key], _partner_name(i, d), i.working_days)
            for i in items]


_REF = attrgetter("candidate.person_ref")  # an item's person, as a worker reads it


@lru_cache(maxsize=4096)
def _iso(d: dt.date) -> str:
    return d.isoformat()


def _items_json(items: Iterable[Item], person: Callable[[Item], str] | None = None) -> tuple[dict, ...]:
    person = person or _REF
    return tuple([{"person": person(i), "key": (c := i.candidate).key, "due": _iso(c.due)} for i in items])


def build_messages(dues: Iterable[Due], day: dt.date, d: Directory) -> list[Message]:
    """One message per recipient and kind: digests to workers (with the partners no consent covers),
    escalations to each coordinator, a partner's message per person."""
    out: list[Message] = []
    dues = list(dues)
    consent = {(x.recipient, x.role): x for x in dues if x.kind == "consent"}
    digested = {(x.recipient, x.role) for x in dues if x.kind == "digest"}
    dues += [Due(x.recipient, x.role, "digest", ()) for k, x in consent.items() if k not in digested]
    for due in dues:
        if due.kind == "digest":
            w = d.worker(due.recipient)
            if w is None:
                continue
            labels = _Labels(d, w.language)
            lines = _rows(due.items, labels)
            sections = [(label(r, w.language, "Section"), [x for x in lines if x[3] == r]) for r in SECTIONS]
            missing = consent.get((due.recipient, due.role))
            no_consent = [(i.candidate.person_ref, labels[i.candidate.key], _partner_name(i, d))
                          for i in missing.items] if missing else []
            first = (due.items or missing.items)[0]
            org = first.candidate.organisation
            subject, body = render("digest", w.language, items=lines, sections=[s for s in sections if s[1]],
                                   no_consent=no_consent, day=day, recipient_name=w.name,
                                   organisation=d.organisation_name(org), link=link(d.public_url, "/week"))
            items = _items_json(due.items) + (tuple(
                {"person": i.candidate.person_ref, "key": i.candidate.key, "due": _iso(i.candidate.due),
                 "consent_missing": i.partner} for i in missing.items) if missing else ())
            out.append(Message(w.id, due.role, "digest", w.language, subject, body, items, day, "digest",
                               organisation=org, points=sent_points([due] + ([missing] if missing else []))))
        elif due.kind == "escalation":
            for coord in d.coordinators(due.recipient):
                lines = _escalation_rows(due.items, _Labels(d, coord.language), d)
                subject, body = render("escalation", coord.language, items=lines, day=day,
                                       heading=heading(MessageKind.ESCALATION, coord.language),
                                       escalate_after=d.escalate_after,
                                       organisation=d.organisation_name(due.recipient),
                                       link=link(d.public_url, "/dashboard"))
                out.append(Message(coord.id, "coordinator", "escalation", coord.language, subject, body,
                                   _items_json(due.items), day, "escalation", organisation=due.recipient,
                                   points=sent_points([due])))
        elif due.kind == "partner":
            p = d.partner(due.recipient)
            if p is None:
                continue
            lines = [PartnerLine(d.partner_person(i), d.label(i.candidate.key, p.language), i.candidate.due,
                                 i.reason, d.contacts(i, p.language), d.reply_link(i)) for i in due.items]
            first = due.items[0].candidate
            subject, body = render("partner", p.language, items=lines,
                                   organisation=d.organisation_name(first.organisation))
            out.append(Message(p.id, "partner", "partner", p.language, subject, body,
                               _items_json(due.items, d.partner_person), day,
                               f"partner-{first.organisation}-{first.person_id}", person_id=first.person_id,
                               organisation=first.organisation, points=sent_points([due])))
        elif due.kind == "partner_date":  # the date wished from a partner is past: ask the worker for a new one
            w = d.worker(due.recipient)
            if w is None:
                continue
            lines = _partner_rows(due.items, _Labels(d, w.language), d)
            org = due.items[0].candidate.organisation
            subject, body = render("partner_date", w.language, items=lines, day=day, recipient_name=w.name,
                                   organisation=d.organisation_name(org), link=link(d.public_url, "/week"))
            out.append(Message(w.id, due.role, "partner_date", w.language, subject, body, _items_json(due.items),
                               day, "partner-date", organisation=org, points=sent_points([due])))
    return out


@dataclass(frozen=True)
class Move:
    key: str
    old_due: dt.date | None
    new_due: dt.date | None


def plan_moved_messages(person_ref: str, person_id: int, moves: Sequence[Move], recipients: Sequence[Recipient],
                        what: Mapping[str, str], why: str | None, who: str, day: dt.date, scope: str,
                        organisation: str, label: Callable[[str, str], str], urgent: bool = False,
                        organisation_code: str | None = None, public_url: str | None = None) -> list[Message]:
    """One "your plan moved" message per member of the binôme, listing every démarche that moved.

    `what` gives the change in each language ({"fr": ..., "nl": ...}); `public_url` (RAJ_PUBLIC_URL) links
    the message to the person's plan.
    """
    if not moves:
        return []
    out = []
    for r in recipients:
        lines = [{"label": label(m.key, r.language), "old_due": m.old_due, "due": m.new_due} for m in moves]
        subject, body = render("plan_moved", r.language, items=lines, person=person_ref,
                               what=what.get(r.language, what["fr"]), why=why, who=who, urgent=urgent,
                               recipient_name=r.name, organisation=organisation,
                               link=link(public_url, f"/persons/{quote(person_ref, safe='')}"))
        items = tuple({"person": person_ref, "key": m.key, "due": m.new_due.isoformat() if m.new_due else None}
                      for m in moves)
        out.append(Message(r.id, r.role or "as", "plan_moved", r.language, subject, body, items, day, scope,
                           urgent=urgent, person_id=person_id, organisation=organisation_code))
    return out


def milestone_change_text(kind: MilestoneKind, old: dt.date | None, new: dt.date) -> dict[str, str]:
    """'Date « audience TAP/JAP » déplacée : 20/04/2027 → 15/06/2027' in each language."""
    out = {}
    for lang in ("fr", "nl"):
        what = label(kind, lang)
        if old is None:
            out[lang] = tr(lang, "New date « {what} »: {new}").format(what=what, new=format_date(new, lang))
        else:
            out[lang] = tr(lang, "Date « {what} » moved: {old} → {new}").format(
                what=what, old=format_date(old, lang), new=format_date(new, lang))
    return out


@dataclass(slots=True)
class ContactLine:
    """One person of a contact message: released on `released`, no meeting held since `since`."""

    person: str
    released: dt.date
    since: dt.date
    held_before: bool  # `since` is a held meeting (else the release itself)
    working_days: int
    as_name: str
    psy_name: str


def contact_messages(dues: Iterable[ContactDue], day: dt.date, d: Directory,
                     escalate_after: int = 5) -> list[Message]:
    """The contact alert after release: one "contact" message per binôme member listing their persons
    without a meeting held, and one per coordinator of the organisation for the escalations."""
    out: list[Message] = []
    for due in dues:
        names = due.kind != "reminder"  # the coordinators read who the binôme is
        lines = [ContactLine(i.candidate.person_ref, i.candidate.released, i.since,
                             i.candidate.last_held is not None and i.since == i.candidate.last_held,
                             i.working_days, d.name(i.candidate.as_id) if names else i.candidate.as_id,
                             d.name(i.candidate.psy_id) if names else i.candidate.psy_id) for i in due.items]
        items = tuple({"person": i.candidate.person_ref, "key": "contact", "due": i.point.isoformat(),
                       "since": i.since.isoformat()} for i in due.items)
        if due.kind == "reminder":
            w = d.worker(due.recipient)
            if w is None:
                continue
            org = due.items[0].candidate.organisation
            subject, body = render("contact", w.language, items=lines, day=day, recipient_name=w.name,
                                   organisation=d.organisation_name(org), link=link(d.public_url, "/week"))
            out.append(Message(w.id, due.role, "contact", w.language, subject, body, items, day, "contact",
                               organisation=org, points=contact_sent([due])))
        else:
            for coord in d.coordinators(due.recipient):
                subject, body = render("contact_escalation", coord.language, items=lines, day=day,
                                       heading=heading(MessageKind.ESCALATION, coord.language),
                                       escalate_after=escalate_after, organisation=d.organisation_name(due.recipient),
                                       link=link(d.public_url, "/dashboard"))
                out.append(Message(coord.id, "coordinator", "contact", coord.language, subject, body, items, day,
                                   "contact-escalation", organisation=due.recipient, points=contact_sent([due])))
    return out
