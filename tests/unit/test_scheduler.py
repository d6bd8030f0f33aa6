"""plan() and resolve_anchors(): example-based tests against the semantics of the scheduler's module docstring.

Dates written as literals were computed by hand from the Belgian calendar; the comments show the count.
`calendar` and `templates` (tests/conftest.py) are the repo's config/; `bare` is a calendar without the
service's closures.
"""

from __future__ import annotations

import datetime as dt

import pytest

from raj_release.domain.demarches import Template, TemplateSet
from raj_release.domain.enums import (
    Anchor,
    Certainty,
    MilestoneKind,
    Modality,
    Need,
    Pillar,
    Procedure,
    Situation,
    Status,
)
from raj_release.domain.milestones import Milestone
from raj_release.planning.calendar import WorkingCalendar
from raj_release.planning.readiness import readiness
from raj_release.planning.scheduler import (
    Change,
    Current,
    Plan,
    PlanningPolicy,
    Subject,
    plan,
    resolve_anchors,
)

D = dt.date
K = MilestoneKind
FAR_PAST = D(2024, 1, 2)  # a `today` before every computed date: nothing is compressed
# every need but `sejour` (no legal stay), which takes eID, domicile, mutuelle and RIS démarches out
ALL_NEEDS = frozenset(Need) - {Need.SEJOUR}
KIT = {"eid_check", "mutuelle_check", "subst_relay", "emergency_bed", "ris_prepare"}


@pytest.fixture(scope="module")
def bare() -> WorkingCalendar:
    return WorkingCalendar()


def tpl(key: str, anchor: str = "T", offset: int = -10, *, unit: str = "calendar", duration: int = 0,
        depends_on: tuple[str, ...] = (), pillar: str = "identite", applies_if: dict | None = None,
        kit_offset: int | None = None) -> Template:
    return Template.model_validate({
        "key": key, "label": {"fr": key, "nl": key}, "anchor": anchor, "offset": offset, "offset_unit": unit,
        "duration": duration, "depends_on": list(depends_on), "responsible": "AS", "pillar": pillar,
        "applies_if": applies_if or {}, "kit_offset": kit_offset,
    })


def ms(kind: MilestoneKind, date: dt.date, **kw) -> dict[MilestoneKind, Milestone]:
    return {kind: Milestone(kind=kind, date=date, **kw)}


def hearing(date: dt.date, **kw) -> dict[MilestoneKind, Milestone]:
    return ms(K.TAP_HEARING, date, **kw)


def as_current(p: Plan, **overrides: Current) -> dict[str, Current]:
    cur = {d.key: Current(d.status, d.due, d.pinned, d.compressed) for d in p.demarches}
    cur.update(overrides)
    return cur


def one(p: Plan, key: str):
    return p.by_key()[key]


# -- 3. target = anchor + offset, moved back to a working day -----------------------------------------------
@pytest.mark.parametrize(("hearing_date", "offset", "expected"), [
    (D(2026, 12, 14), -33, D(2026, 11, 10)),  # 11 Nov (Armistice, Wed) -> Tue 10 Nov
    (D(2026, 12, 14), -36, D(2026, 11, 6)),  # Sun 8 Nov -> Fri 6 Nov
    (D(2026, 12, 14), -34, D(2026, 11, 10)),  # Tue 10 Nov is worked: itself
    (D(2026, 6, 5), -28, D(2026, 5, 7)),  # 8 May 2026 (Brussels regional day, Fri) -> Thu 7 May
    (D(2027, 1, 27), -30, D(2026, 12, 24)),  # Mon 28 Dec 2026 (service closure) -> Thu 24 Dec
    (D(2026, 12, 9), 18, D(2026, 12, 24)),  # after the anchor too: Sun 27 Dec -> Thu 24 Dec
    (D(2026, 12, 9), 20, D(2026, 12, 24)),  # Tue 29 Dec (closure) -> Thu 24 Dec
])
def test_target_is_anchor_plus_calendar_offset_moved_back_to_a_working_day(hearing_date, offset, expected,
                                                                           calendar):
    ts = TemplateSet([tpl("dx", "T", offset)])
    d = one(plan(ts, Subject(), hearing(hearing_date), calendar, FAR_PAST), "dx")
    assert d.due == expected
    assert d.target == expected
    assert d.anchor is Anchor.T and d.anchor_date == hearing_date
    assert not d.compressed and not d.provisional and not d.late_vs_anchor


def test_service_closures_come_from_the_calendar_given(bare, calendar):
    ts = TemplateSet([tpl("dx", "T", 20)])
    m = hearing(D(2026, 12, 9))  # +20 = Tue 29 Dec 2026: closed for the service, worked in the bare calendar
    assert one(plan(ts, Subject(), m, bare, FAR_PAST), "dx").due == D(2026, 12, 29)
    assert one(plan(ts, Subject(), m, calendar, FAR_PAST), "dx").due == D(2026, 12, 24)


def test_working_day_offsets_count_working_days(bare, calendar):
    ts = TemplateSet([tpl("dw", "T", -10, unit="working"), tpl("dc", "T", -10, unit="calendar")])
    m = hearing(D(2027, 1, 8))  # a Friday
    p_bare = plan(ts, Subject(), m, bare, FAR_PAST).by_key()
    p_conf = plan(ts, Subject(), m, calendar, FAR_PAST).by_key()
    # bare: 7, 6, 5, 4 Jan, (1 Jan), 31, 30, 29, 28, (25-27), 24, 23 Dec
    assert p_bare["dw"].due == D(2026, 12, 23)
    # with the 28-31 Dec closure: 7, 6, 5, 4 Jan, 24, 23, 22, 21, 18, 17 Dec
    assert p_conf["dw"].due == D(2026, 12, 17)
    # calendar days: 8 Jan - 10 = Tue 29 Dec
    assert p_bare["dc"].due == D(2026, 12, 29)
    assert p_conf["dc"].due == D(2026, 12, 24)


