"""The outbox: enqueue messages in the deciding transaction, deliver them afterwards, never lose one.

Delivery claims one message at a time with a lease (a short transaction), sends it to each of its
recipient's channels that has not accepted it yet, then records the outcome (another short transaction).
A deliverer killed between sending and recording leaves a lease that expires: the message is sent again by
the next run, so a crash re-sends at most the message in flight. Failures back off exponentially; after
`max_attempts` the message is dead and shows up for the coordinators.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import Field
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from raj_release.domain.enums import MessageKind, OutboxStatus, parse_code
from raj_release.notify import channels
from raj_release.reminders.messages import Message
from raj_release.services.context import Context
from raj_release.services.views import View
from raj_release.store import models as m


def enqueue(s: Session, ctx: Context, messages: Iterable[Message], not_before: dt.datetime | None = None,
            existing: set[str] | None = None) -> list[Message]:
    """Insert messages whose key is not in the outbox yet; returns those inserted.

    Idempotent in the database, not only in this process: the rows go in with `INSERT ... ON CONFLICT (key)
    DO NOTHING` (PostgreSQL; `INSERT OR IGNORE` on SQLite) and `RETURNING key`, so two sweeps of the same day
    racing past the key check never fail on the unique key: on PostgreSQL the second waits for the first's
    transaction and inserts nothing of what it committed. `existing`: keys known to be there (skipped)."""
    msgs = list(messages)
    if not msgs:
        return []
    known = set(existing or ())
    now = ctx.now()
    rows, first = [], {}
    for msg in msgs:
        if msg.idempotency_key in known or msg.idempotency_key in first:
            continue
        first[msg.idempotency_key] = msg
        rows.append(dict(
            key=msg.idempotency_key, recipient=msg.recipient,
            recipient_type="partner" if msg.role == "partner" else "worker", role=msg.role, kind=msg.kind,
            language=msg.language, subject=msg.subject[:300], body=msg.body, items=list(msg.items), day=msg.day,
            urgent=msg.urgent, person_id=msg.person_id, organisation=msg.organisation, status=OutboxStatus.PENDING.value, attempts=0,
            next_attempt_at=now if (msg.urgent or not_before is None) else max(now, not_before),
            lease_until=None, delivered=[], created_at=now))
    if not rows:
        return []
    insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(m.OutboxMessage).on_conflict_do_nothing(index_elements=["key"]).returning(m.OutboxMessage.key)
    inserted = set(s.scalars(stmt, rows))
    return [msg for key, msg in first.items() if key in inserted]


REPLY_LINK = re.compile(r"(/r/)[A-Za-z0-9_-]{20,}")


def redact_links(body: str) -> str:
    """A sent message's reply-link secrets blanked out: the outbox keeps what was said, not a working link
    (only the link's SHA-256 is kept, in reply_link)."""
    return REPLY_LINK.sub(r"\1…", body)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"sent": self.sent, "retried": self.retried, "dead": self.dead, "errors": self.errors}


def _claim(ctx: Context, now: dt.datetime, lease: int) -> tuple[int, list[str], str, str] | None:
    """Lease the next deliverable message; returns (id, channel URLs, subject, body) or None."""
    with ctx.db.transaction() as s:
        q = (select(m.OutboxMessage)
             .where(m.OutboxMessage.status == OutboxStatus.PENDING.value, m.OutboxMessage.next_attempt_at <= now,
                    or_(m.OutboxMessage.lease_until.is_(None), m.OutboxMessage.lease_until < now))
             .order_by(m.OutboxMessage.urgent.desc(), m.OutboxMessage.next_attempt_at, m.OutboxMessage.id)
             .limit(1))
        if s.bind.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        while True:
            msg = s.scalar(q)
            if msg is None:
                return None
            if not _still_allowed(s, ctx, msg, now):
                continue  # cancelled: the consent it needed was withdrawn or expired
            break
        msg.lease_until = now + dt.timedelta(seconds=lease)
        msg.attempts += 1
        urls = _channels(s, ctx, msg)
        return msg.id, urls, msg.subject, msg.body


def _still_allowed(s: Session, ctx: Context, msg: m.OutboxMessage, now: dt.datetime) -> bool:
    """A partner's message about a person goes only while a current consent covers it (checked again at
    delivery: a consent withdrawn or expired since the message was decided stops it). One that no longer
    may go is cancelled (status cancelled, never sent)."""
    if msg.recipient_type != "partner" or msg.person_id is None:
        return True
    from raj_release.services.consents import grants_of, message_allowed

    today = now.astimezone(zoneinfo.ZoneInfo(ctx.settings.timezone)).date()
    grants = grants_of(s, [msg.person_id]).get(msg.person_id, [])
    if message_allowed(ctx, grants, msg.recipient, msg.items or [], today):
        return True
    msg.status, msg.lease_until = OutboxStatus.CANCELLED.value, None
    msg.last_error = "cancelled: no current consent covers this partner"
    s.flush()
    return False


def _channels(s: Session, ctx: Context, msg: m.OutboxMessage) -> list[str]:
    if msg.recipient_type == "partner":
        p = ctx.config.partners.get(msg.recipient)
        return list(p.channels) if p else []
    w = s.get(m.Worker, msg.recipient)
    return list(w.notify or []) if w is not None and w.active else []


