"""The few statements every request runs, written once and prepared once per database session.

Every request first reads who is asking (their session, or API token, and their permissions) and every page
the count beside their name. The ORM composes each query anew on every request, and that composing, more than
the database's work, was most of their cost. These statements are written once from the models' metadata and,
on PostgreSQL, planned once per database session with SQL PREPARE, which lasts as long as the session, whatever
becomes of the transaction it ran in; a new connection prepares them again. (A pooler that shares sessions
between clients, such as PgBouncer in transaction mode, would not keep them: the deployment connects to
PostgreSQL directly.) Everything else goes through the ORM.
"""

import weakref

# Statement name -> the database sessions (psycopg connections) that have prepared it.
_prepared_in: dict[str, weakref.WeakSet] = {}


def read_row(connection, name: str, sql: str, types: list[str], params: list):
    """The first row of `sql` (with %s placeholders of `types`), prepared as `name` on PostgreSQL; or None."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            session = connection.connection
            prepared = _prepared_in.setdefault(name, weakref.WeakSet())
            if session not in prepared:
                numbered = sql
                for number in range(1, len(types) + 1):
                    numbered = numbered.replace("%s", f"${number}", 1)
                cursor.execute(f"PREPARE {name}({', '.join(types)}) AS {numbered}")
                prepared.add(session)
            cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute(sql, params)
        return cursor.fetchone()


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
