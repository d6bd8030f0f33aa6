"""The pages' Jinja2 environment, translated through the gettext catalogs (raj_release/i18n.py).

One environment serves every reader: `_`, `ngettext` and `pgettext` translate into the `lang` of the page
being rendered (its render context), not a language installed once. Templates say `{{ _("Overdue") }}`
(English message ids, catalog `web`), `{{ d|date }}`, and `{{ code|label }}` or `{{ code|label("Status") }}`
for a code's word (catalog `raj`). The ids and keys a page names are words too (issue 11): `{{ id|worker }}`
(a worker's name), `{{ id|partner }}`, `{{ code|prison }}`, `{{ key|demarche }}` (a démarche's label in the
reader's language), `{{ code|partner_type }}`, and `{{ history_line(event) }}` for an event of the history.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from raj_release import i18n
from raj_release.domain import history

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


def names(ctx: Context) -> history.Names:
    """The reader's words for ids and keys, looked up once per request and language (the workers' names
    are one query, made only by a page that names a worker, a partner, a prison or a démarche, and kept
    while no worker changes: services/figures.py)."""
    lang = ctx["lang"]
    request = ctx.get("request")
    cache = getattr(request.state, "names", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request.state.names = cache
    if lang not in cache:
        app_ctx = getattr(request.app.state, "ctx", None) if request is not None else None
        if app_ctx is None:
            cache[lang] = history.Names()
        else:
            from raj_release.services import figures
            from raj_release.services.workers import worker_names

            cache[lang] = figures.kept(app_ctx, ("names", lang),
                                       lambda: history.Names.of(app_ctx.config, worker_names(app_ctx), lang))
    return cache[lang]


@pass_context
def _worker(ctx: Context, wid: str | None) -> str:
    return names(ctx).worker(wid)


@pass_context
def _partner(ctx: Context, pid: str | None) -> str:
    return names(ctx).partner(pid)


@pass_context
def _prison(ctx: Context, code: str | None) -> str:
    return names(ctx).prison(code)


@pass_context
def _demarche(ctx: Context, key: str | None) -> str:
    return names(ctx).demarche(key)


@pass_context
def _partner_type(ctx: Context, code: str | None) -> str:
    return history.partner_type(code, ctx["lang"])


@pass_context
def _history_line(ctx: Context, e) -> str:
    """An event of services/history.py as its sentence and day."""
    lang, words = ctx["lang"], names(ctx)
    if e.action.startswith(("demarche.", "application.")):
        what = words.demarche(e.key)
    elif e.action == "milestone.set":
        what = i18n.label(e.key, lang, "MilestoneKind")
    else:
        what = ""
    return history.event_line(e.action, e.old, e.new, at=e.at, lang=lang, who=history.actor_name(e.actor, words, lang),
                              what=what, reason=e.reason, names=words)


def environment() -> Environment:
    # same loader and autoescaping as fastapi's Jinja2Templates(directory=...) makes for itself
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"])
    # newstyle: `_("... %(n)d ...", n=3)` formats, and escapes the values it puts in
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
    env.filters["date"] = _date
    env.filters["label"] = _label
    env.globals["label"] = _label
    for name, f in (("worker", _worker), ("partner", _partner), ("prison", _prison), ("demarche", _demarche),
                    ("partner_type", _partner_type)):
        env.filters[name] = f
    env.globals["history_line"] = _history_line
    return env


env = environment()
