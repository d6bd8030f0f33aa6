"""Tables of the app's database. Codes (roles, statuses, needs, ...) are stored as their string values; the
domain enums validate them on the way in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Worker(Base):
    __tablename__ = "worker"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    notify: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(String(200))  # phone/e-mail a partner may use
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; None: cannot log in
    feed_secret_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of the calendar feed secret
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # a one-time link to choose one's password (an account created or reset in the web, migration 0009):
    # the sha256 of its secret and when it stops working; cleared once used
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    link_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Person(Base):
    __tablename__ = "person"
    # the file active's counts, filters and sorts, read from the index alone (migration 0008)
    __table_args__ = (Index("ix_person_file_active", "organisation_id", "first_due", "ref", "stage", "prison",
                            "situation", "as_id", "psy_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    prison: Mapped[str | None] = mapped_column(String(40), index=True)  # None: a request from outside
    prison_since: Mapped[dt.date | None] = mapped_column(Date)  # the date of the last transfer
    # the life of the file (DOMAIN.md §8.1): request -> first-meetings -> followed -> closed
    stage: Mapped[str] = mapped_column(String(20), default="followed", index=True)
    origin: Mapped[str] = mapped_column(String(10), default="prison")  # prison | outside
    source: Mapped[str | None] = mapped_column(String(20))  # who made the request (domain Source)
    followed_on: Mapped[dt.date | None] = mapped_column(Date)  # the team meeting that validated the follow-up
    planned: Mapped[bool] = mapped_column(Boolean, default=True)  # the plan is made (démarches exist)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(20))  # domain CloseReason
    not_met_reason: Mapped[str | None] = mapped_column(String(20))  # domain NotMetReason, with not-met
    close_detail: Mapped[str | None] = mapped_column(Text)
    close_to_service: Mapped[str | None] = mapped_column(String(200))  # with handed-over
    stage_before_close: Mapped[str | None] = mapped_column(String(20))  # where reopening returns
    # the contact alert after release (no meeting held): the last reminder and escalation points enqueued
    last_contact_point: Mapped[dt.date | None] = mapped_column(Date)
    last_contact_escalation: Mapped[dt.date | None] = mapped_column(Date)
    # the earliest due date of the open démarches that still apply (None: none dated): kept by the database
    # (triggers on démarche, migration 0008) whoever writes démarches; never written by the application
    first_due: Mapped[dt.date | None] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(2))
    interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    situation: Mapped[str] = mapped_column(String(20))
    procedure: Mapped[str | None] = mapped_column(String(10))
    modality: Mapped[str | None] = mapped_column(String(20))
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    as_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    psy_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    plan_mode: Mapped[str] = mapped_column(String(20), default="full")
    # some démarche was already late when the plan was first made (coordinators' view)
    compressed_at_creation: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change: concurrent-edit check
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    milestones: Mapped[list[Milestone]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                       passive_deletes=True)
    demarches: Mapped[list[Demarche]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                     passive_deletes=True)


class Milestone(Base):
    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("person_id", "kind", name="uq_milestone_person_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    earliest: Mapped[dt.date | None] = mapped_column(Date)
    latest: Mapped[dt.date | None] = mapped_column(Date)
    certainty: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(40))

    person: Mapped[Person] = relationship(back_populates="milestones")


class Demarche(Base):
    __tablename__ = "demarche"
    __table_args__ = (
        UniqueConstraint("person_id", "key", name="uq_demarche_person_key"),
        # the overdue scan and the reminder sweep read open démarches by due date
        Index("ix_demarche_status_due", "status", "due"),
        # a person's démarches; with status and due, the overdue démarches of a set of persons (a worker's,
        # an organisation's) are found in the index without reading the others' rows
        Index("ix_demarche_person_status_due", "person_id", "status", "due"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    due: Mapped[dt.date | None] = mapped_column(Date)
    start: Mapped[dt.date | None] = mapped_column(Date)
    target: Mapped[dt.date | None] = mapped_column(Date)
    anchor: Mapped[str | None] = mapped_column(String(1))
    anchor_source: Mapped[str | None] = mapped_column(String(30))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    compressed: Mapped[bool] = mapped_column(Boolean, default=False)
    late_vs_anchor: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    partner_id: Mapped[str | None] = mapped_column(String(60))
    # open, but no longer applies after a change of what is known of the person: proposed for closing
    # (never deleted); reminders leave it alone until the binôme closes or keeps it
    obsolete: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the last reminder point already put in the outbox, per audience (raj_release/reminders/engine.py)
    last_as_point: Mapped[dt.date | None] = mapped_column(Date)
    last_psy_point: Mapped[dt.date | None] = mapped_column(Date)
    last_escalation_point: Mapped[dt.date | None] = mapped_column(Date)
    last_partner_point: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="demarches")


class Leave(Base):
    """A period outside prison that is not a release: permission de sortie, congé pénitentiaire,
    interruption de l'exécution de la peine, days of détention limitée (DOMAIN.md §8.3)."""

    __tablename__ = "leave"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # domain LeaveKind
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(40))


