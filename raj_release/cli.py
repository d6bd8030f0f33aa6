"""The `raj` command. Thin: it parses, calls one service, and prints a table or JSON.

Every mistake in the input ends as one line on stderr and exit code 2; the services raise before they
write, so the database is left as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated

import click
import typer

try:  # typer >= 0.29 runs on its own copy of click: catch that copy's usage errors as well as click's
    from typer._click.exceptions import ClickException as _TyperClickException
except ImportError:  # pragma: no cover - older typer
    _TyperClickException = click.ClickException
_EXIT = (click.exceptions.Exit, getattr(typer, "Exit", click.exceptions.Exit))
_ABORT = (click.exceptions.Abort, getattr(typer, "Abort", click.exceptions.Abort))
from rich.console import Console
from rich.table import Table

from raj_release.domain.models import parse_date
from raj_release.errors import RajError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Plans de reclassement: démarches planned backward from the "
                                              "TAP hearing and the release date.")
worker_app = typer.Typer(no_args_is_help=True, help="Workers (AS, psy, coordinators, admins).")
person_app = typer.Typer(no_args_is_help=True, help="Persons followed by a binôme.")
milestone_app = typer.Typer(no_args_is_help=True, help="Key dates: hearing, release, admissibility...")
demarche_app = typer.Typer(no_args_is_help=True, help="Démarches of a plan: status, pinned dates.")
config_app = typer.Typer(no_args_is_help=True, help="The configuration files in config/.")
user_app = typer.Typer(no_args_is_help=True, help="Accounts of the web workspace.")
token_app = typer.Typer(no_args_is_help=True, help="Personal access tokens for the JSON API.")
feed_app = typer.Typer(no_args_is_help=True, help="Workers' calendar feeds (iCalendar).")
app.add_typer(worker_app, name="worker")
app.add_typer(person_app, name="person")
app.add_typer(milestone_app, name="milestone")
app.add_typer(demarche_app, name="demarche")
app.add_typer(config_app, name="config")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(feed_app, name="feed")

out = Console(highlight=False, soft_wrap=False, width=160)

TodayOpt = Annotated[str | None, typer.Option("--today", help="Act as of this date (YYYY-MM-DD).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

_state: dict = {"actor": None}


@app.callback()
def _root(actor: Annotated[str | None, typer.Option(
        "--actor", envvar="RAJ_ACTOR", help="Who acts (a worker id), recorded in the audit log.")] = None) -> None:
    _state["actor"] = actor


def _actor() -> str:
    import getpass

    if _state["actor"]:
        return _state["actor"]
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _ctx(need_schema: bool = True):
    from sqlalchemy import inspect

    from raj_release.services import open_context

    ctx = open_context()
    if need_schema and not inspect(ctx.db.engine).has_table("person"):
        raise RajError(f"database {ctx.db.engine.url.render_as_string(hide_password=True)} is not initialised: "
                       "run `raj init` first")
    return ctx


def _today(ctx, value: str | None) -> dt.date:
    return parse_date(value, "--today") if value is not None else ctx.local_today()


def _opt_date(value: str | None, what: str) -> dt.date | None:
    return parse_date(value, what) if value is not None else None


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _fmt(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "—"


# ---------------------------------------------------------------------------------------------------------
@app.command()
def init(org: Annotated[str | None, typer.Option(help="Code of the organisation to create.")] = None,
         org_name: Annotated[str | None, typer.Option(help="Its name.")] = None) -> None:
    """Create or upgrade the database schema and the organisation."""
    from raj_release.services.workers import check_organisation, ensure_organisation
    from raj_release.store.migrate import upgrade

    ctx = _ctx(need_schema=False)
    check_organisation(org or ctx.settings.organisation, org_name or ctx.settings.organisation_name)
    upgrade(ctx.db)
    o = ensure_organisation(ctx, org, org_name, actor=_actor())
    out.print(f"Base de données prête: {ctx.db.engine.url.render_as_string(hide_password=True)} "
              f"(organisation {o.code})")


# ---------------------------------------------------------------------------------------------------------
@worker_app.command("add")
def worker_add(
    worker_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[str, typer.Option("--role", help="as, psy, coordinator or admin.")],
    lang: Annotated[str, typer.Option("--lang", help="fr or nl.")] = "fr",
    notify: Annotated[list[str] | None, typer.Option("--notify", help="Apprise URL (repeatable).")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation code.")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Phone or e-mail partners may use.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a worker."""
    from raj_release.services.workers import register_worker

    w = register_worker(_ctx(), worker_id, name, role, lang, notify, org, actor=_actor(), contact=contact)
    if as_json:
        _print_json(w.as_json())
    else:
        out.print(f"Travailleur {w.id} ({w.role}, {w.language}) enregistré dans {w.organisation}.")


