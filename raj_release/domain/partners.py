"""Partner services (CPAS, maisons d'accueil, cure centres, GPs, communes, ...), as the directory
config/partners.yaml describes them, with fields after Open Referral HSDS."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class PartnerContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class Partner(BaseModel):
    """A partner service, with fields after Open Referral (name, type, languages, contact, channels,
    last verified date). `channels` are apprise URLs; `${VAR}` in them is read from the environment at
    delivery time, so that secrets (SMTP passwords, tokens) stay out of the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,59}$")
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    languages: tuple[str, ...] = ("fr",)
    contact: PartnerContact = PartnerContact()
    channels: tuple[str, ...] = ()
    identify_person_by: str | None = Field(default=None, pattern="^(reference|initials)$")
    last_verified: dt.date | None = None

    @property
    def language(self) -> str:
        return "nl" if self.languages and self.languages[0] == "nl" else "fr"
