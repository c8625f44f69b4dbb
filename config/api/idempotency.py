"""Idempotent POSTs: a retry with the same `Idempotency-Key` gets the first response again.

The key is claimed by inserting its row in the same transaction as the writes the request
makes. A concurrent retry's INSERT waits on the unique index until the first transaction
ends: if that committed, the retry reads the stored response; if it rolled back (a crash),
the retry does the work itself. So one key writes once, however many copies arrive at once.
Responses below 500 are stored; a 5xx is not, so the client may retry it.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from accounts.models import IdempotencyRecord, Organisation
from config.api.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from config.api.problems import problem_for

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_TABLE = IdempotencyRecord._meta.db_table
MAX_KEY_LENGTH = 255

Outcome = tuple[int, dict | list]  # (status, body) as the handler answers


class KeyReused(exceptions.APIException):
    """The key was used before with another request (409)."""

    status_code = 409
    default_code = "idempotency_key_reused"
    default_detail = f"This {HEADER} was used before with a different request; use a new key."


def request_digest(method: str, path: str, body: object) -> str:
    """SHA-256 of what makes two requests the same: method, path and the JSON body's content
    (so a client that re-serialises the body with other spacing or key order still matches)."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _render(status: int, body: dict | list) -> tuple[bytes, str]:
    content_type = PROBLEM_CONTENT_TYPE if status >= 400 else "application/json"
    return JSONRenderer().render(body), content_type


def _response(status: int, content: bytes, content_type: str, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type=content_type)
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def check_key(key: str) -> str | None:
    """Why a key is unusable, or None (what `key_parameter` tells the schema)."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        return f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
    return None


def key_parameter(description: str) -> OpenApiParameter:
    """The header in the OpenAPI schema, as `check_key` reads it."""
    schema = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"}
    return OpenApiParameter(HEADER, schema, OpenApiParameter.HEADER, description=description)


def idempotency_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past their retention (IDEMPOTENCY_KEY_TTL_HOURS); returns how many."""
    age = older_than or timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - age).delete()
    return deleted


_CLAIM = """
INSERT INTO {table} (organisation_id, key, request_sha256, response_status, response_content_type,
                     response_body, created_at)
VALUES (%s, %s, %s, 0, '', %s, %s)
ON CONFLICT (organisation_id, key) DO NOTHING
RETURNING id
"""
_FINISH = (
    "UPDATE {table} SET response_status = %s, response_content_type = %s, response_body = %s WHERE id = %s"
)


def _claim(organisation: Organisation, key: str, digest: str) -> int | None:
    """Insert the key's row and return its id, or None if the key is taken.

    One statement and no savepoint: on PostgreSQL, ON CONFLICT waits for a concurrent
    transaction that inserted the same key and does nothing once it commits.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(table=_TABLE), [organisation.pk, key, digest, b"", now])
        row = cursor.fetchone()
    return row[0] if row else None


def _finish(record_id: int, status: int, content_type: str, content: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_FINISH.format(table=_TABLE), [status, content_type, content, record_id])


def respond_once(
    *, organisation: Organisation, key: str, digest: str, handler: Callable[[], Outcome]
) -> HttpResponse:
    """Run `handler` once per (organisation, key) and answer every retry with its response.

    `handler` returns (status, body) or raises an exception the API turns into a problem; it
    must leave nothing half-written when it raises (events_record is atomic). Exceptions
    without a problem (bugs) propagate and store nothing.
    """
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    with transaction.atomic():
        record_id = _claim(organisation, key, digest)
        if record_id is None:
            record = IdempotencyRecord.objects.get(organisation=organisation, key=key)
            if record.created_at >= cutoff:
                if record.request_sha256 != digest:
                    raise KeyReused()
                content = bytes(record.response_body)
                return _response(record.response_status, content, record.response_content_type, replayed=True)
            record.delete()  # past its retention: the key may be used afresh
            record_id = _claim(organisation, key, digest)
            if record_id is None:  # taken afresh by a concurrent request meanwhile
                raise KeyReused("This Idempotency-Key is being used by another request; retry it.")
        try:
            status, body = handler()
        except Exception as exc:
            found = problem_for(exc)
            if found is None:
                raise
            body, _headers = found
            status = body["status"]
        content, content_type = _render(status, body)
        if status >= 500:
            transaction.set_rollback(True)
        else:
            _finish(record_id, status, content_type, content)
    return _response(status, content, content_type, replayed=False)
