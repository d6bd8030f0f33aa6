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


# ---------------------------------------------------------------------------------------------------------
# sessions that can be ended, logins that cannot be used to lock someone out

from raj_release.services.auth import TooManyAttempts, authenticate, set_password  # noqa: E402
from raj_release.services.sessions import (  # noqa: E402
    end_session,
    log_out_everywhere,
    open_session,
    session_viewer,
)
from raj_release.services.workers import set_active  # noqa: E402

PASSWORD = "une phrase assez longue"


def _worker(ctx, wid="as.a"):
    register_worker(ctx, wid, wid.upper(), "as")
    set_password(ctx, wid, PASSWORD)


def test_logout_password_change_deactivation_and_admin_end_sessions_at_once(ctx):
    _worker(ctx)
    a, _ = open_session(ctx, "as.a")
    b, _ = open_session(ctx, "as.a")
    assert session_viewer(ctx, a)[0].id == "as.a" and session_viewer(ctx, b) is not None
    end_session(ctx, a)  # logout ends this session, not the other device's
    assert session_viewer(ctx, a) is None and session_viewer(ctx, b) is not None
    set_password(ctx, "as.a", "une autre phrase assez longue")
    assert session_viewer(ctx, b) is None
    c, _ = open_session(ctx, "as.a")
    assert log_out_everywhere(ctx, "as.a", actor="admin") == 1 and session_viewer(ctx, c) is None
    d, _ = open_session(ctx, "as.a")
    set_active(ctx, "as.a", False, actor="admin")
    assert session_viewer(ctx, d) is None
    set_active(ctx, "as.a", True, actor="admin")
    assert session_viewer(ctx, d) is None  # ended for good, not suspended
    assert session_viewer(ctx, "forged") is None and session_viewer(ctx, None) is None


def test_sessions_expire_when_idle_and_after_their_lifetime(ctx):
    _worker(ctx)
    t0 = ctx.now()
    token, _ = open_session(ctx, "as.a")
    idle = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    for step in range(1, 12):  # used every hour: alive until the absolute lifetime
        ctx.now.t = t0 + dt.timedelta(hours=step)
        assert session_viewer(ctx, token) is not None, step
    ctx.now.t = t0 + dt.timedelta(hours=ctx.settings.session_max_hours, minutes=1)
    assert session_viewer(ctx, token) is None
    token, _ = open_session(ctx, "as.a")
    ctx.now.t += idle + dt.timedelta(minutes=1)
    assert session_viewer(ctx, token) is None


def test_guessing_is_slowed_per_address_and_a_right_password_after_the_wait_works(ctx):
    for i in range(11):
        register_worker(ctx, f"as.{i}", f"AS {i}", "as")
    _worker(ctx, "as.owner")
    # ten accounts guessed once each from one address: the eleventh try waits
    for i in range(10):
        assert authenticate(ctx, f"as.{i}", "wrong guess", client="10.0.0.66") is None
    try:
        authenticate(ctx, "as.10", "wrong guess", client="10.0.0.66")
        raise AssertionError("the address was not slowed down")
    except TooManyAttempts as e:
        assert e.retry_after > 0
    # someone failing on purpose from their address does not lock the owner out of their own account
    for _ in range(3):
        assert authenticate(ctx, "as.owner", "wrong guess", client="10.0.0.77") is None
    try:
        authenticate(ctx, "as.owner", PASSWORD, client="10.0.0.77")
        raise AssertionError("the account was not slowed down from that address")
    except TooManyAttempts as e:
        wait = e.retry_after
    assert authenticate(ctx, "as.owner", PASSWORD, client="10.0.0.5").id == "as.owner"
    ctx.now.t += dt.timedelta(seconds=wait + 1)
    assert authenticate(ctx, "as.owner", PASSWORD, client="10.0.0.77").id == "as.owner"
