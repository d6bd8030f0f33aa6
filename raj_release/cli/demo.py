"""The fictitious file of `make demo`: `raj demo` loads it, `raj demo-sweep` runs its daily sweep."""

from __future__ import annotations

import os
import re
from pathlib import Path

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG, JsonOpt, TodayOpt
from raj_release.domain.enums import MessageKind
from raj_release.i18n import label, tr

# the demo's partner messages carry reply links to the workspace `make web` serves on this address
DEMO_PUBLIC_URL = "http://127.0.0.1:8000"

REPLY = re.compile(r"https?://\S+/r/[A-Za-z0-9_-]{20,}")

# what demo-sweep shows: the reminders of the day, not the "plan moved" messages of the demo's history
SHOWN = frozenset(MessageKind) - {MessageKind.PLAN_MOVED}


def demo(today: TodayOpt = None) -> None:
    """Load fictitious persons (for `make demo`); the database must be initialised."""
    from raj_release.services.demo import load_demo  # at call time: the services would slow raj --help

    os.environ.setdefault("RAJ_PUBLIC_URL", DEMO_PUBLIC_URL)  # the applications' requests carry reply links
    ctx = shell.context()
    refs = load_demo(ctx, shell.today(ctx, today))
    render.out.print(tr(LANG, "{n} fictitious persons loaded: {refs}").format(n=len(refs), refs=", ".join(refs)))


def demo_accounts(as_json: JsonOpt = False) -> None:
    """Give the demo's fictitious workers new passwords and print them once (for `make web`)."""
    from raj_release.services.demo import demo_accounts as renew  # at call time: the services would slow raj --help

    ctx = shell.context()
    rows = renew(ctx)
    if as_json:
        return shell.print_json([{"id": w, "name": n, "role": r, "password": p} for w, n, r, p in rows])
    if not rows:
        render.out.print(tr(LANG, "No demo account in this database: run `raj demo` (or `make demo`) first."))
        raise typer.Exit(1)
    render.out.print(tr(LANG, "Demo accounts (fictitious), new passwords shown this once:"))
    for wid, name, role, password in rows:
        render.out.print(f"  {wid:<14} {password}   {name} ({label(role, LANG, 'Role')})")


def demo_sweep(today: TodayOpt = None) -> None:
    """Run the daily sweep once through its Prefect flow, delivering to a local sink; print the digests, then
    the partners' messages as the sink received them (with their reply links)."""
    from flows.demo import run_demo_sweep  # at call time: Prefect takes seconds to import
    from raj_release.services.demo import partner_messages  # at call time: the services would slow raj --help
    from raj_release.services.outbox import sent_on

    # the partners' messages link to the reply page of the workspace `make web` serves (RAJ_PUBLIC_URL)
    os.environ.setdefault("RAJ_PUBLIC_URL", DEMO_PUBLIC_URL)
    ctx = shell.context()
    day = shell.today(ctx, today)
    render.out.print(tr(LANG, "Daily sweep through Prefect (a temporary Prefect API starts: 10-25 s) ..."))
    run = run_demo_sweep(day, Path("var"))
    sweep, delivery = run.result["sweep"], run.result.get("delivery", {})
    done = tr(LANG, "Sweep of {day}: {decided} message(s) decided, {enqueued} new in the outbox; delivery: {sent} "
                    "sent, {retried} to retry, {dead} dead; the local sink received {received} (written to {file}).")
    render.out.print(done.format(day=render.date(day), decided=sweep["decided"], enqueued=sweep["enqueued"],
                                 sent=delivery.get("sent", 0), retried=delivery.get("retried", 0),
                                 dead=delivery.get("dead", 0), received=len(run.received), file=run.received_file))
    for row, body in sent_on(ctx, day, kinds=SHOWN):
        if row.role != "partner":  # the partners' messages below: as received, with their working links
            render.message(row.kind, row.recipient, row.role, row.language, row.subject, body)
    # the outbox keeps a sent message without its link's secret: the partners' messages are shown as the sink
    # received them
    received = partner_messages(ctx, run.received)
    for row, body in received:
        render.message(row.kind, row.recipient, row.role, row.language, row.subject, body)
    links = [x for _row, body in received for x in REPLY.findall(body)]
    if links:
        render.out.rule()
        render.out.print(tr(LANG, "A partner answers from the link in its message. To try one: run `make web` (the "
                                  "workspace on this demo database, as of {day}), then open a link above, such as "
                                  "{link}, in a browser.").format(day=render.date(day), link=links[0]),
                         markup=False)
