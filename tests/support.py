"""Test-only tools: working around the append-only triggers as a database superuser would."""

import contextlib
import importlib

from django.db import connection

from ledger import append_only as sql

# The trigger that freezes a factor set once a roll-up used it (a migration's SQL).
_factors_frozen = importlib.import_module("passports.migrations.0004_factor_sets_frozen_once_used")
# … and the one that keeps CBAM factor sets as they were stored.
_cbam_frozen = importlib.import_module("cbam.migrations.0001_initial")


@contextlib.contextmanager
def append_only_suspended():
    """Let this connection change the ledger's entries, tree nodes and checkpoints, as an
    attacker with superuser rights could.

    PostgreSQL: `session_replication_role = replica` stops ordinary triggers firing (only a
    superuser may set it, which the test database user is and the app role must not be).
    SQLite has no such switch, so its triggers (and the one freezing used factor sets) are
    dropped and put back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            frozen = _factors_frozen.SQLITE_DOWN + _cbam_frozen.SQLITE_DOWN
            for statement in sql.SQLITE_DOWN + sql.HISTORY_SQLITE_DOWN + frozen:
                cursor.execute(statement)
            try:
                yield cursor
            finally:
                frozen = _factors_frozen.SQLITE_UP + _cbam_frozen.SQLITE_UP
                for statement in sql.SQLITE_UP + sql.HISTORY_SQLITE_UP + frozen:
                    cursor.execute(statement)


# The checkpoint signing key of the tests (seed 00 01 … 1f, as in test_signed_note.py), so no
# test writes a development key under var/. Its verifier key is TEST_VERIFIER_KEY.
TEST_SIGNING_KEY = "PRIVATE+KEY+remelt.example/ledger+79831d08+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
TEST_VERIFIER_KEY = "remelt.example/ledger+79831d08+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"


@contextlib.contextmanager
def witness_running(state_path, settings):
    """A witness (remelt_verify.witness) over HTTP on a free port, trusting the tests' log key,
    configured as the only witness in `settings`; yields the Witness."""
    import threading

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from remelt_verify.cosignature import witness_signer_key
    from remelt_verify.witness import Witness, server

    witness = Witness(
        signer_key=witness_signer_key("witness.veritas.example", Ed25519PrivateKey.generate()),
        log_keys=[TEST_VERIFIER_KEY],
        state=state_path,
    )
    httpd = server(witness, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.LEDGER_WITNESSES = [(f"http://127.0.0.1:{httpd.server_address[1]}/", witness.verifier_key)]
    try:
        yield witness
    finally:
        httpd.shutdown()
        httpd.server_close()


def disclosure_pair(given) -> list:
    """The `[salt, item]` of a disclosure as a reader gets it: bare, or (format 2, a reader of
    some items) inside `{member, leaf_index, path, disclosure}`. The list itself, to change it."""
    return given["disclosure"] if isinstance(given, dict) else given
