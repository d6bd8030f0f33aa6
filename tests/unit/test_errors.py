"""Refusals in the reader's words: an English template with named parameters (`str(e)` for logs and
tests), its French and Dutch from the `raj` catalog, parameters in the reader's formats, the field named by
its label, and no CLI flag in any message."""

from __future__ import annotations

import ast
import datetime as dt
import re

import pytest

from raj_release import errors, i18n
from raj_release.domain.demarches import check_change
from raj_release.domain.enums import Certainty, MilestoneKind, Status, parse_code
from raj_release.domain.milestones import Milestone
from raj_release.domain.models import Labels, check_day, parse_date
from raj_release.errors import Conflict, Named, RajError, field_label, from_validation
from raj_release.settings import PROJECT_ROOT
from tests.unit.test_i18n import catalog, error_templates, ids

PACKAGE = PROJECT_ROOT / "raj_release"
ERROR_CALLS = {"RajError", "NotFound", "Conflict", "Forbidden", "ConfigError", "again"}
# helpers that name a field: the position of the field among their arguments (and its keyword)
FIELD_ARGS = {"parse_code": (2, "field"), "parse_date": (1, "what"), "check_day": (1, "what"),
              "check_reason": (1, "what"), "_opt": (2, "field")}
# fields a page names at run time (web/pages/persons.py: a milestone's date and window on the new-file form)
DYNAMIC_FIELDS = {f"{m}{s}" for m in ("hearing", "release") for s in ("", "_earliest", "_latest")}


def _name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _calls(folder_excluded: str = "cli"):
    for path in PACKAGE.rglob("*.py"):
        if folder_excluded in path.relative_to(PACKAGE).parts or path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield path, node


