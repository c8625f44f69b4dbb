"""The OpenAPI schema documents every event type as its own schema, with examples; the docs
pages load their assets from this server, never from a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders

from ledger.events import CONFIRMING_TYPES, EVENT_TYPES
from ledger.shapes import ELEMENTS, MASS_PATTERN
from ledger.vocabulary import installation_types


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_event_type_has_its_own_schema_and_an_example(schema):
    event = schema["components"]["schemas"]["Event"]
    mapping = event["discriminator"]["mapping"]
    taken = {
        *EVENT_TYPES,
        *CONFIRMING_TYPES,
        *installation_types(),
    }  # what the API records: cbam's events too
    assert set(mapping) == taken
    for entry_type, ref in mapping.items():
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        discriminator = component["properties"]["type"]
        if "$ref" in discriminator:
            discriminator = schema["components"]["schemas"][discriminator["$ref"].rsplit("/", 1)[1]]
        assert discriminator["enum"] == [entry_type]
        assert {"type", "occurred_at", "data"} <= set(component["required"])
    post = schema["paths"]["/api/v1/events/"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    one, many = body["schema"]["oneOf"]
    assert one == {"$ref": "#/components/schemas/Event"} and many["items"] == one
    examples = {
        example["value"]["type"]
        for example in body["examples"].values()
        if isinstance(example["value"], dict)
    }
    assert examples == taken
    assert any(isinstance(example["value"], list) for example in body["examples"].values())
    assert "Idempotency-Key" in {parameter["name"] for parameter in post["parameters"]}


def test_payload_fields_are_documented(schema):
    components = schema["components"]["schemas"]
    scrap = components["ScrapReceivedData"]
    assert {"grade", "category", "mass_kg", "transport"} <= set(scrap["required"])
    # A supplier on remelt (an organisation's slug) or one that is not (a name): exactly one.
    assert scrap["oneOf"] == [{"required": ["supplier"]}, {"required": ["supplier_name"]}]
    assert {"supplier", "supplier_name"} <= set(scrap["properties"]) - set(scrap["required"])
    assert scrap["properties"]["mass_kg"]["pattern"] == MASS_PATTERN
    assert set(components["MeltRecordedData"]["properties"]) >= {"furnace", "inputs", "additions", "dross_kg"}


def test_every_operation_documents_its_problems_and_the_bearer_key(schema):
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }
    for path, operations in schema["paths"].items():
        if not path.startswith(("/api/v1/lots", "/api/v1/events", "/api/v1/ledger/entries")):
            continue
        for operation in operations.values():
            for status in ("401", "404", "429", "default"):
                content = operation["responses"][status]["content"]
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
            assert {"apiKey": []} in operation["security"]


def test_the_docs_load_their_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "cdn" not in page.lower()
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source


def test_summaries_are_plain_text_and_a_part_is_named_by_its_serial(schema):
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if isinstance(operation, dict) and "summary" in operation:
                assert "`" not in operation["summary"], (path, operation["summary"])
    parts = [path for path in schema["paths"] if path.startswith("/api/v1/parts/")]
    assert set(parts) >= {"/api/v1/parts/{serial}/passport/", "/api/v1/parts/{serial}/evidence/"}
    for path in parts:
        in_path = [p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "path"]
        assert [parameter["name"] for parameter in in_path] == ["serial"]
    assert "/api/v1/lots/{code}/passport/" in schema["paths"]


def test_the_payload_components_are_the_declarations(schema):
    from ledger.shapes import component_schemas

    served = schema["components"]["schemas"]
    for name, component in component_schemas().items():
        assert served[name] == component, name


def test_the_trace_and_the_recall_each_document_their_own_answer(schema):
    trace = schema["paths"]["/api/v1/lots/{code}/trace/"]["get"]
    recall = schema["paths"]["/api/v1/lots/{code}/recall/"]["get"]
    assert trace["summary"].startswith("The lot's material graph")
    assert recall["summary"].startswith("Every part that holds metal")
    assert trace["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Trace"
    }
    assert recall["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Recall"
    }


def test_every_request_body_is_required(schema):
    bodies = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert ("/api/v1/events/", "post") in bodies and len(bodies) >= 5
    for path, method in bodies:
        assert schema["paths"][path][method]["requestBody"]["required"] is True, (path, method)


def test_chemistry_keys_are_the_element_symbols_and_no_other(schema):
    chemistry = schema["components"]["schemas"]["ChemistryData"]
    assert chemistry["additionalProperties"] is False
    assert set(chemistry["properties"]) == set(ELEMENTS) and len(ELEMENTS) == 118
    assert {"Si", "Mg", "Fe", "Cu", "Og"} <= set(ELEMENTS)
    ingot = schema["components"]["schemas"]["IngotOutputData"]["properties"]["chemistry"]
    assert ingot["allOf"] == [{"$ref": "#/components/schemas/ChemistryData"}]


def test_every_event_states_the_years_of_its_business_time(schema):
    """The schema refuses business times whose written year the server refuses (schemathesis
    found `0803-12-16T21:34:01-10:00` schema-valid but refused), and admits the last day of 1999
    written west of UTC, which the server records as 2000 in UTC."""
    mapping = schema["components"]["schemas"]["Event"]["discriminator"]["mapping"]
    for ref in mapping.values():
        occurred_at = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["occurred_at"]
        assert occurred_at["format"] == "date-time"
        pattern = re.compile(occurred_at["pattern"])
        for refused in ("0803-12-16T21:34:01-10:00", "0999-12-31T23:59:59Z", "1999-06-01T00:00:00Z"):
            assert not pattern.search(refused), (ref, refused)
        for taken in ("2026-11-02T07:30:00Z", "9999-01-01T00:00:00Z", "1999-12-31T23:30:00-01:00"):
            assert pattern.search(taken), (ref, taken)
