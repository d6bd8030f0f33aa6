"""Deployment settings: RAJ_* environment variables, or a .env file in the working directory."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAJ_", env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///var/raj.db",
                              description="SQLAlchemy URL of the app's database (SQLite file or PostgreSQL)")
    config_dir: Path = Field(default=PROJECT_ROOT / "config",
                             description="folder holding demarches.yaml, prisons.yaml, closures.yaml, ...")
    timezone: str = "Europe/Brussels"
    actor: str | None = Field(default=None, description="who the CLI acts as, recorded in the audit log")
    organisation: str = Field(default="ambulatoire-forest", description="code of the default organisation")
    organisation_name: str = "L'Ambulatoire-Forest"
    secret_key: str | None = Field(default=None, description="signs the web sessions; default: var/secret.key")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
