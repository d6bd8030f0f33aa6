"""What the commands print: tables and messages, in the CLI's language; dates as DD/MM/YYYY.

Codes are printed as words (issue 11): labels of the enums, workers' names, partners' and prisons' names,
démarche labels (`names()`: looked up once a command, from the database's workers and the configuration).
The JSON output (--json) keeps the codes. Rich markup is ours only (colours, bold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from raj_release.cli import shell
from raj_release.cli.shell import LANG
from raj_release.domain.enums import (
    Certainty,
    Language,
    MessageKind,
    Modality,
    Need,
    OutboxStatus,
    Pillar,
    Responsible,
    Role,
    Situation,
    Stage,
    Status,
)
from raj_release.domain.history import Names, partner_type
from raj_release.i18n import format_date, label, tr

if TYPE_CHECKING:
    from raj_release.reminders.messages import Message
    from raj_release.services.auth import TokenInfo
    from raj_release.services.caseload import CaseloadRow, PersonList
    from raj_release.services.demarches import OverdueRow
    from raj_release.services.outbox import OutboxRow
    from raj_release.services.views import PlanView
    from raj_release.services.workers import WorkerView

out = Console(highlight=False, soft_wrap=False, width=160)


_names: Names | None = None


def names() -> Names:
    """The words for the ids and keys the tables print (the workers' names are one query, made once)."""
    global _names
    if _names is None:
        from raj_release.services.workers import list_workers  # at call time: would slow raj --help

        ctx = shell.context()
        _names = Names.of(ctx.config, {w.id: w.name for w in list_workers(ctx)}, LANG)
    return _names


def use_names(words: Names | None) -> None:
    """Set the words the tables use (None: look them up again on the next table)."""
    global _names
    _names = words


def date(d: dt.date | None) -> str:
    return format_date(d, LANG)


def _code(enum, value) -> str:
    """A code's label, or the code itself when it is not one of `enum` (a value from an older version)."""
    try:
        return label(enum(value), LANG)
    except ValueError:
        return str(value or "")


def role_word(value: str) -> str:
    """A recipient's role: a worker's role, or a partner."""
    return label(Responsible.PARTNER, LANG) if value == "partner" else _code(Role, value)


def ready_title(view: PlanView) -> str:
    p = view.person
    if p.situation == Situation.PREVENU.value or p.modality == Modality.FOND_DE_PEINE.value:
        return tr(LANG, "Ready for the release: ")
    return tr(LANG, "Ready for the hearing: ")


def status(s: Status | str) -> str:
    return label(Status(s), LANG)


def changes(view: PlanView) -> None:
    """What the change just made moved."""
    if not view.changes:
        out.print(tr(LANG, "No démarche moved."))
        return
    t = Table(tr(LANG, "Démarche"), tr(LANG, "Before"), tr(LANG, "After"),
              title=tr(LANG, "{n} démarche(s) moved").format(n=len(view.changes)))
    for c in view.changes:
        t.add_row(c.label or names().demarche(c.key), date(c.old_due), date(c.new_due))
    out.print(t)


def outcome(view: PlanView) -> None:
    """What a change of the file did: démarches added, moved, no longer applying, closed, reopened."""
    lists = ((view.added, tr(LANG, "Added")), (view.no_longer_applies, tr(LANG, "No longer applies")),
             (view.applies_again, tr(LANG, "Applies again")), (view.closed, tr(LANG, "Closed with the file")),
             (view.reopened, tr(LANG, "Planned again")))
    moved = [c for c in view.changes if c.old_due is not None]
    if moved:
        t = Table(tr(LANG, "Démarche"), tr(LANG, "Before"), tr(LANG, "After"),
                  title=tr(LANG, "{n} démarche(s) moved").format(n=len(moved)))
        for c in moved:
            t.add_row(c.label or c.key, date(c.old_due), date(c.new_due))
        out.print(t)
    for items, title in lists:
        if items:
            t = Table(tr(LANG, "Démarche"), tr(LANG, "Due"), title=f"{title} ({len(items)})")
            for c in items:
                t.add_row(c.label or c.key, date(c.new_due if c.new_due is not None else c.old_due))
            out.print(t)
    if not moved and not any(items for items, _ in lists):
        out.print(tr(LANG, "The plan did not change."))


def plan(view: PlanView) -> None:
    p = view.person
    words = names()
    head = tr(LANG, "Plan de reclassement of {ref} — {prison}, {situation}, binôme {as_id} + {psy_id}").format(
        ref=p.ref, prison=words.prison(p.prison) if p.prison else label("outside", LANG, "Origin"),
        situation=_code(Situation, p.situation), as_id=words.worker(p.as_id), psy_id=words.worker(p.psy_id))
    if p.needs:
        head += tr(LANG, ", needs: {needs}").format(needs=", ".join(_code(Need, n) for n in p.needs))
    out.print(f"[bold]{head}[/bold]")
    if p.stage != "followed" or not p.planned:
        out.print(tr(LANG, "Stage: {stage}").format(stage=label(p.stage, LANG, "Stage"))
                  + ("" if p.planned else " — " + tr(LANG, "the plan is not made yet (raj person stage REF ... --plan)")))
    ms = ", ".join(f"{label(m.kind, LANG)} {date(m.date)}"
                   + (f" [{_code(Certainty, m.certainty)}]" if m.certainty != "confirmed" else "")
                   for m in view.milestones)
    out.print(tr(LANG, "Dates: {milestones}").format(milestones=ms))
    if view.mode == "prevenu_kit":
        out.print(tr(LANG, "Prévenu without a date: the minimum kit is planned from the intake."))
    if view.at_risk:
        risk = tr(LANG, "Plan at risk:")
        out.print(f"[bold red]{risk}[/bold red] " + tr(LANG, "some démarches can no longer be done in time for "
                                                             "what they prepare."))
    t = Table(tr(LANG, "Due"), tr(LANG, "Start"), tr(LANG, "Démarche"), tr(LANG, "Pillar"), tr(LANG, "Resp."),
              tr(LANG, "Partner"), tr(LANG, "Status"), "", title=tr(LANG, "as of {date}").format(date=date(view.as_of)))
    marks = {"overdue": tr(LANG, "overdue"), "compressed": tr(LANG, "squeezed"), "pinned": tr(LANG, "pinned"),
             "provisional": tr(LANG, "provisional")}
    for d in view.demarches:
        flags = " ".join(marks[f] for f in marks if getattr(d, f))
        due = f"[red]{date(d.due)}[/red]" if d.overdue else date(d.due)
        partner = words.partner(d.partner) if d.partner else partner_type(d.partner_type, LANG)
        t.add_row(due, date(d.start), d.label, _code(Pillar, d.pillar), _code(Responsible, d.responsible), partner,
                  status(d.status), flags)
    out.print(t)
    ready = [f"{_code(Pillar, r.pillar)} {r.done}/{r.total}" for r in view.readiness if r.total]
    if ready:
        out.print(ready_title(view) + " · ".join(ready))


def workers(rows: Iterable[WorkerView]) -> None:
    t = Table(tr(LANG, "ID"), tr(LANG, "Name"), tr(LANG, "Role"), tr(LANG, "Language"), tr(LANG, "Organisation"),
              tr(LANG, "Channels"), title=tr(LANG, "Workers"))
    for w in rows:
        t.add_row(w.id, w.name, _code(Role, w.role), _code(Language, w.language), w.organisation, str(len(w.notify)))
    out.print(t)


def persons(result: PersonList) -> None:
    counts = ", ".join(f"{label(Stage(k), LANG)} {n}" for k, n in result.counts.items())
    t = Table(tr(LANG, "Ref."), tr(LANG, "Stage"), tr(LANG, "Prison"), tr(LANG, "Situation"), tr(LANG, "AS"),
              tr(LANG, "Psy"), tr(LANG, "Open"), tr(LANG, "Overdue"), tr(LANG, "Next due date"), tr(LANG, "Hearing"),
              title=tr(LANG, "File active: {n} files (page {page}/{pages})").format(
                  n=result.total, page=result.page, pages=result.pages),
              caption=counts)
    for r in result.rows:
        t.add_row(r.ref, label(r.stage, LANG), names().prison(r.prison) if r.prison else label("outside", LANG, "Origin"), label(r.situation, LANG, "Situation"), r.as_name,
                  r.psy_name, str(r.open), f"[red]{r.overdue}[/red]" if r.overdue else "0", date(r.next_due),
                  date(r.hearing))
    out.print(t)


def caseloads(rows: Sequence[CaseloadRow]) -> None:
    t = Table(tr(LANG, "Organisation"), tr(LANG, "ID"), tr(LANG, "Name"), tr(LANG, "Role"), tr(LANG, "Open files"),
              tr(LANG, "Overdue"), tr(LANG, "Hearings within 60 days"), title=tr(LANG, "Caseloads"))
    for r in rows:
        t.add_row(r.organisation, r.worker, r.name, _code(Role, r.role), str(r.open_files),
                  f"[red]{r.overdue}[/red]" if r.overdue else "0", str(r.hearings))
    out.print(t)


def overdue(rows: Sequence[OverdueRow], day: dt.date) -> None:
    t = Table(tr(LANG, "Ref."), tr(LANG, "Démarche"), tr(LANG, "Due"), tr(LANG, "Late (working days)"),
              tr(LANG, "Status"), tr(LANG, "Resp."), tr(LANG, "AS"), tr(LANG, "Psy"),
              tr(LANG, "Prison"),
              title=tr(LANG, "Overdue démarches as of {date} ({n})").format(date=date(day), n=len(rows)))
    words = names() if rows else None
    for r in rows:
        t.add_row(r.person, words.demarche(r.key), date(r.due), f"[red]{r.late_working_days}[/red]",
                  status(r.status), _code(Responsible, r.responsible), words.worker(r.as_id), words.worker(r.psy_id),
                  words.prison(r.prison))
    out.print(t)


def outbox(rows: Sequence[OutboxRow]) -> None:
    t = Table("#", tr(LANG, "Day"), tr(LANG, "Kind"), tr(LANG, "Recipient"), tr(LANG, "Role"), tr(LANG, "Status"),
              tr(LANG, "Attempts"), tr(LANG, "Subject"), tr(LANG, "Error"),
              title=tr(LANG, "Outbox ({n})").format(n=len(rows)))
    words = names() if rows else None
    for r in rows:
        st = label(OutboxStatus(r.status), LANG)
        who = words.worker(r.recipient) if r.role != "partner" else words.partner(r.recipient)
        t.add_row(str(r.id), date(r.day), _code(MessageKind, r.kind), who, role_word(r.role),
                  f"[red]{st}[/red]" if r.status == OutboxStatus.DEAD else st, str(r.attempts), r.subject,
                  r.last_error or "")
    out.print(t)


def messages(msgs: Iterable[Message]) -> None:
    """Each message whole: who it goes to, its subject and its body."""
    for msg in msgs:
        message(msg.kind, msg.recipient, msg.role, msg.language, msg.subject, msg.body)


def message(kind: str, recipient: str, role: str, language: str, subject: str, body: str) -> None:
    words = names()
    who = words.partner(recipient) if role == "partner" else words.worker(recipient)
    out.rule(f"{_code(MessageKind, kind)} → {who} ({role_word(role)}, {_code(Language, language)})")
    out.print(f"[bold]{subject}[/bold]")
    out.print(body, markup=False)


def tokens(rows: Iterable[TokenInfo]) -> None:
    t = Table(tr(LANG, "Worker"), tr(LANG, "Name"), tr(LANG, "Created"), tr(LANG, "Last used"), tr(LANG, "Revoked"),
              title=tr(LANG, "API tokens"))
    for r in rows:
        used = f"{date(r.last_used_at.date())} {r.last_used_at:%H:%M}" if r.last_used_at else "—"
        t.add_row(r.worker, r.name, date(r.created_at.date()), used, tr(LANG, "yes") if r.revoked else "")
    out.print(t)
