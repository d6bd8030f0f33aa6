import datetime as dt

from raj_release.services.demarches import list_overdue
from raj_release.services.milestones import set_milestone
from raj_release.services.persons import register_person, show_plan

TODAY = dt.date(2026, 11, 23)


def test_register_plan_and_overdue(ctx, binome):
    as_id, psy_id = binome
    register_person(ctx, ref="T-001", prison="haren", as_id=as_id, psy_id=psy_id, today=TODAY, needs=["housing", "income"], modality="lc")
    view = set_milestone(ctx, "T-001", "tap_hearing", date=dt.date(2027, 6, 15), today=TODAY)
    keys = {d.key for d in view.demarches}
    assert {"intake_fiche", "housing_apply", "ris_request"} <= keys
    assert "cure_apply" not in keys  # no cure need
    assert all(d.due is not None for d in view.demarches)
    later = dt.date(2027, 2, 1)
    overdue = list_overdue(ctx, today=later)
    assert overdue and all(r.due < later for r in overdue)
    assert show_plan(ctx, "T-001", today=later).as_json()["person"]["ref"] == "T-001"