def test_positive_working_offset(calendar):
    ts = TemplateSet([tpl("dw", "T", 5, unit="working")])
    # Fri 18 Dec 2026 + 5: 21, 22, 23, 24 Dec, (25 Dec - 1 Jan closed), 4 Jan
    assert one(plan(ts, Subject(), hearing(D(2026, 12, 18)), calendar, FAR_PAST), "dw").due == D(2027, 1, 4)


def test_working_offset_from_an_anchor_that_is_not_worked(bare):
    ts = TemplateSet([tpl("before", "T", -1, unit="working"), tpl("after", "T", 1, unit="working"),
                      tpl("zero", "T", 0, unit="working")])
    p = plan(ts, Subject(), hearing(D(2026, 3, 7)), bare, FAR_PAST).by_key()  # a Saturday
    assert p["before"].due == D(2026, 3, 6)
    assert p["after"].due == D(2026, 3, 9)
    assert p["zero"].due == D(2026, 3, 6)


def test_real_config_targets_for_unconstrained_demarches(templates, calendar):
    """Every démarche with no open dependent in the plan is due exactly on anchor + offset (moved back)."""
    t_day = D(2027, 6, 15)
    p = plan(templates, Subject(needs=ALL_NEEDS, modality=Modality.LC), hearing(t_day), calendar, FAR_PAST)
    by_key = p.by_key()
    assert p.mode == "full"
    dependents = {k: [d for d in by_key if k in templates[d].depends_on] for k in by_key}
    anchor_date = {Anchor.T: t_day, Anchor.R: t_day + dt.timedelta(21), Anchor.J: t_day + dt.timedelta(21)}
    earliest = {Anchor.T: t_day, Anchor.R: t_day + dt.timedelta(14), Anchor.J: t_day + dt.timedelta(14)}
    checked = 0
    for key, d in by_key.items():
        t = templates[key]
        base = earliest[t.anchor] if t.offset <= 0 else anchor_date[t.anchor]
        own = calendar.previous_working_day(base + dt.timedelta(days=t.offset))
        assert d.due <= own, key
        if not dependents[key]:
            assert d.due == own, key
            checked += 1
        assert d.start == calendar.add_working_days(d.due, -t.duration), key
        assert not d.compressed
    assert checked >= 10
    assert not p.at_risk


# -- 4. dependencies: as late as possible ---------------------------------------------------------------
def test_prerequisite_is_due_at_the_dependents_start(calendar):
    ts = TemplateSet([tpl("da", "T", -10, duration=5, depends_on=("db",)), tpl("db", "T", -5)])
    p = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, FAR_PAST).by_key()
    assert p["da"].due == D(2027, 3, 5)  # Mon 15 Mar - 10 = Fri 5 Mar
    assert p["da"].start == D(2027, 2, 26)  # 4, 3, 2, 1 Mar, 26 Feb
    assert p["db"].due == D(2027, 2, 26)  # its own target (10 Mar) is later than a's start
    assert p["db"].target == D(2027, 2, 26)
    assert not p["db"].compressed


def test_prerequisite_whose_own_target_is_earlier_keeps_it(calendar):
    ts = TemplateSet([tpl("da", "T", -10, duration=5, depends_on=("db",)), tpl("db", "T", -20)])
    p = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, FAR_PAST).by_key()
    assert p["db"].due == D(2027, 2, 23)  # 15 Mar - 20 = Tue 23 Feb, earlier than a's start (26 Feb)


def test_dependency_limits_propagate_down_a_chain(calendar):
    ts = TemplateSet([
        tpl("dc", "T", -2, duration=8, depends_on=("da",)),
        tpl("da", "T", -10, duration=5, depends_on=("db",)),
        tpl("db", "T", -5),
    ])
    p = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, FAR_PAST).by_key()
    assert p["dc"].due == D(2027, 3, 12)  # Sat 13 Mar -> Fri 12 Mar
    assert p["dc"].start == D(2027, 3, 2)  # 11, 10, 9, 8, 5, 4, 3, 2 Mar
    assert p["da"].due == D(2027, 3, 2)  # its own target (5 Mar) is after c's start
    assert p["da"].start == D(2027, 2, 23)  # 1 Mar, 26, 25, 24, 23 Feb
    assert p["db"].due == D(2027, 2, 23)


def test_the_earliest_dependent_start_wins(calendar):
    ts = TemplateSet([
        tpl("da", "T", -10, duration=5, depends_on=("db",)),  # start 26 Feb
        tpl("dd", "T", -20, duration=0, depends_on=("db",)),  # start = due = Tue 23 Feb
        tpl("db", "T", -5),
    ])
    p = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, FAR_PAST).by_key()
    assert p["db"].due == D(2027, 2, 23)


def test_real_config_prerequisites_are_due_before_their_dependents_start(templates, calendar):
    p = plan(templates, Subject(needs=ALL_NEEDS, modality=Modality.LC), hearing(D(2027, 6, 15)), calendar,
             D(2026, 11, 23))
    by_key = p.by_key()
    pairs = 0
    for d in p.demarches:
        for dep in templates[d.key].depends_on:
            if dep in by_key:
                assert by_key[dep].due <= d.start, (dep, d.key)
                pairs += 1
    # every dependency of the config but se_allowance's (modality LC), sejour_status's and amu_request's (no
    # sejour need) and jap_file's (procedure not known to be JAP); tap_attest's on jap_file is dropped
    assert pairs == 40