def deliver(ctx: Context, now: Callable[[], dt.datetime] | None = None, limit: int | None = None,
            send: Callable[..., channels.Result] = channels.send) -> DeliveryReport:
    """Deliver every message due now (or `limit` of them)."""
    pol = ctx.config.reminders.delivery
    clock = now or ctx.now
    report = DeliveryReport()
    done = 0
    while limit is None or done < limit:
        t = clock()
        claimed = _claim(ctx, t, pol.lease_seconds)
        if claimed is None:
            break
        done += 1
        msg_id, urls, subject, body = claimed
        with ctx.db.transaction() as s:  # read what earlier attempts delivered (short read)
            delivered = set(s.get(m.OutboxMessage, msg_id).delivered or [])
        ok_now, errors = [], []
        if not urls:
            errors.append("no channel configured for this recipient")
        for url in urls:
            fp = channels.fingerprint(url)
            if fp in delivered:
                continue
            r = send(url, subject, body, pol.timeout_seconds)
            if r.ok:
                ok_now.append(fp)
            else:
                errors.append(r.error or "delivery failed")
        with ctx.db.transaction() as s:
            msg = s.get(m.OutboxMessage, msg_id)
            msg.delivered = sorted(delivered | set(ok_now))
            msg.lease_until = None
            if not errors:
                msg.status, msg.sent_at, msg.last_error = OutboxStatus.SENT.value, clock(), None
                msg.body = redact_links(msg.body)  # the reply link's secret lives on in the partner's mailbox only
                report.sent += 1
            else:
                msg.last_error = "; ".join(errors)[:500]
                for e in errors:
                    report.errors[e] = report.errors.get(e, 0) + 1
                if msg.attempts >= pol.max_attempts:
                    msg.status = OutboxStatus.DEAD.value
                    report.dead += 1
                    ctx.db.changed()  # the coordinators' dashboard lists it
                else:
                    msg.next_attempt_at = clock() + dt.timedelta(seconds=pol.backoff(msg.attempts))
                    report.retried += 1
    return report


class OutboxRow(View):
    id: int
    key: str = Field(description="idempotency key: recipient, kind, scope and day")
    recipient: str
    role: str
    kind: MessageKind
    language: str
    subject: str
    day: dt.date
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    sent_at: dt.datetime | None
    urgent: bool
    items: list


def _row(o: m.OutboxMessage) -> OutboxRow:
    return OutboxRow.model_construct(
        id=o.id, key=o.key, recipient=o.recipient, role=o.role, kind=MessageKind(o.kind), language=o.language,
        subject=o.subject, day=o.day, status=OutboxStatus(o.status), attempts=o.attempts,
        next_attempt_at=o.next_attempt_at, last_error=o.last_error, sent_at=o.sent_at, urgent=o.urgent,
        items=list(o.items or []))


def list_outbox(ctx: Context, status: str | None = None, limit: int = 500) -> list[OutboxRow]:
    st = parse_code(OutboxStatus, status, "status") if status is not None else None
    q = select(m.OutboxMessage).order_by(m.OutboxMessage.id.desc()).limit(limit)
    if st is not None:
        q = q.where(m.OutboxMessage.status == st.value)
    with ctx.db.reading() as s:
        return [_row(o) for o in s.scalars(q)]


def sent_on(ctx: Context, day: dt.date, *, kinds: frozenset[MessageKind] | None = None
            ) -> list[tuple[OutboxRow, str]]:
    """The messages of `day` that were sent, with their bodies (what `raj demo-sweep` prints), by kind and
    recipient."""
    q = select(m.OutboxMessage).where(m.OutboxMessage.day == day, m.OutboxMessage.status == OutboxStatus.SENT.value)
    if kinds is not None:
        q = q.where(m.OutboxMessage.kind.in_([k.value for k in kinds]))
    with ctx.db.reading() as s:
        rows = [(_row(o), o.body) for o in s.scalars(q)]
    return sorted(rows, key=lambda r: (r[0].kind.value, r[0].recipient))


def outbox_counts(ctx: Context) -> dict[str, int]:
    with ctx.db.reading() as s:
        rows = s.execute(select(m.OutboxMessage.status, func.count()).group_by(m.OutboxMessage.status)).all()
    return {st.value: 0 for st in OutboxStatus} | {st: n for st, n in rows}


# The one concurrency policy of delivery (docs/operations.md): every scheduled delivery (the daily sweep's
# step, outbox-retry, the weekly report's step) takes one of DELIVERERS slots shared through the app's
# database, whatever host or flow it runs in. A run finding them all taken waits up to SLOT_WAIT_SECONDS,
# then ends without delivering: those holding the slots deliver everything due until nothing is, so
# nothing waits for it. A slot of a killed deliverer is free at once (a lost host's in about a minute): it
# is a database session's lock, not a lease. Correctness never depended on it (messages are claimed with
# leases); the limit keeps the channels' and the database's load predictable.
DELIVERERS = 2
SLOT_WAIT_SECONDS = 120.0


def deliver_in_turn(ctx: Context, deliverers: int = DELIVERERS, wait_seconds: float = SLOT_WAIT_SECONDS,
                    **kwargs) -> DeliveryReport | None:
    """`deliver(ctx, **kwargs)` in one of the `deliverers` delivery slots; None if none came free in time."""
    from raj_release.store.slots import slot

    with slot(ctx.db.engine, "raj-delivery", deliverers, wait_seconds) as got:
        if got is None:
            return None
        return deliver(ctx, **kwargs)
