"""One exception type for every input the project refuses, worded for each reader.

Each message is one line saying what is wrong, where, and how to fix it; the CLI prints it on stderr with
exit code 2 and the API answers 422 (404, 403, 409 for the subclasses). Raising it inside a service rolls the
transaction back, so bad input never changes the database.

A message is an English template with named parameters, never an f-string, so that the catalogs can
translate it (the extraction keywords are the class names, babel.cfg):

    raise RajError("démarche '{key}' is {status}: a finished démarche keeps its date", field="due",
                   key=key, status=Status(row.status))

- `str(err)` is the English line for logs and tests, led by the field: `due: démarche 'eid_check' is
  completed: ...` (dates as YYYY-MM-DD, codes as codes);
- `err.text(lang)` is the template translated through the catalog (domain `raj`: the services are shared by
  every shell) and its parameters in the reader's words: a date as DD/MM/YYYY, an enum member as its label,
  a `Named` as its words (a démarche key as its title), a list as its items joined with ", ";
- `err.worded(lang)` leads with the field's label (« Motif : ... », context "Field" in raj.po); a field
  without a label is left out rather than shown as a code.

`field` names the input that is wrong in the services' own words (`prison`, `as_id`, `reason`): each shell
words it for its reader (the pages with its label, the CLI as its flag `--prison`, the API as the JSON
field). A message names no CLI flag and no command: a hint such as `(--reason TEXT)` belongs to the CLI.

Converting an old `RajError(f"unknown prison {prison!r}")`: move each expression into a keyword parameter
(`RajError("unknown prison '{prison}'", field="prison", prison=prison)`), pass codes as their enum member
(`Status(row.status)`) and dates as dates, then add the template's French and Dutch to raj.po
(tests/unit/test_i18n.py fails on an f-string message or an untranslated one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any


class Named:
    """A parameter that reads as its code in English (logs, tests) and as its words for a reader: a
    démarche key and its title, `Named(key, t.label)` (anything with `fr` and `nl` attributes, or a mapping)."""

    def __init__(self, code: str, words: Any = None) -> None:
        self.code = str(code)
        self.words = words

    @classmethod
    def demarche(cls, ctx: Any, key: str) -> Named:
        """A démarche key with its title from the configuration (`ctx`: the services' Context)."""
        t = ctx.config.templates.by_key.get(key)
        return cls(key, t.label if t is not None else None)

    def shown(self, lang: str | None) -> str:
        if lang is None or self.words is None:
            return self.code
        w = self.words.get(lang) if isinstance(self.words, Mapping) else getattr(self.words, lang, None)
        return str(w) if w else self.code

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"Named({self.code!r})"


def shown(value: Any, lang: str | None) -> str:
    """A parameter in English (`lang` None: ISO dates, codes) or in the reader's words."""
    from raj_release import i18n

    if isinstance(value, Named):
        return value.shown(lang)
    if isinstance(value, Enum):
        return str(value.value) if lang is None else i18n.label(value, lang)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes") if lang is None else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat() if lang is None else i18n.format_date(value, lang)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(shown(v, lang) for v in items)
    return str(value)


def _format(template: str, params: Mapping[str, Any], lang: str | None) -> str:
    if not params:
        return template
    return template.format_map({k: shown(v, lang) for k, v in params.items()})


class RajError(Exception):
    """Bad input or a refused action; `str(err)` is the English line led by the field, `text(lang)` and
    `worded(lang)` the reader's."""

    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.template = message
        self.field = field
        self.params = params

    @property
    def message(self) -> str:
        """The English message, without the field."""
        return _format(self.template, self.params, None)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def text(self, lang: str) -> str:
        """The message in `lang` (fr, nl), without the field; the English template if the catalog lacks it."""
        from raj_release import i18n

        translated = i18n.tr(lang, self.template)
        try:
            return _format(translated, self.params, lang)
        except (KeyError, IndexError, ValueError):  # a translation naming a parameter the template has not
            return _format(self.template, self.params, lang)

    def worded(self, lang: str) -> str:
        """The message in `lang` led by its field's label (« Motif : ... »), or alone when the field has none."""
        from raj_release import i18n

        message = self.text(lang)
        name = field_label(self.field, lang)
        return i18n.tr(lang, "{field}: {message}").format(field=name, message=message) if name else message

    def again(self, message: str | None = None, field: str | None = None, **params: Any) -> RajError:
        """This refusal, of the same class, said again with more (a service naming the démarche a domain
        rule refused): `raise e.again("démarche '{key}' {old} ...", key=key) from None`; the same parameters
        and field unless given. Extraction keyword `again`."""
        return type(self)(message or self.template, field=field or self.field, **{**self.params, **params})


# fields a reader never typed (a form's hidden version): their refusal is not led by them
UNLED = frozenset({"version", "seen", "active"})  # hidden inputs nobody types


def field_label(field: str | None, lang: str) -> str | None:
    """The reader's word for a service field (context "Field" in raj.po), None when it has none."""
    if not field or field in UNLED:
        return None
    from raj_release import i18n

    word = i18n.label(field, lang, "Field")
    return word if word != field else None


class NotFound(RajError):
    """A reference (person, worker, démarche) that does not exist."""


class ConfigError(RajError):
    """A configuration file that cannot be used; the message names the file and the field."""


class Conflict(RajError):
    """A state change that the current state forbids (e.g. a transition of the status machine)."""


class Forbidden(RajError):
    """An action one's role does not allow (a worker asking for the coordinators' dashboard). Never used for
    a person outside one's scope: that is NotFound, so that nothing tells whether the person exists."""


# pydantic's refusals (a form's date, a required field) by their error type, in the project's words; the
# others keep pydantic's English sentence as their parameter
_VALIDATION = {
    "missing": "this field is required",
    "string_too_short": "this field is required",
    "string_too_long": "at most {max_length} characters",
    "int_parsing": "'{input}' is not a whole number",
    "int_type": "'{input}' is not a whole number",
    "date_parsing": "'{input}' is not a date; write it as YYYY-MM-DD",
    "date_from_datetime_parsing": "'{input}' is not a date; write it as YYYY-MM-DD",
    "date_type": "'{input}' is not a date; write it as YYYY-MM-DD",
    "greater_than_equal": "at least {ge}",
    "less_than_equal": "at most {le}",
    "enum": "unknown value '{input}'; use one of {expected}",
    "literal_error": "unknown value '{input}'; use one of {expected}",
}


def from_validation(errors: Iterable[Mapping[str, Any]], field: str | None = None,
                    cls: type[RajError] = RajError) -> RajError:
    """The first of pydantic's `errors()` as a translatable refusal about `field` (else the error's own
    field): a validator's ValueError carrying a RajError keeps its template (`raise ValueError(RajError(...))`)."""
    err = next(iter(errors), {})
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], RajError):
        inner = cause.args[0]
        return cls(inner.template, field=field or inner.field, **inner.params)
    if field is None:
        field = next((str(x) for x in reversed(tuple(err.get("loc", ()))) if isinstance(x, str)), None)
    kind = err.get("type", "")
    if kind in _VALIDATION:
        params = {k: v for k, v in ctx.items() if k != "error"}
        params.setdefault("input", err.get("input", ""))
        template = _VALIDATION[kind]
        try:
            template.format_map({k: "" for k in params})
            return cls(template, field=field, **params)
        except (KeyError, IndexError, ValueError):
            pass
    problem = " ".join(str(err.get("msg", "invalid value")).removeprefix("Value error, ").split())
    return cls("{problem}", field=field, problem=problem)


class StaleVersion(Conflict):
    """A change made on a stale read of a person: `current` is the person's version now, `yours` the one the
    client read. The shells word it themselves (the plan page lists what changed meanwhile) rather than
    parsing the message."""

    TEMPLATE = "person '{ref}' was changed meanwhile (version {version}, yours {expected}): reload and try again"

    def __init__(self, message: str = TEMPLATE, field: str | None = "version", **params: Any) -> None:
        super().__init__(message, field=field, **params)

    @property
    def ref(self) -> str:
        return str(self.params["ref"])

    @property
    def current(self) -> int:
        return int(self.params["version"])

    @property
    def yours(self) -> int:
        return int(self.params["expected"])