def test_a_dependency_on_a_demarche_not_in_the_plan_is_dropped(calendar):
    ts = TemplateSet([
        tpl("da", "T", -10, duration=5, depends_on=("db",)),
        tpl("db", "T", -5, applies_if={"needs_any": ["housing"]}),
    ])
    m = hearing(D(2027, 3, 15))
    without = plan(ts, Subject(), m, calendar, FAR_PAST)
    assert [d.key for d in without.demarches] == ["da"]
    assert one(without, "da").due == D(2027, 3, 5)
    with_housing = plan(ts, Subject(needs=frozenset({Need.HOUSING})), m, calendar, FAR_PAST).by_key()
    assert with_housing["db"].due == D(2027, 2, 26)


def test_real_config_tap_file_without_its_optional_prerequisites(templates, calendar):
    # tap_file depends on housing_apply, cure_interview, training_enrol: none applies without those needs
    p = plan(templates, Subject(modality=Modality.LC), hearing(D(2027, 6, 15)), calendar, FAR_PAST).by_key()
    assert "tap_file" in p
    assert not {"housing_apply", "cure_interview", "training_enrol"} & set(p)
    assert p["tap_file"].due == D(2027, 5, 14)  # 15 Jun - 30 = Sun 16 May -> Fri 14 May (17 May Whit Monday)


# -- 1. which démarches: applies_if -----------------------------------------------------------------------
def keys_for(templates, calendar, **subject) -> set[str]:
    return {d.key for d in plan(templates, Subject(**subject), hearing(D(2027, 6, 15)), calendar,
                                FAR_PAST).demarches}


def test_applies_if_needs_any(templates, calendar):
    none = keys_for(templates, calendar)
    assert not {"housing_plan", "housing_apply", "cure_apply", "med_gp", "subst_relay", "ris_prepare"} & none
    assert {"intake_fiche", "eid_check", "exit_kit", "debt_inventory", "mutuelle_switch"} <= none
    # the family meeting is opt-in: only when the person wishes it (DOMAIN.md §8.6)
    assert "family_meeting" not in none
    assert keys_for(templates, calendar, needs=frozenset({Need.FAMILY})) - none == {"family_meeting"}
    subst = keys_for(templates, calendar, needs=frozenset({Need.SUBSTITUTION}))
    assert {"med_gp", "subst_relay", "subst_day0"} <= subst
    assert "cure_apply" not in subst
    assert subst - none == {"med_gp", "subst_relay", "subst_day0"}
    housing = keys_for(templates, calendar, needs=frozenset({Need.HOUSING}))
    # the installation aid goes with leaving homelessness, not with an income need (DOMAIN.md §8.6)
    assert housing - none == {"housing_plan", "housing_apply", "housing_longterm", "housing_confirm",
                              "emergency_bed", "install_aid"}


def test_applies_if_modality_unknown_means_it_applies(templates, calendar):
    justice = {"tripartite_pre", "tap_file", "tap_attest", "tap_debrief", "aj_first", "tripartite_post"}
    unknown = keys_for(templates, calendar)
    assert justice | {"se_allowance"} <= unknown
    fdp = keys_for(templates, calendar, modality=Modality.FOND_DE_PEINE)
    assert not (justice | {"se_allowance"}) & fdp
    lc = keys_for(templates, calendar, modality=Modality.LC)
    assert justice <= lc and "se_allowance" not in lc
    assert "se_allowance" in keys_for(templates, calendar, modality=Modality.SE)


def test_full_plan_sizes(templates, calendar):
    # 42 templates; sejour_status and amu_request are for a person without legal stay, jap_file and
    # jap_debrief for a known JAP procedure
    assert len(templates) == 42
    assert len(keys_for(templates, calendar, needs=ALL_NEEDS)) == 38
    assert len(keys_for(templates, calendar, needs=ALL_NEEDS, modality=Modality.LC)) == 37


def test_applies_if_other_conditions(calendar):
    ts = TemplateSet([
        tpl("all_of", applies_if={"needs_all": ["housing", "income"]}),
        tpl("prev_only", applies_if={"situation": ["prevenu"]}),
        tpl("jap_only", applies_if={"procedure": ["jap"]}),
        tpl("always"),
    ])
    m = hearing(D(2027, 6, 15))

    def keys(**kw):
        return {d.key for d in plan(ts, Subject(**kw), m, calendar, FAR_PAST).demarches}

    assert keys() == {"always", "jap_only"}  # procedure unknown: applies
    assert keys(needs=frozenset({Need.HOUSING})) == {"always", "jap_only"}
    assert keys(needs=frozenset({Need.HOUSING, Need.INCOME}), procedure=Procedure.TAP) == {"always", "all_of"}
    assert keys(situation=Situation.PREVENU, procedure=Procedure.JAP) == {"always", "prev_only", "jap_only"}


# -- prévenus: the minimum kit --------------------------------------------------------------------------
def test_prevenu_without_dates_gets_the_kit_anchored_on_intake(templates, calendar):
    intake = D(2026, 12, 1)  # a Tuesday
    p = plan(templates, Subject(needs=ALL_NEEDS, situation=Situation.PREVENU), ms(K.INTAKE, intake),
             calendar, intake)
    assert p.mode == "prevenu_kit"
    by_key = p.by_key()
    assert set(by_key) == KIT
    assert by_key["eid_check"].due == D(2026, 12, 15)  # +14
    assert by_key["subst_relay"].due == D(2026, 12, 15)  # +14 (its med_gp prerequisite is not in the kit)
    assert by_key["mutuelle_check"].due == D(2026, 12, 22)  # +21
    assert by_key["emergency_bed"].due == D(2026, 12, 24)  # +30 = Thu 31 Dec (closure) -> 24 Dec
    assert by_key["ris_prepare"].due == D(2027, 1, 15)  # +45
    # ris_prepare depends on eid_check: 14 working days before 15 Jan is 18 Dec, after eid_check's due
    assert by_key["ris_prepare"].start == D(2026, 12, 18)
    for d in by_key.values():
        assert d.anchor is Anchor.I and d.anchor_date == intake and d.anchor_source == "intake"
        assert not d.provisional and not d.compressed and not d.late_vs_anchor
    assert not p.at_risk


