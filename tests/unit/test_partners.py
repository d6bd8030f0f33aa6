"""The partner directory one can trust (issue 12 point 5): capacity after Open Referral HSDS service_capacity,
the last verification and by whom, and the 12-month rule that flags an entry « À vérifier ». Pure rules on
plain values, then config/partners.yaml as loaded (the real one, and broken copies giving one line each)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from raj_release.config import load_partners
from raj_release.domain.partners import (
    Capacity,
    Partner,
    is_stale,
    verification_age,
    verification_age_days,
    verification_due,
)
from raj_release.errors import ConfigError
from raj_release.reminders.messages import render
from raj_release.settings import PROJECT_ROOT

D = dt.date
CONFIG_DIR = PROJECT_ROOT / "config"
TODAY = D(2026, 12, 7)


def partner(last_verified: dt.date | None = None, **fields) -> Partner:
    return Partner(id="ma-test", name="Maison d'accueil fictive (test)", type="maison_accueil",
                   last_verified=last_verified, **fields)


# -- the 12-month rule ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("last, today, stale", [
    (D(2025, 12, 7), D(2026, 12, 7), False),  # exactly 12 months: still trusted
    (D(2025, 12, 7), D(2026, 12, 8), True),  # the day after: stale
    (D(2025, 12, 6), D(2026, 12, 7), True),
    (D(2026, 12, 7), D(2026, 12, 7), False),  # verified today
    (D(2027, 1, 5), D(2026, 12, 7), False),  # a verification dated ahead counts as fresh
    (D(2024, 2, 29), D(2025, 2, 28), False),  # 29/02 + 12 months is 28/02
    (D(2024, 2, 29), D(2025, 3, 1), True),
    (D(2025, 3, 31), D(2026, 3, 31), False),
    (D(2025, 3, 31), D(2026, 4, 1), True),
])
def test_stale_after_twelve_calendar_months(last, today, stale):
    assert is_stale(partner(last), today) is stale


def test_never_verified_is_stale_and_has_no_age():
    p = partner(None)
    assert is_stale(p, TODAY) and verification_due(p) is None
    assert verification_age_days(p, TODAY) is None and verification_age(p, TODAY) is None


def test_the_months_are_a_parameter():
    p = partner(D(2026, 6, 7))
    assert not is_stale(p, TODAY, months=6) and is_stale(p, TODAY + dt.timedelta(days=1), months=6)
    assert verification_due(p, months=6) == TODAY


@pytest.mark.parametrize("last, days, words", [
    (D(2026, 12, 7), 0, ("days", 0)),
    (D(2027, 2, 1), 0, ("days", 0)),  # ahead of today: no negative age
    (D(2026, 11, 8), 29, ("days", 29)),
    (D(2026, 11, 7), 30, ("months", 1)),
    (D(2025, 12, 8), 364, ("months", 11)),  # 11 months and 29 days: never « 12 mois » before the mark
    (D(2025, 12, 7), 365, ("months", 12)),
    (D(2024, 12, 8), 729, ("months", 23)),
    (D(2024, 12, 7), 730, ("years", 2)),
    (D(2020, 1, 1), 2532, ("years", 6)),
])
def test_age_of_the_verification(last, days, words):
    p = partner(last)
    assert verification_age_days(p, TODAY) == days
    assert verification_age(p, TODAY) == words


# -- capacity ------------------------------------------------------------------------------------------------
def test_capacity_after_hsds():
    c = Capacity(unit={"fr": "lits", "nl": "bedden"}, available=0, maximum=20, updated=D(2026, 12, 1))
    assert (c.available, c.maximum, c.updated, c.unit.nl) == (0, 20, D(2026, 12, 1), "bedden")
    assert Capacity(available=12, maximum=12, updated=D(2026, 12, 1)).unit is None  # full house of free places


@pytest.mark.parametrize("fields, where, says", [
    ({"available": 13, "maximum": 12}, (), "available (13) is more than maximum (12)"),
    ({"available": -1, "maximum": 12}, ("available",), "greater than or equal to 0"),
    ({"available": 0, "maximum": 0}, ("maximum",), "greater than or equal to 1"),
    ({"available": "deux", "maximum": 12}, ("available",), "valid integer"),
    ({"available": 2.5, "maximum": 12}, ("available",), "valid integer"),
    ({"available": 1, "maximum": 12, "beds": 3}, ("beds",), "Extra inputs are not permitted"),
])
def test_capacity_refused(fields, where, says):
    with pytest.raises(ValidationError) as info:
        Capacity(updated=D(2026, 12, 1), **fields)
    err = info.value.errors()[0]
    assert err["loc"] == where and says in err["msg"], err


def test_capacity_needs_its_day():
    with pytest.raises(ValidationError) as info:
        Capacity(available=1, maximum=2)
    assert info.value.errors()[0]["loc"] == ("updated",)


def test_verified_by_needs_the_day_of_the_verification():
    assert partner(D(2026, 9, 1), verified_by="annuaire@example.org").verified_by == "annuaire@example.org"
    with pytest.raises(ValidationError) as info:
        partner(None, verified_by="Élise Martin")
    err = info.value.errors()[0]
    assert err["loc"] == ("verified_by",) and "given without last_verified" in err["msg"], err


# -- config/partners.yaml ------------------------------------------------------------------------------------
def test_the_real_directory_is_large_enough_for_parallel_applications():
    partners = load_partners(CONFIG_DIR)
    by_type = lambda t: [p for p in partners.values() if p.type == t]  # noqa: E731
    assert len(by_type("maison_accueil")) >= 3 and len(by_type("centre_residentiel")) >= 2
    assert {"cpas-demo", "ma-demo", "cure-demo", "mutualite-demo", "commune-demo"} <= set(partners)
    for p in by_type("maison_accueil") + by_type("centre_residentiel"):
        assert p.capacity is not None and p.capacity.unit is not None, p.id  # beds, counted
    assert [p.id for p in partners.values() if is_stale(p, TODAY)] == ["mm-trefle-demo"]
    for p in partners.values():
        assert "démo" in p.name or "demo" in p.name, p.name  # fictitious, and says so
        assert p.last_verified is not None and p.verified_by, p.id
        assert all(url.startswith("${RAJ_DEMO_SINK}/partners/") for url in p.channels), p.id


@pytest.fixture
def cfg(tmp_path) -> Path:
    d = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, d)
    return d


def broken(cfg: Path, pid: str, **fields) -> str:
    path = cfg / "partners.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(p for p in data["partners"] if p["id"] == pid)
    for k, v in fields.items():
        if v is None:
            entry.pop(k, None)
        else:
            entry[k] = v
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_partners(cfg)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{path}: partner '{pid}', field "), msg
    return msg


@pytest.mark.parametrize("capacity, field, says", [
    ({"available": 13, "maximum": 12, "updated": D(2026, 12, 1)}, "capacity",
     "available (13) is more than maximum (12); write the free places as available and the total as maximum"),
    ({"available": -2, "maximum": 12, "updated": D(2026, 12, 1)}, "capacity.available", "greater than or equal to 0"),
    ({"available": 2, "maximum": 12}, "capacity.updated", "Field required"),
    ({"available": 2, "maximum": 12, "updated": "hier"}, "capacity.updated", "valid date"),
    ({"available": 2, "maximum": 12, "updated": D(2026, 12, 1), "unit": "lits"}, "capacity.unit",
     "valid dictionary"),
    ({"available": 2, "maximum": 12, "updated": D(2026, 12, 1), "unit": {"fr": "lits"}}, "capacity.unit.nl",
     "Field required"),
])
def test_a_broken_capacity_is_one_line_naming_file_entry_and_field(cfg, capacity, field, says):
    msg = broken(cfg, "ma-demo", capacity=capacity)
    assert f"field {field}: " in msg and says in msg, msg


def test_verified_by_without_a_date_in_the_file(cfg):
    msg = broken(cfg, "cure-demo", last_verified=None)
    assert "field verified_by: given without last_verified; write the day of that verification" in msg, msg


# -- the coordinators' weekly report -------------------------------------------------------------------------
def report(lang: str, stale: list[dict]) -> str:
    _subject, body = render("report", lang, organisation="Service fictif", week_start=D(2026, 12, 7),
                            day=D(2026, 12, 7), recipient_name="Élise Martin", total=0, persons=0, groups=[],
                            dead=[], stale=stale, link=None)
    return body


STALE = [{"name": "Maison médicale fictive « Le Trèfle » (démo)", "last_verified": D(2025, 10, 14)},
         {"name": "Centre fictif jamais vérifié (démo)", "last_verified": None}]


def test_the_report_lists_the_entries_to_verify_in_the_coordinators_language():
    fr, nl = report("fr", STALE), report("nl", STALE)
    assert ("Annuaire des partenaires, entrées à vérifier (plus vérifiées depuis plus de 12 mois): 2\n"
            "- Maison médicale fictive « Le Trèfle » (démo) · dernière vérification le 14/10/2025\n"
            "- Centre fictif jamais vérifié (démo) · jamais vérifiée\n") in fr
    assert ("Partnerlijst, na te kijken (al meer dan 12 maanden niet nagekeken): 2\n"
            "- Maison médicale fictive « Le Trèfle » (démo) · laatst nagekeken op 14/10/2025\n"
            "- Centre fictif jamais vérifié (démo) · nooit nagekeken\n") in nl
    for body in (fr, nl):
        assert "2025-10-14" not in body and "\n\n\n" not in body and body.endswith("— raj-release\n")


def test_the_report_says_when_no_entry_is_to_verify():
    fr = report("fr", [])
    assert "entrées à vérifier (plus vérifiées depuis plus de 12 mois): 0\n\n— raj-release" in fr
