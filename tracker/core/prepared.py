"""The few statements every request runs, written once and prepared once per database session.

Every request first reads who is asking (their session, or API token, and their permissions) and every page
the count beside their name. The ORM composes each query anew on every request, and that composing, more than
the database's work, was most of their cost. These statements are written once from the models' metadata and,
on PostgreSQL, planned once per database session with SQL PREPARE, which lasts as long as the session, whatever
becomes of the transaction it ran in; a new connection prepares them again. (A pooler that shares sessions
between clients, such as PgBouncer in transaction mode, would not keep them: the deployment connects to
PostgreSQL directly.)

The pages of every list are composed by the ORM as usual, then run as prepared statements too (`fetch_prepared`):
PostgreSQL plans a list's five-table join in about 0.8 ms and runs it in about 0.1 ms, so planning it once per
session, not on every page, is most of what a list page costs the database.
"""

import datetime
import functools
import hashlib
import re
import uuid
import weakref
from collections import OrderedDict
from contextlib import nullcontext
from decimal import Decimal

from django.db import DatabaseError, connections, router, transaction

# Statement name -> the database sessions (psycopg connections) that have prepared it.
_prepared_in: dict[str, weakref.WeakSet] = {}


def read_row(connection, name: str, sql: str, types: list[str], params: list):
    """The first row of `sql` (with %s placeholders of `types`), prepared as `name` on PostgreSQL; or None."""
    with connection.cursor() as cursor:
        _execute_named(cursor, connection, name, sql, types, params)
        return cursor.fetchone()


def read_rows(connection, name: str, sql: str, types: list[str], params: list) -> list:
    """Every row of `sql`, prepared as `name` on PostgreSQL, as read_row."""
    with connection.cursor() as cursor:
        _execute_named(cursor, connection, name, sql, types, params)
        return cursor.fetchall()


def _execute_named(cursor, connection, name: str, sql: str, types: list[str], params: list) -> None:
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    session = connection.connection
    prepared = _prepared_in.setdefault(name, weakref.WeakSet())
    if session not in prepared:
        cursor.execute(_prepare_statement(name, sql, types))
        prepared.add(session)
    cursor.execute(_execute_statement(name, params), params)


def _prepare_statement(name: str, sql: str, types: list[str]) -> str:
    """`PREPARE name(types) AS` the ORM-style `sql` (%s placeholders, %% for %); ValueError if it holds another
    placeholder."""
    declared = f"({', '.join(types)})" if types else ""
    return f"PREPARE {name}{declared} AS {_numbered(sql)}"


def _execute_statement(name: str, params) -> str:
    """`EXECUTE name(%s, ...)`, one placeholder for each of `params`."""
    return f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"


def read_instances(model, *, where: dict | None = None, types: tuple[str, ...] = (), ordering=None) -> list:
    """What `model.objects.filter(**where).order_by(*ordering)` reads (`where`: untranslated fields and non-null
    values of the SQL `types`; `ordering` the model's by default), by a statement written once from the model's
    metadata and prepared once per database session, for the small lists every page shows."""
    connection = connections[router.db_for_read(model)]
    where = where or {}
    # The ordering as the model's manager writes it: a translated field's is the reader's language's column.
    ordering = tuple(model._default_manager.order_by(*(ordering or model._meta.ordering)).query.order_by)
    statement = _instances_statement(model, connection.alias, tuple(where), ordering)
    rows = read_rows(
        connection, _statement_name(model._meta.db_table, statement), statement, list(types), list(where.values())
    )
    return [from_row(model, connection, row) for row in rows]


@functools.cache
def _instances_statement(model, alias: str, where: tuple[str, ...], ordering: tuple[str, ...]) -> str:
    quote_name = connections[alias].ops.quote_name
    meta = model._meta
    columns = ", ".join(quote_name(field.column) for field in meta.concrete_fields)
    conditions = " AND ".join(f"{quote_name(meta.get_field(name).column)} = %s" for name in where)
    order = ", ".join(
        f"{quote_name(meta.get_field(name.lstrip('-')).column)}{' DESC' if name.startswith('-') else ''}"
        for name in ordering
    )
    return (
        f"SELECT {columns} FROM {quote_name(meta.db_table)}"  # noqa: S608 - names from the model
        + (f" WHERE {conditions}" if conditions else "")
        + (f" ORDER BY {order}" if order else "")
    )


def from_row(model, connection, values):
    """A model instance from its concrete columns, converted as the ORM would convert them."""
    converted = []
    for field, value in zip(model._meta.concrete_fields, values, strict=True):
        for converter in connection.ops.get_db_converters(field.get_col(model._meta.db_table)):
            value = converter(value, field, connection)
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], converted)


# --- Lists' pages as prepared statements -----------------------------------------------------------------

# Prepared page statements kept per database session; the least recently used is deallocated beyond this, so
# that page sizes and filter combinations cannot grow a session's statements without end.
PREPARED_PAGES_PER_SESSION = 100
# Database session (psycopg connection) -> the names of the page statements it holds, least recently used first.
_pages_in: "weakref.WeakKeyDictionary[object, OrderedDict[str, None]]" = weakref.WeakKeyDictionary()
# Statements PostgreSQL would not prepare (a parameter whose type it cannot tell): run as they are, not retried.
_not_preparable: set[str] = set()

