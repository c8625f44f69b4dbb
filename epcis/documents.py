"""EPCIS documents: the envelopes remelt writes, and GS1's JSON schema that every document
remelt reads or writes must satisfy.

`schema/EPCIS-JSON-Schema.json` is GS1's schema (gs1/EPCIS at 2b888bef) taken unchanged, with its
licence beside it; tests/epcis check that it is byte for byte the copy in ../shared/testdata.
"""

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jsonschema

from epcis.mapping import CONTEXT, time_text

SCHEMA_PATH = Path(__file__).parent / "schema" / "EPCIS-JSON-Schema.json"
SCHEMA_VERSION = "2.0"
QUERY_NAME = "SimpleEventQuery"


@cache
def validator() -> jsonschema.Draft7Validator:
    """GS1's schema with its formats (`uri`, `date-time`) checked, not just its structure."""
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def epcis_document(events: list[dict], *, now: datetime | None = None) -> dict:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": time_text(now or datetime.now(UTC)),
        "epcisBody": {"eventList": events},
    }


def query_document(events: list[dict], *, now: datetime | None = None) -> dict:
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": time_text(now or datetime.now(UTC)),
        "epcisBody": {"queryResults": {"queryName": QUERY_NAME, "resultsBody": {"eventList": events}}},
    }
