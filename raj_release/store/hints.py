"""Query-plan hints that work on SQLite and PostgreSQL alike.

SQLite's planner has no statistics unless `ANALYZE` has been run, and we do not rely on it: given
"open démarches due before X of the persons of organisation O", it prefers the (status, due) index and reads
every open démarche of the database (hundreds of thousands on a large file active) instead of going through
the organisation's persons and then their démarches by (person_id, status, due). SQLite's documented way
to take an index out of the running is a unary `+` on the column (sqlite.org/optoverview.html, "Disqualifying
WHERE clause terms using unary-+"): the term is still checked, on the index entry when the index holds the
column. Other databases get the column as it is: PostgreSQL plans from its own statistics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class Unindexed(ColumnElement[Any]):
    """A column that no index may serve a WHERE term on (SQLite); the plain column elsewhere."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _plain(element: Unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unary_plus(element: Unindexed, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column) -> ColumnElement[Any]:
    """`column`, with its value, as SQLite may not look it up in an index."""
    return Unindexed(column)