# The parameter types the ORM's own statement would give its values. The client-side cursor Django uses writes
# each value into the SQL as a literal, typed for these and untyped for text (which PostgreSQL then types from
# where it stands): declaring the same types keeps every comparison and every column's type as the ORM's own.
# `bool` comes before `int` and `datetime` before `date`, as each is a kind of the other. A float is written as
# a numeric literal, which no declared type matches for NaN and infinities: a statement with one is not prepared.
_PARAMETER_TYPES = (
    (bool, "boolean"),
    (int, None),  # bigint, or numeric beyond it, as the literal would be
    (Decimal, "numeric"),
    (datetime.datetime, None),  # timestamptz or timestamp, by whether it has a zone
    (datetime.date, "date"),
    (datetime.time, "time"),
    (datetime.timedelta, "interval"),
    (uuid.UUID, "uuid"),
    (str, "unknown"),
    (type(None), "unknown"),
)
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1
_PLACEHOLDER = re.compile(r"%(.)")


def fetch_prepared(queryset) -> list:
    """`list(queryset)`, its statement prepared once per database session on PostgreSQL and executed with this
    call's values; rows, conversions, select_related and values() as the ORM gives them. A statement whose
    values are of another kind (JSON, arrays), or that PostgreSQL cannot prepare, runs as it is."""
    if queryset._result_cache is not None:
        return list(queryset)
    queryset = queryset._chain()
    queryset.query.__class__ = _prepared_query_class(type(queryset.query))
    return list(queryset)


_query_classes: dict[type, type] = {}


def _prepared_query_class(query_class: type) -> type:
    """A subclass of the query's class whose compiler writes `EXECUTE name(values)` in place of the statement;
    only the top-level statement: subqueries compile from their own queries."""
    if query_class not in _query_classes:

        def get_compiler(self, using=None, connection=None, elide_empty=True):
            compiler = query_class.get_compiler(self, using, connection, elide_empty)
            if compiler.connection.vendor == "postgresql":
                composed = compiler.as_sql

                def as_sql(*args, **kwargs):
                    sql, params = composed(*args, **kwargs)
                    return _executed_prepared(compiler.connection, self.model._meta.db_table, sql, params)

                compiler.as_sql = as_sql
            return compiler

        _query_classes[query_class] = type(
            f"Prepared{query_class.__name__}", (query_class,), {"get_compiler": get_compiler}
        )
    return _query_classes[query_class]


def _parameter_type(value) -> str | None:
    for kind, name in _PARAMETER_TYPES:
        if isinstance(value, kind):
            if kind is datetime.datetime:
                return "timestamptz" if value.tzinfo is not None else "timestamp"
            if kind is int:
                return "bigint" if _BIGINT_MIN <= value <= _BIGINT_MAX else "numeric"
            return name
    return None


@functools.lru_cache(maxsize=1024)
def _statement_name(table: str, key: str) -> str:
    """Named after the table it reads, so that the database's logs and pg_prepared_statements say what it is."""
    return f"tracker_rows_{table[:32]}_{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}"


def _numbered(sql: str) -> str:
    """The ORM's SQL with $1, $2, ... for its %s placeholders and % for its %%; ValueError if it holds another."""
    count = 0

    def number(match):
        nonlocal count
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(f"not a placeholder the ORM writes: {match.group(0)!r}")
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _executed_prepared(connection, table: str, sql: str, params) -> tuple[str, tuple]:
    """`EXECUTE name(%s, ...)` of `sql` prepared in this database session (preparing it now if needed); or
    `sql` itself when it cannot be prepared."""
    params = tuple(params)
    types = [_parameter_type(value) for value in params]
    if None in types:
        return sql, params
    name = _statement_name(table, f"{sql}|{types}")
    if name in _not_preparable:
        return sql, params
    session = connection.connection
    held = _pages_in.setdefault(session, OrderedDict())
    if name in held:
        held.move_to_end(name)
    elif not _prepare(connection, name, sql, types, held):
        return sql, params
    return _execute_statement(name, params), params


def _prepare(connection, name: str, sql: str, types: list[str], held: OrderedDict) -> bool:
    try:
        statement = _prepare_statement(name, sql, types)
        # In a transaction, a refusal must not spoil it: the attempt gets a savepoint of its own.
        guard = transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()
        with guard, connection.cursor() as cursor:
            cursor.execute(statement)
    except (ValueError, DatabaseError):
        if len(_not_preparable) >= 1000:  # kept small: a name is only a saved attempt
            _not_preparable.clear()
        _not_preparable.add(name)
        return False
    held[name] = None
    while len(held) > PREPARED_PAGES_PER_SESSION:
        oldest, _ = held.popitem(last=False)
        with connection.cursor() as cursor:
            cursor.execute(f"DEALLOCATE {oldest}")
    return True
