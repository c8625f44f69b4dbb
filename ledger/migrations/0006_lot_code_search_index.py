"""An index for the auditor's search by code or serial, ignoring case, on PostgreSQL.

Django turns `code__iexact` and `code__istartswith` into `UPPER(code::text) = UPPER(%s)` and
`UPPER(code::text) LIKE UPPER(%s)`; only an index on that expression with `text_pattern_ops`
serves both (the unique index on `code` serves neither). SQLite has no operator classes, and
its demo-sized tables need none.
"""

from django.db import migrations

INDEX = "ledger_lot_code_upper_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX {INDEX} ON ledger_lot (UPPER("code"::text) text_pattern_ops)', params=None
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_tree_append_only")]
    operations = [migrations.RunPython(create, drop)]
