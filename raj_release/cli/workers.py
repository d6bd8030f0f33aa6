"""`raj worker add` and `raj worker list`."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG, JsonOpt
from raj_release.i18n import label, tr


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
    from raj_release.services.workers import register_worker  # at call time: the services would slow raj --help

    w = register_worker(shell.context(), worker_id, name=name, role=role, language=lang, notify=notify,
                        organisation=org, contact=contact, actor=shell.actor())
    if as_json:
        return shell.print_json(w.as_json())
    render.out.print(tr(LANG, "Worker {id} ({role}, {language}) registered in {organisation}.").format(
        id=w.id, role=label(w.role, LANG, "Role"), language=label(w.language, LANG, "Language"),
        organisation=w.organisation))


def worker_list(as_json: JsonOpt = False) -> None:
    """List workers."""
    from raj_release.services.workers import list_workers  # at call time: the services would slow raj --help

    rows = list_workers(shell.context())
    if as_json:
        return shell.print_json([w.as_json() for w in rows])
    render.workers(rows)


def worker_deactivate(worker_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Deactivate an account: no more login, its sessions and tokens stop at once; its history stays."""
    from raj_release.services.workers import set_active  # at call time: the services would slow raj --help

    set_active(shell.context(), worker_id, False, actor=shell.actor())
    render.out.print(tr(LANG, "Account {id} deactivated: its sessions are ended.").format(id=worker_id))


def worker_activate(worker_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Activate an account again (it logs in anew: no old session comes back)."""
    from raj_release.services.workers import set_active  # at call time: the services would slow raj --help

    set_active(shell.context(), worker_id, True, actor=shell.actor())
    render.out.print(tr(LANG, "Account {id} active.").format(id=worker_id))
