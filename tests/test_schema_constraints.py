"""The database has every constraint and index the models declare.

A migration can lose one without the migration state noticing: on PostgreSQL, an AlterField
that drops a foreign key's own index drops every other single-column index on that column that
is not one of the model's Meta.indexes (passports 0005 lost `one_current_footprint` that way).
"""

import pytest
from django.apps import apps
from django.db import connection


@pytest.mark.django_db
def test_every_declared_constraint_and_index_is_in_the_database():
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for declared in [*model._meta.constraints, *model._meta.indexes]:
                if declared.name not in present:
                    missing.append(f"{model._meta.db_table}.{declared.name}")
    assert missing == []
