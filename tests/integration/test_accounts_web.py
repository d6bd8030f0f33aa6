"""Accounts in the web workspace (issue 11, point 7): an administrator lists, creates (with a one-time link to
choose the password), deactivates, reactivates, resets and ends sessions; a coordinator reads their
organisation's accounts; a worker is refused; forms need their CSRF token; bad input says one line in the
reader's language and changes nothing; neither the audit log nor the logs hold a password or a link."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import warnings

import pytest
from sqlalchemy import select

from raj_release.services.auth import set_password
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
NEW_PASSWORD = "een lange zin als wachtwoord"


@pytest.fixture
def app(ctx):
    from raj_release.web.app import create_app

    ensure_organisation(ctx, "autre-service", "Autre service")
    for wid, role, org in [("admin", "admin", None), ("coord", "coordinator", None), ("as.a", "as", None),
                           ("psy.a", "psy", None), ("coord.x", "coordinator", "autre-service"),
                           ("as.x", "as", "autre-service")]:
        notify = {"as.a": ["mailto://raj:${SMTP_PASSWORD}@smtp.example.org?to=as.a@example.org"],
                  "psy.a": ["${RAJ_DEMO_SINK}/workers/psy.a"]}.get(wid)
        register_worker(ctx, wid, wid.upper(), role, "fr", organisation=org, notify=notify)
        set_password(ctx, wid, PASSWORD)
    return create_app(ctx, secret=b"test secret")


def client(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(app, who: str, password: str = PASSWORD) -> TestClient:
    c = client(app)
    r = c.post("/login", data={"username": who, "password": password, "csrf": csrf_of(c.get("/login").text)})
    c.landing = r  # the answer to the login, for the tests that look at it
    return c


def accounts_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', html)


def worker(ctx, wid: str) -> m.Worker | None:
    with ctx.db.reading() as s:
        w = s.get(m.Worker, wid)
        if w is not None:
            s.expunge(w)
        return w


def create(c: TestClient, **fields):
    page = c.get("/accounts/new")
    data = {"worker": "as.new", "name": "Nieuwe Collega", "role": "as", "language": "nl",
            "organisation": "ambulatoire-forest", "notify": "", "contact": "02 000 00 01", **fields}
    return c.post("/accounts/new", data={**data, "csrf": csrf_of(page.text)})


def secret_of(html: str) -> str:
    return re.search(r"/welcome/([A-Za-z0-9_-]{20,})", html).group(1)


def choose_password(app, secret: str, password: str = NEW_PASSWORD, again: str | None = None):
    c = client(app)
    page = c.get(f"/welcome/{secret}")
    if page.status_code != 200:
        return page
    return c.post(f"/welcome/{secret}", data={"password": password, "again": password if again is None else again,
                                               "csrf": csrf_of(page.text)})


def test_an_admin_lands_on_the_accounts_and_lists_every_organisation_in_words(app):
    admin = login(app, "admin")
    assert admin.landing.status_code == 303 and admin.landing.headers["location"] == "/accounts"
    page = admin.get("/accounts")
    assert page.status_code == 200
    assert '<a href="/accounts">Comptes</a>' in page.text and 'href="/week"' not in page.text  # no week
    assert set(accounts_rows(page.text)) == {"admin", "coord", "as.a", "psy.a", "coord.x", "as.x"}
    row = page.text.split('<tr data-id="as.a"')[1].split("</tr>")[0]
    assert "assistant·e social·e" in row and "français" in row and "L&#39;Ambulatoire-Forest" in row
    assert "mailto as.a@example.org" in row and "smtp.example.org" not in row  # what, never the URL
    row = page.text.split('<tr data-id="psy.a"')[1].split("</tr>")[0]
    assert "${RAJ_DEMO_SINK}" in row and "/workers/" not in row
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.text.split('<tr data-id="admin"')[1])  # signed in
    only = admin.get("/accounts?organisation=autre-service&role=as").text
    assert accounts_rows(only) == ["as.x"]


def test_an_admin_creates_an_account_that_chooses_its_password_and_signs_in(app, ctx):
    admin = login(app, "admin")
    r = create(admin, notify="mailto://raj@smtp.example.org?to=nieuw@example.org&from=raj@example.org")
    assert r.status_code == 200 and "Compte as.new créé" in r.text
    secret = secret_of(r.text)
    w = worker(ctx, "as.new")
    assert (w.role, w.language, w.contact, w.password_hash) == ("as", "nl", "02 000 00 01", None)
    assert w.link_hash is not None and secret not in w.link_hash  # a digest only
    assert login(app, "as.new", "").landing.status_code == 401  # no password until the link is used
    listed = admin.get("/accounts").text.split('<tr data-id="as.new"')[1].split("</tr>")[0]
    assert "attend son mot de passe" in listed

    welcome = client(app).get(f"/welcome/{secret}")
    assert welcome.status_code == 200 and "Kies uw wachtwoord" in welcome.text  # the account's language
    r = choose_password(app, secret, again="iets heel anders dan dat")
    assert r.status_code == 422 and "Wachtwoord: de twee ingaven verschillen." in r.text
    r = choose_password(app, secret, password="te kort")
    assert r.status_code == 422 and "Wachtwoord: minstens 12 tekens" in r.text
    assert worker(ctx, "as.new").password_hash is None  # nothing changed
    r = choose_password(app, secret)
    assert r.status_code == 303 and r.headers["location"] == "/login?welcome=1"
    assert "Votre mot de passe est enregistré" in client(app).get("/login?welcome=1").text
    new = login(app, "as.new", NEW_PASSWORD)
    assert new.landing.status_code == 303 and new.landing.headers["location"] == "/week"
    assert "Mijn week" in new.get("/week").text
    assert choose_password(app, secret, password="encore une autre phrase").status_code == 404  # once only
    assert worker(ctx, "as.new").link_hash is None


def test_a_link_expires(app, ctx):
    admin = login(app, "admin")
    secret = secret_of(create(admin).text)
    ctx.now.t += dt.timedelta(hours=73)
    r = client(app).get(f"/welcome/{secret}")
    assert r.status_code == 404 and "Ce lien ne fonctionne pas (ou plus)" in r.text
    assert client(app).get("/welcome/not-a-link-at-all-0123456789").status_code == 404


@pytest.mark.parametrize("fields, line", [
    ({"worker": "a b"}, "Identifiant : 1 à 40 lettres, chiffres, points, tirets ou soulignés"),
    ({"worker": "as.a"}, "Identifiant : déjà pris par un autre compte"),
    ({"name": "  "}, "Nom complet : 1 à 200 caractères"),
    ({"role": "boss"}, "Rôle : choisissez dans la liste"),
    ({"language": "en"}, "Langue : français ou néerlandais"),
    ({"organisation": "nowhere"}, "Organisation : choisissez dans la liste"),
    ({"notify": "pas une adresse"}, "Canaux : une adresse de notification par ligne"),
])
def test_bad_input_says_one_line_in_french_and_creates_nothing(app, ctx, fields, line):
    admin = login(app, "admin")
    with ctx.db.reading() as s:
        before = s.scalars(select(m.Worker.id)).all()
        events = len(s.scalars(select(m.AuditEvent.id)).all())
    r = create(admin, **fields)
    assert r.status_code == 422
    error = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text).group(1)
    assert error.startswith("Le compte n&#39;a pas été créé : ") and line.replace("'", "&#39;") in error
    assert "\n" not in error and "--" not in error
    with ctx.db.reading() as s:
        assert s.scalars(select(m.Worker.id)).all() == before
        assert len(s.scalars(select(m.AuditEvent.id)).all()) == events


def _post(c: TestClient, path: str, **data):
    return c.post(path, data={"csrf": csrf_of(c.get("/accounts").text), **data})


def test_deactivate_ends_the_sessions_and_reactivate_lets_sign_in_again(app, ctx):
    admin, worker_client = login(app, "admin"), login(app, "as.a")
    assert worker_client.get("/week").status_code == 200
    r = _post(admin, "/accounts/as.a/active", active="0")
    assert r.status_code == 303
    assert "Compte as.a désactivé : ses sessions sont terminées." in admin.get(r.headers["location"]).text
    assert worker_client.get("/week").status_code == 303  # its session ended at once
    assert login(app, "as.a").landing.status_code == 401
    row = admin.get("/accounts").text.split('<tr data-id="as.a"')[1].split("</tr>")[0]
    assert "désactivé" in row and 'name="activate"' in row
    assert _post(admin, "/accounts/as.a/active", active="1").status_code == 303
    assert login(app, "as.a").landing.status_code == 303
    r = _post(admin, "/accounts/admin/active", active="0")
    assert r.status_code == 422 and "vous ne pouvez pas désactiver votre propre compte" in r.text
    assert worker(ctx, "admin").active
    assert _post(admin, "/accounts/nobody/active", active="0").status_code == 404


def test_reset_stops_the_old_password_and_gives_a_new_link(app, ctx):
    admin, worker_client = login(app, "admin"), login(app, "psy.a")
    r = _post(admin, "/accounts/psy.a/reset")
    assert r.status_code == 200 and "Le mot de passe de psy.a est réinitialisé" in r.text
    assert worker_client.get("/week").status_code == 303
    assert login(app, "psy.a").landing.status_code == 401
    assert choose_password(app, secret_of(r.text)).status_code == 303
    assert login(app, "psy.a", NEW_PASSWORD).landing.status_code == 303
    first = secret_of(_post(admin, "/accounts/psy.a/reset").text)
    second = secret_of(_post(admin, "/accounts/psy.a/reset").text)
    assert client(app).get(f"/welcome/{first}").status_code == 404  # a new link replaces the previous one
    assert client(app).get(f"/welcome/{second}").status_code == 200


def test_end_sessions_signs_the_account_out_everywhere(app):
    admin = login(app, "admin")
    phone, desk = login(app, "as.a"), login(app, "as.a")
    assert "2 sessions ouvertes" in admin.get("/accounts").text.split('<tr data-id="as.a"')[1].split("</tr>")[0]
    r = _post(admin, "/accounts/as.a/sessions")
    assert r.status_code == 303 and "Les sessions de as.a sont terminées." in admin.get(r.headers["location"]).text
    assert phone.get("/week").status_code == 303 and desk.get("/week").status_code == 303
    assert login(app, "as.a").landing.status_code == 303  # the password still works


def test_a_coordinator_reads_their_organisation_only_and_changes_nothing(app, ctx):
    coord = login(app, "coord")
    assert coord.landing.headers["location"] == "/week"
    page = coord.get("/accounts")
    assert page.status_code == 200 and "Lecture seule" in page.text
    assert set(accounts_rows(page.text)) == {"admin", "coord", "as.a", "psy.a"}  # not autre-service's
    assert "/accounts/as.a/active" not in page.text and "/accounts/new" not in page.text
    assert accounts_rows(coord.get("/accounts?organisation=autre-service").text) == []
    assert coord.get("/accounts/new").status_code == 403
    for path, data in [("/accounts/as.a/active", {"active": "0"}), ("/accounts/as.a/reset", {}),
                       ("/accounts/as.a/sessions", {})]:
        r = coord.post(path, data={"csrf": csrf_of(page.text), **data})
        assert r.status_code == 403 and "Réservé aux administrateur·ices." in r.text
    r = coord.post("/accounts/new", data={"csrf": csrf_of(page.text), "worker": "x.y", "name": "X", "role": "admin",
                                         "language": "fr", "organisation": "ambulatoire-forest"})
    assert r.status_code == 403 and worker(ctx, "x.y") is None
    assert worker(ctx, "as.a").active and worker(ctx, "as.a").password_hash is not None


def test_a_worker_is_refused(app, ctx):
    as_a = login(app, "as.a")
    page = as_a.get("/accounts")
    assert page.status_code == 403 and "Réservé aux administrateur·ices et aux coordinateur·ices." in page.text
    assert 'href="/accounts"' not in page.text
    token = csrf_of(as_a.get("/week").text)
    assert as_a.post("/accounts/psy.a/reset", data={"csrf": token}).status_code == 403
    assert as_a.post("/accounts/psy.a/active", data={"csrf": token, "active": "0"}).status_code == 403
    assert worker(ctx, "psy.a").active and worker(ctx, "psy.a").password_hash is not None


def test_forms_without_their_csrf_token_are_refused(app, ctx):
    admin = login(app, "admin")
    admin.get("/accounts")
    for path, data in [("/accounts/as.a/active", {"active": "0"}), ("/accounts/as.a/reset", {}),
                       ("/accounts/as.a/sessions", {}),
                       ("/accounts/new", {"worker": "x.y", "name": "X", "role": "as", "language": "fr"})]:
        assert admin.post(path, data=data).status_code == 403
        assert admin.post(path, data={**data, "csrf": "forged"}).status_code == 403
    assert worker(ctx, "as.a").active and worker(ctx, "as.a").password_hash is not None
    assert worker(ctx, "x.y") is None
    secret = secret_of(create(admin).text)
    c = client(app)
    c.get(f"/welcome/{secret}")
    r = c.post(f"/welcome/{secret}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD, "csrf": "forged"})
    assert r.status_code == 403 and worker(ctx, "as.new").password_hash is None


def test_neither_the_audit_log_nor_the_logs_hold_a_password_or_a_link(app, ctx, caplog):
    caplog.set_level(logging.DEBUG)
    admin = login(app, "admin")
    created = secret_of(create(admin).text)
    choose_password(app, created)
    reset = secret_of(_post(admin, "/accounts/as.new/reset").text)
    choose_password(app, reset, password="une toute autre phrase")
    _post(admin, "/accounts/as.new/sessions")
    _post(admin, "/accounts/as.new/active", active="0")
    _post(admin, "/accounts/as.new/active", active="1")
    with ctx.db.reading() as s:
        events = s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity_key == "as.new")
                           .order_by(m.AuditEvent.id)).all()
        trail = json.dumps([[e.actor, e.action, e.old, e.new, e.reason] for e in events])
        hashes = [w.password_hash for w in s.scalars(select(m.Worker)) if w.password_hash]
    assert [e.action for e in events] == ["worker.registered", "worker.link_created", "worker.password_set",
                                          "worker.password_reset", "worker.password_set", "worker.sessions_ended",
                                          "worker.deactivated", "worker.activated"]
    assert {e.actor for e in events} == {"admin", "as.new"}
    # what the server's side logged (httpx is the test's own client, playing the browser)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert any(r.name.startswith("httpx") and created in r.getMessage() for r in caplog.records)  # caught
    for secret in (created, reset, NEW_PASSWORD, "une toute autre phrase", *hashes):
        assert secret not in trail and secret not in logged


def test_a_dutch_speaking_admin_reads_the_accounts_in_dutch(app, ctx):
    register_worker(ctx, "beheer", "Beheerder", "admin", "nl")
    set_password(ctx, "beheer", PASSWORD)
    admin = login(app, "beheer")
    page = admin.get("/accounts").text
    assert "Functie en taal" in page and "Laatst aangemeld" in page and "maatschappelijk werker" in page
    new = admin.get("/accounts/new").text
    assert "Account aanmaken" in new and "eenmalige link" in new
    r = create(admin, worker="as.a")
    assert r.status_code == 422 and "Gebruikersnaam: al in gebruik door een ander account" in r.text
    r = create(admin)
    assert r.status_code == 200 and "Geef deze link aan Nieuwe Collega" in r.text


def test_the_home_page_is_each_ones_landing_page(app):
    assert client(app).get("/", follow_redirects=False).headers["location"] == "/login"
    admin = login(app, "admin")
    assert admin.get("/", follow_redirects=False).headers["location"] == "/accounts"
    worker = login(app, "as.a")
    assert worker.get("/", follow_redirects=False).headers["location"] == "/week"
