"""/api consents and applications (issue 12 points 1, 2, 4): a round trip through the JSON API with a token, and
its refusals in one line (unknown purpose, a partner no consent covers: 422; another organisation's person: 404;
a consent withdrawn twice: 409). Real SQLite."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.auth import create_token
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Q = "?as_of=2026-11-23"


@pytest.fixture
def api(ctx):
    from raj_release.web.app import create_app

    ensure_organisation(ctx, "autre-service", "Autre service (fictif)")
    for wid, role, org in [("as.a", "as", None), ("psy.a", "psy", None), ("as.x", "as", "autre-service"),
                           ("psy.x", "psy", "autre-service")]:
        register_worker(ctx, wid, wid.upper(), role, organisation=org)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))]
    today = dt.date(2026, 11, 23)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=today, needs=["housing"],
                    milestones=hearing)
    register_person(ctx, ref="P-X", prison="haren", as_id="as.x", psy_id="psy.x", today=today, needs=["housing"],
                    milestones=hearing)
    client = TestClient(create_app(ctx))
    client.headers["Authorization"] = f"Bearer {create_token(ctx, 'as.a', 'tests')}"
    return client


def one_line(r, status: int) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail
    return detail


def test_consents_and_applications_round_trip(api):
    r = api.get(f"/api/persons/P-A/consents{Q}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["consents"] == [] and body["complete"] is False
    assert any(x["key"] == "housing_apply" and x["purpose"] == "housing" for x in body["missing"])

    r = api.post(f"/api/persons/P-A/consents{Q}", json={"partner_type": "maison_accueil", "purpose": "housing",
                                                        "date": "2026-11-20", "how": "oral"})
    assert r.status_code == 200, r.text
    consent = r.json()
    assert (consent["partner_type"], consent["how"], consent["given_on"], consent["recorded_by"], consent["current"]) \
        == ("maison_accueil", "oral", "2026-11-20", "as.a", True)
    assert not any(x["key"] == "housing_apply" for x in api.get(f"/api/persons/P-A/consents{Q}").json()["missing"])

    r = api.post(f"/api/persons/P-A/demarches/housing_apply/applications{Q}",
                 json={"partners": ["ma-demo", "ma-escale-demo"]})
    assert r.status_code == 200, r.text
    assert sorted((a["partner"], a["state"], a["consent"]) for a in r.json()) == [
        ("ma-demo", "sent", True), ("ma-escale-demo", "sent", True)]
    one_line(api.post(f"/api/persons/P-A/demarches/housing_apply/applications{Q}", json={"partners": ["ma-demo"]}),
             409)  # already sent there

    r = api.post(f"/api/persons/P-A/demarches/housing_apply/applications/ma-demo{Q}",
                 json={"state": "waitlist", "position": 4, "date": "2027-02-01"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["position"], r.json()["expected"]) == ("waitlist", 4, "2027-02-01")
    one_line(api.post(f"/api/persons/P-A/demarches/housing_apply/applications/withdraw-others{Q}", json={}), 409)
    r = api.post(f"/api/persons/P-A/demarches/housing_apply/applications/ma-demo{Q}",
                 json={"state": "accepted", "date": "2027-03-12"})
    assert r.status_code == 200 and r.json()["entry"] == "2027-03-12"
    r = api.post(f"/api/persons/P-A/demarches/housing_apply/applications/withdraw-others{Q}", json={})
    assert r.status_code == 200, r.text
    assert [(a["partner"], a["state"]) for a in r.json()] == [("ma-escale-demo", "withdrawn")]
    listed = api.get(f"/api/persons/P-A/applications{Q}&key=housing_apply").json()
    assert {a["partner"]: a["state"] for a in listed} == {"ma-demo": "accepted", "ma-escale-demo": "withdrawn"}
    assert api.get(f"/api/persons/P-A/applications{Q}&key=housing_longterm").json() == []

    r = api.post(f"/api/persons/P-A/consents/{consent['id']}/withdraw{Q}", json={"reason": "ne souhaite plus"})
    assert r.status_code == 200 and r.json()["withdrawn_on"] == "2026-11-23" and r.json()["current"] is False
    one_line(api.post(f"/api/persons/P-A/consents/{consent['id']}/withdraw{Q}", json={"reason": "encore"}), 409)
    assert [a["consent"] for a in api.get(f"/api/persons/P-A/applications{Q}").json()] == [False, False]

    paths = api.get("/api/openapi.json").json()["paths"]
    assert {"/api/persons/{ref}/consents", "/api/persons/{ref}/consents/{consent_id}/withdraw",
            "/api/persons/{ref}/applications", "/api/persons/{ref}/demarches/{key}/applications",
            "/api/persons/{ref}/demarches/{key}/applications/{partner}",
            "/api/persons/{ref}/demarches/{key}/applications/withdraw-others"} <= set(paths)


def test_refusals_are_one_line_and_change_nothing(api):
    detail = one_line(api.post(f"/api/persons/P-A/consents{Q}", json={"partner_type": "maison_accueil",
                                                                      "purpose": "logement"}), 422)
    assert detail.startswith("purpose: ") and "logement" in detail
    one_line(api.post(f"/api/persons/P-A/consents{Q}", json={"purpose": "housing"}), 422)  # neither partner nor type
    one_line(api.post(f"/api/persons/P-A/consents{Q}", json={"partner": "cpas-demo", "purpose": "housing"}), 422)
    assert api.get(f"/api/persons/P-A/consents{Q}").json()["consents"] == []

    detail = one_line(api.post(f"/api/persons/P-A/demarches/housing_apply/applications{Q}",
                               json={"partners": ["ma-demo"]}), 422)
    assert detail.startswith("partner: consent missing for ")
    assert api.get(f"/api/persons/P-A/applications{Q}").json() == []
    one_line(api.post(f"/api/persons/P-A/demarches/housing_apply/applications/ma-demo{Q}",
                      json={"state": "refused", "reason": "complet"}), 404)  # never sent there

    # another organisation's person: as if it did not exist, whatever the route
    one_line(api.get(f"/api/persons/P-X/consents{Q}"), 404)
    one_line(api.get(f"/api/persons/P-X/applications{Q}"), 404)
    one_line(api.post(f"/api/persons/P-X/consents{Q}", json={"partner_type": "maison_accueil",
                                                             "purpose": "housing"}), 404)
    one_line(api.post(f"/api/persons/P-X/demarches/housing_apply/applications{Q}", json={"partners": ["ma-demo"]}),
             404)
    one_line(api.post(f"/api/persons/P-A/consents/999/withdraw{Q}", json={"reason": "x"}), 404)
    assert api.post(f"/api/persons/P-A/consents{Q}", json={"purpose": "housing", "extra": 1}).status_code == 422
    assert api.get(f"/api/persons/P-A/consents{Q}", headers={"Authorization": ""}).status_code == 401
