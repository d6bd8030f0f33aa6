"""Enqueueing is idempotent in the database (issue 13 point 2): two sweeps of the same day racing past the
key check never fail on the outbox's unique key, and each message is enqueued once.

On PostgreSQL the race is real: both transactions are open and have decided their messages before either
inserts (a barrier holds them there), so the second INSERT waits for the first transaction's commit and then
inserts nothing (ON CONFLICT DO NOTHING). SQLite serialises write transactions (BEGIN IMMEDIATE), so there the
sweeps cannot overlap; what can still happen is a key check that saw nothing, which `existing=set()` forces.
"""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from raj_release.reminders.messages import Message
from raj_release.services import outbox
from raj_release.services.milestones import set_milestone
from raj_release.services.persons import register_person
from raj_release.services.reminders import sweep
from raj_release.services.workers import register_worker
from raj_release.store import models as m

DAY = dt.date(2026, 11, 23)
SWEEP_DAY = dt.date(2027, 3, 8)  # a Monday: démarches of the persons below are overdue


def _messages(n: int) -> list[Message]:
    return [Message(f"as.race-{i % 3}", "as", "digest", "fr", f"Rappels ({i})", "fictif", (), DAY, f"race-{i}")
            for i in range(n)]


def _keys(c) -> list[str]:
    with c.db.reading() as s:
        return list(s.scalars(sa.select(m.OutboxMessage.key).order_by(m.OutboxMessage.key)))


def test_an_enqueue_whose_key_check_saw_nothing_inserts_nothing_twice(ctx):
    msgs = _messages(5)
    with ctx.db.transaction() as s:
        assert outbox.enqueue(s, ctx, msgs[:3], existing=set()) == msgs[:3]
    with ctx.db.transaction() as s:  # a second sweep that believed none of them was there
        again = outbox.enqueue(s, ctx, msgs, existing=set())
    assert again == msgs[3:]
    assert _keys(ctx) == sorted(x.idempotency_key for x in msgs)
    # the same key twice in one batch goes in once, as the first message of the batch
    dup = Message("as.race-0", "as", "digest", "fr", "autre", "fictif", (), DAY, "race-new")
    with ctx.db.transaction() as s:
        assert outbox.enqueue(s, ctx, [dup, dup]) == [dup]
    assert len(_keys(ctx)) == 6


def _race(n_threads: int, work) -> list:
    """Run work(i) on n threads started together; the results, or the exception each raised."""
    results: list = [None] * n_threads

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as e:  # noqa: BLE001 - reported by the test's assertion
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing transaction never finished"
    return results


def test_two_transactions_enqueueing_the_same_messages_at_once_each_message_once(ctx, backend):
    msgs = _messages(40)
    both_open = threading.Barrier(2, timeout=30)

    def work(_i: int) -> list[Message]:
        if backend == "sqlite":  # the write lock is taken at BEGIN: the second waits for the first's commit
            both_open.wait()
            with ctx.db.transaction() as s:
                return outbox.enqueue(s, ctx, msgs, existing=set())
        with ctx.db.transaction() as s:
            s.execute(sa.select(m.OutboxMessage.key).where(m.OutboxMessage.key.in_([x.idempotency_key for x in msgs])))
            both_open.wait()  # both have checked the keys (none there) inside their open transactions
            return outbox.enqueue(s, ctx, msgs, existing=set())

    results = _race(2, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(len(r) for r in results) == [0, 40]  # one of them inserted everything, the other nothing
    assert _keys(ctx) == sorted(x.idempotency_key for x in msgs)


def test_two_sweeps_of_the_same_day_racing_neither_fails_and_each_message_is_enqueued_once(ctx, backend,
                                                                                          monkeypatch):
    register_worker(ctx, "as.race", "AS Fictive", "as", "fr", ["json://127.0.0.1:9/as"])
    register_worker(ctx, "psy.race", "Psy Fictif", "psy", "nl", ["json://127.0.0.1:9/psy"])
    for i in range(3):
        ref = f"RACE-{i}"
        register_person(ctx, ref=ref, prison="lantin", as_id="as.race", psy_id="psy.race", today=DAY,
                        situation="condamne", needs=["housing", "cure", "income"], modality="lc")
        set_milestone(ctx, ref, "tap_hearing", date=dt.date(2027, 6, 15), today=DAY)
    expected = sweep(ctx, SWEEP_DAY, dry_run=True).messages
    assert expected, "the persons above have reminders due on the sweep's day"

    real_enqueue = outbox.enqueue
    both_decided = threading.Barrier(2, timeout=30)

    def enqueue_together(s, c, messages, **kw):
        both_decided.wait()  # both sweeps have decided, in their open transactions, before either inserts
        return real_enqueue(s, c, messages, **kw)

    if backend == "postgresql":  # on SQLite the second sweep's BEGIN IMMEDIATE waits for the first's commit
        monkeypatch.setattr(outbox, "enqueue", enqueue_together)
    results = _race(2, lambda _i: sweep(ctx, SWEEP_DAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    counts = sorted(len(r.enqueued) for r in results)
    assert counts == [0, len(expected)]
    assert _keys(ctx) == sorted(x.idempotency_key for x in expected)
    assert sweep(ctx, SWEEP_DAY).enqueued == []  # and a third sweep of the day adds nothing
