"""The closed vocabularies of the domain (shared/DOMAIN.md §1, §7).

Values are the codes used on the command line, in JSON and in the database; they never change once data
exists (labels can).
"""

from enum import StrEnum

from raj_release.errors import RajError


class Role(StrEnum):
    AS = "as"  # assistant social
    PSY = "psy"  # psychologue
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Language(StrEnum):
    FR = "fr"
    NL = "nl"


class Situation(StrEnum):
    PREVENU = "prevenu"  # détention préventive: no TAP, release date unknowable
    CONDAMNE = "condamne"


class Procedure(StrEnum):
    TAP = "tap"
    JAP = "jap"


class Modality(StrEnum):
    """The modality of release the person seeks."""

    LC = "lc"  # libération conditionnelle
    SE = "se"  # surveillance électronique
    DL = "dl"  # détention limitée
    FOND_DE_PEINE = "fond_de_peine"


class Need(StrEnum):
    HOUSING = "housing"
    CURE = "cure"
    SUBSTITUTION = "substitution"
    MEDICAL = "medical"
    INCOME = "income"
    TRAINING = "training"
    DEBTS = "debts"


class MilestoneKind(StrEnum):
    INTAKE = "intake"
    TAP_HEARING = "tap_hearing"
    EXPECTED_RELEASE = "expected_release"
    ACTUAL_RELEASE = "actual_release"
    FOND_DE_PEINE = "fond_de_peine"
    ADMISSIBILITY_LC = "admissibility_lc"
    ADMISSIBILITY_SE = "admissibility_se"
    ADMISSIBILITY_DL = "admissibility_dl"
    ADMISSIBILITY_CP = "admissibility_cp"
    ADMISSIBILITY_PS = "admissibility_ps"


class Certainty(StrEnum):
    CONFIRMED = "confirmed"
    EXPECTED = "expected"
    ESTIMATED = "estimated"


class Anchor(StrEnum):
    """What a template's offset counts from (DESIGN.md "Scheduling semantics")."""

    T = "T"  # TAP/JAP hearing
    R = "R"  # expected release
    J = "J"  # actual release
    I = "I"  # intake  # noqa: E741 - the letter the domain uses


class OffsetUnit(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


class Responsible(StrEnum):
    AS = "AS"
    PSY = "PSY"
    BIN = "BIN"  # the binôme together
    PARTNER = "partner"


class Pillar(StrEnum):
    IDENTITE = "identite"
    REVENUS = "revenus"
    LOGEMENT = "logement"
    SOINS = "soins"
    OCCUPATION = "occupation"
    JUSTICE = "justice"


class InDetention(StrEnum):
    """Whether the démarche can be done during detention (DOMAIN.md §7 "In det.")."""

    YES = "yes"
    PARTLY = "partly"  # needs a PS/CP or a visit
    NO = "no"


class Status(StrEnum):
    """FHIR Task's words where they fit."""

    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"  # waiting on a partner
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # not applicable, with a reason
    FAILED = "failed"  # with a reason


class OutboxStatus(StrEnum):
    """Where a message of the outbox stands."""

    PENDING = "pending"  # waiting for (another) delivery attempt
    SENT = "sent"
    DEAD = "dead"  # given up after too many failures


class MessageKind(StrEnum):
    DIGEST = "digest"  # a worker's daily reminders
    ESCALATION = "escalation"  # overdue démarches signalled to the coordinators
    PLAN_MOVED = "plan_moved"  # a key date moved the plan
    PARTNER = "partner"  # a partner's reminder
    REPORT = "report"  # the coordinators' weekly report


def parse_code(enum: type[StrEnum], value: str, field: str):
    """`value` as a member of `enum`, or a one-line error naming the field and the allowed codes."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise RajError(f"unknown value {value!r}; use one of {allowed}", field=field) from None
