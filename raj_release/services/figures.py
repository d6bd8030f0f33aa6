"""Figures kept between requests: the coordinators' dashboard and caseloads and each one's week, computed once
for as long as nothing they read has changed.

A coordinator's dashboard reads thousands of démarches (a few queries, ~100 ms on PostgreSQL, more under
load); coordinators of one organisation open it, page through it, filter it and come back to it, and
between two of those views usually nothing changed. So a result is kept under the data version read
*before* it was computed (store/db.py: every unit of work that writes démarches, persons, milestones,
meetings, applications or workers, or finds a message undeliverable, adds one to it once committed) together with everything it depends on
(the viewer, the day, the filters, the page, the configuration). A view finding the same version gets the
kept result; any change committed since gives a higher version, and the figures are computed again. A
result is also dropped after MAX_AGE_SECONDS whatever the version says (a writer that died between its
commit and its bump, a write made outside the application), and at most ENTRIES are kept per database, the
least recently used dropped first.

What is kept is shared between requests: the pages only read it."""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from raj_release.services.context import Context

MAX_AGE_SECONDS = 60.0
ENTRIES = 64
T = TypeVar("T")

_lock = threading.Lock()


def kept(ctx: Context, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for the same key since the data last changed."""
    version = ctx.db.data_version()
    if version is None:  # a database without the data version (before migration 0012): nothing is kept
        return compute()
    store = _store(ctx)
    full = (version, id(ctx.config), key)
    now = time.monotonic()
    with _lock:
        hit = store.get(full)
        if hit is not None and now - hit[0] < MAX_AGE_SECONDS:
            store.move_to_end(full)
            return hit[1]
    value = compute()
    with _lock:
        store[full] = (now, value, ctx.config)  # the config held too: its id stays its own while kept
        store.move_to_end(full)
        for old in [k for k in store if k[0] < version]:  # what an older version computed is never served again
            del store[old]
        while len(store) > ENTRIES:
            store.popitem(last=False)
    return value


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Database -> its kept figures


def _store(ctx: Context) -> OrderedDict:
    """The kept figures of this database (one per Database object: tests and processes each have theirs,
    dropped with it)."""
    with _lock:
        store = _stores.get(ctx.db)
        if store is None:
            store = _stores[ctx.db] = OrderedDict()
        return store
