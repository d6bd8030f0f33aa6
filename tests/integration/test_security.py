"""What an attacker on the service's network must not get (issue 9), checked at the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from raj_release.reminders.messages import Message
from raj_release.services import outbox
from raj_release.services.access import load_viewer
from raj_release.services.dashboard import dashboard
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

DAY = dt.date(2026, 12, 1)


def _dead(ctx, recipient: str, role: str, org: str) -> None:
    msg = Message(recipient, role, "partner" if role == "partner" else "digest", "fr", "s", "b", (), DAY,
                  f"partner-{org}" if role == "partner" else "digest", organisation=org)
    with ctx.db.transaction() as s:
        outbox.enqueue(s, ctx, [msg])
        s.execute(update(m.OutboxMessage).where(m.OutboxMessage.recipient == recipient)
                  .values(status="dead", last_error="refused"))


def test_a_coordinator_sees_only_the_dead_messages_of_their_own_organisation(ctx):
    org = ctx.settings.organisation
    ensure_organisation(ctx, "autre-service", "Autre service")
    register_worker(ctx, "coord", "Coord", "coordinator")
    register_worker(ctx, "as.a", "AS A", "as")
    register_worker(ctx, "as.z", "AS Z", "as", organisation="autre-service")
    _dead(ctx, "as.a", "as", org)
    _dead(ctx, "cpas-demo", "partner", org)
    _dead(ctx, "as.z", "as", "autre-service")
    _dead(ctx, "ma-demo", "partner", "autre-service")  # the other organisation's partner message
    with ctx.db.reading() as s:
        v = load_viewer(s, "coord")
    seen = {rcpt for _day, _kind, rcpt, _err in dashboard(ctx, v, today=DAY).dead}
    assert seen == {"as.a", "cpas-demo"}