def test_prevenu_kit_is_filtered_by_needs(templates, calendar):
    p = plan(templates, Subject(situation=Situation.PREVENU), ms(K.INTAKE, D(2026, 12, 1)), calendar,
             D(2026, 12, 1))
    assert p.mode == "prevenu_kit"
    assert {d.key for d in p.demarches} == {"eid_check", "mutuelle_check"}


def test_prevenu_with_no_date_at_all_has_an_unscheduled_kit(templates, calendar):
    p = plan(templates, Subject(needs=ALL_NEEDS, situation=Situation.PREVENU), {}, calendar, D(2026, 12, 1))
    assert p.mode == "prevenu_kit"
    assert {d.key for d in p.demarches} == KIT
    assert all(d.due is None and d.start is None for d in p.demarches)
    assert not p.at_risk


def test_prevenu_with_a_hearing_gets_the_full_plan(templates, calendar):
    m = {**ms(K.INTAKE, D(2026, 12, 1)), **hearing(D(2027, 6, 15))}
    prev = plan(templates, Subject(needs=ALL_NEEDS, situation=Situation.PREVENU), m, calendar, D(2026, 12, 1))
    cond = plan(templates, Subject(needs=ALL_NEEDS), m, calendar, D(2026, 12, 1))
    assert prev.mode == "full"
    # the TAP's démarches are for condamnés only (DOMAIN.md §8.6): a prévenu has no TAP procedure
    justice = {"tripartite_pre", "tap_file", "tap_attest", "tap_debrief", "se_allowance", "aj_first",
               "tripartite_post"}
    assert len(prev.demarches) == 31
    assert {d.key for d in prev.demarches} == {d.key for d in cond.demarches} - justice
    # the kit démarches follow their full-plan anchors now
    assert one(prev, "eid_check").anchor is Anchor.T


def test_prevenu_with_a_release_date_gets_the_full_plan(templates, calendar):
    m = {**ms(K.INTAKE, D(2026, 12, 1)), **ms(K.EXPECTED_RELEASE, D(2027, 6, 15))}
    p = plan(templates, Subject(situation=Situation.PREVENU), m, calendar, D(2026, 12, 1))
    assert p.mode == "full"


def test_condamne_with_only_an_intake_has_nothing_to_plan_against(templates, calendar):
    p = plan(templates, Subject(needs=ALL_NEEDS), ms(K.INTAKE, D(2026, 12, 1)), calendar, D(2026, 12, 1))
    assert p.mode == "full"
    assert len(p.demarches) == 38
    assert all(d.due is None for d in p.demarches)
    assert set(p.anchors) == {Anchor.I}


# -- 2. anchors ---------------------------------------------------------------------------------------------
def test_release_is_derived_from_the_hearing(calendar):
    t = D(2027, 3, 1)
    a = resolve_anchors(hearing(t), PlanningPolicy(), calendar)
    assert a[Anchor.R].date == D(2027, 3, 22).toordinal()  # T + 21
    assert a[Anchor.R].earliest == D(2027, 3, 15).toordinal()  # T + 14
    assert a[Anchor.R].source == "derived" and a[Anchor.R].provisional
    assert (a[Anchor.J].date, a[Anchor.J].earliest) == (a[Anchor.R].date, a[Anchor.R].earliest)
    assert a[Anchor.J].provisional
    assert a[Anchor.T].date == t.toordinal() and not a[Anchor.T].provisional
    assert Anchor.I not in a


def test_derived_release_follows_the_policy(calendar):
    a = resolve_anchors(hearing(D(2027, 3, 1)), PlanningPolicy(release_after_hearing_days=(7, 10, 20)), calendar)
    assert a[Anchor.R].date == D(2027, 3, 11).toordinal()
    assert a[Anchor.R].earliest == D(2027, 3, 8).toordinal()


def test_plan_against_a_derived_release(templates, calendar):
    p = plan(templates, Subject(modality=Modality.LC), hearing(D(2027, 3, 1)), calendar, D(2026, 9, 1)).by_key()
    # exit_kit R-7: before the release, against its earliest date T+14 = 15 Mar -> Mon 8 Mar
    assert p["exit_kit"].due == D(2027, 3, 8)
    assert p["exit_kit"].anchor is Anchor.R and p["exit_kit"].anchor_date == D(2027, 3, 22)
    assert p["exit_kit"].anchor_source == "derived" and p["exit_kit"].provisional
    # exit_meeting J+2: after the release, against its likely date T+21 = 22 Mar -> Wed 24 Mar
    assert p["exit_meeting"].due == D(2027, 3, 24)
    assert p["exit_meeting"].anchor is Anchor.R and p["exit_meeting"].provisional
    # a confirmed hearing: T-anchored démarches are not provisional
    assert p["tap_debrief"].due == D(2027, 3, 16) and not p["tap_debrief"].provisional


def test_release_sources_in_order_of_preference(calendar):
    m = {**ms(K.FOND_DE_PEINE, D(2028, 1, 10)), **ms(K.EXPECTED_RELEASE, D(2027, 9, 1)), **hearing(D(2027, 6, 1))}
    assert resolve_anchors(m, calendar=calendar)[Anchor.R].source == "expected_release"
    m2 = {**m, **ms(K.ACTUAL_RELEASE, D(2027, 8, 2))}
    a = resolve_anchors(m2, calendar=calendar)
    assert a[Anchor.R].source == "actual_release" and a[Anchor.R].date == D(2027, 8, 2).toordinal()
    assert a[Anchor.J].source == "actual_release" and not a[Anchor.J].provisional
    del m["expected_release"]
    assert resolve_anchors(m, calendar=calendar)[Anchor.R].source == "fond_de_peine"


