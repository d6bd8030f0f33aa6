"""Reminder policies (config/reminders.yaml), validated like the templates.

A policy lists the *reminder points* of a démarche, all on working days:
- `before_due`: N working days before the due date (default 5 and 1);
- the due day itself (`on_due_day`);
- overdue: the first working day after the due date, then every `overdue_every` working days (default 3);
- escalation to the organisation's coordinators once `escalate_after` working days overdue (default 5), then
  every `escalation_every` working days;
- partner reminders while a démarche is on hold waiting on a partner: `partner.before_due` working days
  before, on the due day, then every `partner.overdue_every` working days overdue.
A démarche template may override any of these fields (`reminders:` in config/demarches.yaml).

`contact_after_release` is not a démarche's policy: after the person's actual release, the binôme is reminded
when no meeting was held for `remind_after` working days, and the coordinators `escalate_after` working days
later (raj_release/reminders/contact.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartnerPolicy(_Strict):
    enabled: bool = True
    before_due: tuple[int, ...] = (3,)
    on_due_day: bool = True
    overdue_every: int = Field(default=5, ge=1, le=60)

    @field_validator("before_due")
    @classmethod
    def _positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        return _check_before(v)


class ReminderPolicy(_Strict):
    before_due: tuple[int, ...] = (5, 1)
    on_due_day: bool = True
    overdue_every: int = Field(default=3, ge=1, le=60)
    escalate_after: int = Field(default=5, ge=1, le=120)
    escalation_every: int = Field(default=5, ge=1, le=120)
    partner: PartnerPolicy = PartnerPolicy()

    @field_validator("before_due")
    @classmethod
    def _positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        return _check_before(v)

    def merged(self, override: dict | None) -> ReminderPolicy:
        """This policy with a template's override applied (validated: unknown fields are errors)."""
        if not override:
            return self
        data = self.model_dump()
        for k, v in override.items():
            if k == "partner" and isinstance(v, dict):
                data["partner"] = {**data["partner"], **v}
            else:
                data[k] = v
        return ReminderPolicy.model_validate(data)


def _check_before(v: tuple[int, ...]) -> tuple[int, ...]:
    if any(x < 1 or x > 120 for x in v):
        raise ValueError("before_due: working days must be between 1 and 120")
    return tuple(sorted(set(v), reverse=True))


class DeliveryPolicy(_Strict):
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_first_seconds: int = Field(default=300, ge=1, le=86400)  # 5 min, then doubling
    backoff_max_seconds: int = Field(default=6 * 3600, ge=1, le=7 * 86400)
    lease_seconds: int = Field(default=120, ge=5, le=3600)  # a claimed message is retried after this
    timeout_seconds: int = Field(default=10, ge=1, le=120)  # apprise cto/rto added to URLs without them

    def backoff(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return min(self.backoff_first_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds)


class ScheduleSettings(_Strict):
    daily_sweep_cron: str = "30 7 * * 1-5"
    outbox_retry_cron: str = "*/15 * * * *"
    weekly_report_cron: str = "0 8 * * 1"
    timezone: str = "Europe/Brussels"


class ContactPolicy(_Strict):
    """The contact alert after release: the link is fragile once the person is out (DOMAIN.md §8.2)."""

    enabled: bool = True
    remind_after: int = Field(default=10, ge=1, le=120)  # working days without a held meeting: the binôme
    escalate_after: int = Field(default=5, ge=1, le=120)  # working days more: the coordinators


class RemindersConfig(_Strict):
    default: ReminderPolicy = ReminderPolicy()
    contact_after_release: ContactPolicy = ContactPolicy()
    delivery: DeliveryPolicy = DeliveryPolicy()
    schedule: ScheduleSettings = ScheduleSettings()
    # how a partner's message names the person: their reference, or their initials when a name is known
    partner_identifies_person_by: str = Field(default="reference", pattern="^(reference|initials)$")
