"""Build the Merkle tree of the entries already in the ledger, then make the tree and the
checkpoints append-only like ledger_entry (see ledger/append_only.py).

The tree is built in one streaming pass over the entries' hashes (constant memory) and
inserted in batches; on an empty ledger it writes nothing. A gap in seq stops the migration:
run verify_ledger first.
"""

from django.db import migrations

from ledger.append_only import (
    HISTORY_POSTGRES_DOWN,
    HISTORY_POSTGRES_UP,
    HISTORY_SQLITE_DOWN,
    HISTORY_SQLITE_UP,
)
from ledger.tree import tree_backfill


def build_tree(apps, schema_editor):
    tree_backfill(apps.get_model("ledger", "Entry"), apps.get_model("ledger", "TreeNode"))


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [HISTORY_POSTGRES_UP], "sqlite": HISTORY_SQLITE_UP}[vendor]:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [HISTORY_POSTGRES_DOWN], "sqlite": HISTORY_SQLITE_DOWN}[vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_tree_and_checkpoints")]
    # Reversing drops the triggers; the tree's rows go with the table when 0004 is reversed.
    operations = [
        migrations.RunPython(build_tree, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