def test_hearing_falls_back_to_the_release_date(templates, calendar):
    fdp = D(2027, 6, 30)  # a Wednesday
    a = resolve_anchors(ms(K.FOND_DE_PEINE, fdp), calendar=calendar)
    assert a[Anchor.T].date == fdp.toordinal() and a[Anchor.T] is a[Anchor.R]  # R stands in for T
    assert a[Anchor.T].source == "fond_de_peine"
    p = plan(templates, Subject(needs=frozenset({Need.FAMILY}), modality=Modality.FOND_DE_PEINE),
             ms(K.FOND_DE_PEINE, fdp), calendar, D(2026, 9, 1)).by_key()
    # family_meeting T-60 = Sat 1 May 2027 (Labour Day) -> Fri 30 Apr; nothing depends on it
    assert p["family_meeting"].due == D(2027, 4, 30)
    assert p["family_meeting"].provisional
    assert p["family_meeting"].anchor_source == "fond_de_peine"
    assert p["family_meeting"].anchor_date == fdp
    # R-anchored démarches use the (confirmed) fond de peine itself: not provisional
    assert p["exit_kit"].due == D(2027, 6, 23) and not p["exit_kit"].provisional


def test_post_release_demarches_planned_against_r_then_at_release(templates, calendar):
    today = D(2027, 3, 1)
    m = ms(K.EXPECTED_RELEASE, D(2027, 4, 15))
    first = plan(templates, Subject(modality=Modality.LC), m, calendar, today)
    before = first.by_key()
    assert before["exit_meeting"].due == D(2027, 4, 16)  # J+2 = Sat 17 Apr -> Fri 16 Apr
    assert before["exit_meeting"].provisional and before["exit_meeting"].anchor_source == "expected_release"
    assert before["tripartite_post"].due == D(2027, 5, 14)  # J+30 = Sat 15 May -> Fri 14 May
    assert before["exit_kit"].due == D(2027, 4, 8)  # R-7

    m2 = {**m, **ms(K.ACTUAL_RELEASE, D(2027, 4, 20))}
    second = plan(templates, Subject(modality=Modality.LC), m2, calendar, today, as_current(first))
    after = second.by_key()
    assert after["exit_meeting"].due == D(2027, 4, 22)
    assert not after["exit_meeting"].provisional
    assert after["exit_meeting"].anchor_source == "actual_release"
    assert after["tripartite_post"].due == D(2027, 5, 20)
    assert after["exit_kit"].due == D(2027, 4, 13)  # R is now the actual release
    changes = {c.key: c for c in second.changes}
    assert changes["exit_meeting"] == Change("exit_meeting", D(2027, 4, 16), D(2027, 4, 22))
    assert changes["tripartite_post"] == Change("tripartite_post", D(2027, 5, 14), D(2027, 5, 20))
    assert second.added == []


# -- uncertain milestones: pre-anchor démarches against the earliest plausible date ------------------------
WINDOW_SET = [tpl("dx", "T", -10), tpl("dy", "T", 15), tpl("dz", "T", -10, unit="working"), tpl("zero", "T", 0)]


def test_pre_anchor_demarches_use_the_windows_earliest_date(calendar):
    m = hearing(D(2027, 6, 15), earliest=D(2027, 6, 1), latest=D(2027, 6, 30), certainty=Certainty.EXPECTED)
    p = plan(TemplateSet(WINDOW_SET), Subject(), m, calendar, FAR_PAST).by_key()
    assert p["dx"].due == D(2027, 5, 21)  # 1 Jun - 10 = Sat 22 May -> Fri 21 May
    # 31, 28, 27, 26, 25, 24, 21, 20, 19, 18 May (17 May is Whit Monday)
    assert p["dz"].due == D(2027, 5, 18)
    assert p["zero"].due == D(2027, 6, 1)  # offset 0 is on or before the anchor
    assert p["dy"].due == D(2027, 6, 30)  # after the anchor: the likely date + 15
    for d in p.values():
        assert d.anchor_date == D(2027, 6, 15)
        assert d.provisional  # not a confirmed date
        assert not d.late_vs_anchor


def test_estimated_milestone_without_a_window_has_a_10_working_day_margin(calendar):
    m = hearing(D(2027, 6, 15), certainty=Certainty.ESTIMATED)
    a = resolve_anchors(m, calendar=calendar)
    # 14, 11, 10, 9, 8, 7, 4, 3, 2, 1 Jun
    assert a[Anchor.T].earliest == D(2027, 6, 1).toordinal()
    p = plan(TemplateSet(WINDOW_SET), Subject(), m, calendar, FAR_PAST).by_key()
    assert p["dx"].due == D(2027, 5, 21)
    assert p["zero"].due == D(2027, 6, 1)
    assert p["dy"].due == D(2027, 6, 30)


def test_expected_milestone_without_a_window_has_no_margin(calendar):
    m = hearing(D(2027, 6, 15), certainty=Certainty.EXPECTED)
    p = plan(TemplateSet(WINDOW_SET), Subject(), m, calendar, FAR_PAST).by_key()
    assert p["dx"].due == D(2027, 6, 4)  # 15 Jun - 10 = Sat 5 Jun -> Fri 4 Jun
    assert p["dx"].provisional


def test_margin_follows_the_policy(calendar):
    policy = PlanningPolicy(margin_working_days={Certainty.ESTIMATED: 3})
    a = resolve_anchors(hearing(D(2027, 6, 15), certainty=Certainty.ESTIMATED), policy, calendar)
    assert a[Anchor.T].earliest == D(2027, 6, 10).toordinal()


