"""/api consents and applications (issue 12 points 1, 2 and 4): a person's consent register (record, withdraw),
what the plan lacks, and the applications of a démarche sent to several partners at once with their states.

Refusals as everywhere in the API: 422 for bad input (an unknown purpose, a partner no consent covers), 404 for a
person out of one's scope, a consent or an application that is not there, 409 for a change the state forbids
(a consent withdrawn twice, a démarche already sent to that partner)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import ApplicationState, ConsentHow
from raj_release.services.applications import ApplicationView, applications_of, apply, set_state, withdraw_others
from raj_release.services.consents import ConsentsView, ConsentView, consents_of, grant, withdraw
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()

Id = Annotated[str, Field(min_length=1, max_length=60)]


class ConsentNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner: Id | None = Field(default=None, description="a partner of the directory (config/partners.yaml); "
                                                         "give it or partner_type, not both")
    partner_type: Id | None = Field(default=None, description="every partner of this type (a code of "
                                                              "config/demarches.yaml partner_types)")
    purpose: str = Field(max_length=40, description="the purpose of sharing (config/consents.yaml: identity, "
                                                    "income, housing, care, training, justice, family)")
    date: Day | None = Field(default=None, description="the day it was given (default: today); not after today")
    until: Day | None = Field(default=None, description="the last day it holds, if given for a time")
    how: ConsentHow = Field(default=ConsentHow.SIGNED, description="signed (a signed form) or oral (in the "
                                                                   "presence of both binôme members)")


class ConsentWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000, description="why the person withdrew it (required)")
    date: Day | None = Field(default=None, description="the day it stops holding (default: today)")


class ApplicationsNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partners: list[Id] = Field(min_length=1, max_length=20, description=(
        "the partners to send the démarche to, of its partner types; each must be covered by a current consent "
        "for the démarche's purpose (422 naming the one that is not; nothing is sent)"))


class ApplicationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: ApplicationState = Field(description="where the application stands now")
    date: Day | None = Field(default=None, description="accepted: the entry or appointment date (pins the démarche); "
                                                       "waitlist: the day a place is expected")
    position: int | None = Field(default=None, ge=1, le=10_000, description="the place on the waiting list")
    reason: str | None = Field(default=None, max_length=1000, description="required for refused; for withdrawn")


class OthersWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=1000, description="default: another partner accepted")


@router.get("/persons/{ref}/consents", response_model=ConsentsView,
            summary="A person's consent register, and the démarches that lack a consent")
def list_consents(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> ConsentsView:
    return consents_of(ctx, ref, today=today(ctx, as_of), viewer=v)


@router.post("/persons/{ref}/consents", response_model=ConsentView,
             summary="Record a consent the person gave, for a partner or a partner type and a purpose")
def new_consent(ref: str, body: ConsentNew, ctx: Ctx, v: Me, as_of: AsOf = None) -> ConsentView:
    return grant(ctx, ref, purpose=body.purpose, partner=body.partner, partner_type=body.partner_type,
                 given_on=body.date, until=body.until, how=body.how.value, today=today(ctx, as_of), actor=v.id,
                 viewer=v)


@router.post("/persons/{ref}/consents/{consent_id}/withdraw", response_model=ConsentView,
             summary="Withdraw a consent (what waits in the outbox for the partners it covered is cancelled)")
def withdraw_consent(ref: str, consent_id: Annotated[int, Path(ge=1, le=2**31)], body: ConsentWithdrawal, ctx: Ctx,
                     v: Me, as_of: AsOf = None) -> ConsentView:
    return withdraw(ctx, ref, consent_id, reason=body.reason, on=body.date, today=today(ctx, as_of), actor=v.id,
                    viewer=v)


@router.get("/persons/{ref}/applications", response_model=list[ApplicationView],
            summary="A person's applications to partners (of one démarche with key), by démarche then date sent")
def list_applications(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None,
                      key: Annotated[str | None, Query(max_length=40, description="a démarche's key")] = None,
                      ) -> list[ApplicationView]:
    return applications_of(ctx, ref, key, today=today(ctx, as_of), viewer=v)


@router.post("/persons/{ref}/demarches/{key}/applications", response_model=list[ApplicationView],
             summary="Send a démarche to several partners at once: an application and a request to each")
def send_applications(ref: str, key: str, body: ApplicationsNew, ctx: Ctx, v: Me,
                      as_of: AsOf = None) -> list[ApplicationView]:
    return apply(ctx, ref, key, list(body.partners), today=today(ctx, as_of), actor=v.id, viewer=v)


@router.post("/persons/{ref}/demarches/{key}/applications/withdraw-others", response_model=list[ApplicationView],
             summary="Once a partner accepted: withdraw the démarche's other open applications in one step")
def withdraw_other_applications(ref: str, key: str, body: OthersWithdrawal, ctx: Ctx, v: Me,
                                as_of: AsOf = None) -> list[ApplicationView]:
    return withdraw_others(ctx, ref, key, reason=body.reason, today=today(ctx, as_of), actor=v.id, viewer=v)


@router.post("/persons/{ref}/demarches/{key}/applications/{partner}", response_model=ApplicationView,
             summary="Record where an application stands (waiting list, accepted, refused, withdrawn)")
def change_application(ref: str, key: str, partner: str, body: ApplicationChange, ctx: Ctx, v: Me,
                       as_of: AsOf = None) -> ApplicationView:
    return set_state(ctx, ref, key, partner, body.state.value, on=body.date, position=body.position,
                     reason=body.reason, today=today(ctx, as_of), actor=v.id, viewer=v)
