"""`raj consent grant|withdraw|list`: the person's consent register; `raj demarche apply` and `raj application
set|list`: a démarche sent to partners, and where each application stands (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain.models import parse_date
from raj_release.i18n import label, tr

RefArg = Annotated[str, typer.Argument(metavar="REF")]
KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="The démarche's key (demarches.yaml).")]


def _partner(ctx, pid: str | None) -> str:
    p = ctx.config.partners.get(pid or "")
    return p.name if p else (pid or "")


def _purpose(ctx, key: str, lang: str) -> str:
    p = ctx.config.consents.by_key.get(key) if ctx.config.consents else None
    return (p.label.nl if lang == "nl" else p.label.fr) if p else key


def _consents_table(ctx, view) -> None:
    from rich.table import Table

    lang = shell.LANG
    t = Table("#", tr(lang, "Partner"), tr(lang, "Purpose"), tr(lang, "Given on"), tr(lang, "How"),
              tr(lang, "Until"), tr(lang, "Withdrawn on"), tr(lang, "Recorded by"), title=tr(lang, "Consents"))
    for c in view.consents:
        who = _partner(ctx, c.partner) if c.partner else label(c.partner_type or "", lang, "PartnerType")
        t.add_row(str(c.id), who, _purpose(ctx, c.purpose, lang), render.date(c.given_on), label(c.how, lang),
                  render.date(c.until) if c.until else "—",
                  f"{render.date(c.withdrawn_on)} ({c.withdraw_reason})" if c.withdrawn_on else "—", c.recorded_by)
    if view.consents:
        render.out.print(t)
    else:
        render.out.print(tr(lang, "No consent recorded."))
    for miss in view.missing:
        t = ctx.config.templates.by_key.get(miss.key)
        what = t.label_in(lang) if t else miss.key
        whom = (_partner(ctx, miss.partner) if miss.partner else
                ", ".join(label(x, lang, "PartnerType") for x in miss.partner_types))
        render.out.print(tr(lang, "Consent missing for {partner} ({demarche})").format(partner=whom, demarche=what))


@shell.words(partner="--partner", partner_type="--partner-type", purpose="--purpose", date="--date",
             until="--until", how="--how")
def consent_grant(
    ref: RefArg,
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of sharing (config/consents.yaml).")],
    partner: Annotated[str | None, typer.Option("--partner", help="A partner of the directory (its id).")] = None,
    partner_type: Annotated[str | None, typer.Option("--partner-type", help="Every partner of a type.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="The day it was given (YYYY-MM-DD; today).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="The last day it holds (YYYY-MM-DD).")] = None,
    how: Annotated[str, typer.Option("--how", help="signed (a signed form) or oral (both binôme members present).")]
    = "signed",
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a consent of the person: a partner (or a partner type) and a purpose."""
    from raj_release.services.consents import consents_of, grant  # at call time: would slow raj --help

    given = parse_date(date, "--date") if date else None
    last = parse_date(until, "--until") if until else None
    ctx = shell.context()
    day = shell.today(ctx, today)
    view = grant(ctx, ref, purpose=purpose, partner=partner, partner_type=partner_type, given_on=given, until=last,
                 how=how, today=day, actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _consents_table(ctx, consents_of(ctx, ref, today=day))


@shell.words(consent="CONSENT_ID", date="--date", reason="--reason")
def consent_withdraw(
    ref: RefArg,
    consent_id: Annotated[int, typer.Argument(metavar="CONSENT_ID", help="The consent's number (raj consent list).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn.")],
    date: Annotated[str | None, typer.Option("--date", help="From which day (YYYY-MM-DD; today).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Withdraw a consent: what waits in the outbox for its partners is cancelled, nothing more is sent."""
    from raj_release.services.consents import consents_of, withdraw  # at call time: would slow raj --help

    on = parse_date(date, "--date") if date else None
    ctx = shell.context()
    day = shell.today(ctx, today)
    view = withdraw(ctx, ref, consent_id, reason=reason, on=on, today=day, actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _consents_table(ctx, consents_of(ctx, ref, today=day))


def consent_list(ref: RefArg, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """The person's consents, and what the plan would share without one."""
    from raj_release.services.consents import consents_of  # at call time: would slow raj --help

    ctx = shell.context()
    view = consents_of(ctx, ref, today=shell.today(ctx, today))
    if as_json:
        return shell.print_json(view.as_json())
    _consents_table(ctx, view)


def _applications_table(ctx, rows) -> None:
    from rich.table import Table

    lang = shell.LANG
    t = Table(tr(lang, "Démarche"), tr(lang, "Partner"), tr(lang, "State"), tr(lang, "Sent on"),
              tr(lang, "Details"), title=tr(lang, "Applications"))
    for a in rows:
        tpl = ctx.config.templates.by_key.get(a.key)
        details = []
        if a.position is not None:
            details.append(tr(lang, "position {n}").format(n=a.position))
        if a.expected:
            details.append(tr(lang, "expected {date}").format(date=render.date(a.expected)))
        if a.entry:
            details.append(tr(lang, "entry {date}").format(date=render.date(a.entry)))
        if a.reason:
            details.append(a.reason)
        if a.documents:
            details.append(tr(lang, "documents missing: {text}").format(text=a.documents))
        if not a.consent:
            details.append(tr(lang, "consent missing"))
        t.add_row(tpl.label_in(lang) if tpl else a.key, a.partner_name, label(a.state, lang),
                  render.date(a.sent_on), "; ".join(details))
    if rows:
        render.out.print(t)
    else:
        render.out.print(tr(lang, "No application."))


@shell.words(partner="--partner")
def demarche_apply(
    ref: RefArg, key: KeyArg,
    partner: Annotated[list[str], typer.Option("--partner", help="A partner of the démarche's types; repeat it "
                                                                 "to send to several at once.")],
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a démarche to one or several partners at once (an application each, with a reply link)."""
    from raj_release.services.applications import apply  # at call time: would slow raj --help

    ctx = shell.context()
    rows = apply(ctx, ref, key, partner, today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    _applications_table(ctx, rows)


@shell.words(partner="--partner", state="STATE", date="--date", position="--position", reason="--reason")
def application_set(
    ref: RefArg, key: KeyArg,
    state: Annotated[str, typer.Argument(metavar="STATE", help="sent | waitlist | accepted | refused | withdrawn")],
    partner: Annotated[str, typer.Option("--partner", help="The partner the application was sent to.")],
    date: Annotated[str | None, typer.Option("--date", help="Entry or appointment date (accepted), expected date "
                                                            "(waitlist), YYYY-MM-DD.")] = None,
    position: Annotated[int | None, typer.Option("--position", help="Place on the waiting list.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why refused or withdrawn.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record where an application stands (an acceptance with a date pins the démarche to it)."""
    from raj_release.services.applications import applications_of, set_state  # at call time

    on = parse_date(date, "--date") if date else None
    ctx = shell.context()
    day = shell.today(ctx, today)
    view = set_state(ctx, ref, key, partner, state, on=on, position=position, reason=reason, today=day,
                     actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _applications_table(ctx, applications_of(ctx, ref, key, today=day))


def application_list(ref: RefArg, key: Annotated[str | None, typer.Argument(metavar="[KEY]")] = None,
                     today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """A person's applications (of one démarche)."""
    from raj_release.services.applications import applications_of  # at call time: would slow raj --help

    ctx = shell.context()
    rows = applications_of(ctx, ref, key, today=shell.today(ctx, today))
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    _applications_table(ctx, rows)