# -- 5. compression ------------------------------------------------------------------------------------------
def test_a_date_already_past_is_due_today_and_compressed(calendar):
    ts = TemplateSet([tpl("da", "T", -30), tpl("later", "T", -5)])
    m = hearing(D(2027, 3, 31))  # a - 30 = Mon 1 Mar
    p = plan(ts, Subject(), m, calendar, D(2027, 3, 3))
    a = one(p, "da")
    assert a.due == D(2027, 3, 3) and a.start == D(2027, 3, 3)
    assert a.compressed and a.target == D(2027, 3, 1)
    assert not a.late_vs_anchor
    assert not one(p, "later").compressed and one(p, "later").due == D(2027, 3, 26)
    assert not p.at_risk  # a « délai court » on one démarche is not a plan at risk (DOMAIN.md §8.6)


def test_compressed_to_the_first_working_day_from_a_weekend_today(calendar):
    ts = TemplateSet([tpl("da", "T", -30)])
    p = plan(ts, Subject(), hearing(D(2027, 3, 31)), calendar, D(2027, 3, 6))  # a Saturday
    assert one(p, "da").due == D(2027, 3, 8) and one(p, "da").compressed


def test_a_date_due_today_is_not_compressed(calendar):
    ts = TemplateSet([tpl("da", "T", -30)])
    p = plan(ts, Subject(), hearing(D(2027, 3, 31)), calendar, D(2027, 3, 1))
    assert one(p, "da").due == D(2027, 3, 1) and not one(p, "da").compressed
    assert not p.at_risk


def test_compression_past_the_anchor_is_late(calendar):
    ts = TemplateSet([tpl("da", "T", -30)])
    p = plan(ts, Subject(), hearing(D(2027, 3, 31)), calendar, D(2027, 4, 6))
    a = one(p, "da")
    assert a.due == D(2027, 4, 6) and a.compressed and a.late_vs_anchor


def test_real_config_plan_made_late_is_at_risk(templates, calendar):
    today = D(2026, 11, 23)
    p = plan(templates, Subject(needs=ALL_NEEDS, modality=Modality.LC), hearing(D(2027, 3, 1)), calendar, today)
    assert p.at_risk
    by_key = p.by_key()
    assert by_key["intake_fiche"].due == today and by_key["intake_fiche"].compressed  # T-150 = 2 Oct 2026
    for d in p.demarches:
        assert d.due >= today, d.key
        if d.target < today:
            assert d.compressed, d.key
    assert not by_key["tap_debrief"].compressed


def test_squeezed_duration_after_a_compressed_prerequisite(calendar):
    ts = TemplateSet([tpl("da", "T", -60, duration=5), tpl("db", "T", -20, duration=10, depends_on=("da",))])
    m = hearing(D(2027, 3, 31))
    # b: 31 Mar - 20 = Thu 11 Mar, start 25 Feb; a: 31 Mar - 60 = Sat 30 Jan -> Fri 29 Jan
    normal = plan(ts, Subject(), m, calendar, FAR_PAST).by_key()
    assert (normal["db"].due, normal["db"].start, normal["da"].due) == (D(2027, 3, 11), D(2027, 2, 25),
                                                                      D(2027, 1, 29))
    p = plan(ts, Subject(), m, calendar, D(2027, 2, 26)).by_key()
    assert p["da"].due == D(2027, 2, 26) and p["da"].compressed
    assert p["db"].start == D(2027, 2, 26)  # starts when a is due: its duration is squeezed ...
    assert p["db"].due == D(2027, 3, 11)  # ... but it keeps its due date
    assert p["db"].compressed


def test_dependent_due_with_its_late_prerequisite(calendar):
    ts = TemplateSet([tpl("da", "T", -60, duration=5), tpl("db", "T", -20, duration=10, depends_on=("da",))])
    p = plan(ts, Subject(), hearing(D(2027, 3, 31)), calendar, D(2027, 3, 15)).by_key()
    assert p["da"].due == D(2027, 3, 15)
    assert p["db"].due == D(2027, 3, 15) and p["db"].start == D(2027, 3, 15) and p["db"].compressed


def test_a_final_prerequisite_does_not_squeeze_its_dependent(calendar):
    ts = TemplateSet([tpl("da", "T", -60, duration=5), tpl("db", "T", -20, duration=10, depends_on=("da",))])
    cur = {"da": Current(Status.COMPLETED, D(2027, 3, 10))}
    p = plan(ts, Subject(), hearing(D(2027, 3, 31)), calendar, D(2027, 2, 1), cur).by_key()
    assert p["db"].start == D(2027, 2, 25) and not p["db"].compressed


# -- 6. replanning -----------------------------------------------------------------------------------------
REPLAN_SET = [
    tpl("da", "T", -10, duration=5, depends_on=("db",)),
    tpl("db", "T", -30),
    tpl("dc", "T", -20),
    tpl("dd", "T", -40),
    tpl("de", "T", 5),
    tpl("df", "T", -50),
]


def test_final_demarches_keep_their_dates(calendar):
    ts = TemplateSet(REPLAN_SET)
    today = D(2026, 12, 1)
    first = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, today)
    cur = as_current(first,
                     dc=Current(Status.COMPLETED, D(2027, 2, 12)),
                     dd=Current(Status.CANCELLED, D(2027, 2, 3)),
                     de=Current(Status.FAILED, D(2027, 3, 19)),
                     df=Current(Status.COMPLETED, None))
    p = plan(ts, Subject(), hearing(D(2027, 5, 18)), calendar, today, cur)
    by_key = p.by_key()
    assert by_key["dc"].due == D(2027, 2, 12) and by_key["dc"].status is Status.COMPLETED
    assert by_key["dd"].due == D(2027, 2, 3) and by_key["dd"].status is Status.CANCELLED
    assert by_key["de"].due == D(2027, 3, 19) and by_key["de"].status is Status.FAILED
    assert by_key["df"].due is None
    assert {c.key for c in p.changes} == {"da", "db"}
    assert by_key["da"].due == D(2027, 5, 7)  # 18 May - 10 = Sat 8 May -> Fri 7 May


