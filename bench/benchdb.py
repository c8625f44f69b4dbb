"""The throw-away database every benchmark makes, uses and drops (its name must contain "bench")."""

import sys


def settings_db(script: str) -> dict:
    """The configured database, if it is PostgreSQL and safe to drop; else exit naming `script`."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"{script} runs on PostgreSQL only; DATABASE_URL gives {db['ENGINE']}")
    name = db["NAME"]
    if not name or "bench" not in name or name in {"postgres", "template0", "template1"}:
        sys.exit(f"refusing to drop and recreate database {name!r}: its name must contain 'bench'")
    return db


def admin_connection(db: dict):
    """An autocommit connection to the `postgres` maintenance database, never to another one."""
    import psycopg

    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _drop(db: dict) -> None:
    from psycopg import sql

    with admin_connection(db) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["NAME"])))


def create_database(db: dict) -> None:
    from psycopg import sql

    _drop(db)
    with admin_connection(db) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def drop_database(db: dict) -> None:
    from django.db import connections

    connections.close_all()
    _drop(db)
