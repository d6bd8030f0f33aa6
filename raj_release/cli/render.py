"""What the commands print: tables and messages, in the CLI's language; dates as DD/MM/YYYY.

The views' fields are printed as the services give them; rich markup is ours only (colours, bold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from raj_release.cli.shell import LANG
from raj_release.domain.enums import OutboxStatus, Stage, Status
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


def date(d: dt.date | None) -> str:
    return format_date(d, LANG)


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
        t.add_row(c.key, date(c.old_due), date(c.new_due))
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
    head = tr(LANG, "Plan de reclassement of {ref} — {prison}, {situation}, binôme {as_id} + {psy_id}").format(
        ref=p.ref, prison=p.prison or label("outside", LANG, "Origin"), situation=p.situation, as_id=p.as_id,
        psy_id=p.psy_id)
    if p.needs:
        head += tr(LANG, ", needs: {needs}").format(needs=", ".join(p.needs))
    out.print(f"[bold]{head}[/bold]")
    if p.stage != "followed" or not p.planned:
        out.print(tr(LANG, "Stage: {stage}").format(stage=label(p.stage, LANG, "Stage"))
                  + ("" if p.planned else " — " + tr(LANG, "the plan is not made yet (raj person stage REF ... --plan)")))
    ms = ", ".join(f"{m.kind.value} {date(m.date)}"
                   + (f" [{m.certainty}]" if m.certainty != "confirmed" else "") for m in view.milestones)
    out.print(tr(LANG, "Dates: {milestones}").format(milestones=ms))
    if view.mode == "prevenu_kit":
        out.print(tr(LANG, "Prévenu without a date: the minimum kit is planned from the intake."))
    if view.at_risk:
        risk = tr(LANG, "Plan at risk:")
        out.print(f"[bold red]{risk}[/bold red] " + tr(LANG, "some démarches can no longer be done in time for "
                                                             "what they prepare."))
    t = Table(tr(LANG, "Due"), tr(LANG, "Start"), tr(LANG, "Démarche"), tr(LANG, "Pillar"), tr(LANG, "Resp."),
              tr(LANG, "Partner"), tr(LANG, "Status"), "", title=tr(LANG, "as of {date}").format(date=date(view.as_of)))
    words = {"overdue": tr(LANG, "overdue"), "compressed": tr(LANG, "squeezed"), "pinned": tr(LANG, "pinned"),
             "provisional": tr(LANG, "provisional")}
    for d in view.demarches:
        flags = " ".join(words[f] for f in words if getattr(d, f))
        due = f"[red]{date(d.due)}[/red]" if d.overdue else date(d.due)
        t.add_row(due, date(d.start), d.label, d.pillar, d.responsible, d.partner_type or "", status(d.status),
                  flags)
    out.print(t)
    ready = [f"{r.pillar} {r.done}/{r.total}" for r in view.readiness if r.total]
    if ready:
        out.print(tr(LANG, "Ready for the hearing: ") + " · ".join(ready))


def workers(rows: Iterable[WorkerView]) -> None:
    t = Table(tr(LANG, "ID"), tr(LANG, "Name"), tr(LANG, "Role"), tr(LANG, "Language"), tr(LANG, "Organisation"),
              tr(LANG, "Channels"), title=tr(LANG, "Workers"))
    for w in rows:
        t.add_row(w.id, w.name, w.role, w.language, w.organisation, str(len(w.notify)))
    out.print(t)


def persons(result: PersonList) -> None:
    counts = ", ".join(f"{label(Stage(k), LANG)} {n}" for k, n in result.counts.items())
    t = Table(tr(LANG, "Ref."), tr(LANG, "Stage"), tr(LANG, "Prison"), tr(LANG, "Situation"), tr(LANG, "AS"),
              tr(LANG, "Psy"), tr(LANG, "Open"), tr(LANG, "Overdue"), tr(LANG, "Next due date"), tr(LANG, "Hearing"),
              title=tr(LANG, "File active: {n} files (page {page}/{pages})").format(
                  n=result.total, page=result.page, pages=result.pages),
              caption=counts)
    for r in result.rows:
        t.add_row(r.ref, label(r.stage, LANG), r.prison or "—", label(r.situation, LANG, "Situation"), r.as_name,
                  r.psy_name, str(r.open), f"[red]{r.overdue}[/red]" if r.overdue else "0", date(r.next_due),
                  date(r.hearing))
    out.print(t)


def caseloads(rows: Sequence[CaseloadRow]) -> None:
    t = Table(tr(LANG, "Organisation"), tr(LANG, "ID"), tr(LANG, "Name"), tr(LANG, "Role"), tr(LANG, "Open files"),
              tr(LANG, "Overdue"), tr(LANG, "Hearings within 60 days"), title=tr(LANG, "Caseloads"))
    for r in rows:
        t.add_row(r.organisation, r.worker, r.name, r.role.value, str(r.open_files),
                  f"[red]{r.overdue}[/red]" if r.overdue else "0", str(r.hearings))
    out.print(t)


def overdue(rows: Sequence[OverdueRow], day: dt.date) -> None:
    t = Table(tr(LANG, "Ref."), tr(LANG, "Démarche"), tr(LANG, "Due"), tr(LANG, "Late (working days)"),
              tr(LANG, "Status"), tr(LANG, "Resp."), tr(LANG, "AS"), tr(LANG, "Psy"),
              tr(LANG, "Prison"),
              title=tr(LANG, "Overdue démarches as of {date} ({n})").format(date=date(day), n=len(rows)))
    for r in rows:
        t.add_row(r.person, r.label, date(r.due), f"[red]{r.late_working_days}[/red]",
                  status(r.status), r.responsible, r.as_id, r.psy_id, r.prison)
    out.print(t)


def outbox(rows: Sequence[OutboxRow]) -> None:
    t = Table("#", tr(LANG, "Day"), tr(LANG, "Kind"), tr(LANG, "Recipient"), tr(LANG, "Role"), tr(LANG, "Status"),
              tr(LANG, "Attempts"), tr(LANG, "Subject"), tr(LANG, "Error"),
              title=tr(LANG, "Outbox ({n})").format(n=len(rows)))
    for r in rows:
        st = label(OutboxStatus(r.status), LANG)
        t.add_row(str(r.id), date(r.day), r.kind, r.recipient, r.role,
                  f"[red]{st}[/red]" if r.status == OutboxStatus.DEAD else st, str(r.attempts), r.subject,
                  r.last_error or "")
    out.print(t)


def messages(msgs: Iterable[Message]) -> None:
    """Each message whole: who it goes to, its subject and its body."""
    for msg in msgs:
        message(msg.kind, msg.recipient, msg.role, msg.language, msg.subject, msg.body)


def message(kind: str, recipient: str, role: str, language: str, subject: str, body: str) -> None:
    out.rule(f"{kind} → {recipient} ({role}, {language})")
    out.print(f"[bold]{subject}[/bold]")
    out.print(body, markup=False)


def tokens(rows: Iterable[TokenInfo]) -> None:
    t = Table(tr(LANG, "Worker"), tr(LANG, "Name"), tr(LANG, "Created"), tr(LANG, "Last used"), tr(LANG, "Revoked"),
              title=tr(LANG, "API tokens"))
    for r in rows:
        used = f"{date(r.last_used_at.date())} {r.last_used_at:%H:%M}" if r.last_used_at else "—"
        t.add_row(r.worker, r.name, date(r.created_at.date()), used, tr(LANG, "yes") if r.revoked else "")
    out.print(t)