def test_pinned_demarche_keeps_its_date_and_constrains_its_prerequisites(calendar):
    ts = TemplateSet(REPLAN_SET)
    today = D(2026, 12, 1)
    first = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, today)
    cur = as_current(first, da=Current(Status.IN_PROGRESS, D(2027, 3, 5), pinned=True))
    p = plan(ts, Subject(), hearing(D(2027, 5, 18)), calendar, today, cur)
    by_key = p.by_key()
    assert by_key["da"].due == D(2027, 3, 5) and by_key["da"].pinned
    assert by_key["da"].start == D(2027, 2, 26)
    assert by_key["db"].due == D(2027, 2, 26)  # its own target would be Fri 16 Apr
    assert "da" not in {c.key for c in p.changes}
    assert Change("db", first.by_key()["db"].due, D(2027, 2, 26)) in p.changes


def test_pinned_later_than_planned_lets_the_prerequisite_move_later(calendar):
    ts = TemplateSet(REPLAN_SET)
    m = hearing(D(2027, 3, 15))
    cur = {"da": Current(Status.PLANNED, D(2027, 4, 30), pinned=True)}
    p = plan(ts, Subject(), m, calendar, D(2026, 12, 1), cur).by_key()
    assert p["da"].due == D(2027, 4, 30)
    assert p["db"].due == D(2027, 2, 12)  # 15 Mar - 30 = Sun 13 Feb -> Fri 12 Feb: its own target again


def test_completed_dependent_no_longer_constrains(calendar):
    ts = TemplateSet(REPLAN_SET)
    cur = {"da": Current(Status.COMPLETED, D(2027, 1, 4))}
    p = plan(ts, Subject(), hearing(D(2027, 3, 15)), calendar, D(2026, 12, 1), cur).by_key()
    assert p["db"].due == D(2027, 2, 12)


def test_overdue_demarche_still_in_the_past_keeps_its_date(calendar):
    ts = TemplateSet(REPLAN_SET)
    today = D(2027, 3, 10)
    cur = {"dc": Current(Status.PLANNED, D(2027, 2, 10)), "de": Current(Status.PLANNED, D(2027, 3, 1))}
    p = plan(ts, Subject(), hearing(D(2027, 3, 16)), calendar, today, cur)
    by_key = p.by_key()
    # c: 16 Mar - 20 = Wed 24 Feb, still in the past: it stays overdue on 10 Feb, not hidden on today
    assert by_key["dc"].due == D(2027, 2, 10)
    assert not by_key["dc"].compressed
    assert by_key["dc"].target == D(2027, 2, 24)
    # e: 16 Mar + 5 = Sun 21 Mar -> Fri 19 Mar, in the future: it moves
    assert by_key["de"].due == D(2027, 3, 19)
    assert [c.key for c in p.changes] == ["de"]
    assert p.changes[0] == Change("de", D(2027, 3, 1), D(2027, 3, 19))
    # the same démarche planned for the first time would be compressed to today
    fresh = plan(ts, Subject(), hearing(D(2027, 3, 16)), calendar, today).by_key()
    assert fresh["dc"].due == today and fresh["dc"].compressed


def test_overdue_and_compressed_keeps_its_flag(calendar):
    ts = TemplateSet(REPLAN_SET)
    cur = {"dc": Current(Status.ON_HOLD, D(2027, 2, 10), compressed=True)}
    p = plan(ts, Subject(), hearing(D(2027, 3, 16)), calendar, D(2027, 3, 10), cur).by_key()
    assert p["dc"].due == D(2027, 2, 10) and p["dc"].compressed


def test_tap_postponed_by_two_months(templates, calendar):
    subject = Subject(needs=ALL_NEEDS, modality=Modality.LC)
    today = D(2026, 9, 1)
    first = plan(templates, subject, hearing(D(2027, 3, 16)), calendar, today)
    before = first.by_key()
    cur = as_current(first, intake_fiche=Current(Status.COMPLETED, before["intake_fiche"].due),
                     eid_check=Current(Status.PLANNED, before["eid_check"].due, pinned=True))
    new_t = D(2027, 5, 18)
    p = plan(templates, subject, hearing(new_t), calendar, today, cur)
    after = p.by_key()
    changes = {c.key: c for c in p.changes}
    assert len(changes) == len(p.changes)  # one Change per démarche
    assert after["intake_fiche"].due == before["intake_fiche"].due
    assert after["eid_check"].due == before["eid_check"].due
    assert not {"intake_fiche", "eid_check"} & set(changes)
    moved_t = 0
    for key, d in after.items():
        if key in ("intake_fiche", "eid_check"):
            continue
        old = before[key].due
        if d.due != old:
            assert changes[key] == Change(key, old, d.due)
        else:
            assert key not in changes
        if templates[key].anchor is Anchor.T:
            assert d.due > old, key  # every open T-anchored démarche moved later
            moved_t += 1
    assert moved_t == 17  # the 19 T-anchored démarches of an LC plan but the two frozen ones
    # unconstrained T-anchored démarches land exactly on the new hearing + offset
    assert after["tap_debrief"].due == D(2027, 6, 2)  # 18 May + 15
    assert after["family_meeting"].due == D(2027, 3, 19)  # 18 May - 60 = Fri 19 Mar
    assert p.added == []


def test_added_lists_new_demarches(templates, calendar):
    m = hearing(D(2027, 6, 15))
    first = plan(templates, Subject(), m, calendar, FAR_PAST)
    assert first.added == [d.key for d in first.demarches]
    p = plan(templates, Subject(needs=frozenset({Need.CURE})), m, calendar, FAR_PAST, as_current(first))
    assert set(p.added) == {"cure_apply", "cure_interview", "cure_confirm", "cure_entry", "med_gp"}


