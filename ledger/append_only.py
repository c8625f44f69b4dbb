"""The SQL that makes ledger_entry append-only, installed by migration 0002."""

POSTGRES_UP = """
CREATE FUNCTION ledger_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entry_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER ledger_entry_no_truncate ON ledger_entry;
DROP TRIGGER ledger_entry_no_update_delete ON ledger_entry;
DROP FUNCTION ledger_entry_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
       BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
       BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only: DELETE refused'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER ledger_entry_no_update", "DROP TRIGGER ledger_entry_no_delete"]


def app_role_grants(role: str) -> list[str]:
    """SQL that gives the application role what it needs and no way around the triggers.

    Run as the owner of the tables (the role that runs migrations), after `migrate`. The app
    role gets full use of the projection tables but only SELECT and INSERT on ledger_entry;
    not owning the table, it can neither drop nor disable its triggers, and not being a
    superuser it cannot set session_replication_role either.
    """
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ledger_entry FROM {quoted}",
    ]
