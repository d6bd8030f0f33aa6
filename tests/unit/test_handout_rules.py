"""The person's version of the plan, as a pure rule (domain/handout.py): what is listed, in which group and
with which kind of date, and which key dates the person is told."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as Row

from raj_release.domain.enums import MilestoneKind
from raj_release.domain.handout import SOON_DAYS, handout

TODAY = dt.date(2026, 11, 23)


def d(key, due, status="planned", provisional=False, obsolete=False):
    return Row(key=key, due=due, status=status, provisional=provisional, obsolete=obsolete)


def ms(kind, date, certainty="confirmed"):
    return Row(kind=kind, date=date, certainty=certainty)


def test_open_steps_split_into_soon_and_later_with_plain_words_and_what_to_bring(templates):
    soon_day, later_day = TODAY + dt.timedelta(days=SOON_DAYS), TODAY + dt.timedelta(days=SOON_DAYS + 1)
    h = handout([d("ris_prepare", later_day), d("eid_check", TODAY - dt.timedelta(days=3)),
                 d("mutuelle_check", soon_day, status="on-hold", provisional=True)],
                templates.by_key, [], "fr", TODAY)
    assert [s.text for s in h.soon] == [templates["eid_check"].plain.fr, templates["mutuelle_check"].plain.fr]
    eid, mutuelle = h.soon
    assert eid.asap and eid.bring == templates["eid_check"].bring.fr
    assert not mutuelle.asap and mutuelle.provisional and mutuelle.waiting
    assert [s.text for s in h.later] == [templates["ris_prepare"].plain.fr]


def test_the_persons_language_done_in_one_line_and_nothing_final_obsolete_or_internal(templates):
    h = handout([d("intake_fiche", TODAY, status="completed"), d("housing_plan", TODAY, status="cancelled"),
                 d("cure_apply", TODAY, status="failed"), d("eid_renew", TODAY, obsolete=True),
                 d("adm_dates_check", TODAY), d("ris_request", None), d("unknown_key", TODAY)],
                templates.by_key, [], "nl", TODAY)
    assert h.done == (templates["intake_fiche"].plain.nl,)
    assert h.soon == ()
    assert [(s.text, s.due) for s in h.later] == [(templates["ris_request"].plain.nl, None)]  # after release


def test_key_dates_in_order_and_only_the_actual_release_once_released(templates):
    hearing = ms(MilestoneKind.TAP_HEARING, dt.date(2027, 3, 15), "expected")
    release = ms(MilestoneKind.EXPECTED_RELEASE, dt.date(2027, 4, 5))
    adm = ms(MilestoneKind.ADMISSIBILITY_LC, dt.date(2027, 1, 4))
    old = ms(MilestoneKind.FOND_DE_PEINE, TODAY - dt.timedelta(days=SOON_DAYS + 1))
    h = handout([], templates.by_key, [release, adm, hearing, old], "fr", TODAY)
    assert [(k.kind, k.sure) for k in h.dates] == [(MilestoneKind.TAP_HEARING, False),
                                                  (MilestoneKind.EXPECTED_RELEASE, True)]
    out = ms(MilestoneKind.ACTUAL_RELEASE, TODAY - dt.timedelta(days=2))
    h = handout([], templates.by_key, [hearing, release, out], "fr", TODAY)
    assert [k.kind for k in h.dates] == [MilestoneKind.ACTUAL_RELEASE]


def test_every_shipped_demarche_but_the_services_own_paperwork_has_plain_words(templates):
    assert {t.key for t in templates if t.plain is None} == {"adm_dates_check"}
    for t in templates:
        if t.bring is not None:
            assert t.plain is not None, t.key  # something to bring for a step the person never reads is a typo
