"""The database itself refuses to change or remove ledger entries."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ledger.append_only import app_role_grants
from ledger.models import Entry
from ledger.services import entry_append
from tests.factories import notes


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ledger_entry SET actor = 'mallory' WHERE seq = 2", "DELETE FROM ledger_entry WHERE seq = 2"],
)
def test_raw_update_and_delete_are_rejected(db, statement):
    notes(3)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Entry.objects.get(seq=2).actor == "system"
    assert Entry.objects.count() == 3


@pytest.mark.postgres
def test_raw_truncate_is_rejected(db):
    notes(3)
    with connection.cursor() as cursor:
        # Fire the deferred foreign-key checks now, or PostgreSQL refuses TRUNCATE for that reason.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE ledger_entry CASCADE")
    assert Entry.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM ledger_entry WHERE seq = 1",
        "TRUNCATE ledger_entry CASCADE",
        "ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_no_update_delete",
        "ALTER TABLE ledger_entry DISABLE TRIGGER ALL",
        "DROP TRIGGER ledger_entry_no_update_delete ON ledger_entry",
        "SET session_replication_role = replica",
    ],
)
def test_least_privilege_role_cannot_change_entries_or_get_around_the_triggers(db, statement):
    notes(2)
    role = f"remelt_app_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE fails on pending FK checks instead
        # Roles are cluster-wide, but CREATE ROLE is transactional: the test's rollback removes it.
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        for grant in app_role_grants(role):
            cursor.execute(grant)
        with transaction.atomic():
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute("SELECT count(*) FROM ledger_entry")
            assert cursor.fetchone() == (2,)
        with (
            pytest.raises(DatabaseError, match="permission denied|must be owner|append-only"),
            transaction.atomic(),
        ):
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(statement)
    assert Entry.objects.count() == 2
    assert Entry.objects.get(seq=1).actor == "system"


@pytest.mark.postgres
def test_least_privilege_role_can_append(db):
    role = f"remelt_app_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        for grant in app_role_grants(role):
            cursor.execute(grant)
        with transaction.atomic():
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            entry_append(
                type="test.note", organisation=None, actor="system", occurred_at=timezone.now(), data={}
            )
    assert Entry.objects.count() == 1
