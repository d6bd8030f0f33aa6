"""Deployment settings: RAJ_* environment variables, or a .env file in the working directory."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def public_url(value: str) -> str | None:
    """RAJ_PUBLIC_URL as the messages use it: an http(s) address with a host and no query or fragment,
    without its trailing slash (the pages' paths are appended: https://raj.example.be/week); "" is unset."""
    v = value.strip()
    if not v:
        return None
    try:
        u = urlsplit(v)
        u.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        u = None
    if u is None or u.scheme not in ("http", "https") or not u.hostname or u.query or u.fragment \
            or u.username or u.password or any(c.isspace() for c in v):
        raise ValueError("must be the web workspace's address, like https://raj.example.be (http or https, "
                         "no query, no password)")
    return v.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAJ_", env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///var/raj.db",
                              description="SQLAlchemy URL of the app's database (SQLite file or PostgreSQL)")
    config_dir: Path = Field(default=PROJECT_ROOT / "config",
                             description="folder holding demarches.yaml, prisons.yaml, closures.yaml, ...")
    timezone: str = "Europe/Brussels"
    today: dt.date | None = Field(default=None,
                                  description="the day the shell and the workspace look at the plans from, instead "
                                              "of today's date (a demo or a training database dated in the past)")
    actor: str | None = Field(default=None, description="who the CLI acts as, recorded in the audit log")
    organisation: str = Field(default="ambulatoire-forest", description="code of the default organisation")
    organisation_name: str = "L'Ambulatoire-Forest"
    organisation_phone: str | None = Field(default=None, max_length=200,
                                           description="the default organisation's phone, on the person's "
                                                       "version of the plan when a worker has no contact")
    secret_key: str | None = Field(default=None, description="signs the web sessions; default: var/secret.key")
    session_idle_minutes: int = Field(default=120, ge=1, le=24 * 60,
                                      description="a web session unused this long ends")
    session_max_hours: int = Field(default=12, ge=1, le=24 * 7,
                                   description="a web session ends this long after its login, used or not")
    secure_cookies: bool = Field(default=False, description="mark cookies Secure: the workspace is served over "
                                                            "HTTPS (behind a TLS reverse proxy)")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                       description="addresses of the reverse proxies whose X-Forwarded-For and "
                                                   "X-Forwarded-Proto are believed (comma-separated)")
    public_url: str | None = Field(default=None,
                                   description="the web workspace's address as its users reach it (e.g. "
                                               "https://raj.example.be): the messages link to its pages; "
                                               "unset, they carry no link")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, v: object) -> object:
        return [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else v

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, v: object) -> object:
        return public_url(v) if isinstance(v, str) else v



@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
