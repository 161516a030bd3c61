"""Django's database session store, reading a session by one statement prepared once per database session.

Every signed-in page reads its session first; through the ORM, composing that query cost more than running it.
The statement is written once from the Session model (tracker/core/prepared.py); the answer is Django's:
the session's data while it has not expired, nothing otherwise. Writing, expiring and clearing sessions are
Django's own.
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from tracker.core.prepared import from_row, read_row


@functools.cache
def live_session_statement(alias: str) -> str:
    """SQL for Session.objects.get(session_key=…, expire_date__gt=now)."""
    from django.contrib.sessions.models import Session

    quote_name = connections[alias].ops.quote_name
    columns = ", ".join(quote_name(field.column) for field in Session._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote_name(Session._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {quote_name('session_key')} = %s AND {quote_name('expire_date')} > %s"
    )


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        if connection.vendor != "postgresql":
            return super()._get_session_from_db()
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        statement = live_session_statement(connection.alias)
        row = read_row(connection, "tracker_session", statement, ["text", "timestamptz"], [self.session_key, now])
        if row is None:
            self._session_key = None
            return None
        return from_row(self.model, connection, row)