@worker_app.command("list")
def worker_list(as_json: JsonOpt = False) -> None:
    """List workers."""
    from raj_release.services.workers import list_workers

    rows = list_workers(_ctx())
    if as_json:
        return _print_json([w.as_json() for w in rows])
    t = Table("ID", "Nom", "Rôle", "Langue", "Organisation", "Canaux", title="Travailleurs")
    for w in rows:
        t.add_row(w.id, w.name, w.role, w.language, w.organisation, str(len(w.notify)))
    out.print(t)


# ---------------------------------------------------------------------------------------------------------
@person_app.command("add")
def person_add(
    ref: Annotated[str, typer.Argument(metavar="REF", help="Pseudonymous reference of the person.")],
    prison: Annotated[str, typer.Option("--prison", help="Prison code (config/prisons.yaml).")],
    as_id: Annotated[str, typer.Option("--as", help="Worker id of the assistant social.")],
    psy_id: Annotated[str, typer.Option("--psy", help="Worker id of the psychologue.")],
    situation: Annotated[str, typer.Option("--situation", help="condamne or prevenu.")] = "condamne",
    needs: Annotated[str, typer.Option("--needs", help="Comma-separated: housing,cure,substitution,medical,"
                                                       "income,training,debts.")] = "",
    lang: Annotated[str, typer.Option("--lang", help="fr or nl.")] = "fr",
    name: Annotated[str | None, typer.Option("--name", help="Name (optional; stays in the service).")] = None,
    interpreter: Annotated[bool, typer.Option("--interpreter", help="Needs an interpreter.")] = False,
    procedure: Annotated[str | None, typer.Option("--procedure", help="tap or jap.")] = None,
    modality: Annotated[str | None, typer.Option("--modality", help="lc, se, dl or fond_de_peine.")] = None,
    intake: Annotated[str | None, typer.Option("--intake", help="Intake date (default: today).")] = None,
    hearing: Annotated[str | None, typer.Option("--hearing", help="TAP/JAP hearing date, if known.")] = None,
    release: Annotated[str | None, typer.Option("--release", help="Expected release date, if known.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a person with their binôme and needs; the plan is made at once."""
    from raj_release.domain import Milestone, MilestoneKind
    from raj_release.services.persons import register_person

    known = [Milestone(kind=k, date=parse_date(v, opt)) for k, v, opt in (
        (MilestoneKind.TAP_HEARING, hearing, "--hearing"), (MilestoneKind.EXPECTED_RELEASE, release, "--release"))
        if v is not None]
    ctx = _ctx()
    d = _today(ctx, today)
    view = register_person(ctx, ref=ref, prison=prison, as_id=as_id, psy_id=psy_id, today=d, situation=situation, needs=needs.split(","), language=lang, name=name,
                           interpreter=interpreter, procedure=procedure, modality=modality, intake=_opt_date(intake, "--intake"), actor=_actor(),
                           milestones=known)
    if as_json:
        return _print_json(view.as_json())
    _print_plan(view)


@person_app.command("list")
def person_list(today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """List persons with their open and overdue démarches."""
    from raj_release.services.persons import list_persons

    ctx = _ctx()
    rows = list_persons(ctx, today=_today(ctx, today))
    if as_json:
        return _print_json([r.as_json() for r in rows])
    t = Table("Réf.", "Prison", "Situation", "AS", "Psy", "Ouvertes", "En retard", "Prochaine échéance",
              title="File active")
    for r in rows:
        t.add_row(r.ref, r.prison, r.situation, r.as_id, r.psy_id, str(r.open),
                  f"[red]{r.overdue}[/red]" if r.overdue else "0", _fmt(r.next_due))
    out.print(t)


# ---------------------------------------------------------------------------------------------------------
@milestone_app.command("set")
def milestone_set(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="intake, tap_hearing, expected_release, "
                                        "actual_release, fond_de_peine, admissibility_lc|se|dl|cp|ps")],
    date: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD")],
    earliest: Annotated[str | None, typer.Option("--earliest", help="Earliest plausible date.")] = None,
    latest: Annotated[str | None, typer.Option("--latest", help="Latest plausible date.")] = None,
    certainty: Annotated[str, typer.Option("--certainty", help="confirmed, expected or estimated.")] = "confirmed",
    reason: Annotated[str | None, typer.Option("--reason", help="Why the date is set or moved.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set or correct a key date; the plan follows and what moved is listed."""
    from raj_release.services.milestones import parse_kind, set_milestone

    parse_kind(kind)  # the kind's error comes before the date's, in the order of the arguments
    d = parse_date(date, "DATE")
    lo, hi = _opt_date(earliest, "--earliest"), _opt_date(latest, "--latest")
    ctx = _ctx()
    view = set_milestone(ctx, ref, kind, date=d, today=_today(ctx, today), earliest=lo, latest=hi, certainty=certainty, reason=reason, actor=_actor())
    if as_json:
        return _print_json(view.as_json())
    _print_changes(view)
    _print_plan(view)


# ---------------------------------------------------------------------------------------------------------
@app.command("plan")
def plan_cmd(ref: Annotated[str, typer.Argument(metavar="REF")], today: TodayOpt = None,
             as_json: JsonOpt = False) -> None:
    """Show a person's plan de reclassement."""
    from raj_release.services.persons import show_plan

    ctx = _ctx()
    view = show_plan(ctx, ref, today=_today(ctx, today))
    if as_json:
        return _print_json(view.as_json())
    _print_plan(view)


@demarche_app.command("set")
def demarche_set(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    key: Annotated[str, typer.Argument(metavar="KEY")],
    status: Annotated[str, typer.Argument(metavar="STATUS", help="planned, in-progress, on-hold, completed, "
                                          "cancelled (not applicable) or failed")],
    reason: Annotated[str | None, typer.Option("--reason", help="Required for cancelled and failed.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner waited on (on-hold).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a démarche's status."""
    from raj_release.services.demarches import parse_status, set_status

    parse_status(status)
    ctx = _ctx()
    v = set_status(ctx, ref, key, status, today=_today(ctx, today), reason=reason, partner=partner, actor=_actor())
    if as_json:
        return _print_json(v.as_json())
    out.print(f"{ref} · {v.label}: {v.status}" + (f" ({v.reason})" if v.reason else ""))


@demarche_app.command("pin")
def demarche_pin(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    key: Annotated[str, typer.Argument(metavar="KEY")],
    date: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD, a working day")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why this date.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pin a démarche's due date by hand: replanning leaves it where it is."""
    from raj_release.services.demarches import pin_due

    d = parse_date(date, "DATE")
    ctx = _ctx()
    view = pin_due(ctx, ref, key, due=d, today=_today(ctx, today), reason=reason, actor=_actor())
    if as_json:
        return _print_json(view.as_json())
    _print_changes(view)
    _print_plan(view)


@demarche_app.command("unpin")
def demarche_unpin(ref: Annotated[str, typer.Argument(metavar="REF")],
                   key: Annotated[str, typer.Argument(metavar="KEY")],
                   today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """Give a pinned démarche back to the planner."""
    from raj_release.services.demarches import unpin

    ctx = _ctx()
    view = unpin(ctx, ref, key, today=_today(ctx, today), actor=_actor())
    if as_json:
        return _print_json(view.as_json())
    _print_changes(view)
    _print_plan(view)


@app.command()
def overdue(today: TodayOpt = None,
            worker: Annotated[str | None, typer.Option("--worker", help="Only this worker's persons.")] = None,
            prison: Annotated[str | None, typer.Option("--prison", help="Only this prison.")] = None,
            as_json: JsonOpt = False) -> None:
    """Open démarches past their due date, across the file active."""
    from raj_release.services.demarches import list_overdue

    ctx = _ctx()
    d = _today(ctx, today)
    rows = list_overdue(ctx, today=d, worker=worker, prison=prison)
    if as_json:
        return _print_json([r.as_json() for r in rows])
    t = Table("Réf.", "Démarche", "Échéance", "Retard (j)", "Jours ouvr.", "Statut", "Resp.", "AS", "Psy",
              "Prison", title=f"Démarches en retard au {_fmt(d)} ({len(rows)})")
    for r in rows:
        t.add_row(r.person, r.label, _fmt(r.due), f"[red]{r.days_overdue}[/red]", str(r.working_days_overdue),
                  STATUS_FR.get(r.status, r.status), r.responsible, r.as_id, r.psy_id, r.prison)
    out.print(t)


@app.command()
def remind(today: TodayOpt = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be sent.")] = False,
           as_json: JsonOpt = False) -> None:
    """Decide today's reminders and put them in the outbox (one digest per recipient)."""
    from raj_release.services.reminders import sweep

    ctx = _ctx()
    result = sweep(ctx, _today(ctx, today), dry_run=dry_run)
    if as_json:
        return _print_json(result.as_json())
    verb = "à envoyer (essai, rien n'est enregistré)" if dry_run else "mis dans la boîte d'envoi"
    shown = result.messages if dry_run else result.enqueued
    out.print(f"{len(shown)} message(s) {verb} pour le {_fmt(result.day)}"
              + ("" if dry_run or len(result.enqueued) == len(result.messages)
                 else f" ({len(result.messages) - len(result.enqueued)} déjà dans la boîte d'envoi)"))
    for msg in shown:
        out.rule(f"{msg.kind} → {msg.recipient} ({msg.role}, {msg.language})")
        out.print(f"[bold]{msg.subject}[/bold]", markup=True)
        out.print(msg.body, markup=False)


@app.command()
def deliver(limit: Annotated[int | None, typer.Option("--limit", help="At most this many messages.")] = None,
            as_json: JsonOpt = False) -> None:
    """Deliver the messages waiting in the outbox (retries with backoff; dead after too many failures)."""
    from raj_release.services.outbox import deliver as run

    report = run(_ctx(), limit=limit)
    if as_json:
        return _print_json(report.as_json())
    out.print(f"Envoyés: {report.sent} · à réessayer: {report.retried} · morts: {report.dead}")
    for err, n in sorted(report.errors.items()):
        out.print(f"  {n} × {err}", markup=False)


@app.command("outbox")
def outbox_cmd(status: Annotated[str | None, typer.Option("--status", help="pending, sent or dead.")] = None,
               limit: Annotated[int, typer.Option("--limit", help="Newest first, at most this many.")] = 200,
               as_json: JsonOpt = False) -> None:
    """List the outbox."""
    from raj_release.domain.enums import OutboxStatus, parse_code
    from raj_release.services.outbox import list_outbox

    if status is not None:
        parse_code(OutboxStatus, status, "--status")
    rows = list_outbox(_ctx(), status, limit)
    if as_json:
        return _print_json([r.as_json() for r in rows])
    t = Table("#", "Jour", "Type", "Destinataire", "Rôle", "Statut", "Essais", "Objet", "Erreur",
              title=f"Boîte d'envoi ({len(rows)})")
    for r in rows:
        st = {"dead": "[red]mort[/red]", "sent": "envoyé", "pending": "en attente"}[r.status]
        t.add_row(str(r.id), _fmt(r.day), r.kind, r.recipient, r.role, st, str(r.attempts), r.subject,
                  r.last_error or "")
    out.print(t)


@app.command()
def demo(today: TodayOpt = None) -> None:
    """Load fictitious persons (for `make demo`); the database must be initialised."""
    from raj_release.services.demo import load_demo

    ctx = _ctx()
    refs = load_demo(ctx, _today(ctx, today))
    out.print(f"{len(refs)} personnes fictives chargées: {', '.join(refs)}")


@app.command("demo-sweep")
def demo_sweep(today: TodayOpt = None) -> None:
    """Run the daily sweep once through its Prefect flow, delivering to a local sink; print the digests."""
    import os
    from pathlib import Path

    from flows.serve import quiet_prefect_env
    from raj_release.notify.sink import read_received, running_sink
    from raj_release.services.outbox import list_outbox

    ctx = _ctx()
    day = _today(ctx, today)
    var = Path("var").resolve()
    os.environ.update(quiet_prefect_env(var / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.pop("PREFECT_API_URL", None)  # the flow runs on Prefect's ephemeral API
    received_file = var / "sink" / "received.jsonl"
    received_file.unlink(missing_ok=True)
    out.print("Daily sweep through Prefect (a temporary Prefect API starts: 10-25 s) ...")
    with running_sink(var / "sink") as (url, received):
        os.environ["RAJ_DEMO_SINK"] = url
        from flows.jobs import daily_sweep

        result = daily_sweep(as_of=day)
    got = read_received(received)
    sweep, delivery = result["sweep"], result.get("delivery", {})
    out.print(f"Sweep of {_fmt(day)}: {sweep['decided']} message(s) decided, {sweep['enqueued']} new in the "
              f"outbox; delivery: {delivery.get('sent', 0)} sent, {delivery.get('retried', 0)} to retry, "
              f"{delivery.get('dead', 0)} dead; the local sink received {len(got)} (written to {received}).")
    todays = [r for r in list_outbox(ctx, "sent", limit=1000) if r.day == day and r.kind != "plan_moved"]
    with ctx.db.transaction() as s:
        from raj_release.store.models import OutboxMessage

        bodies = {r.id: s.get(OutboxMessage, r.id).body for r in todays}
    for r in sorted(todays, key=lambda r: (r.kind, r.recipient)):
        out.rule(f"{r.kind} → {r.recipient} ({r.role}, {r.language})")
        out.print(f"[bold]{r.subject}[/bold]")
        out.print(bodies[r.id], markup=False)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address of the local Prefect server.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port of the local Prefect server (and its UI).")] = 4200) -> None:
    """Run the daily sweep, outbox retries and weekly report on their schedules, on this machine."""
    from pathlib import Path

    from flows.serve import run

    _ctx()
    run(host, port, Path("var"), print_fn=out.print)


@app.command()
def web(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Serve the web workspace (/login, /week, /dashboard ...), the JSON API (/api, OpenAPI at /api/docs)
    and the calendar feeds."""
    import gc
    import threading

    import uvicorn

    from raj_release.services.feeds import warm_feeds
    from raj_release.web.app import create_app

    ctx = _ctx()
    app = create_app(ctx)
    # what is loaded by now (libraries, configuration, calendar) lives as long as the server: kept out of
    # the garbage collector's full passes, which would otherwise walk it again and again under load
    gc.collect()
    gc.freeze()
    # the calendar clients come back soon after a restart: have their feeds' components ready by then
    threading.Thread(target=warm_feeds, args=(ctx,), name="raj-warm-feeds", daemon=True).start()
    out.print(f"raj-release: http://{host}:{port}/ (API: /api/docs; Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@user_app.command("set-password")
def user_set_password(
    worker_id: Annotated[str, typer.Argument(metavar="ID")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")] = False,
) -> None:
    """Set a worker's password (asked twice at the terminal, or read from stdin)."""
    import getpass

    from raj_release.services.auth import set_password

    ctx = _ctx()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mot de passe: ")
        if getpass.getpass("Encore une fois: ") != password:
            raise RajError("password: the two entries differ; nothing changed")
    set_password(ctx, worker_id, password, actor=_actor())
    out.print(f"Mot de passe de {worker_id} enregistré.")


@token_app.command("create")
def token_create(worker_id: Annotated[str, typer.Argument(metavar="ID")],
                 name: Annotated[str, typer.Option("--name", help="What the token is for.")],
                 as_json: JsonOpt = False) -> None:
    """Create a personal access token; it is shown once."""
    from raj_release.services.auth import create_token

    token = create_token(_ctx(), worker_id, name, actor=_actor())
    if as_json:
        return _print_json({"worker": worker_id, "name": name, "token": token})
    out.print(f"Jeton « {name} » pour {worker_id} (affiché une seule fois):")
    out.print(token, markup=False)


@token_app.command("list")
def token_list(worker_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
               as_json: JsonOpt = False) -> None:
    """List tokens (never their value)."""
    from raj_release.services.auth import list_tokens

    rows = list_tokens(_ctx(), worker_id)
    if as_json:
        return _print_json([{"worker": t.worker, "name": t.name, "created_at": t.created_at.isoformat(),
                             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                             "revoked": t.revoked} for t in rows])
    t = Table("Travailleur", "Nom", "Créé", "Dernier usage", "Révoqué", title="Jetons d'API")
    for r in rows:
        t.add_row(r.worker, r.name, r.created_at.strftime("%d/%m/%Y"),
                  r.last_used_at.strftime("%d/%m/%Y %H:%M") if r.last_used_at else "—", "oui" if r.revoked else "")
    out.print(t)


@token_app.command("revoke")
def token_revoke(worker_id: Annotated[str, typer.Argument(metavar="ID")],
                 name: Annotated[str, typer.Option("--name", help="The token's name.")]) -> None:
    """Revoke a token: it stops working at once."""
    from raj_release.services.auth import revoke_token

    revoke_token(_ctx(), worker_id, name, actor=_actor())
    out.print(f"Jeton « {name} » de {worker_id} révoqué.")


@feed_app.command("create")
def feed_create(worker_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Give a worker a new secret calendar-feed address (the previous one stops working)."""
    from raj_release.services.auth import create_feed_secret

    secret = create_feed_secret(_ctx(), worker_id, actor=_actor())
    path, events = f"/calendar/{secret}.ics", f"/calendar/{secret}.events.ics"
    if as_json:
        return _print_json({"worker": worker_id, "path": path, "events_path": events})
    out.print(f"Adresses du calendrier de {worker_id} (secrètes), à ajouter derrière l'adresse de `raj web`:")
    out.print(f"  Thunderbird et la plupart des agendas (tâches): {path}", markup=False)
    out.print(f"  Outlook (événements d'une journée):             {events}", markup=False)


@feed_app.command("revoke")
def feed_revoke(worker_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke a worker's calendar feed address."""
    from raj_release.services.auth import revoke_feed

    revoke_feed(_ctx(), worker_id, actor=_actor())
    out.print(f"Calendrier de {worker_id} révoqué.")


@feed_app.command("show")
def feed_show(worker_id: Annotated[str, typer.Argument(metavar="ID")],
              events: Annotated[bool, typer.Option("--events", help="All-day events (Outlook) instead of "
                                                                     "tasks.")] = False) -> None:
    """Print a worker's calendar (iCalendar) on standard output."""
    from raj_release.services.feeds import calendar_feed

    sys.stdout.write(calendar_feed(_ctx(), worker_id, events=events).decode())


@config_app.command("check")
def config_check() -> None:
    """Validate every file of the configuration folder."""
    from raj_release.config import load_config
    from raj_release.settings import get_settings

    cfg = load_config(get_settings().config_dir.resolve())
    out.print(f"{cfg.directory}: {len(cfg.templates)} démarches, {len(cfg.prisons)} prisons: OK")


# ---------------------------------------------------------------------------------------------------------
STATUS_FR = {"planned": "prévue", "in-progress": "en cours", "on-hold": "en attente", "completed": "faite",
             "cancelled": "sans objet", "failed": "échouée"}


def _print_changes(view) -> None:
    if not view.changes:
        out.print("Aucune démarche n'a bougé.")
        return
    t = Table("Démarche", "Avant", "Après", title=f"{len(view.changes)} démarche(s) déplacée(s)")
    for c in view.changes:
        t.add_row(c.key, _fmt(c.old_due), _fmt(c.new_due))
    out.print(t)


def _print_plan(view) -> None:
    p = view.person
    head = f"Plan de reclassement de {p.ref} — {p.prison}, {p.situation}, binôme {p.as_id} + {p.psy_id}"
    if p.needs:
        head += f", besoins: {', '.join(p.needs)}"
    out.print(f"[bold]{head}[/bold]")
    ms = ", ".join(f"{m.kind.value} {_fmt(m.date)}"
                   + (f" [{m.certainty}]" if m.certainty != "confirmed" else "") for m in view.milestones)
    out.print(f"Dates: {ms}")
    if view.mode == "prevenu_kit":
        out.print("Prévenu sans date: kit minimum planifié depuis l'entrée.")
    if view.at_risk:
        out.print("[bold red]Plan à risque:[/bold red] des démarches sont comprimées ou tombent après leur date "
                  "d'ancrage.")
    t = Table("Échéance", "Début", "Démarche", "Pilier", "Resp.", "Partenaire", "Statut", "",
              title=f"au {_fmt(view.as_of)}")
    for d in view.demarches:
        flags = " ".join(f for f, on in (("en retard", d.overdue), ("comprimée", d.compressed),
                                         ("épinglée", d.pinned), ("provisoire", d.provisional)) if on)
        due = f"[red]{_fmt(d.due)}[/red]" if d.overdue else _fmt(d.due)
        t.add_row(due, _fmt(d.start), d.label, d.pillar, d.responsible, d.partner_type or "",
                  STATUS_FR.get(d.status, d.status), flags)
    out.print(t)
    ready = [f"{r.pillar} {r.done}/{r.total}" for r in view.readiness if r.total]
    if ready:
        out.print("Prêt pour l'audience: " + " · ".join(ready))


# the services name the fields they refuse; the command line names its own flags and arguments
FLAGS = {"ref": "REF", "prison": "--prison", "as_id": "--as", "psy_id": "--psy", "as_id/psy_id": "--as/--psy",
         "situation": "--situation", "needs": "--needs", "language": "--lang", "procedure": "--procedure",
         "modality": "--modality", "milestones": "--hearing/--release", "kind": "milestone kind", "certainty": "--certainty",
         "reason": "--reason", "partner": "--partner", "due": "DATE", "key": "KEY",
         "date": "DATE", "earliest": "--earliest", "latest": "--latest"}


def _worded(e: RajError) -> str:
    if e.field is None:
        return e.message
    flag = FLAGS.get(e.field, e.field)
    hint = " (--reason TEXT)" if e.field == "reason" else ""
    return f"{flag}: {e.message}{hint}"


def main(argv: list[str] | None = None) -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="raj", standalone_mode=False)
    except _EXIT as e:
        sys.exit(e.exit_code)
    except _ABORT:
        sys.exit(130)
    except (click.ClickException, _TyperClickException) as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `raj` or `raj worker` alone: show the help
            print(e.format_message())
            sys.exit(0)
        print(f"raj: {e.format_message()} (see raj --help)", file=sys.stderr)
        sys.exit(2)
    except RajError as e:
        print(f"raj: {_worded(e)}", file=sys.stderr)
        sys.exit(2)
    except (OperationalError, ProgrammingError) as e:
        print(f"raj: database error: {str(e.orig).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
