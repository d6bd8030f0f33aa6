"""Query-plan hints that work on SQLite and PostgreSQL alike.

SQLite's planner has no statistics unless `ANALYZE` has been run, and we do not rely on it: given
"open démarches due before X of the persons of organisation O", it prefers the (status, due) index and reads
every open démarche of the database (hundreds of thousands on a large file active) instead of going through
the organisation's persons and then their démarches by `person_id`. Wrapping the status column in an
expression that no index matches (`status || ''`, the same value) leaves the person indexes as the only
way in. PostgreSQL plans from its own statistics and is unaffected.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal


def unindexed(column) -> ColumnElement:
    """`column` (a string column) as an expression with the same value that no index can serve."""
    return column.concat(literal(""))
