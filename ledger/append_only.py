"""The SQL that makes the ledger append-only: entries (migration 0002), tree and checkpoints (0005)."""

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

# The Merkle tree's nodes and the signed checkpoints are history too (migration 0005). One
# function serves both tables; it names the table in its message.
HISTORY_TABLES = ("ledger_tree_node", "ledger_checkpoint")
HISTORY_POSTGRES_UP = """
CREATE FUNCTION ledger_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
""" + "".join(
    f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_history_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_history_append_only();
"""
    for table in HISTORY_TABLES
)
HISTORY_POSTGRES_DOWN = (
    "".join(
        f"DROP TRIGGER {table}_no_truncate ON {table};\nDROP TRIGGER {table}_no_update_delete ON {table};\n"
        for table in HISTORY_TABLES
    )
    + "DROP FUNCTION ledger_history_append_only();\n"
)
HISTORY_SQLITE_UP = [
    f"""CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"""
    for table in HISTORY_TABLES
    for op in ("UPDATE", "DELETE")
]
HISTORY_SQLITE_DOWN = [
    f"DROP TRIGGER {table}_no_{op}" for table in HISTORY_TABLES for op in ("update", "delete")
]


def app_role_grants(role: str) -> list[str]:
    """SQL that gives the application role what it needs and no way around the triggers.

    Run as the owner of the tables (the role that runs migrations), after `migrate`. The app
    role gets full use of the projection tables but only SELECT and INSERT on ledger_entry,
    the tree and the checkpoints; not owning them, it can neither drop nor disable their
    triggers, and not being a superuser it cannot set session_replication_role either.
    """
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ledger_entry FROM {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {', '.join(HISTORY_TABLES)} FROM {quoted}",
    ]
