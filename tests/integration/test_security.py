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


# ---------------------------------------------------------------------------------------------------------
# the workspace through HTTP (in-process)

import re  # noqa: E402
import warnings  # noqa: E402

import pytest  # noqa: E402

from raj_release.domain import Milestone, MilestoneKind  # noqa: E402
from raj_release.services.auth import create_feed_secret  # noqa: E402
from raj_release.services.demo import load_demo  # noqa: E402
from raj_release.services.persons import register_person  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, role, lang in [("as.a", "as", "fr"), ("psy.a", "psy", "nl"), ("coord", "coordinator", "fr")]:
        register_worker(ctx, wid, wid.upper(), role, lang)
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=DAY, needs=["housing"],
                    milestones=hearing)
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def login(client, who: str, password: str = PASSWORD):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": who, "password": password, "csrf": csrf})


def csrf_of(client, url: str = "/week") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def test_error_pages_escape_what_the_request_said(web):
    login(web, "as.a")
    for url in [f"/persons/{XSS}", f"/week?as_of={XSS}", f"/dashboard?as_of={XSS}", f"/nowhere/{XSS}",
                f"/persons/P-A?as_of={XSS}"]:
        r = web.get(url)
        assert r.status_code in (403, 404, 422), url
        assert "<img" not in r.text and "onerror=alert" not in r.text.replace("&lt;img src=x onerror=alert(1)&gt;", ""), url
        assert r.headers["content-type"].startswith("text/html") and '<link rel="stylesheet"' in r.text, url
    csrf = csrf_of(web)
    for url in [f"/persons/{XSS}/demarches/intake_fiche/status", f"/persons/P-A/demarches/{XSS}/status"]:
        r = web.post(url, data={"status": "completed", "version": 1, "csrf": csrf})
        assert "<img" not in r.text and "<img" not in r.headers.get("location", ""), url


def test_a_404_reads_in_the_readers_language(web):
    assert "Introuvable." in web.get("/nulle-part").text
    login(web, "psy.a")
    r = web.get("/nergens")
    assert r.status_code == 404 and "Niet gevonden." in r.text and "PSY.A" in r.text  # the layout, with the menu of the signed-in reader


def test_every_answer_carries_the_security_headers(web):
    login(web, "as.a")
    for url in ["/login", "/week", "/persons/P-A", "/nowhere", "/api/openapi.json", "/api/me", "/api/docs",
                "/static/raj.css"]:
        h = web.get(url).headers
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", url
        assert h["referrer-policy"] == "no-referrer", url
        csp = h["content-security-policy"]
        scripts = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in scripts, url
        if url != "/api/docs":
            assert "script-src" not in csp and "default-src 'none'" in csp, url
        if not url.startswith("/static/"):
            assert h["cache-control"] == "no-store", url
        assert "server" not in h, url


