"""The pages' Jinja2 environment, translated through the gettext catalogs (raj_release/i18n.py).

One environment serves every reader: `_`, `ngettext` and `pgettext` translate into the `lang` of the page
being rendered (its render context), not a language installed once. Templates say `{{ _("Overdue") }}`
(English message ids, catalog `web`), `{{ d|date }}`, and `{{ code|label }}` or `{{ code|label("Status") }}`
for a code's word (catalog `raj`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from raj_release import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return i18n.translations(ctx["lang"]).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(ctx["lang"]).ngettext(singular, plural, n)


@pass_context
def _pgettext(ctx: Context, context: str, message: str) -> str:
    return i18n.translations(ctx["lang"]).pgettext(context, message)


@pass_context
def _npgettext(ctx: Context, context: str, singular: str, plural: str, n: int) -> str:
    return i18n.translations(ctx["lang"]).npgettext(context, singular, plural, n)


@pass_context
def _date(ctx: Context, d: dt.date | None, long: bool = False) -> str:
    return i18n.format_date(d, ctx["lang"], long)


@pass_context
def _label(ctx: Context, code: Enum | str, context: str | None = None) -> str:
    """An enum member names its own context; a bare code (a value read from a row) needs it given."""
    return i18n.label(code, ctx["lang"], context)


def environment() -> Environment:
    # same loader and autoescaping as fastapi's Jinja2Templates(directory=...) makes for itself
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"])
    # newstyle: `_("... %(n)d ...", n=3)` formats, and escapes the values it puts in
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
    env.filters["date"] = _date
    env.filters["label"] = _label
    env.globals["label"] = _label
    return env


env = environment()
