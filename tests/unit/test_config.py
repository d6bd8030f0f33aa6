"""Loading config/: the real files load, and each broken file gives one line naming the file, the entry and
the field (DESIGN.md principle 5). Every broken case works on a tmp_path copy of the repo's config/."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from raj_release.config import load_calendar, load_config, load_policy, load_prisons, load_templates
from raj_release.domain.enums import Anchor, Certainty
from raj_release.errors import ConfigError, RajError
from raj_release.settings import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "config"
KIT = {"eid_check": 14, "subst_relay": 14, "mutuelle_check": 21, "emergency_bed": 30, "ris_prepare": 45}


@pytest.fixture
def cfg(tmp_path) -> Path:
    d = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, d)
    return d


def edit(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def demarche(data: dict, key: str) -> dict:
    return next(e for e in data["demarches"] if e["key"] == key)


def error_of(loader, directory: Path) -> str:
    with pytest.raises(ConfigError) as info:
        loader(directory)
    msg = str(info.value)
    assert "\n" not in msg, msg  # one line
    assert isinstance(info.value, RajError)
    return msg


# -- the real config ----------------------------------------------------------------------------------------
def test_real_templates_load():
    ts = load_templates(CONFIG_DIR)
    assert len(ts) == 42
    assert len(set(t.key for t in ts)) == 42
    assert {t.key: t.kit_offset for t in ts if t.kit_offset is not None} == KIT
    # the TemplateSet is in dependency order: every prerequisite comes before its dependents
    seen: set[str] = set()
    for t in ts:
        assert set(t.depends_on) <= seen, t.key
        seen.add(t.key)
    assert ts["intake_fiche"].anchor is Anchor.T and ts["intake_fiche"].offset == -150
    # compensating the parties civiles counts for the TAP: the debts inventory comes first (DOMAIN.md §8.6)
    assert ts["tap_file"].depends_on == ("housing_apply", "cure_interview", "training_enrol", "debt_inventory")
    assert {t.anchor for t in ts} == {Anchor.T, Anchor.R, Anchor.J}
    assert ts["intake_fiche"].label.fr.startswith("Fiche administrative")
    assert ts.source.endswith("demarches.yaml")


def test_real_prisons_load():
    prisons = load_prisons(CONFIG_DIR)
    assert {"saint-gilles", "haren", "ittre"} <= set(prisons)
    assert "forest" not in prisons  # closed, replaced by Haren
    assert prisons["haren"].commune["fr"] == "Bruxelles"
    assert prisons["ittre"].region == "wallonie"
    assert prisons["saint-gilles"].name["nl"] == "Gevangenis van Sint-Gillis"


def test_real_calendar_and_policy_load():
    cal = load_calendar(CONFIG_DIR)
    assert not cal.is_working_day(dt.date(2026, 12, 28))
    assert not cal.is_working_day(dt.date(2027, 9, 27))
    policy = load_policy(CONFIG_DIR)
    assert policy.release_after_hearing_days == (14, 21, 28)
    assert policy.margin_working_days[Certainty.ESTIMATED] == 10
    assert policy.margin_working_days[Certainty.CONFIRMED] == 0


def test_load_config_bundles_everything_and_is_cached(cfg):
    load_config.cache_clear()
    try:
        c = load_config(cfg)
        assert c.directory == cfg
        assert len(c.templates) == 42
        assert "haren" in c.prisons
        assert not c.calendar.is_working_day(dt.date(2026, 12, 29))
        assert load_config(cfg) is c
    finally:
        load_config.cache_clear()


# -- démarches: one thing broken at a time ------------------------------------------------------------------
def test_unknown_key_in_depends_on(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "consent_sharing").update(depends_on=["intake_fichee"]))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "'consent_sharing'" in msg
    assert "depends_on" in msg
    assert "'intake_fichee'" in msg


def test_dependency_cycle_shows_its_path(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "intake_fiche").update(depends_on=["eid_renew"]))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "depends_on" in msg
    assert "intake_fiche -> eid_renew -> domicile_fix -> eid_check -> intake_fiche" in msg


def test_depending_on_itself(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "exit_kit").update(depends_on=["exit_kit"]))
    msg = error_of(load_templates, cfg)
    assert "'exit_kit'" in msg and "depends_on" in msg


def test_unknown_anchor(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "exit_kit").update(anchor="X"))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "démarche 'exit_kit'" in msg
    assert "field anchor" in msg
    assert "'T'" in msg  # says what is allowed


@pytest.mark.parametrize(("bad", "hint"), [
    ("-30d", "whole number"),
    (1.5, "whole number"),
    ("12", "whole number"),  # a string, even a numeric one, is refused
    (True, "whole number"),
    (None, "whole number"),
    (9999, "730"),
    (-9999, "730"),
])
def test_bad_offset(cfg, bad, hint):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "housing_apply").update(offset=bad))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "démarche 'housing_apply'" in msg
    assert "field offset" in msg
    assert hint in msg


def test_negative_offset_on_intake_anchor(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "exit_kit").update(anchor="I", offset=-3))
    msg = error_of(load_templates, cfg)
    assert "'exit_kit'" in msg and "offset must be >= 0" in msg


def test_bad_duration(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "exit_kit").update(duration=-1))
    msg = error_of(load_templates, cfg)
    assert "démarche 'exit_kit'" in msg and "field duration" in msg


def test_duplicate_key(cfg):
    def dup(d):
        copy = dict(demarche(d, "exit_kit"))
        d["demarches"].append(copy)

    edit(cfg / "demarches.yaml", dup)
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "'exit_kit'" in msg
    assert "twice" in msg and "key" in msg


def test_unknown_field(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "bank_account").update(colour="red"))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "démarche 'bank_account'" in msg
    assert "field colour" in msg


def test_bad_value_in_a_nested_field(cfg):
    edit(cfg / "demarches.yaml",
         lambda d: demarche(d, "housing_plan").update(applies_if={"needs_any": ["housing", "yachting"]}))
    msg = error_of(load_templates, cfg)
    assert "démarche 'housing_plan'" in msg and "field applies_if.needs_any" in msg


def test_entry_without_a_key_is_named_by_its_position(cfg):
    def drop_key(d):
        del d["demarches"][2]["key"]

    edit(cfg / "demarches.yaml", drop_key)
    msg = error_of(load_templates, cfg)
    assert "démarche '#3'" in msg and "field key" in msg


def test_yaml_syntax_error_gives_the_line(cfg):
    path = cfg / "demarches.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.strip() == "offset: -130")
    lines[n] = lines[n].replace("offset: -130", "offset: -130: days")
    path.write_text("".join(lines), encoding="utf-8")
    msg = error_of(load_templates, cfg)
    assert str(path) in msg
    assert f"line {n + 1}," in msg
    assert "not valid YAML" in msg


def test_missing_file(cfg):
    (cfg / "demarches.yaml").unlink()
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "not found" in msg


def test_missing_folder(tmp_path):
    msg = error_of(load_config, tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in msg and "not found" in msg


def test_not_a_mapping(cfg):
    (cfg / "demarches.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg and "mapping" in msg


def test_unknown_version(cfg):
    edit(cfg / "demarches.yaml", lambda d: d.update(version=2))
    msg = error_of(load_templates, cfg)
    assert "field version" in msg


def test_prevenu_kit_naming_an_unknown_demarche(cfg):
    edit(cfg / "demarches.yaml", lambda d: d["prevenu_kit"].append({"key": "zzz_unknown", "offset": 10}))
    msg = error_of(load_templates, cfg)
    assert str(cfg / "demarches.yaml") in msg
    assert "prevenu_kit" in msg and "field key" in msg
    assert "'zzz_unknown'" in msg


@pytest.mark.parametrize("bad", [-5, "10d", 2.5, None])
def test_prevenu_kit_bad_offset(cfg, bad):
    edit(cfg / "demarches.yaml", lambda d: d["prevenu_kit"][0].update(offset=bad))
    msg = error_of(load_templates, cfg)
    assert "prevenu_kit" in msg and "'eid_check'" in msg and "field offset" in msg


def test_prevenu_kit_unknown_field(cfg):
    edit(cfg / "demarches.yaml", lambda d: d["prevenu_kit"][0].update(days=3))
    msg = error_of(load_templates, cfg)
    assert "prevenu_kit entry 1" in msg and "days" in msg


def test_the_copy_is_sound_before_any_edit(cfg):
    # the edits above start from this: a rewritten but unchanged file still loads
    edit(cfg / "demarches.yaml", lambda d: None)
    assert len(load_templates(cfg)) == 42


# -- the other files ------------------------------------------------------------------------------------------
def test_closure_with_something_that_is_not_a_date(cfg):
    path = cfg / "closures.yaml"
    text = path.read_text(encoding="utf-8").replace("{date: 2026-12-29,", "{date: \"fin décembre\",")
    path.write_text(text, encoding="utf-8")
    msg = error_of(load_calendar, cfg)
    assert str(path) in msg and "closures entry 2" in msg and "field date" in msg


def test_closure_with_an_impossible_date(cfg):
    path = cfg / "closures.yaml"
    text = path.read_text(encoding="utf-8").replace("{date: 2026-12-29,", "{date: 2026-02-30,")
    path.write_text(text, encoding="utf-8")
    msg = error_of(load_calendar, cfg)
    assert str(path) in msg and "2026-02-30" in msg


def test_recurring_closure_on_a_day_that_does_not_exist(cfg):
    edit(cfg / "closures.yaml", lambda d: d["recurring"].append({"month": 2, "day": 30, "name": "Nope"}))
    msg = error_of(load_calendar, cfg)
    assert "recurring entry 3" in msg and "field day" in msg


def test_recurring_closure_on_29_february_is_accepted(cfg):
    edit(cfg / "closures.yaml", lambda d: d["recurring"].append({"month": 2, "day": 29, "name": "Bissextile"}))
    cal = load_calendar(cfg)
    assert not cal.is_working_day(dt.date(2028, 2, 29))


def test_recurring_closure_with_an_unknown_field(cfg):
    edit(cfg / "closures.yaml", lambda d: d["recurring"][0].update(weekday=1))
    msg = error_of(load_calendar, cfg)
    assert "recurring entry 1" in msg and "field weekday" in msg


def test_duplicate_prison(cfg):
    edit(cfg / "prisons.yaml", lambda d: d["prisons"].append(dict(d["prisons"][0])))
    msg = error_of(load_prisons, cfg)
    assert str(cfg / "prisons.yaml") in msg and "'haren'" in msg and "field code" in msg


def test_bad_prison_code(cfg):
    edit(cfg / "prisons.yaml", lambda d: d["prisons"][0].update(code="Haren Prison"))
    msg = error_of(load_prisons, cfg)
    assert "prison 'Haren Prison'" in msg and "field code" in msg


def test_planning_policy_out_of_order(cfg):
    edit(cfg / "planning.yaml", lambda d: d.update(release_after_hearing_days=[21, 14, 28]))
    msg = error_of(load_policy, cfg)
    assert str(cfg / "planning.yaml") in msg and "release_after_hearing_days" in msg


def test_planning_policy_unknown_field(cfg):
    edit(cfg / "planning.yaml", lambda d: d.update(margin_days=3))
    msg = error_of(load_policy, cfg)
    assert "field margin_days" in msg


def test_planning_policy_is_optional(cfg):
    (cfg / "planning.yaml").unlink()
    assert load_policy(cfg).release_after_hearing_days == (14, 21, 28)


# -- the person's words (issue 11: « Version pour la personne ») --------------------------------------------
def test_plain_and_bring_are_optional_and_read_in_both_languages(cfg):
    ts = load_templates(CONFIG_DIR)
    assert ts["eid_check"].bring.fr.startswith("Votre carte d'identité")
    assert ts["eid_check"].bring.nl.startswith("Uw identiteitskaart")
    assert ts["adm_dates_check"].plain is None and ts["adm_dates_check"].bring is None
    edit(cfg / "demarches.yaml", lambda d: [demarche(d, "bank_account").pop(f) for f in ("plain", "bring")])
    assert load_templates(cfg)["bank_account"].plain is None


@pytest.mark.parametrize("bad, hint", [({"fr": "Votre carte d'identité"}, "field bring.nl"),
                                       ({"fr": "", "nl": "Uw kaart"}, "field bring.fr"),
                                       ("Votre carte d'identité", "field bring"),
                                       ({"fr": "x" * 201, "nl": "y"}, "field bring.fr")])
def test_a_bad_bring_names_the_demarche_and_the_field(cfg, bad, hint):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "bank_account").update(bring=bad))
    msg = error_of(load_templates, cfg)
    assert "démarche 'bank_account'" in msg and hint in msg, msg


def test_plain_words_with_an_unknown_language_are_refused(cfg):
    edit(cfg / "demarches.yaml", lambda d: demarche(d, "bank_account").update(
        plain={"fr": "Ouvrir un compte", "nl": "Een rekening openen", "de": "Ein Konto eröffnen"}))
    assert "field plain.de" in error_of(load_templates, cfg)
