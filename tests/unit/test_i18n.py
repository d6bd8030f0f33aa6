"""The gettext catalogs are whole: every message the code asks for, and every code a person may read, has
its French and its Dutch words."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from raj_release import i18n
from raj_release.domain import enums
from raj_release.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "raj_release"
KEYWORDS = {"tr": (2,), "ntr": (2, 3), "_": None, "gettext": None, "ngettext": (1, 2),
            # the refusals' templates (raj_release/errors.py): in `raj`, wherever they are raised
            **{name: None for name in ("RajError", "NotFound", "Conflict", "Forbidden", "ConfigError", "again")}}
ERRORS = {"RajError", "NotFound", "Conflict", "Forbidden", "ConfigError", "again"}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
# which folder's messages belong to which catalog
DOMAIN_OF = {"web": PACKAGE / "web", "cli": PACKAGE / "cli"}
LABELLED = [enums.Status, enums.MilestoneKind, enums.Pillar, enums.Role, enums.Certainty, enums.Situation,
            enums.Procedure, enums.Modality, enums.Need, enums.Responsible, enums.Language, enums.InDetention,
            enums.Anchor, enums.OutboxStatus, enums.MessageKind, enums.Stage, enums.Origin, enums.Source,
            enums.CloseReason, enums.NotMetReason, enums.LeaveKind, enums.Place, enums.Outcome, enums.NotHeldReason,
            enums.ApplicationState, enums.PartnerAnswer, enums.ConsentHow]


def catalog(lang: str, domain: str):
    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def ids(cat) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in cat if m.id}


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_each_catalog_has_both_languages_and_every_message_translated(domain):
    fr, nl = catalog("fr", domain), catalog("nl", domain)
    if domain == "raj":
        assert fr is not None and nl is not None
    if fr is None and nl is None:
        pytest.skip(f"no {domain} catalog")
    assert fr is not None and nl is not None, f"{domain}: a catalog exists in one language only"
    assert ids(fr) == ids(nl), f"{domain}: fr and nl differ: {ids(fr) ^ ids(nl)}"
    for cat in (fr, nl):
        for m in cat:
            if not m.id:
                continue
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            assert all(s.strip() for s in strings), f"{domain}/{cat.locale}: {m.id!r} has no translation"
            assert not m.fuzzy, f"{domain}/{cat.locale}: {m.id!r} is fuzzy"


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_every_code_has_a_label_in_both_languages(enum):
    for lang in i18n.LANGUAGES:
        have = ids(catalog(lang, "raj"))
        missing = [m.value for m in enum if (enum.__name__, m.value) not in have]
        assert not missing, f"{lang}: no label for {enum.__name__} {missing}"


def extracted() -> dict[str, set]:
    """The messages the code and templates ask for, by catalog."""
    out: dict[str, set] = {d: set() for d in i18n.DOMAINS}
    for _file, _line, message, _comments, context in extract_from_dir(
            PACKAGE, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {
                "extensions": "jinja2.ext.i18n"}}):
        msgid = message if isinstance(message, str) else message[0]
        path = PACKAGE / _file
        domain = next((d for d, folder in DOMAIN_OF.items() if folder in path.parents), "raj")
        out[domain].add((context, msgid))
    return out


@functools.cache
def error_templates() -> frozenset[str]:
    """The templates of every refusal raised in the package (RajError and its subclasses, `e.again`)."""
    return frozenset(message if isinstance(message, str) else message[0]
                     for _f, _l, message, _c, _ctx in extract_from_dir(PACKAGE, [("**.py", "python")],
                                                                        keywords={k: None for k in ERRORS}))


def test_every_refusal_is_in_the_raj_catalog():
    """The services are shared by every shell: their refusals' templates live in `raj`, in both languages
    (tests/unit/test_errors.py checks they are templates, not f-strings)."""
    templates = error_templates()
    assert len(templates) > 100
    for lang in i18n.LANGUAGES:
        missing = sorted(templates - {m for _, m in ids(catalog(lang, "raj"))})
        assert not missing, f"raj/{lang}: refusals not in the catalog: {missing}"


def test_every_message_the_code_asks_for_is_in_its_catalog():
    """In its layer's catalog, or in `raj`, the catalog of the words every layer shares (one home for a
    sentence the pages and the CLI both say, such as « Plan à risque »)."""
    for domain, wanted in extracted().items():
        for lang in i18n.LANGUAGES:
            cat = catalog(lang, domain)
            have = (ids(cat) if cat is not None else set()) | ids(catalog(lang, "raj"))
            missing = sorted(m for _, m in wanted - have)
            assert not missing, f"{domain}/{lang}: not in the catalog: {missing}"


def test_lookups_and_dates():
    import datetime as dt

    assert i18n.label(enums.Status.COMPLETED, "fr") == "faite"
    assert i18n.label(enums.Status.COMPLETED, "nl") == "gedaan"
    assert i18n.label("soon", "nl", "Section") == "Binnenkort"
    assert i18n.format_date(dt.date(2027, 3, 3), "fr") == "03/03/2027"
    assert i18n.format_date(dt.date(2027, 3, 3), "nl", long=True) == "3 maart 2027"
    assert i18n.format_date(dt.date(2027, 3, 3), "fr", long=True) == "3 mars 2027"
    assert i18n.format_date(None, "fr") == "—"


def test_an_edited_catalog_is_read_even_before_it_is_compiled(tmp_path, monkeypatch):
    """A .po newer than its .mo wins: nobody sees a stale word after editing a catalog."""
    import shutil

    for lang in i18n.LANGUAGES:
        shutil.copytree(i18n.LOCALE_DIR / lang, tmp_path / lang)
    po = tmp_path / "fr" / "LC_MESSAGES" / "raj.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "faite"', 'msgstr "terminée"'), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", Path(tmp_path))
    i18n.translations.cache_clear()
    try:
        assert i18n.label(enums.Status.COMPLETED, "fr") == "terminée"
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()
