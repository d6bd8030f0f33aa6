"""A partner's messages about one application, and a partner's answer told to the binôme: the request (the
démarche sent, with the partner's reply link), the withdrawal, and the answer in the reader's words. A
partner's message prints only what `PartnerLine` holds (need-to-know, messages.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from raj_release.i18n import format_date, label, tr
from raj_release.reminders.messages import Message, PartnerLine, Recipient, link, render


def partner_notice(kind: str, partner: Recipient, line: PartnerLine, *, day: dt.date, scope: str, organisation: str,
                   organisation_code: str | None, person_id: int, key: str, days: int = 21) -> Message:
    """A partner's message about one application: "request" (the démarche sent, with the reply link) or
    "withdrawal" (the application withdrawn). Only what `PartnerLine` holds is printed."""
    subject, body = render(kind, partner.language, line=line, organisation=organisation, days=days)
    items = ({"person": line.person, "key": key, "due": line.due.isoformat()},)
    return Message(partner.id, "partner", kind, partner.language, subject, body, items, day, scope,
                   person_id=person_id, organisation=organisation_code)


def answer_words(answer: str, lang: str, *, position: int | None = None, expected: dt.date | None = None,
                 entry: dt.date | None = None, reason: str | None = None, documents: str | None = None) -> str:
    """A partner's answer in the reader's words: « Liste d'attente, position 4, place attendue le 01/03/2027 »."""
    words = label(answer, lang, "PartnerAnswer")
    out = [words[:1].upper() + words[1:]]
    if position is not None:
        out.append(tr(lang, "position %(n)s") % {"n": position})
    if expected is not None:
        out.append(tr(lang, "a place expected on %(date)s") % {"date": format_date(expected, lang)})
    if entry is not None:
        out.append(tr(lang, "entry or appointment on %(date)s") % {"date": format_date(entry, lang)})
    if reason:
        out.append(tr(lang, "reason: %(text)s") % {"text": reason})
    if documents:
        out.append(tr(lang, "documents missing: %(text)s") % {"text": documents})
    return ", ".join(out)


def answer_messages(recipients: Sequence[Recipient], *, partner_name: str, person_ref: str, person_id: int,
                    label_of: Callable[[str], str], answer: Mapping[str, str], text: str | None, others: bool,
                    day: dt.date, scope: str, organisation: str, organisation_code: str | None,
                    public_url: str | None, key: str) -> list[Message]:
    """A partner's answer, to each member of the binôme, at once (urgent): `answer` in each language,
    `label_of(lang)` the démarche's label; `others`: other applications of the démarche are still open."""
    out = []
    for r in recipients:
        subject, body = render("answer", r.language, partner=partner_name, person=person_ref,
                               label=label_of(r.language), answer=answer.get(r.language, answer["fr"]), text=text,
                               others=others, recipient_name=r.name, organisation=organisation,
                               link=link(public_url, f"/persons/{quote(person_ref, safe='')}"))
        out.append(Message(r.id, r.role or "as", "answer", r.language, subject, body,
                           ({"person": person_ref, "key": key},), day, scope, urgent=True, person_id=person_id,
                           organisation=organisation_code))
    return out