class Visit(Base):
    """A meeting (rencontre) with the person: planned, then held or not held with a reason (DOMAIN.md §8.2).
    as_id / psy_id: the members of the binôme who take part (one or both)."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_person_day", "person_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(10))  # domain Place
    as_id: Mapped[str | None] = mapped_column(String(40), index=True)
    psy_id: Mapped[str | None] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="planned")  # domain Outcome
    reason: Mapped[str | None] = mapped_column(String(20))  # domain NotHeldReason, with not-held
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who changed what, when, from which value to which. Written in the same transaction as the change.

    person_id is not a foreign key on purpose: the trail of a person outlives a purge of their file.
    """

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(60))
    old: Mapped[Any | None] = mapped_column(JSON)
    new: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A message to deliver. Written in the transaction that decided it; delivered afterwards.

    `key` (recipient, kind, scope, day) is unique: deciding the same reminder twice cannot enqueue it twice.
    A deliverer claims a message by setting `lease_until`; one that dies leaves the lease to expire, and the
    message is delivered again by the next run: at most the message in flight is sent twice.
    `delivered` lists the fingerprints of the channels that already accepted it, so a retry only sends to
    the channels that failed.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(60), index=True)
    recipient_type: Mapped[str] = mapped_column(String(10))  # worker | partner
    role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    items: Mapped[list] = mapped_column(JSON)
    day: Mapped[dt.date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    person_id: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[str | None] = mapped_column(String(40), index=True)  # whose message: its coordinators see it
    status: Mapped[str] = mapped_column(String(10))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered: Mapped[list] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A personal access token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed logins, to slow down guessing per account and per client address; an account's are deleted on
    its successful login."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    client: Mapped[str | None] = mapped_column(String(64), index=True)  # the address the try came from
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in session of the web workspace, kept server-side so that it can be ended: logout, a new
    password, a deactivated account or an administrator's "log out everywhere" end it at once. The cookie
    holds a random token; only its SHA-256 digest is stored."""

    __tablename__ = "web_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Note(Base):
    """A note of the binôme on a person's plan (visible to whoever may read the plan)."""

    __tablename__ = "note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    corrected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # the last correction


class NoteRevision(Base):
    """The earlier text of a note its author corrected, one row per correction: the correction is kept, and
    the text stays with the note (deleted with the person's file), out of the audit log."""

    __tablename__ = "note_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the text before the correction
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # when that text was written
    replaced_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """What the person agreed the binôme may share (issue 12): with one partner of the directory or every
    partner of a type, for one purpose (config/consents.yaml), from `given_on`, optionally `until`; withdrawn
    from `withdrawn_on`, with a reason. Never deleted: a withdrawn consent stays in the register."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str | None] = mapped_column(String(60))
    partner_type: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[dt.date] = mapped_column(Date)
    how: Mapped[str] = mapped_column(String(10))  # domain ConsentHow
    recorded_by: Mapped[str] = mapped_column(String(60))
    until: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Application(Base):
    """One démarche sent to one partner (issue 12 point 4): several partners at once, each with its state
    (domain ApplicationState) and what the partner said (position and expected date on a waiting list, the
    entry or appointment date when accepted, a reason when refused, documents missing, a short message)."""

    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("demarche_id", "partner_id", name="uq_application_demarche_partner"),
                      Index("ix_application_state", "state", "partner_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    demarche_id: Mapped[int] = mapped_column(ForeignKey("demarche.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # the démarche's key (its lists read it without a join)
    partner_id: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)  # the partner's first answer (time to answer)
    state_on: Mapped[dt.date] = mapped_column(Date)  # the day of the latest state
    position: Mapped[int | None] = mapped_column(Integer)  # on the waiting list
    expected: Mapped[dt.date | None] = mapped_column(Date)  # a place expected on (waiting list)
    entry: Mapped[dt.date | None] = mapped_column(Date)  # the entry or appointment date (accepted)
    reason: Mapped[str | None] = mapped_column(Text)  # refused / withdrawn
    documents: Mapped[str | None] = mapped_column(Text)  # documents missing, as the partner wrote them
    message: Mapped[str | None] = mapped_column(Text)  # the partner's latest short message
    answers: Mapped[int] = mapped_column(Integer, default=0)  # how many times the partner answered
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReplyLink(Base):
    """A partner's personal link to answer one application, without an account. Only the SHA-256 of its
    random secret is stored; it stops working at `expires_at`, when the démarche or the file closes, when
    the application is withdrawn, or when the consent that allowed the message ends."""

    __tablename__ = "reply_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DataVersion(Base):
    """One row whose number goes up after every committed unit of work that changed what the coordinators'
    dashboard, caseloads and weeks read (démarches, persons, milestones, meetings, applications, workers, a
    message found undeliverable):
    `Database.transaction()` adds one in a short transaction of its own right after the commit (store/db.py).
    A reader that reads it first and computes after may keep what it computed under that number
    (services/figures.py)."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
