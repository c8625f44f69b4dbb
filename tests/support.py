"""Test-only tools: working around the append-only triggers as a database superuser would."""

import contextlib

from django.db import connection

from ledger import append_only as sql


@contextlib.contextmanager
def append_only_suspended():
    """Let this connection change ledger entries, as an attacker with superuser rights could.

    PostgreSQL: `session_replication_role = replica` stops ordinary triggers firing (only a
    superuser may set it, which the test database user is and the app role must not be).
    SQLite has no such switch, so its triggers are dropped and put back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            for statement in sql.SQLITE_DOWN:
                cursor.execute(statement)
            try:
                yield cursor
            finally:
                for statement in sql.SQLITE_UP:
                    cursor.execute(statement)
