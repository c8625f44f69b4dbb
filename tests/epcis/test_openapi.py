"""The OpenAPI schema documents the EPCIS endpoints with an example of each event kind, and
every example is a document GS1's schema accepts."""

import pytest

from epcis.documents import validator

KINDS = {
    "ScrapReceived",
    "Melt",
    "Cast",
    "PartRun",
    "Custody",
    "Amendment",
    "Void",
}  # as drf-spectacular names them


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _examples(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/ld+json"]["examples"]


def test_the_query_shows_an_example_of_each_event_kind(schema):
    operation = schema["paths"]["/api/v1/epcis/events"]["get"]
    examples = _examples(operation, "200")
    assert set(examples) == KINDS
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names >= {"EQ_bizStep", "GE_eventTime", "LT_eventTime", "MATCH_anyEPCClass", "MATCH_epc",
                     "EQ_eventID", "perPage", "nextPageToken"}  # fmt: skip
    for example in examples.values():
        assert not list(validator().iter_errors(example["value"]))
    events = [
        e
        for x in examples.values()
        for e in x["value"]["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ]
    assert {"ObjectEvent", "TransformationEvent"} == {e["type"] for e in events}
    assert {e["errorDeclaration"]["reason"] for e in events if "errorDeclaration" in e} == {
        "incorrect_data",
        "did_not_occur",
    }


def test_capture_documents_its_examples_headers_and_job(schema):
    operation = schema["paths"]["/api/v1/epcis/capture"]["post"]
    examples = operation["requestBody"]["content"]["application/ld+json"]["examples"]
    assert len(examples) == len(KINDS)
    for example in examples.values():
        assert not list(validator().iter_errors(example["value"]))
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"Idempotency-Key", "GS1-Capture-Error-Behaviour"} <= names
    assert "202" in operation["responses"]
    assert "/api/v1/epcis/capture/{id}" in schema["paths"]
    assert "/api/v1/lots/{code}/epcis" in schema["paths"]
