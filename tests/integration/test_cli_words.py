"""The command line's tables in words (issue 11 point 2): the plan, the overdue list and the workers print
labels, names and DD/MM/YYYY dates, not the codes and ids; --json keeps the codes (tests/e2e)."""

from __future__ import annotations

import datetime as dt

import pytest

from raj_release.cli import render
from raj_release.domain import Milestone, MilestoneKind
from raj_release.domain.history import Names
from raj_release.services.demarches import list_overdue, set_status
from raj_release.services.persons import register_person, show_plan
from raj_release.services.workers import list_workers, register_worker

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def printed(ctx):
    register_worker(ctx, "as.dupont", "Amélie Dupont", "as")
    register_worker(ctx, "psy.lambert", "Chloé Lambert", "psy")
    register_person(ctx, ref="P-1", prison="saint-gilles", as_id="as.dupont", psy_id="psy.lambert", today=TODAY,
                    needs=["housing", "income"], modality="fond_de_peine", procedure=None,
                    milestones=[Milestone(kind=MilestoneKind.FOND_DE_PEINE, date=dt.date(2027, 3, 1))])
    set_status(ctx, "P-1", "domicile_fix", "on-hold", partner="cpas-demo", today=TODAY)
    render.use_names(Names.of(ctx.config, {w.id: w.name for w in list_workers(ctx)}, "fr"))

    def capture(draw, *args) -> str:
        with render.out.capture() as cap:
            draw(*args)
        return cap.get()
    yield ctx, capture
    render.use_names(None)


def test_the_plan_prints_labels_names_and_dates(printed):
    ctx, capture = printed
    text = capture(render.plan, show_plan(ctx, "P-1", today=TODAY))
    assert "Prison de Saint-Gilles, condamné, binôme Amélie Dupont + Chloé Lambert" in text
    assert "logement, revenus" in text and "fond de peine 01/03/2027" in text
    assert "identité" in text and "CPAS fictif de Saint-Gilles" in text  # the pillar; the partner waited on
    assert "Prêt pour la sortie" in text  # a sentence served to its end: no hearing to be ready for
    for code in ("saint-gilles", "condamne", "as.dupont", "psy.lambert", "housing", "identite", "fond_de_peine",
                 "expected", "cpas-demo", "2027-03-01"):
        assert code not in text, code


def test_the_overdue_table_and_the_workers(printed):
    ctx, capture = printed
    later = dt.date(2027, 2, 1)
    text = capture(render.overdue, list_overdue(ctx, today=later), later)
    assert "Amélie Dupont" in text and "Prison de Saint-Gilles" in text and "binôme" in text
    assert "as.dupont" not in text and "saint-gilles" not in text and "intake_fiche" not in text
    workers = capture(render.workers, list_workers(ctx))
    assert "assistant·e social·e" in workers and "psychologue" in workers and "français" in workers
    assert "as.dupont" in workers  # the login: the one column that is an id
