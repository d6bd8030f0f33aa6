"""The pure rules of consent (raj_release/domain/consents.py) and the consent gate of the reminder engine
(raj_release/reminders/engine.py `due_reminders(..., allowed=...)`), on the shipped config/consents.yaml.

A consent holds from the day it is given to its `until` (included), and stops on the day it is withdrawn;
it covers a partner it names, or every partner of a type it names, for one purpose, and only if that purpose
may concern that kind of partner at all (a health purpose never reaches a CPAS).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raj_release.config import load_config
from raj_release.domain.consents import Grant, Need, allows, check_period, concerns, covering, lacking
from raj_release.domain.enums import Responsible, Status
from raj_release.errors import RajError
from raj_release.reminders.engine import Candidate, due_reminders, sent_points
from raj_release.settings import PROJECT_ROOT

D = dt.date
DAY = D(2027, 2, 10)  # a Wednesday of a month without holidays
CONFIG = load_config(PROJECT_ROOT / "config")  # module level: hypothesis tests cannot take fixtures
PURPOSES = CONFIG.consents.by_key
HOUSING, CARE, IDENTITY = PURPOSES["housing"], PURPOSES["care"], PURPOSES["identity"]
ALL_TYPES = sorted({t for p in CONFIG.consents.purposes for t in p.partner_types} | {"cpas", "commune", "banque"})


def g(purpose: str = "housing", *, partner: str | None = None, ptype: str | None = "maison_accueil",
      given_on: D = D(2027, 1, 4), until: D | None = None, withdrawn: D | None = None, gid: int = 1) -> Grant:
    return Grant(gid, partner, None if partner else ptype, purpose, given_on, until, withdrawn)


# ---------------------------------------------------------------------------------------------------------
# current on boundary days


def test_a_consent_holds_from_the_day_it_is_given():
    c = g(given_on=DAY)
    assert c.current(DAY)
    assert not c.current(DAY - dt.timedelta(days=1))


def test_a_consent_holds_on_its_until_day_and_not_after():
    c = g(until=DAY)
    assert c.current(DAY)
    assert not c.current(DAY + dt.timedelta(days=1))


def test_a_consent_withdrawn_today_no_longer_holds_today():
    c = g(withdrawn=DAY)
    assert not c.current(DAY)
    assert c.current(DAY - dt.timedelta(days=1))  # it held until the day before
    # withdrawn on the day it was given: it never held
    assert not g(given_on=DAY, withdrawn=DAY).current(DAY)


def test_days_out_of_order_are_refused_with_the_field_named():
    with pytest.raises(RajError) as e:
        check_period(DAY, DAY - dt.timedelta(days=1))
    assert e.value.field == "until"
    with pytest.raises(RajError) as e:
        check_period(DAY, None, DAY - dt.timedelta(days=1))
    assert e.value.field == "date"
    check_period(DAY, DAY, DAY)  # one day long, withdrawn on it: in order


# ---------------------------------------------------------------------------------------------------------
# a partner, or a type of partner


def test_a_type_consent_covers_every_partner_of_the_type_a_partner_consent_only_that_partner():
    by_type = [g(ptype="maison_accueil")]
    assert covering(by_type, "ma-demo", "maison_accueil", HOUSING, DAY) == by_type[0]
    assert allows(by_type, "ma-escale-demo", "maison_accueil", HOUSING, DAY)
    assert not allows(by_type, "ais-x", "ais", HOUSING, DAY)  # another type of the same purpose

    one = [g(partner="ma-demo")]
    assert allows(one, "ma-demo", "maison_accueil", HOUSING, DAY)
    assert not allows(one, "ma-escale-demo", "maison_accueil", HOUSING, DAY)  # another house: not named


def test_a_consent_covers_its_own_purpose_only():
    grants = [g("identity", ptype="cpas")]
    assert allows(grants, "cpas-demo", "cpas", IDENTITY, DAY)
    assert not allows(grants, "cpas-demo", "cpas", PURPOSES["income"], DAY)  # the CPAS, but for income
    assert not allows(grants, "cpas-demo", "cpas", None, DAY)  # a démarche without a purpose goes nowhere


def test_a_health_purpose_never_concerns_a_cpas_a_commune_or_a_bank():
    health = [p for p in CONFIG.consents.purposes if p.health]
    assert health, "config/consents.yaml has a health purpose"
    for p in health:
        for t in ("cpas", "commune", "banque", "dse", "onem"):
            assert not concerns(p, t), (p.key, t)
    # even a consent row naming a CPAS for care (which grant() refuses) would not let care reach it
    wrong = [g("care", ptype="cpas"), g("care", partner="cpas-demo")]
    assert covering(wrong, "cpas-demo", "cpas", CARE, DAY) is None
    assert allows([g("care", ptype="centre_residentiel")], "cure-demo", "centre_residentiel", CARE, DAY)


def test_health_demarches_name_only_health_services():
    # every démarche whose purpose is a health one lists only partner types that purpose concerns
    for t in CONFIG.templates:
        p = CONFIG.purpose_of(t.key)
        if p is not None and p.health:
            assert set(t.partner_types) <= set(p.partner_types), t.key


def test_a_consent_that_no_longer_holds_covers_nothing():
    for c in (g(withdrawn=DAY), g(until=DAY - dt.timedelta(days=1)), g(given_on=DAY + dt.timedelta(days=1))):
        assert covering([c], "ma-demo", "maison_accueil", HOUSING, DAY) is None
    # a current one next to them is found
    ok = g(gid=9)
    assert covering([g(withdrawn=DAY), ok], "ma-demo", "maison_accueil", HOUSING, DAY) == ok


# ---------------------------------------------------------------------------------------------------------
# what the plan lacks


NEEDS = [Need("housing_apply", "housing", ("maison_accueil",)), Need("cure_apply", "care", ("centre_residentiel",)),
         Need("domicile_fix", "identity", ("cpas", "commune"))]


def test_lacking_lists_the_needs_no_current_consent_answers():
    assert lacking(NEEDS, [], DAY) == NEEDS
    grants = [g("housing"), g("identity", ptype="commune")]  # one of domicile_fix's types is enough
    assert [n.key for n in lacking(NEEDS, grants, DAY)] == ["cure_apply"]


def test_lacking_reads_a_partner_consent_through_the_partners_type():
    grants = [g("care", partner="cure-demo")]
    assert [n.key for n in lacking(NEEDS, grants, DAY)] == ["housing_apply", "cure_apply", "domicile_fix"]
    types = {"cure-demo": "centre_residentiel", "cpas-demo": "cpas"}
    assert [n.key for n in lacking(NEEDS, grants, DAY, types)] == ["housing_apply", "domicile_fix"]
    # a partner consent for the wrong purpose answers nothing
    assert [n.key for n in lacking(NEEDS, [g("income", partner="cpas-demo")], DAY, types)] == [
        "housing_apply", "cure_apply", "domicile_fix"]


def test_lacking_after_a_withdrawal_or_an_expiry():
    grants = [g("housing", withdrawn=DAY), g("care", ptype="centre_residentiel", until=DAY - dt.timedelta(days=1)),
              g("identity", ptype="cpas")]
    assert [n.key for n in lacking(NEEDS, grants, DAY)] == ["housing_apply", "cure_apply"]
    assert [n.key for n in lacking(NEEDS, grants, DAY - dt.timedelta(days=1))] == []  # the day before: all held


# ---------------------------------------------------------------------------------------------------------
# properties

days_st = st.dates(min_value=D(2026, 1, 1), max_value=D(2028, 12, 31))


@st.composite
def grants_st(draw):
    purpose = draw(st.sampled_from(sorted(PURPOSES)))
    by_partner = draw(st.booleans())
    given_on = draw(days_st)
    until = draw(st.none() | st.dates(min_value=given_on, max_value=D(2029, 12, 31)))
    withdrawn = draw(st.none() | st.dates(min_value=given_on, max_value=D(2029, 12, 31)))
    ptype = draw(st.sampled_from(ALL_TYPES))
    return Grant(draw(st.integers(1, 10_000)), "p-x" if by_partner else None, None if by_partner else ptype,
                 purpose, given_on, until, withdrawn)


@settings(max_examples=300, deadline=None)
@given(st.lists(grants_st(), max_size=6), st.sampled_from(ALL_TYPES), st.sampled_from(sorted(PURPOSES)), days_st)
def test_a_consent_never_covers_a_partner_type_its_purpose_does_not_list(grants, ptype, purpose, today):
    p = PURPOSES[purpose]
    found = covering(grants, "p-x", ptype, p, today)
    if found is not None:
        assert ptype in p.partner_types
        assert found.purpose == purpose and found.current(today)
        assert found.partner_id == "p-x" or found.partner_type == ptype
    if ptype not in p.partner_types:
        assert found is None


@settings(max_examples=300, deadline=None)
@given(grants_st(), days_st, st.integers(0, 800))
def test_withdrawn_on_day_d_means_not_current_on_any_day_from_d(grant, d, after):
    if d < grant.given_on:
        d = grant.given_on
    withdrawn = Grant(grant.id, grant.partner_id, grant.partner_type, grant.purpose, grant.given_on, grant.until, d)
    assert not withdrawn.current(d + dt.timedelta(days=after))
    # and before d it holds exactly as it would have without the withdrawal
    before = d - dt.timedelta(days=1 + after % 30)
    no_withdrawal = Grant(grant.id, grant.partner_id, grant.partner_type, grant.purpose, grant.given_on,
                          grant.until, None)
    assert withdrawn.current(before) == no_withdrawal.current(before)


# ---------------------------------------------------------------------------------------------------------
# the engine's gate: a partner not covered hears nothing; the responsible workers are told why


def cand(did: int, *, person: int | None = None, key: str = "housing_apply", partner: str | None = None,
         applications: tuple = (), responsible: Responsible = Responsible.BIN) -> Candidate:
    pid = person if person is not None else did
    return Candidate(did, pid, f"REF-{pid}", "org-a", key, DAY, Status.ON_HOLD, responsible, f"as.{pid}",
                     f"psy.{pid}", partner, applications=applications)


def run(cands, allowed):
    return due_reminders(cands, DAY, CONFIG.calendar, lambda key: CONFIG.reminders.default, allowed=allowed)


def test_a_partner_not_allowed_gets_nothing_its_workers_get_a_consent_line():
    c = cand(1, partner="ma-demo")
    dues = run([c], lambda cand_, partner: False)
    assert [d for d in dues if d.kind == "partner"] == []
    consent = [(d.recipient, d.role, [(i.candidate.person_ref, i.partner) for i in d.items])
               for d in dues if d.kind == "consent"]
    assert consent == [("as.1", "as", [("REF-1", "ma-demo")]), ("psy.1", "psy", [("REF-1", "ma-demo")])]
    # the partner's point is spent: the workers are not told twice the same day
    assert sent_points(dues)["partner"] == {1: DAY}
    # allowed: the partner is reminded and nobody reads a consent line
    ok = run([c], lambda cand_, partner: True)
    assert [(d.kind, d.recipient) for d in ok if d.kind in ("partner", "consent")] == [("partner", "ma-demo")]


def test_a_consent_line_goes_to_the_responsible_worker_only():
    dues = run([cand(1, partner="cure-demo", key="cure_apply", responsible=Responsible.PSY)], lambda c, p: False)
    assert [(d.kind, d.recipient) for d in dues if d.kind == "consent"] == [("consent", "psy.1")]


def test_allowed_partners_of_several_applications_each_get_one_message_per_person():
    apps = (("ma-demo", 11), ("ma-escale-demo", 12), ("ma-anker-demo", 13))
    cs = [cand(1, applications=apps), cand(2, applications=apps[:2]),
          cand(3, person=1, key="housing_confirm", applications=(("ma-demo", 14),))]
    refused = {"ma-anker-demo"}
    seen = []

    def allowed(c: Candidate, partner: str) -> bool:
        seen.append((c.demarche_id, partner))
        return partner not in refused

    dues = run(cs, allowed)
    partner = sorted((d.recipient, d.items[0].candidate.person_id, [(i.candidate.key, i.application) for i in d.items])
                     for d in dues if d.kind == "partner")
    assert partner == [
        ("ma-demo", 1, [("housing_apply", 11), ("housing_confirm", 14)]),  # one message for the person's two
        ("ma-demo", 2, [("housing_apply", 11)]),
        ("ma-escale-demo", 1, [("housing_apply", 12)]),
        ("ma-escale-demo", 2, [("housing_apply", 12)]),
    ]
    for d in dues:  # never two persons in one partner's message
        if d.kind == "partner":
            assert len({i.candidate.person_id for i in d.items}) == 1
    consent = [(d.recipient, [(i.candidate.person_ref, i.partner) for i in d.items]) for d in dues
               if d.kind == "consent"]
    assert consent == [("as.1", [("REF-1", "ma-anker-demo")]), ("psy.1", [("REF-1", "ma-anker-demo")])]
    assert set(seen) == {(1, "ma-demo"), (1, "ma-escale-demo"), (1, "ma-anker-demo"), (2, "ma-demo"),
                         (2, "ma-escale-demo"), (3, "ma-demo")}
