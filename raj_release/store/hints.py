"""Query-plan hints that work on SQLite and PostgreSQL alike.

SQLite's planner has no statistics unless `ANALYZE` has been run, and we do not rely on it: given
"open démarches due before X of the persons of organisation O", it prefers the (status, due) index and reads
every open démarche of the database (hundreds of thousands on a large file active) instead of going through
the organisation's persons and then their démarches by (person_id, status, due). SQLite's documented way
to take an index out of the running is a unary `+` on the column (sqlite.org/optoverview.html, "Disqualifying
WHERE clause terms using unary-+"): the term is still checked, on the index entry when the index holds the
column.

PostgreSQL plans from its statistics, but they cannot tell how few of the démarches an organisation's persons
hold, nor how selective a test like `completed_at >= due` is: for a coordinator's overdue démarches and
late-finished ones it read every organisation's through the (status, due) index, in parallel workers, 54 and
144 ms where going through the persons takes 19 and 17 ms (docs/performance.md, issue 13). So on PostgreSQL
the column is written as an expression of itself (`status || ''`, `day + 0`), which no index matches; other
databases get the column as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, DateTime, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.sqltypes import NullType
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


@compiles(Unindexed, "postgresql")
def _as_expression(element: Unindexed, compiler, **kw) -> str:
    # PostgreSQL matches an index to a column, not to an expression of it: `status || ''` and `day + 0`
    # keep their values and leave the (status, due) index out, while an index leading with person_id still
    # serves the same query (the other columns are checked on its entries)
    column = compiler.process(element.column, **kw)
    if isinstance(element.type, String):
        return f"({column} || '')"
    if isinstance(element.type, Date) and not isinstance(element.type, DateTime):
        return f"({column} + 0)"
    return column


def unindexed(column) -> ColumnElement[Any]:
    """`column`, with its value, as SQLite may not look it up in an index."""
    return Unindexed(column)


class _ContainsAnyCase(ColumnElement[bool]):
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("pattern", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], pattern: ColumnElement[Any]) -> None:
        self.column = column
        self.pattern = pattern
        self.type = NullType()  # a condition as it is: Boolean would make SQLite write "... = 1"


@compiles(_ContainsAnyCase)
def _ilike(element: _ContainsAnyCase, compiler, **kw) -> str:
    # the "C" collation: the texts compared are ASCII codes, and ILIKE under a locale's collation costs
    # twice as much (36 ms instead of 20 over 33,000 references)
    return (f'{compiler.process(element.column, **kw)} COLLATE "C" ILIKE {compiler.process(element.pattern, **kw)} '
            "ESCAPE '/'")


@compiles(_ContainsAnyCase, "sqlite")
def _like(element: _ContainsAnyCase, compiler, **kw) -> str:
    # SQLite's LIKE ignores the case of ASCII letters already; lower() on both sides (what SQLAlchemy's
    # ilike writes) costs a function call per row and doubles the time over 30,000 references
    return f"{compiler.process(element.column, **kw)} LIKE {compiler.process(element.pattern, **kw)} ESCAPE '/'"


def contains_any_case(column, text: str) -> ColumnElement[bool]:
    """`column` holds `text` (taken literally: `%` and `_` are not wildcards), whatever the case of its ASCII
    letters: ILIKE on PostgreSQL, SQLite's own LIKE. For columns of ASCII codes (a reference)."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return _ContainsAnyCase(column, literal(f"%{escaped}%", String()))
