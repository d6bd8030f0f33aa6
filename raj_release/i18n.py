"""Translations: gettext catalogs under locale/ (managed with Babel), shared by the pages, the CLI and the
messages; dates in the Brussels formats (fr_BE, nl_BE).

Three domains, one per kind of reader's text, so that each layer keeps its own catalog:
- `raj`: the labels of every code a person may read (statuses, milestone kinds, pillars, roles, ...), with
  the code's enum as message context: `label(Status.COMPLETED, "fr")` is pgettext("Status", "completed");
- `web`: the pages' words; `cli`: the command line's words.
Message ids are English; French and Dutch are both translations, and tests/unit/test_i18n.py fails when a
message lacks either.

`make install` compiles the catalogs (`pybabel compile`); a catalog whose .mo is missing or older than its
.po is compiled in memory from the .po, so that an edited catalog is never ignored.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.support import NullTranslations

# Babel is imported by the functions that read a catalog or write a long date, not here: `raj --help`
# imports this module (through the CLI's words) and reads no catalog, and Babel would cost it ~30 ms.

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("fr", "nl")
DOMAINS = ("raj", "web", "cli")
DEFAULT = "fr"
LOCALES = {"fr": "fr_BE", "nl": "nl_BE"}


def language(value: str | None) -> str:
    """One of LANGUAGES (French when unknown)."""
    value = str(value or "")
    return value if value in LANGUAGES else DEFAULT


def _load(lang: str, domain: str) -> NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f, domain=domain)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=domain)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=domain)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> NullTranslations:
    """Every domain of `lang`, merged (a message id is looked up in raj, then web, then cli)."""
    from babel.support import NullTranslations, Translations

    merged: Translations | None = None
    for domain in DOMAINS:
        t = _load(language(lang), domain)
        if not isinstance(t, Translations):
            continue
        if merged is None:
            merged = t
        else:
            merged.merge(t)
    return merged if merged is not None else NullTranslations()


def tr(lang: str, message: str) -> str:
    """`message` (an English message id) in `lang`. Extraction keyword `tr:2` (babel.cfg)."""
    return translations(language(lang)).gettext(message)


def ntr(lang: str, singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`. Extraction keyword `ntr:2,3`."""
    return translations(language(lang)).ngettext(singular, plural, n)


def label(code: Enum | str, lang: str, context: str | None = None) -> str:
    """The reader's word for a code: an enum member (its class names the context), or a bare code with
    its `context` given (e.g. a value read from a row)."""
    if isinstance(code, Enum):
        context, code = type(code).__name__, code.value
    return translations(language(lang)).pgettext(context, str(code))


def format_date(d: dt.date | None, lang: str, long: bool = False) -> str:
    """DD/MM/YYYY (or « 3 mars 2027 » / « 3 maart 2027 » with `long`); "—" for no date."""
    if d is None:
        return "—"
    if not long:
        return d.strftime("%d/%m/%Y")  # both communities' short form; babel's fr_BE short is d/MM/yy
    from babel.dates import format_date as babel_date

    return babel_date(d, format="d MMMM yyyy", locale=LOCALES[language(lang)])
