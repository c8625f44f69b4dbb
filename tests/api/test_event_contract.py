"""The event contract: each event type's payload is declared once (ledger.shapes, and the
installation events in cbam.shapes, registered with the ledger), and the OpenAPI schema
served at /api/schema/ and the server's checks agree on every value.

The schema is read as served and walked field by field; every field of every type gets a set
of values, valid and not, and for each value the schema's verdict (jsonschema) and the server's
(`payload_errors`, which the API and every other way in run) must be the same, the server
naming the field the schema names. OpenAPI 3.0's Schema Object is JSON Schema draft wright-00,
which jsonschema's draft 4 validator follows (an integer is not 1.0)."""

import copy

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import DomainError
from ledger.models import Entry
from ledger.quantities import parse_mass
from ledger.shapes import CODE_PATTERN, EVENTS, MASS_PATTERN, declared_elsewhere, payload_errors
from tests.api.support import assert_problem, event, scrap

# Every event type the API takes: the ledger's own and those other apps declared (apps are ready).
DECLARED = {**EVENTS, **declared_elsewhere()}

# Values tried in every field: each is valid somewhere and invalid somewhere else.
CANDIDATES = [
    None,
    True,
    0,
    1,
    -1,
    18250,
    18250.5,
    1.0,
    [],
    {},
    "",
    "   ",
    "x",
    "x" * 21,
    "x" * 65,
    "x" * 201,
    "x" * 501,
    "0",
    "0.000",
    "0.001",
    "1",
    "1250.500",
    "1.2345",
    "1.23456",
    "-5",
    " 5",
    "5.",
    "05",
    "1e3",
    "12345678901",
    "100",
    "100.0001",
    "150",
    "A/B",
    "A B",
    'A"B',
    "A\nB",
    ".x",
    "SCR-2026_1.a",
    "post_consumer",
    "truck",
]


def test_the_installation_events_are_among_the_declarations():
    assert {"installation.registered", "installation.amended"} <= set(DECLARED)


