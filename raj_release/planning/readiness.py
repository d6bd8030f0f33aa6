"""How ready a plan is for the hearing, pillar by pillar (for the coordinators' view).

A pillar's readiness counts its démarches due on or before the hearing (or, without a hearing, the release
anchor) and how many of them are completed. Cancelled ones (not applicable) do not count; failed ones count
as not done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from raj_release.domain.demarches import TemplateSet
from raj_release.domain.enums import Pillar, Status


@dataclass(frozen=True, slots=True)
class Readiness:
    pillar: Pillar
    done: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.total if self.total else None


def readiness(templates: TemplateSet, demarches: Iterable[tuple[str, Status, dt.date | None]],
              deadline: dt.date | None) -> list[Readiness]:
    """`demarches` are (key, status, due); returns one entry per pillar, in the pillars' order."""
    done = {p: 0 for p in Pillar}
    total = {p: 0 for p in Pillar}
    if deadline is not None:
        for key, status, due in demarches:
            t = templates.by_key.get(key)
            if t is None or due is None or due > deadline or status is Status.CANCELLED:
                continue
            total[t.pillar] += 1
            if status is Status.COMPLETED:
                done[t.pillar] += 1
    return [Readiness(p, done[p], total[p]) for p in Pillar]
