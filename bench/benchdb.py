"""The throw-away database every benchmark makes, uses and drops (its name must contain "bench")."""

import os
import platform
import sys
import time


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


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        facts = {}
        for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers", "work_mem"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


def machine_facts() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal:")))
        ram = f"{kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    return f"{os.cpu_count()} CPUs ({cpu}), {ram}"


def rollups_off() -> None:
    """Roll-ups run only when the benchmark calls rollup_run(), never from an on-commit hook.

    With no broker, events_record's hook would roll up eagerly after every batch, and a
    roll-up's commit would run PACT's footprint sync (a worker's task in production); neither
    is what a benchmark measures beside its own calls.
    """
    import pact.queue
    import passports.queue

    passports.queue._start_rollup = lambda: None
    pact.queue._once_on_commit = lambda _callback: None