@pytest.fixture(scope="module")
def components(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


def validator(components, entry_type: str) -> jsonschema.Draft4Validator:
    root = {
        "$ref": f"#/components/schemas/{DECLARED[entry_type].component}Data",
        "components": {"schemas": components},
    }
    return jsonschema.Draft4Validator(root)


def resolve(components, schema: dict) -> dict:
    while "$ref" in schema or "allOf" in schema:
        schema = schema["allOf"][0] if "allOf" in schema else components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def fields(components, schema: dict, path: tuple = ()):
    """(path, schema) of every field below `schema`, lists' first items and maps' `Si` too."""
    schema = resolve(components, schema)
    if "properties" in schema:
        for key, sub in schema["properties"].items():
            yield (*path, key), resolve(components, sub)
            yield from fields(components, sub, (*path, key))
    elif schema.get("type") == "array":
        yield (*path, 0), resolve(components, schema["items"])
        yield from fields(components, schema["items"], (*path, 0))
    elif isinstance(schema.get("additionalProperties"), dict):
        yield (*path, "Si"), resolve(components, schema["additionalProperties"])


def field_path(path: tuple) -> str:
    return "data" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def replaced(instance, path: tuple, value):
    changed = copy.deepcopy(instance)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def schema_errors(check: jsonschema.Draft4Validator, instance) -> set[str]:
    """The fields the schema finds wrong; a missing one is named by itself, not its parent."""
    found = set()
    for error in check.iter_errors(instance):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            found |= {field_path((*path, key)) for key in error.validator_value if key not in error.instance}
        elif error.validator == "oneOf" and all(set(sub) == {"required"} for sub in error.validator_value):
            # Exactly one of a group of fields (a supplier on remelt or not): the fields given, or
            # the group's first when none is.
            group = [sub["required"][0] for sub in error.validator_value]
            given = [key for key in group if key in error.instance]
            found |= {field_path((*path, key)) for key in given or group[:1]}
        else:
            found.add(field_path(path))
    return found


@pytest.mark.parametrize("entry_type", list(DECLARED))
def test_every_example_and_full_sample_is_valid_for_schema_and_server(components, entry_type):
    check = validator(components, entry_type)
    for instance in (DECLARED[entry_type].example, DECLARED[entry_type].data.sample()):
        check.validate(instance)
        assert payload_errors(entry_type, instance) == {}


@pytest.mark.parametrize("entry_type", list(DECLARED))
def test_schema_and_server_agree_on_every_value_of_every_field(components, entry_type):
    check = validator(components, entry_type)
    sample = DECLARED[entry_type].data.sample()
    tried = 0
    for path, _schema in fields(components, components[f"{DECLARED[entry_type].component}Data"]):
        for value in CANDIDATES:
            instance = replaced(sample, path, value)
            by_schema = schema_errors(check, instance)
            by_server = payload_errors(entry_type, instance)
            assert bool(by_schema) == bool(by_server), (path, value, by_schema, by_server)
            assert by_schema <= set(by_server), (path, value, by_schema, by_server)
            tried += 1
    assert tried > 0


@pytest.mark.parametrize("entry_type", list(DECLARED))
def test_a_missing_required_field_or_an_unknown_one_is_named_alike(components, entry_type):
    check = validator(components, entry_type)
    sample = DECLARED[entry_type].data.sample()
    objects = [((), components[f"{DECLARED[entry_type].component}Data"])]
    objects += [
        (path, schema) for path, schema in fields(components, objects[0][1]) if "properties" in schema
    ]
    for path, schema in objects:
        schema = resolve(components, schema)
        for key in schema["properties"]:
            parent = copy.deepcopy(sample)
            target = parent
            for part in path:
                target = target[part]
            if key not in target:
                # A map names every key it may have (chemistry: the elements), its sample two; the
                # sample fills in one field of each exactly-one group.
                continue
            del target[key]
            # Required, or one of a group of which exactly one is given and the others are absent.
            groups = [[sub["required"][0] for sub in schema.get("oneOf", [])]]
            required = key in schema.get("required", []) or any(
                key in group and not any(other in target for other in group) for group in groups
            )
            by_server = payload_errors(entry_type, parent)
            assert (field_path((*path, key)) in by_server) == required, (path, key, by_server)
            assert bool(schema_errors(check, parent)) == required
        unknown = replaced(sample, (*path, "colour"), "grey")
        assert field_path((*path, "colour")) in payload_errors(entry_type, unknown)
        assert schema_errors(check, unknown)


@given(st.text(alphabet="0123456789.- e", max_size=16))
def test_the_mass_pattern_accepts_exactly_what_the_mass_reader_reads(text):
    import re

    try:
        parse_mass(text, "mass_kg")
        read = True
    except DomainError:
        read = False
    # The reader strips whitespace; the contract does not take it at all.
    assert (re.search(MASS_PATTERN, text) is not None) == (read and text == text.strip())


@given(st.from_regex(CODE_PATTERN, fullmatch=True))
def test_every_code_the_pattern_allows_is_a_url_path_segment_as_it_is(code):
    from urllib.parse import quote

    assert quote(code, safe="") == code and code not in (".", "..")


# -- through the API -----------------------------------------------------------------------


def test_every_field_error_of_an_event_comes_at_once(cast, client_for):
    body = event("scrap.received", {"mass_kg": "100"})
    problem = assert_problem(
        client_for("alurec").post("/api/v1/events/", body, format="json"), 400, "invalid"
    )
    assert problem["errors"] == {
        "data.supplier": ["This field is required, or one of: supplier_name."],
        "data.grade": ["This field is required."],
        "data.category": ["This field is required."],
        "data.transport": ["This field is required."],
    }
    assert problem["title"] == "Invalid"
    assert problem["detail"] == (
        "data.supplier: This field is required, or one of: supplier_name. (and 3 more fields)"
    )
    assert Entry.objects.count() == 0


def test_envelope_and_payload_errors_of_every_item_of_a_batch_come_together(cast, client_for):
    batch = [
        {
            **event("scrap.received", {**scrap("SCR-1"), "mass_kg": 18250}),
            "occurred_at": "2026-01-01T00:00:00",
        },
        event("scrap.received", scrap("SCR-2")),
        event("melt.recorded", {"furnace": "F", "inputs": [{"lot": "SCR-1"}], "output_mass_kg": "1"}),
    ]
    problem = assert_problem(
        client_for("alurec").post("/api/v1/events/", batch, format="json"), 400, "invalid"
    )
    assert problem["errors"] == {
        "[0].occurred_at": ["Give a time zone, e.g. 2026-11-02T07:30:00Z or +01:00."],
        "[0].data.mass_kg": ['Give a mass in kg as a decimal string such as "24850.500", not a JSON number.'],
        "[2].data.inputs[0].mass_kg": ["This field is required."],
    }
    assert Entry.objects.count() == 0


def test_the_services_check_the_same_declaration_for_every_way_in(cast):
    from django.utils import timezone

    from ledger.services import EventInput, events_record

    with pytest.raises(DomainError) as refused:
        events_record(
            organisation=cast["alurec"],
            actor="user:staff",
            events=[EventInput("scrap.received", timezone.now(), {"mass_kg": "100", "code": "A/B"})],
        )
    assert refused.value.code == "invalid"
    assert set(refused.value.errors) == {
        "data.code",
        "data.supplier",
        "data.grade",
        "data.category",
        "data.transport",
    }
    assert Entry.objects.count() == 0


@pytest.mark.parametrize("entry_type", list(DECLARED))
def test_the_api_answers_exactly_the_declarations_errors(cast, client_for, entry_type):
    # Every field of the full sample made wrong at once: a number for a string, a string for a
    # number, an unknown field; the API's `errors` are the declaration's, path for path.
    sample = DECLARED[entry_type].data.sample()
    broken = {key: (7 if isinstance(value, str) else "seven") for key, value in sample.items()}
    broken["colour"] = "grey"
    expected = payload_errors(entry_type, broken)
    assert len(expected) == len(sample) + 1
    poster = "scrapco" if entry_type == "supply.confirmed" else "wheelworks"  # one whose roles may post it
    response = client_for(poster).post("/api/v1/events/", event(entry_type, broken), format="json")
    assert assert_problem(response, 400, "invalid")["errors"] == expected
    assert Entry.objects.count() == 0