def fields_named() -> set[str]:
    """Every service field a refusal may name outside the CLI (which words them as its flags)."""
    out = set(DYNAMIC_FIELDS)
    for _path, call in _calls():
        name = _name(call)
        args = []
        if name in ERROR_CALLS or name == "from_validation":
            args = [k.value for k in call.keywords if k.arg == "field"]
        elif name in FIELD_ARGS:
            pos, kw = FIELD_ARGS[name]
            args = [call.args[pos]] if len(call.args) > pos else [k.value for k in call.keywords if k.arg == kw]
        out |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    # a page's form fields: a form sent without one is refused by FastAPI, worded by web/app.py
    for path in (PACKAGE / "web" / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                a = node.args
                for arg, default in zip(a.args[len(a.args) - len(a.defaults):], a.defaults, strict=True):
                    if isinstance(default, ast.Call) and _name(default) == "Form" and arg.arg != "csrf":
                        out.add(arg.arg)
    return out


def test_every_refusal_is_a_template_not_an_f_string():
    """Only a literal template can be extracted and translated; its values go in parameters."""
    bad = []
    for path, call in _calls(folder_excluded="\0"):
        if _name(call) in ERROR_CALLS and call.args and not (
                isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            bad.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert not bad, f"a refusal whose message is not a literal template: {bad}"


def test_no_refusal_names_a_cli_flag():
    """The CLI adds its flags (`--reason`) and hints itself; the pages and the API never show them."""
    templates = error_templates()
    flagged = sorted(t for t in templates if re.search(r"(^|[\s(`'])--[a-z]", t))
    assert not flagged, flagged
    for lang in i18n.LANGUAGES:
        for m in catalog(lang, "raj"):
            if m.id in templates:
                assert not re.search(r"(^|[\s(`'])--[a-z]", m.string), (lang, m.id, m.string)


def test_every_field_a_page_may_name_has_a_label():
    for lang in i18n.LANGUAGES:
        have = ids(catalog(lang, "raj"))
        missing = sorted(f for f in fields_named() - errors.UNLED if ("Field", f) not in have)
        assert not missing, f"{lang}: fields without a label (context Field): {missing}"


def test_pydantic_refusal_types_are_translated():
    for lang in i18n.LANGUAGES:
        have = {m for _, m in ids(catalog(lang, "raj"))}
        assert set(errors._VALIDATION.values()) | {"{field}: {message}"} <= have


# ---------------------------------------------------------------------------------------------------------
# the mechanism


def test_str_is_the_english_line_and_text_the_readers():
    e = RajError("démarche '{key}' of '{ref}' is {status}: a finished démarche keeps its date", field="due",
                 key=Named("eid_check", Labels(fr="Vérifier l'eID", nl="eID nakijken")), ref="AF-1",
                 status=Status.COMPLETED)
    assert str(e) == "due: démarche 'eid_check' of 'AF-1' is completed: a finished démarche keeps its date"
    assert e.message == "démarche 'eid_check' of 'AF-1' is completed: a finished démarche keeps its date"
    fr, nl = e.text("fr"), e.text("nl")
    assert "Vérifier l'eID" in fr and "AF-1" in fr and i18n.label(Status.COMPLETED, "fr") in fr
    assert "eID nakijken" in nl and i18n.label(Status.COMPLETED, "nl") in nl
    assert "eid_check" not in fr + nl and "completed" not in fr + nl
    assert fr != nl


def test_dates_are_dd_mm_yyyy_for_a_reader_and_iso_in_english():
    e = RajError("the leave ends ({end}) before it starts ({start})", field="end",
                 end=dt.date(2026, 12, 4), start=dt.date(2026, 12, 7))
    assert str(e) == "end: the leave ends (2026-12-04) before it starts (2026-12-07)"
    for lang in i18n.LANGUAGES:
        assert "04/12/2026" in e.text(lang) and "07/12/2026" in e.text(lang)
        assert "2026-12" not in e.text(lang)


def test_the_field_leads_with_its_label_in_the_readers_language():
    e = parse_code_error()
    assert e.worded("fr").startswith(field_label("reason", "fr") + " : ")
    assert e.worded("nl").startswith(field_label("reason", "nl") + ": ")
    assert field_label("reason", "fr") == "Motif" and field_label("reason", "nl") == "Reden"
    # a field without a label is left out rather than shown as a code
    bare = RajError("write something", field="no_such_field")
    assert bare.worded("fr") == bare.text("fr") and "no_such_field" not in bare.worded("fr")


def parse_code_error() -> RajError:
    with pytest.raises(RajError) as caught:
        check_change(Status.PLANNED, Status.CANCELLED, None, None)
    return caught.value


def test_a_domain_rule_in_three_languages():
    e = parse_code_error()
    assert str(e) == "reason: a démarche marked cancelled needs a reason"
    assert e.text("fr") == "une démarche marquée « sans objet » demande un motif"
    assert "--" not in e.worded("fr") + e.worded("nl")
    assert i18n.label(Status.CANCELLED, "nl") in e.text("nl")


def test_a_conflict_said_again_with_more_keeps_its_class_and_parameters():
    with pytest.raises(Conflict) as caught:
        check_change(Status.COMPLETED, Status.CANCELLED, "x", None)
    e = caught.value.again("démarche '{key}' of '{ref}' is {old}: it cannot become {new} (allowed: {allowed})",
                           key="eid_check", ref="AF-1")
    assert type(e) is Conflict
    assert str(e) == "démarche 'eid_check' of 'AF-1' is completed: it cannot become cancelled (allowed: in-progress)"
    assert i18n.label(Status.IN_PROGRESS, "fr") in e.text("fr")


def test_parameters_are_never_parsed_as_templates():
    e = RajError("person '{ref}' not found", ref="{version}")
    assert str(e) == "person '{version}' not found" and "{version}" in e.text("fr")


def test_a_message_without_translation_falls_back_to_english():
    e = RajError("no such sentence in any catalog: {n}", n=3)
    assert e.text("fr") == "no such sentence in any catalog: 3"


def test_dates_and_codes_of_the_domain_helpers():
    with pytest.raises(RajError) as caught:
        check_day(dt.date(9999, 12, 31), "date")
    assert "9999-12-31" in str(caught.value) and "31/12/9999" in caught.value.text("fr")
    assert "01/01/1990" in caught.value.text("nl")
    with pytest.raises(RajError) as caught:
        parse_date("2027-02-30", "date")
    assert caught.value.worded("fr").startswith("Date : ")
    with pytest.raises(RajError) as caught:
        parse_code(Status, "done", "status")
    assert "'done'" in str(caught.value) and "completed" in str(caught.value)


def test_a_validation_error_keeps_the_validators_template():
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15), earliest=dt.date(2027, 6, 20),
                  latest=dt.date(2027, 6, 10), certainty=Certainty.EXPECTED)
    e = from_validation(caught.value.errors(), field="hearing")
    assert str(e) == "hearing: window earliest 2027-06-20 is after latest 2027-06-10"
    assert "20/06/2027" in e.text("fr") and "10/06/2027" in e.text("nl")
    assert e.worded("fr").startswith(field_label("hearing", "fr") + " : ")


def test_a_missing_form_field_reads_as_required():
    e = from_validation([{"type": "missing", "loc": ("body", "date"), "msg": "Field required", "input": None}])
    assert e.field == "date" and str(e) == "date: this field is required"
    assert e.worded("fr") == "Date : ce champ est obligatoire"
    assert e.worded("nl") == "Datum: dit veld is verplicht"
    odd = from_validation([{"type": "url_scheme", "loc": ("x",), "msg": "URL scheme should be 'http'"}])
    assert str(odd) == "x: URL scheme should be 'http'"
