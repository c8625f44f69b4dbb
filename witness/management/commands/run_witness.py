"""Run a witness of this ledger on this machine: the demo's, standing for the auditor's.

A real witness runs elsewhere, by an auditor or partner with its own key and state, from the
verifier package alone: `remelt-verify witness --key … --state … --log-key <our key>`. This
command runs that same server with a key and state kept under VAR_DIR (made the first time) and
our own verifier key as the log it trusts, so `python3 dev.py demo` can show cosigned checkpoints.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management.base import BaseCommand
from remelt_verify.cosignature import witness_signer_key
from remelt_verify.witness import Witness, server

from ledger.checkpoints import verifier_key

DEMO_NAME = "witness.veritas.example"


def _key(path: Path, name: str) -> str:
    """The witness's secret key from `path`, made the first time (O_EXCL: one process wins)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    text = witness_signer_key(name, Ed25519PrivateKey.generate())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(text + "\n")
    return text


class Command(BaseCommand):
    help = "Run a witness (C2SP tlog-witness) of this ledger with a key and state under VAR_DIR (the demo's)."

    def add_arguments(self, parser):
        var = Path(settings.VAR_DIR)
        parser.add_argument("--listen", default="127.0.0.1:8001", help="host:port to serve on")
        parser.add_argument("--name", default=DEMO_NAME, help="the witness's key name (first run only)")
        parser.add_argument("--key-file", type=Path, default=var / "demo-witness-key")
        parser.add_argument("--state", type=Path, default=var / "demo-witness-state.json")
        parser.add_argument(
            "--print-key", action="store_true", help="print the witness's verifier key and stop"
        )

    def handle(self, *args, listen, name, key_file, state, print_key, **options):
        witness = Witness(signer_key=_key(key_file, name), log_keys=[verifier_key()], state=state)
        if print_key:
            self.stdout.write(witness.verifier_key)
            return
        host, _, port = listen.rpartition(":")
        httpd = server(witness, host, int(port))
        self.stdout.write(f"witness {witness.verifier_key} on http://{listen}/ (state {state})")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
