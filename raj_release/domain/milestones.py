"""Key dates of a person's path (hearing, releases, admissibility dates) and the rules about them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from pydantic import model_validator

from raj_release.domain.enums import Certainty, MilestoneKind
from raj_release.domain.models import Frozen
from raj_release.errors import RajError

K = MilestoneKind

# The milestones that say when the person leaves prison, the surest first: the release anchor R of a plan
# is the first of these that is known (planning/scheduler.py), and pages and views show the same one.
RELEASE_KINDS: tuple[MilestoneKind, ...] = (K.ACTUAL_RELEASE, K.EXPECTED_RELEASE, K.FOND_DE_PEINE)
# The dates drawn on a plan's timeline: the hearing and the release kinds.
TIMELINE_KINDS: frozenset[MilestoneKind] = frozenset({K.TAP_HEARING, *RELEASE_KINDS})


class Milestone(Frozen):
    """A key date. An uncertain one has a window (earliest, latest) around its most likely date."""

    kind: MilestoneKind
    date: dt.date
    earliest: dt.date | None = None
    latest: dt.date | None = None
    certainty: Certainty = Certainty.CONFIRMED

    @model_validator(mode="after")
    def _window_holds_the_date(self) -> Milestone:
        lo, hi = self.earliest, self.latest
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(RajError("window earliest {earliest} is after latest {latest}", earliest=lo, latest=hi))
        if lo is not None and lo > self.date:
            raise ValueError(RajError("window earliest {earliest} is after the date {day}", earliest=lo, day=self.date))
        if hi is not None and hi < self.date:
            raise ValueError(RajError("window latest {latest} is before the date {day}", latest=hi, day=self.date))
        return self


def release_kind(known: Iterable[MilestoneKind] | Mapping[MilestoneKind, object]) -> MilestoneKind | None:
    """Which of the known milestone kinds stands for the release (the surest one), if any."""
    have = set(known)
    return next((k for k in RELEASE_KINDS if k in have), None)
