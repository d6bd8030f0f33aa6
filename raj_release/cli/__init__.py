"""The `raj` command. Thin: it parses, calls one service, and prints a table or JSON (render.py).

One module per concept holds its commands, wired here into the command tree. Every mistake in the input
ends as one line on stderr and exit code 2; the services raise before they write, so the database is left
as it was. The services are imported when a command runs, not at the top of the modules: with the
configuration, the ORM, alembic, apprise, argon2 and icalendar they would make `raj --help` more than twice
as slow (0.7 s -> 1.8 s here).
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from raj_release.cli import (
    accounts,
    consents,
    demarches,
    demo,
    leaves,
    lifecycle,
    milestones,
    ops,
    persons,
    reminders,
    shell,
    visits,
    workers,
)
from raj_release.errors import RajError

try:  # typer >= 0.29 runs on its own copy of click: catch that copy's usage errors as well as click's
    from typer._click.exceptions import ClickException as _TyperClickException
except ImportError:  # pragma: no cover - older typer
    _TyperClickException = click.ClickException
_EXIT = (click.exceptions.Exit, getattr(typer, "Exit", click.exceptions.Exit))
_ABORT = (click.exceptions.Abort, getattr(typer, "Abort", click.exceptions.Abort))

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
leave_app = typer.Typer(no_args_is_help=True, help="Temporary leaves (PS, CP, IEP, DL): not a release.")
visit_app = typer.Typer(no_args_is_help=True, help="Meetings (rencontres) with the person and their outcome.")
consent_app = typer.Typer(no_args_is_help=True, help="The person's consents: partners, purposes (config/consents.yaml).")
application_app = typer.Typer(no_args_is_help=True, help="Démarches sent to partners, and their answers.")


@app.callback()
def _root(actor: Annotated[str | None, typer.Option(
        "--actor", envvar="RAJ_ACTOR", help="Who acts (a worker id), recorded in the audit log.")] = None) -> None:
    shell.state["actor"] = actor


def _wire() -> None:
    """The command tree, in the order `raj --help` lists it."""
    for name, command in (("init", ops.init), ("plan", persons.plan), ("caseload", persons.caseload), ("overdue", demarches.overdue),
                          ("remind", reminders.remind), ("deliver", reminders.deliver),
                          ("outbox", reminders.outbox), ("demo", demo.demo), ("demo-sweep", demo.demo_sweep),
                          ("demo-accounts", demo.demo_accounts),
                          ("serve", ops.serve), ("web", ops.web)):
        app.command(name)(command)
    for group, name, commands in (
            (worker_app, "worker", {"add": workers.worker_add, "list": workers.worker_list,
                                    "deactivate": workers.worker_deactivate, "activate": workers.worker_activate}),
            (person_app, "person", {"add": persons.person_add, "list": persons.person_list,
                                    "edit": lifecycle.person_edit, "transfer": lifecycle.person_transfer,
                                    "stage": lifecycle.person_stage, "close": lifecycle.person_close,
                                    "reopen": lifecycle.person_reopen}),
            (milestone_app, "milestone", {"set": milestones.milestone_set}),
            (demarche_app, "demarche", {"set": demarches.demarche_set, "pin": demarches.demarche_pin,
                                        "unpin": demarches.demarche_unpin, "apply": consents.demarche_apply}),
            (consent_app, "consent", {"grant": consents.consent_grant, "withdraw": consents.consent_withdraw,
                                      "list": consents.consent_list}),
            (application_app, "application", {"set": consents.application_set,
                                              "list": consents.application_list}),
            (leave_app, "leave", {"add": leaves.leave_add, "list": leaves.leave_list,
                                  "remove": leaves.leave_remove, "pin": leaves.leave_pin}),
            (visit_app, "visit", {"add": visits.visit_add, "set": visits.visit_set, "list": visits.visit_list}),
            (config_app, "config", {"check": ops.config_check}),
            (user_app, "user", {"set-password": accounts.user_set_password,
                                "logout-everywhere": accounts.user_logout_everywhere}),
            (token_app, "token", {"create": accounts.token_create, "list": accounts.token_list,
                                  "revoke": accounts.token_revoke}),
            (feed_app, "feed", {"create": accounts.feed_create, "revoke": accounts.feed_revoke,
                                "show": accounts.feed_show})):
        for sub, command in commands.items():
            group.command(sub)(command)
        app.add_typer(group, name=name)


_wire()


# the services name the fields they refuse; the command line names its own flags and arguments (a command
# whose flag or argument differs from this table says so with @shell.words)
FLAGS = {"ref": "REF", "prison": "--prison", "as_id": "--as", "psy_id": "--psy", "as_id/psy_id": "--as/--psy",
         "situation": "--situation", "needs": "--needs", "language": "--lang", "procedure": "--procedure",
         "modality": "--modality", "milestones": "--hearing/--release", "kind": "milestone kind",
         "certainty": "--certainty", "reason": "--reason", "partner": "--partner", "due": "DATE", "key": "KEY",
         "date": "DATE", "earliest": "--earliest", "latest": "--latest", "worker": "ID",
         "organisation": "--org", "organisation_name": "--org-name", "notify": "--notify", "role": "--role",
         "name": "--name", "stage": "--stage", "origin": "--origin", "source": "--source",
         "followed_on": "--followed-on", "intake": "--intake", "version": "version", "to_service": "--to-service",
         "why": "--why", "detail": "--detail", "id": "ID"}


# what to run to see what exists, after a refusal that names something unknown (the services name no command)
HINTS = {"worker '{worker}' not found": "raj worker list", "unknown worker '{worker}'": "raj worker list",
         "person '{ref}' not found": "raj person list", "meeting {visit} of '{ref}' not found": "raj visit list {ref}",
         "leave {leave} of '{ref}' not found": "raj leave list {ref}"}


def _worded(e: RajError) -> str:
    """The refusal in the command line's language, led by the flag or argument it is about."""
    from raj_release.errors import field_label
    from raj_release.i18n import tr

    text = e.text(shell.LANG)
    if e.template in HINTS:
        command = HINTS[e.template].format_map({k: str(v) for k, v in e.params.items()})
        text += " " + tr(shell.LANG, "(see `{command}`)").format(command=command)
    if e.field is None:
        return text
    flag = shell.state["words"].get(e.field) or FLAGS.get(e.field) or field_label(e.field, shell.LANG) or e.field
    hint = " (--reason TEXT)" if e.field == "reason" else ""
    return f"{flag}: {text}{hint}"


def main(argv: list[str] | None = None) -> None:
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
    except ValidationError as e:
        if e.title != "Settings":
            raise
        err = e.errors()[0]  # a RAJ_* variable (or .env line) the settings refuse: name it
        name = "RAJ_" + "_".join(str(x) for x in err["loc"]).upper()
        print(f"raj: {name}: {err['msg']} ({err.get('input')!r})", file=sys.stderr)
        sys.exit(2)
    except (OperationalError, ProgrammingError) as e:
        print(f"raj: database error: {str(e.orig).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