def test_replanning_without_change_changes_nothing(templates, calendar):
    m = hearing(D(2027, 3, 16))
    subject = Subject(needs=ALL_NEEDS)
    today = D(2026, 11, 23)
    first = plan(templates, subject, m, calendar, today)
    again = plan(templates, subject, m, calendar, today, as_current(first))
    assert again.changes == [] and again.added == []
    assert [(d.key, d.due, d.start, d.compressed) for d in again.demarches] == \
        [(d.key, d.due, d.start, d.compressed) for d in first.demarches]


def test_sudden_release(templates, calendar):
    subject = Subject(needs=ALL_NEEDS, modality=Modality.LC)
    m = {**hearing(D(2027, 2, 1)), **ms(K.EXPECTED_RELEASE, D(2027, 7, 1))}
    today = D(2027, 3, 10)
    first = plan(templates, subject, m, calendar, today)
    assert all(d.due > today for d in first.demarches if templates[d.key].anchor is Anchor.R)
    cur = as_current(first, exit_kit=Current(Status.COMPLETED, D(2027, 3, 9)))
    p = plan(templates, subject, {**m, **ms(K.ACTUAL_RELEASE, today)}, calendar, today, cur)
    by_key = p.by_key()
    r_keys = [k for k in by_key if templates[k].anchor is Anchor.R]
    assert len(r_keys) == 7  # all R-anchored démarches but se_allowance (modality LC)
    for k in r_keys:
        if k == "exit_kit":
            assert by_key[k].due == D(2027, 3, 9) and not by_key[k].compressed
            continue
        assert by_key[k].due == today, k
        assert by_key[k].compressed, k
        assert Change(k, first.by_key()[k].due, today) in p.changes
    assert by_key["cure_entry"].due == today  # J+0
    assert by_key["exit_meeting"].due == D(2027, 3, 12)  # J+2
    assert not by_key["exit_meeting"].compressed
    # ris_request (J+1) must be done before mutuelle_switch (J+3, 14 working days) starts: due now
    assert by_key["ris_request"].due == today and by_key["ris_request"].compressed
    assert by_key["aj_first"].due == D(2027, 3, 12)  # J+3 = Sat 13 Mar -> Fri 12 Mar
    assert p.at_risk


def test_sudden_release_on_a_saturday(templates, calendar):
    subject = Subject(modality=Modality.LC)
    m = ms(K.EXPECTED_RELEASE, D(2027, 7, 1))
    today = D(2027, 3, 13)
    first = plan(templates, subject, m, calendar, today)
    p = plan(templates, subject, {**m, **ms(K.ACTUAL_RELEASE, today)}, calendar, today, as_current(first))
    assert one(p, "exit_kit").due == D(2027, 3, 15) and one(p, "exit_kit").compressed


# -- readiness ---------------------------------------------------------------------------------------------
def test_readiness_per_pillar(templates):
    deadline = D(2027, 3, 16)
    rows = [
        ("intake_fiche", Status.COMPLETED, D(2026, 10, 16)),  # identite, done
        ("eid_check", Status.IN_PROGRESS, D(2026, 11, 5)),  # identite, not done
        ("consent_sharing", Status.CANCELLED, D(2026, 10, 26)),  # identite, not applicable: not counted
        ("adm_dates_check", Status.FAILED, D(2026, 10, 26)),  # justice: counts, not done
        ("housing_plan", Status.COMPLETED, D(2027, 3, 17)),  # logement: after the hearing, not counted
        ("mutuelle_check", Status.COMPLETED, None),  # no date: not counted
        ("no_such_key", Status.COMPLETED, D(2026, 10, 1)),  # unknown template: ignored
        ("debt_inventory", Status.COMPLETED, deadline),  # revenus: on the deadline counts
    ]
    r = {x.pillar: x for x in readiness(templates, rows, deadline)}
    assert [x.pillar for x in readiness(templates, rows, deadline)] == list(Pillar)
    assert (r[Pillar.IDENTITE].done, r[Pillar.IDENTITE].total, r[Pillar.IDENTITE].ratio) == (1, 2, 0.5)
    assert (r[Pillar.JUSTICE].done, r[Pillar.JUSTICE].total) == (0, 1)
    assert r[Pillar.JUSTICE].ratio == 0.0
    assert (r[Pillar.LOGEMENT].done, r[Pillar.LOGEMENT].total, r[Pillar.LOGEMENT].ratio) == (0, 0, None)
    assert (r[Pillar.REVENUS].done, r[Pillar.REVENUS].total) == (1, 1)
    assert r[Pillar.SOINS].total == 0


def test_readiness_without_a_deadline_counts_nothing(templates):
    r = readiness(templates, [("intake_fiche", Status.COMPLETED, D(2026, 10, 16))], None)
    assert all(x.total == 0 and x.ratio is None for x in r)


def test_readiness_of_a_fresh_plan(templates, calendar):
    t_day = D(2027, 6, 15)
    p = plan(templates, Subject(needs=ALL_NEEDS, modality=Modality.LC), hearing(t_day), calendar, FAR_PAST)
    r = {x.pillar: x for x in readiness(templates, [(d.key, d.status, d.due) for d in p.demarches], t_day)}
    expected = {pl: sum(1 for d in p.demarches if templates[d.key].pillar is pl and d.due <= t_day)
                for pl in Pillar}
    assert {pl: x.total for pl, x in r.items()} == expected
    assert all(x.done == 0 for x in r.values())
    # before the hearing: the 18 T-anchored démarches with a negative offset (not tap_debrief), and the
    # R-anchored ones planned against R's earliest date T+14 that fall on or before T
    counted = {d.key for d in p.demarches if d.due <= t_day}
    t_pre = {k for k in counted if templates[k].anchor is Anchor.T}
    assert len(t_pre) == 18 and "tap_debrief" not in counted
    assert counted - t_pre == {"med_gp", "ris_prepare", "subst_relay"}  # R-30, R-21, R-14 (= T)
    assert sum(expected.values()) == 21
