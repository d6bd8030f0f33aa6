"""The default templates after the review of DOMAIN.md §8.6, each correction with its test, and the signals a
binôme can trust: a plan made six months before its hearing is not at risk, one made six weeks before is."""

from __future__ import annotations

import datetime as dt

import pytest

from raj_release.config import load_config
from raj_release.domain.enums import Certainty, MilestoneKind, Modality, Need, Procedure, Situation
from raj_release.domain.milestones import Milestone
from raj_release.planning.scheduler import Subject, plan
from raj_release.settings import PROJECT_ROOT

K = MilestoneKind
CONFIG = load_config(PROJECT_ROOT / "config")
TEMPLATES, CALENDAR = CONFIG.templates, CONFIG.calendar
EVERY_NEED = frozenset(Need) - {Need.SEJOUR}
JUSTICE = {"tripartite_pre", "tap_file", "tap_attest", "tap_debrief", "se_allowance", "aj_first", "tripartite_post"}


def plan_for(hearing: dt.date, today: dt.date, **subject):
    known = {K.INTAKE: Milestone(kind=K.INTAKE, date=today),
             K.TAP_HEARING: Milestone(kind=K.TAP_HEARING, date=hearing, certainty=Certainty.CONFIRMED)}
    return plan(TEMPLATES, Subject(**subject), known, CALENDAR, today, {}, CONFIG.policy)


def keys(**subject) -> set[str]:
    return {d.key for d in plan_for(dt.date(2027, 9, 14), dt.date(2027, 1, 4), **subject).demarches}


# -- the signals: at risk is "cannot be done in time", a squeezed start is a « délai court » ----------------
HEARINGS = [dt.date(2027, 1, 5) + dt.timedelta(days=d) for d in range(0, 365, 5)]  # every season, holidays


@pytest.mark.parametrize("subject", [
    dict(needs=EVERY_NEED, modality=Modality.LC),
    dict(needs=EVERY_NEED),  # modality still unknown
    dict(needs=EVERY_NEED, modality=Modality.SE, procedure=Procedure.JAP),
    dict(needs=EVERY_NEED | {Need.SEJOUR}, modality=Modality.DL),
], ids=["lc", "unknown-modality", "jap-se", "no-legal-stay"])
def test_six_months_before_a_confirmed_hearing_the_plan_is_neither_at_risk_nor_squeezed(subject):
    for hearing in HEARINGS:
        p = plan_for(hearing, hearing - dt.timedelta(days=183), **subject)
        assert not p.at_risk, (hearing, [d.key for d in p.demarches if d.late_vs_anchor])
        assert not [d.key for d in p.demarches if d.compressed], hearing


def test_six_weeks_before_the_hearing_the_plan_is_at_risk():
    for hearing in HEARINGS[::6]:
        p = plan_for(hearing, hearing - dt.timedelta(weeks=6), needs=EVERY_NEED, modality=Modality.LC)
        assert p.at_risk, hearing
        late = {d.key for d in p.demarches if d.late_vs_anchor}
        # the housing application alone needs four weeks, then the TAP file three: they cannot fit
        assert {"housing_apply", "tap_file"} <= late


def test_a_squeezed_start_marks_those_demarches_only():
    # 157 days: the intake fiche (due T-150, 10 working days) has days less than it takes, and the eID check
    # that follows it starts late; both are a « délai court », the plan still fits before the hearing
    hearing = dt.date(2027, 9, 14)
    today = hearing - dt.timedelta(days=157)
    p = plan_for(hearing, today, needs=frozenset(), modality=Modality.LC)
    by_key = p.by_key()
    assert by_key["intake_fiche"].compressed and by_key["intake_fiche"].start < today
    assert [d.key for d in p.demarches if d.compressed] == ["intake_fiche", "eid_check"]
    assert not p.at_risk and not [d.key for d in p.demarches if d.late_vs_anchor]


