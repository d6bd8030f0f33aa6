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
    SEJOUR = "sejour"  # no legal stay: eID, mutuelle and RIS do not apply as for others (DOMAIN.md §8.4)
    FAMILY = "family"  # the person wishes a family meeting (opt-in, DOMAIN.md §8.6)


class Stage(StrEnum):
    """Where a file stands (DOMAIN.md §8.1): a request, first meetings, a follow-up validated in team
    meeting, or closed."""

    REQUEST = "request"
    FIRST_MEETINGS = "first-meetings"
    FOLLOWED = "followed"
    CLOSED = "closed"


class Origin(StrEnum):
    """Where the request comes from: a prison, or outside (« hors établissement »: no prison then)."""

    PRISON = "prison"
    OUTSIDE = "outside"


class Source(StrEnum):
    """Who made the request (DOMAIN.md §8.1, S2 ~l.839)."""

    PERSON = "person"  # the person, by billet de rapport
    FAMILY = "family"
    LAWYER = "lawyer"
    SPS = "sps"  # the prison's service psychosocial
    SERVICE = "service"  # another service
    OTHER = "other"


class CloseReason(StrEnum):
    """Why a file is closed."""

    FINISHED = "finished"  # accompaniment finished
    HANDED_OVER = "handed-over"  # to another service (which one is recorded)
    TRANSFERRED_OUT = "transferred-out"  # transferred outside Brussels
    REFUSED = "refused"
    DECEASED = "deceased"
    NOT_MET = "not-met"  # a request that ended without being met (see NotMetReason)
    OTHER = "other"


class NotMetReason(StrEnum):
    """Why a request ended without being met (S2 ~l.1795)."""

    RELEASE = "release"
    TRANSFER = "transfer"
    REFUSAL = "refusal"
    ELSEWHERE = "elsewhere"  # another follow-up set up with another institution
    LOST_INTEREST = "lost-interest"
    NO_REQUEST = "no-request"  # no more request


class LeaveKind(StrEnum):
    """A period outside prison that is not a release (DOMAIN.md §8.3)."""

    PS = "ps"  # permission de sortie
    CP = "cp"  # congé pénitentiaire
    IEP = "iep"  # interruption de l'exécution de la peine
    DL = "dl"  # détention limitée (days outside)


class Place(StrEnum):
    """Where a meeting (rencontre) takes place (S2 ~l.2296)."""

    PRISON = "prison"
    SERVICE = "service"  # in the service's premises
    OUTSIDE = "outside"
    REMOTE = "remote"  # by telephone or video


class Outcome(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    NOT_HELD = "not-held"


class NotHeldReason(StrEnum):
    """Why a meeting did not take place (S2 ~l.1905)."""

    REFUSAL = "refusal"
    STRIKE = "strike"  # strike or lockdown (« grèves et mouvements intra-muros »)
    TRANSFER = "transfer"
    RELEASE = "release"
    ABSENT = "absent"
    OTHER = "other"


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
    CANCELLED = "cancelled"  # never sent: the consent it needed was withdrawn or expired (issue 12)


class MessageKind(StrEnum):
    DIGEST = "digest"  # a worker's daily reminders
    ESCALATION = "escalation"  # overdue démarches signalled to the coordinators
    PLAN_MOVED = "plan_moved"  # a key date moved the plan
    PARTNER = "partner"  # a partner's reminder
    PARTNER_DATE = "partner_date"  # the date wished from a partner is past: the responsible worker sets a new one
    REPORT = "report"  # the coordinators' weekly report
    CONTACT = "contact"  # no meeting held for too long after the release
    REQUEST = "request"  # a démarche sent to a partner (an application), with the partner's reply link
    WITHDRAWAL = "withdrawal"  # an application withdrawn: the partner is told, in a short message
    ANSWER = "answer"  # a partner answered through its reply link: the binôme hears at once


class ApplicationState(StrEnum):
    """Where one application of a démarche to one partner stands (issue 12 point 4)."""

    SENT = "sent"
    WAITLIST = "waitlist"  # on the partner's waiting list (position and/or expected date)
    ACCEPTED = "accepted"  # with an appointment or entry date
    REFUSED = "refused"  # with the partner's reason
    WITHDRAWN = "withdrawn"  # by the binôme (another partner accepted, the plan changed)


class PartnerAnswer(StrEnum):
    """What a partner may answer from its reply link."""

    ACCEPTED = "accepted"
    WAITLIST = "waitlist"
    REFUSED = "refused"
    DOCUMENTS = "documents"  # documents missing (which)
    MESSAGE = "message"  # a short message


class ConsentHow(StrEnum):
    """How a consent was given."""

    SIGNED = "signed"  # a signed form
    ORAL = "oral"  # orally, in the presence of both members of the binôme


def parse_code(enum: type[StrEnum], value: str, field: str):
    """`value` as a member of `enum`, or a one-line error naming the field and the allowed codes."""
    try:
        return enum(value)
    except ValueError:
        raise RajError("unknown value '{value}'; use one of {allowed}", field=field, value=value,
                       allowed=[e.value for e in enum]) from None
