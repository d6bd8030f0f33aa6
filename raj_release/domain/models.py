"""Small pydantic models shared by the concepts: the frozen base, the code patterns, organisations and
workers, bilingual labels, and the one parser of dates typed by people.

Each concept's own models and rules live in the module named for it (demarches.py, milestones.py,
partners.py). The planner's own results are plain dataclasses (raj_release.planning.scheduler) because it
builds hundreds of thousands of them a second.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import Language, Role
from raj_release.errors import RajError

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
ORG_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Organisation(Frozen):
    code: str = Field(pattern=ORG_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class Worker(Frozen):
    id: str = Field(pattern=REF_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    language: Language = Language.FR
    organisation: str
    notify: tuple[str, ...] = ()


class Labels(Frozen):
    fr: str = Field(min_length=1, max_length=200)
    nl: str = Field(min_length=1, max_length=200)


# The days the project accepts from anyone: far wider than any plan (a sentence served, a hearing planned),
# and far enough from date.min and date.max that date arithmetic (weeks back, working days ahead) cannot
# overflow. A date outside is a typo, refused like any other bad input.
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


MAX_REASON = 1000  # a reason is a sentence or two, shown in history and the audit log


def check_reason(reason: str | None, what: str = "reason") -> str | None:
    """A reason stripped (None when empty), or a one-line error when it is longer than MAX_REASON."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise RajError("at most {max} characters ({given} given)", field=what, max=MAX_REASON, given=len(reason))
    return reason


def check_day(value: dt.date, what: str) -> dt.date:
    """`value` if it lies within FIRST_DAY..LAST_DAY, else a one-line error naming the field."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise RajError("{day} is outside the dates accepted ({first} to {last})", field=what, day=value,
                       first=FIRST_DAY, last=LAST_DAY)
    return value


def parse_date(value: str, what: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) within the accepted range, or raise a one-line error naming the field."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise RajError("'{value}' is not a date; write it as YYYY-MM-DD", field=what, value=value)
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RajError("'{value}' is not a real calendar date (YYYY-MM-DD)", field=what, value=value) from None
    return check_day(day, what)
