"""/api/week: the binôme's week (services/week.py), as documented response models."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import Field

from raj_release.domain.enums import ApplicationState, Certainty, MilestoneKind, Outcome, Place, Status
from raj_release.services.views import View
from raj_release.services.week import MeetingItem, WeekItem, my_week
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


class WeekApplicationView(View):
    partner: str = Field(description="the partner of the directory the démarche was sent to")
    state: ApplicationState = Field(description="where the application stands")
    position: int | None = Field(description="the place on the waiting list, if the partner gave one")


class WeekItemView(View):
    person: str = Field(description="the person's reference")
    demarche: str = Field(description="the démarche's key in config/demarches.yaml")
    label: str = Field(description="its label in the viewer's language")
    due: dt.date
    status: Status
    partner: str | None = Field(description="the partner it waits on (on-hold)")
    version: int = Field(description="the person's version: send it back to change the démarche")
    days_late: int = Field(ge=0, description="calendar days past the due date; 0 when not yet due (kept for "
                                             "compatibility: lateness is counted in late_working_days)",
                           json_schema_extra={"deprecated": True})
    late_working_days: int = Field(ge=0, description="working days past the due date, on the organisation's "
                                                     "calendar (Belgian holidays and its closures); 0 when not "
                                                     "overdue: the unit the pages show")
    applications: list[WeekApplicationView] = Field(default_factory=list, description=(
        "on hold: the partners the démarche was sent to and where each application stands (withdrawn ones "
        "left out); empty otherwise"))


class WeekMilestoneView(View):
    person: str = Field(description="the person's reference")
    kind: MilestoneKind
    date: dt.date
    certainty: Certainty


class WeekMeetingView(View):
    person: str = Field(description="the person's reference")
    id: int = Field(description="the meeting's id: PATCH /api/persons/{person}/visits/{id} records its outcome")
    day: dt.date
    place: Place
    as_id: str | None = Field(serialization_alias="as", description="the AS taking part, if any")
    psy_id: str | None = Field(serialization_alias="psy", description="the psychologue taking part, if any")
    outcome: Outcome


class WeekView(View):
    today: dt.date = Field(description="the day the week is seen from (as_of)")
    week_end: dt.date = Field(description="the Sunday of this week")
    overdue: list[WeekItemView] = Field(description="open démarches due before today, those waiting on a partner "
                                                    "included: the same set as the dashboard's and the digest's")
    due_today: list[WeekItemView] = Field(description="open démarches due today (the digest's « aujourd'hui »), "
                                                      "those waiting on a partner included")
    this_week: list[WeekItemView] = Field(description="open démarches due after today up to week_end, not on hold")
    on_hold: list[WeekItemView] = Field(description="démarches waiting on a partner and not yet due (due after "
                                                    "today); the overdue ones are in overdue, today's in due_today")
    milestones: list[WeekMilestoneView] = Field(description="key dates of the next 60 days, intake excepted")
    meetings: list[WeekMeetingView] = Field(description="this week's meetings (Monday to Sunday)")
    to_record: list[WeekMeetingView] = Field(description="meetings before this week still 'planned': their "
                                                         "outcome is to be recorded")


def _meeting(i: MeetingItem) -> WeekMeetingView:
    return WeekMeetingView(person=i.ref, id=i.id, day=i.day, place=i.place, as_id=i.as_id, psy_id=i.psy_id,
                           outcome=i.outcome)


def _item(i: WeekItem) -> WeekItemView:
    return WeekItemView(person=i.ref, demarche=i.key, label=i.label, due=i.due, status=i.status, partner=i.partner,
                        version=i.version, days_late=max(0, i.days_late), late_working_days=i.late_working_days,
                        applications=[WeekApplicationView(partner=a.partner, state=a.state, position=a.position)
                                      for a in i.applications])


@router.get("/week", summary="My week: overdue, due today, due this week, waiting on a partner, key dates coming "
                             "up, meetings",
            response_model=WeekView)
def week(ctx: Ctx, v: Me, as_of: AsOf = None) -> WeekView:
    w = my_week(ctx, v, today(ctx, as_of))
    return WeekView(today=w.today, week_end=w.week_end, overdue=[_item(i) for i in w.overdue],
                    due_today=[_item(i) for i in w.due_today],
                    this_week=[_item(i) for i in w.this_week], on_hold=[_item(i) for i in w.on_hold],
                    milestones=[WeekMilestoneView(person=ref, kind=kind, date=day, certainty=certainty)
                                for ref, kind, day, certainty in w.milestones],
                    meetings=[_meeting(i) for i in w.meetings], to_record=[_meeting(i) for i in w.to_record])