def test_a_prerequisite_that_cannot_finish_before_a_pinned_date_is_late():
    from raj_release.domain.enums import Status
    from raj_release.planning.scheduler import Current

    hearing, today = dt.date(2027, 9, 14), dt.date(2027, 1, 4)
    first = plan_for(hearing, today, needs=frozenset({Need.CURE}), modality=Modality.LC)
    current = {d.key: Current(d.status, d.due, d.pinned, d.compressed) for d in first.demarches}
    # the admission interview is fixed with the centre in ten days: the application cannot be ready by then
    current["cure_interview"] = Current(Status.PLANNED, dt.date(2027, 1, 14), pinned=True)
    known = {K.INTAKE: Milestone(kind=K.INTAKE, date=today), K.TAP_HEARING: Milestone(kind=K.TAP_HEARING, date=hearing)}
    p = plan(TEMPLATES, Subject(needs=frozenset({Need.CURE}), modality=Modality.LC), known, CALENDAR, today,
             current, CONFIG.policy)
    assert p.by_key()["cure_apply"].late_vs_anchor and p.at_risk


# -- the corrections of DOMAIN.md §8.6 ----------------------------------------------------------------------
def test_tap_demarches_are_for_condamnes_only():
    prevenu = keys(needs=EVERY_NEED, situation=Situation.PREVENU)
    assert not JUSTICE & prevenu
    assert JUSTICE - {"se_allowance"} <= keys(needs=EVERY_NEED, modality=Modality.LC)
    assert "se_allowance" in keys(modality=Modality.SE)


def test_no_post_release_tripartite_without_an_assistant_de_justice():
    assert "tripartite_post" not in keys(modality=Modality.FOND_DE_PEINE)
    assert "aj_first" not in keys(modality=Modality.FOND_DE_PEINE)
    assert "tripartite_post" in keys(modality=Modality.LC)


def test_installation_aid_goes_with_leaving_homelessness():
    assert "install_aid" in keys(needs=frozenset({Need.HOUSING}))
    assert "install_aid" not in keys(needs=frozenset({Need.INCOME}))


def test_ris_follow_up_after_the_cpas_decision_and_its_notification():
    t = TEMPLATES["ris_followup"]
    assert (t.anchor.value, t.offset) == ("J", 40)  # request J+1, decision <= 30 days, notification <= 8


def test_eid_renewal_takes_three_weeks_in_person():
    t = TEMPLATES["eid_renew"]
    assert t.duration == 15 and t.in_detention.value == "partly"
    assert "3 sem." in t.label.fr and "PS/CP" in t.label.fr and "UV/PV" in t.label.nl


def test_the_exit_kit_needs_the_renewed_eid():
    assert "eid_renew" in TEMPLATES["exit_kit"].depends_on


def test_the_family_meeting_is_opt_in():
    assert "family_meeting" not in keys(needs=EVERY_NEED - {Need.FAMILY})
    assert "family_meeting" in keys(needs=frozenset({Need.FAMILY}))
    assert "souhaite" in TEMPLATES["family_meeting"].label.fr


def test_the_debts_inventory_is_for_everyone_and_comes_before_the_tap_file():
    assert "debt_inventory" in keys()
    assert "debt_inventory" in TEMPLATES["tap_file"].depends_on
    assert "debt_inventory" in TEMPLATES["jap_file"].depends_on


def test_the_jap_procedure_is_written_no_hearing_and_no_tap_file():
    jap = plan_for(dt.date(2027, 9, 14), dt.date(2027, 1, 4), needs=EVERY_NEED, modality=Modality.SE,
                   procedure=Procedure.JAP)
    present = {d.key for d in jap.demarches}
    assert {"jap_file", "jap_debrief", "tap_attest"} <= present
    assert not {"tap_file", "tap_debrief"} & present
    for d in jap.demarches:
        label = TEMPLATES[d.key].label
        assert "TAP" not in label.fr and "audience" not in label.fr.lower() and "SURB" not in label.nl, d.key
    # a TAP procedure, or one not known yet, gets the TAP's démarches and not the JAP's
    for procedure in (Procedure.TAP, None):
        k = keys(needs=EVERY_NEED, modality=Modality.LC, procedure=procedure)
        assert {"tap_file", "tap_debrief"} <= k and not {"jap_file", "jap_debrief"} & k


def test_without_legal_stay_eid_domicile_ris_and_mutuelle_change_do_not_apply():
    sejour = keys(needs=EVERY_NEED | {Need.SEJOUR}, modality=Modality.LC)
    usual = keys(needs=EVERY_NEED, modality=Modality.LC)
    gone = {"eid_check", "eid_renew", "domicile_fix", "ris_prepare", "ris_request", "ris_followup",
            "mutuelle_switch", "bank_account", "actiris_register", "install_aid"}
    assert usual - sejour == gone
    assert sejour - usual == {"sejour_status", "amu_request"}
