import datetime as dt

from raj_release.services.plans import list_overdue, register_person, set_milestone, show_plan

TODAY = dt.date(2026, 11, 23)


def test_register_plan_and_overdue(ctx, binome):
    as_id, psy_id = binome
    register_person(ctx, "T-001", "haren", as_id, psy_id, TODAY, needs=["housing", "income"], modality="lc")
    view = set_milestone(ctx, "T-001", "tap_hearing", dt.date(2027, 6, 15), TODAY)
    keys = {d.key for d in view.demarches}
    assert {"intake_fiche", "housing_apply", "ris_request"} <= keys
    assert "cure_apply" not in keys  # no cure need
    assert all(d.due is not None for d in view.demarches)
    later = dt.date(2027, 2, 1)
    overdue = list_overdue(ctx, later)
    assert overdue and all(r.due < later for r in overdue)
    assert show_plan(ctx, "T-001", later).person["ref"] == "T-001"