def test_api_docs_load_nothing_from_another_host(web):
    page = web.get("/api/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    for s in sources:
        assert web.get(s).status_code == 200, s
    assert "<script>" not in page  # no inline script: the CSP would refuse it


def test_a_session_ends_at_logout_and_with_a_new_password(web, ctx):
    login(web, "as.a")
    cookie = web.cookies.get("raj_session")
    csrf = csrf_of(web)
    assert web.post("/logout", data={"csrf": csrf}).status_code == 303
    replay = TestClient(web.app, follow_redirects=False, cookies={"raj_session": cookie})
    assert replay.get("/week").status_code == 303  # to the login page
    r = replay.post("/persons/P-A/notes", data={"text": "après déconnexion", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    login(web, "as.a")
    cookie = web.cookies.get("raj_session")
    set_password(ctx, "as.a", "une toute nouvelle phrase")
    replay = TestClient(web.app, follow_redirects=False, cookies={"raj_session": cookie})
    assert replay.get("/week").status_code == 303


def test_page_forms_have_the_apis_limits(web):
    login(web, "as.a")
    page = web.get("/persons/P-A").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = web.post("/persons/P-A/demarches/housing_longterm/status",
                 data={"status": "cancelled", "reason": "x" * 100_000, "version": version, "csrf": csrf})
    assert r.status_code == 303 and "1000%20caract%C3%A8res%20au%20plus" in r.headers["location"]
    with ctx_of(web).db.reading() as s:
        from sqlalchemy import func, select

        assert s.scalar(select(func.max(func.length(m.AuditEvent.reason)))) in (None,) or \
            s.scalar(select(func.max(func.length(m.AuditEvent.reason)))) <= 1000


def ctx_of(client):
    return client.app.state.ctx


FORBIDDEN = re.compile(r"cure|traitement|posologie|psychiatr|substitution|m[ée]thadone|justice|\bTAP\b|d[ée]tenu|"
                       r"prison|[ée]crou|behandeling|psychiat|methadon|justitie|SURB|gedetineerde|gevangen",
                       re.IGNORECASE)


def test_calendar_feeds_carry_no_health_addiction_or_justice_wording(ctx):
    from raj_release.web.app import create_app

    load_demo(ctx, DAY)
    client = TestClient(create_app(ctx, secret=b"test secret"))
    with ctx.db.reading() as s:
        from sqlalchemy import select

        workers = s.scalars(select(m.Worker.id).where(m.Worker.role.in_(["as", "psy"]))).all()
    assert len(workers) >= 4
    for wid in workers:
        secret = create_feed_secret(ctx, wid)
        for suffix in (".ics", ".events.ics"):
            body = client.get(f"/calendar/{secret}{suffix}").text
            summaries = re.findall(r"^SUMMARY:(.*)$", body, re.MULTILINE)
            assert summaries, (wid, suffix)
            found = FORBIDDEN.findall(body)
            assert not found, (wid, suffix, sorted(set(found)))


def test_the_week_offers_each_demarche_only_partners_of_its_types(web, ctx):
    """One partner list per partner type on the page (a <datalist>), each row's field pointing at its own."""
    from raj_release.services.partners import partners_for

    login(web, "as.a")
    page = web.get("/week?as_of=2027-01-20").text
    lists = {lid: set(re.findall(r'<option value="([^"]+)">', body))
             for lid, body in re.findall(r'<datalist id="([^"]+)">(.*?)</datalist>', page, re.DOTALL)}
    assert len(lists) == len(re.findall("<datalist", page))  # each list once
    rows = re.findall(r'<button name="done" value="[^ ]+ ([a-z_0-9]+) \d+">(.*?)</tr>', page, re.DOTALL)
    checked = 0
    for key, row in rows:
        field = re.search(r'<input name="partner-[0-9a-z]+" list="([^"]+)">', row)
        if not partners_for(ctx, key):
            assert field is None, key  # done by the service alone: no partner to choose
            continue
        checked += 1
        assert lists[field.group(1)] == {p.id for p in partners_for(ctx, key)}, key
    assert checked
    assert "<select name=\"partner" not in page  # no list repeated on every row


def test_well_formed_but_absurd_input_answers_no_500(web):
    login(web, "coord")
    for url in ["/week?as_of=9999-12-31", "/dashboard?as_of=9999-12-31", "/dashboard?as_of=0001-01-03",
                "/dashboard?page=²", "/dashboard?page=99999999999999999999", "/persons/P-A?as_of=9999-12-31"]:
        r = web.get(url)
        assert r.status_code == 422, (url, r.status_code)
        assert "hors des dates acceptées" in r.text or "numéro de page" in r.text, url  # the reader's words
    from raj_release.services.auth import create_token

    token = create_token(ctx_of(web), "coord", "t")
    h = {"Authorization": f"Bearer {token}"}
    for url in ["/api/week?as_of=9999-12-31", "/api/dashboard?as_of=9999-12-31", "/api/dashboard?as_of=0001-01-03",
                "/api/overdue?as_of=9999-12-31"]:
        assert web.get(url, headers=h).status_code == 422, url
    version = web.get("/api/persons/P-A/plan", headers=h).json()["person"]["version"]
    for day in ("9999-12-31", "0001-01-10"):
        r = web.put("/api/persons/P-A/milestones/tap_hearing", headers=h, json={"date": day, "version": version})
        assert r.status_code == 422 and "\n" not in r.json()["detail"], day


def test_the_api_refuses_a_partner_of_another_type_and_errors_name_no_server_path(web):
    from raj_release.services.auth import create_token

    token = create_token(ctx_of(web), "as.a", "t")
    h = {"Authorization": f"Bearer {token}"}
    version = web.get("/api/persons/P-A/plan", headers=h).json()["person"]["version"]
    r = web.put("/api/persons/P-A/demarches/housing_apply/status", headers=h,
                json={"status": "on-hold", "partner": "cpas-demo", "version": version})
    assert r.status_code == 422 and r.json()["detail"].startswith("partner: 'cpas-demo' is a cpas")
    r = web.put("/api/persons/P-A/demarches/no_such_step/status", headers=h,
                json={"status": "completed", "version": version})
    assert r.status_code == 404 and "demarches.yaml" in r.json()["detail"] and "/" not in r.json()["detail"]


def test_proxy_headers_are_believed_from_the_configured_proxies_only(ctx):
    import dataclasses

    from raj_release.web.app import create_app

    register_worker(ctx, "as.a", "AS", "as")
    for i in range(10):
        register_worker(ctx, f"as.{i}", f"AS {i}", "as")
    trusting = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"trusted_proxies": ["testclient"]}))

    def guesses(context, forwarded_for: str) -> list[int]:
        client = TestClient(create_app(context, secret=b"s"), follow_redirects=False)
        out = []
        for i in range(11):
            page = client.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            out.append(client.post("/login", headers={"X-Forwarded-For": forwarded_for},
                                   data={"username": f"as.{i % 10}", "password": "wrong guess", "csrf": csrf}
                                   ).status_code)
        return out

    # behind a trusted proxy, each forwarded address has its own count: one address, ten accounts: slowed
    assert guesses(trusting, "10.1.1.1")[-1] == 429
    assert guesses(trusting, "10.1.1.2")[0] == 401
    # from an untrusted peer, X-Forwarded-For is ignored: changing it does not escape the address's count
    assert guesses(ctx, "10.9.9.1")[-1] == 429
    assert guesses(ctx, "10.9.9.2")[0] == 429
