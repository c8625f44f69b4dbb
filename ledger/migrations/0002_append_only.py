"""Make the entry table append-only in the database itself, and create the head row.

PostgreSQL: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE.
SQLite: triggers refuse UPDATE and DELETE (it has no TRUNCATE). There is deliberately no
setting that switches them off; see the README for the least-privilege role that cannot
drop or disable them either.
"""

from django.db import migrations

from ledger.append_only import POSTGRES_DOWN, POSTGRES_UP, SQLITE_DOWN, SQLITE_UP


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}[vendor]
    for statement in statements:
        schema_editor.execute(statement, params=None)
    apps.get_model("ledger", "LedgerHead").objects.get_or_create(id=1)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES_DOWN], "sqlite": SQLITE_DOWN}[vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
