"""Partner services (CPAS, maisons d'accueil, cure centres, GPs, communes, ...), as the directory
config/partners.yaml describes them, with fields after Open Referral HSDS: its `service_capacity` (unit,
available, maximum, updated) and its `assured_date` + `assurer_email` (when the entry was last verified, and by
whom). A directory is only trusted while someone checks it: an entry not verified for 12 months is *stale*."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from raj_release.domain.models import Labels

STALE_AFTER_MONTHS = 12  # an entry last verified more than this many months ago is « à vérifier »


class PartnerContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class Capacity(BaseModel):
    """What a partner can take, after HSDS `service_capacity`: `available` of `maximum` places (beds in a
    maison d'accueil or a cure centre), as counted on `updated`. `unit` says what is counted, in both
    languages ({fr: « lits d'hébergement », nl: « opvangbedden »}); without it the pages say « places »."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    unit: Labels | None = None
    available: int = Field(ge=0, strict=True)
    maximum: int = Field(ge=1, strict=True)
    updated: dt.date

    @model_validator(mode="after")
    def _available_within_maximum(self) -> Capacity:
        if self.available > self.maximum:
            raise ValueError(f"available ({self.available}) is more than maximum ({self.maximum}); "
                             "write the free places as available and the total as maximum")
        return self


class Partner(BaseModel):
    """A partner service, with fields after Open Referral (name, type, languages, contact, channels,
    capacity, last verified date and by whom). `channels` are apprise URLs; `${VAR}` in them is read from the
    environment at delivery time, so that secrets (SMTP passwords, tokens) stay out of the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,59}$")
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    languages: tuple[str, ...] = ("fr",)
    contact: PartnerContact = PartnerContact()
    channels: tuple[str, ...] = ()
    identify_person_by: str | None = Field(default=None, pattern="^(reference|initials)$")
    capacity: Capacity | None = None
    last_verified: dt.date | None = None
    verified_by: str | None = Field(default=None, min_length=1, max_length=200)  # a name or an e-mail address

    @field_validator("verified_by")
    @classmethod
    def _verified_on_a_day(cls, value: str | None, info: ValidationInfo) -> str | None:
        # last_verified is declared first, so it is in info.data when it was valid
        if value is not None and info.data.get("last_verified") is None and "last_verified" in info.data:
            raise ValueError("given without last_verified; write the day of that verification as "
                             "last_verified: YYYY-MM-DD")
        return value

    @property
    def language(self) -> str:
        return "nl" if self.languages and self.languages[0] == "nl" else "fr"


def verification_due(partner: Partner, months: int = STALE_AFTER_MONTHS) -> dt.date | None:
    """The last day the entry still counts as verified: `months` calendar months after its last verification
    (31/03 + 12 months is 31/03 of the next year; 29/02 + 12 months is 28/02). None when never verified."""
    if partner.last_verified is None:
        return None
    return partner.last_verified + relativedelta(months=months)


def verification_age_days(partner: Partner, today: dt.date) -> int | None:
    """Days since the entry was last verified (0 for a verification dated after `today`); None if never."""
    if partner.last_verified is None:
        return None
    return max(0, (today - partner.last_verified).days)


def is_stale(partner: Partner, today: dt.date, months: int = STALE_AFTER_MONTHS) -> bool:
    """Never verified, or last verified more than `months` months before `today`: verified on 07/12/2025, an
    entry is still trusted on 07/12/2026 and stale from 08/12/2026."""
    due = verification_due(partner, months)
    return due is None or today > due


def verification_age(partner: Partner, today: dt.date) -> tuple[str, int] | None:
    """How long ago the entry was verified, for words: ("days", n) within the first month, ("months", n) up to
    two years, ("years", n) beyond; whole units, counted down (11 months and 29 days is 11 months, so that
    « 12 mois » is never said of an entry that is not yet 12 months old). None when never verified."""
    if partner.last_verified is None:
        return None
    if partner.last_verified >= today:
        return ("days", 0)
    gap = relativedelta(today, partner.last_verified)
    months = gap.years * 12 + gap.months
    if months == 0:
        return ("days", (today - partner.last_verified).days)
    if months < 24:
        return ("months", months)
    return ("years", gap.years)
