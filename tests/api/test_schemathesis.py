"""Schemathesis drives every operation of /api/schema/ with generated requests (valid and
invalid, authenticated as a member of the loop): no 5xx, and every answer keeps to the schema
(status, content type, headers, body).

The operations are walked inside one test rather than through schemathesis' lazy pytest
fixture, which does not run under pytest 9; each operation still gets its own Hypothesis run
and every failure is reported with the operation it came from.
"""

import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from remelt_verify.notes import signer_key_string
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25  # per operation and mode: the whole run stays well under a minute


@pytest.fixture
def keep_the_test_connection():
    """Requests go straight into the WSGI app, so, as Django's test client does, stop it from
    closing the connection that holds the test's transaction at the end of each request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_the_api_keeps_to_its_schema(loop, keys, settings, keep_the_test_connection):
    # Configured as in production, where the checkpoint endpoints have their signing key.
    settings.LEDGER_SIGNING_KEY = signer_key_string(settings.LEDGER_ORIGIN, Ed25519PrivateKey.generate())
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": f"Bearer {keys['wheelworks']}"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # no parameter to get wrong: nothing negative to send
                continue
            except Exception as exc:  # noqa: BLE001 - collected, then reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    assert operations >= 5
    assert not failures, "\n\n".join(failures)
