# Restores the index behind the constraint `one_current_footprint` (at most one current version
# per lot). On PostgreSQL, 0005's AlterField of Footprint.lot to db_index=False dropped every
# single-column index on lot_id that is not one of the model's Meta.indexes, and so this
# partial unique index too, while the migration state kept the constraint: databases migrated
# through 0005 had no such index (SQLite rebuilt the table with it). Without it a second current
# version of a lot was not refused, and the roll-up's and the passports' reads of a lot's
# current version had to read every version of it.

from django.db import migrations

CREATE = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "one_current_footprint" '
    'ON "passports_footprint" ("lot_id") WHERE "superseded_at" IS NULL'
)


class Migration(migrations.Migration):
    dependencies = [
        ("passports", "0007_verbose_names_translated"),
    ]

    # The state has had the constraint since 0003: only the database is changed, and going back
    # leaves the index (the state before this migration has it too).
    operations = [migrations.RunSQL(CREATE, migrations.RunSQL.noop)]
