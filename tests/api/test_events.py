"""POST /api/v1/events/: one event or an atomic batch; what was written, and every refusal as
problem+json naming the field (and the item of a batch)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.models import Entry, LedgerHead, Lot
from tests.api.support import assert_problem, event, post, scrap


def test_one_event_returns_its_entry_and_the_lots_it_made(cast, client_for):
    response = post(client_for("alurec"), "scrap.received", scrap("SCR-1", "1250.5"))
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    [recorded] = response.json()["entries"]
    entry = Entry.objects.get()
    assert recorded["seq"] == entry.seq == 1
    assert recorded["hash"] == entry.hash == LedgerHead.objects.get().hash
    assert recorded["prev_hash"] == "0" * 64
    assert recorded["type"] == "scrap.received"
    assert recorded["lots"] == ["SCR-1"]
    assert entry.data["mass_kg"] == "1250.500"  # the payload as normalised and hashed
    lot = Lot.objects.get(code="SCR-1")
    assert (lot.owner.slug, lot.mass_g) == ("alurec", 1_250_500)


def test_generated_codes_are_returned(cast, client_for):
    data = scrap("x")
    del data["code"]
    response = post(client_for("alurec"), "scrap.received", data)
    [code] = response.json()["entries"][0]["lots"]
    assert code.startswith("SCR-") and Lot.objects.filter(code=code).exists()


def test_a_batch_is_recorded_in_order_and_may_use_lots_made_earlier_in_it(cast, client_for):
    batch = [
        event("scrap.received", scrap("SCR-1", "1000")),
        event("scrap.received", scrap("SCR-2", "2000")),
        event(
            "melt.recorded",
            {
                "code": "MLT-9",
                "furnace": "TC-65",
                "inputs": [{"lot": "SCR-1", "mass_kg": "1000"}, {"lot": "SCR-2", "mass_kg": "2000"}],
                "output_mass_kg": "2900",
            },
        ),
    ]
    response = client_for("alurec").post("/api/v1/events/", batch, format="json")
    assert response.status_code == 201, response.content
    entries = response.json()["entries"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert [e["lots"] for e in entries] == [["SCR-1"], ["SCR-2"], ["MLT-9"]]
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert Lot.objects.get(code="SCR-1").remaining_g == 0


def test_a_batch_with_one_bad_item_writes_nothing_and_names_the_item(loop, client_for):
    before = (Entry.objects.count(), LedgerHead.objects.get().hash, Lot.objects.count())
    batch = [
        event("scrap.received", scrap("SCR-1", "1000")),
        event(
            "melt.recorded",
            {"furnace": "TC-65", "inputs": [{"lot": "SCR-A", "mass_kg": "2500"}], "output_mass_kg": "2400"},
        ),
        event("scrap.received", scrap("SCR-3", "1000")),
    ]
    response = client_for("alurec").post("/api/v1/events/", batch, format="json")
    body = assert_problem(response, 409, "overdrawn")
    assert body["detail"].startswith("item 1: lot 'SCR-A' has 2000.000 kg left")
    assert list(body["errors"]) == ["[1].data.inputs[0].mass_kg"]
    assert (Entry.objects.count(), LedgerHead.objects.get().hash, Lot.objects.count()) == before
    assert not Lot.objects.filter(code="SCR-1").exists()


def test_a_batch_with_a_malformed_item_names_it_too(cast, client_for):
    batch = [event("scrap.received", scrap("SCR-1")), {"type": "scrap.received", "data": scrap("SCR-2")}]
    body = assert_problem(client_for("alurec").post("/api/v1/events/", batch, format="json"), 400, "invalid")
    assert body["errors"] == {"[1].occurred_at": ["This field is required."]}
    assert Entry.objects.count() == 0


def test_domain_errors_carry_their_code_status_and_field(loop, client_for):
    response = post(
        client_for("alurec"),
        "melt.recorded",
        {"furnace": "TC-65", "inputs": [{"lot": "SCR-A", "mass_kg": "2000.0001"}], "output_mass_kg": "1900"},
    )
    body = assert_problem(response, 400, "invalid")
    assert body["errors"] == {
        "data.inputs[0].mass_kg": ["Ensure a mass in kg has no more than 3 decimal places."]
    }
    not_owner = post(
        client_for("alurec"),
        "custody.transferred",
        {"lots": ["ING-1"], "to": "autofab", "transport": {"distance_km": "1", "mode": "truck"}},
    )
    body = assert_problem(not_owner, 409, "not_owner")
    assert body["title"] == "Not owner"
    assert body["errors"] == {"data.lots[0]": ["lot 'ING-1' is held by wheelworks"]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"occurred_at": "2026-01-01T00:00:00Z", "data": {}}, {"type": ["This field is required."]}),
        (
            {"type": "scrap.melted", "occurred_at": "2026-01-01T00:00:00Z", "data": {}},
            {
                "type": [
                    '"scrap.melted" is not an event type; one of: scrap.received, melt.recorded, '
                    "ingots.cast, parts.produced, custody.transferred, lot.amended, entry.voided, "
                    "supply.confirmed, "
                    "installation.registered, installation.amended."
                ]
            },
        ),
        (
            {"type": "scrap.received", "occurred_at": "2026-01-01T00:00:00", "data": scrap("S")},
            {"occurred_at": ["Give a time zone, e.g. 2026-11-02T07:30:00Z or +01:00."]},
        ),
        (
            {"type": "scrap.received", "occurred_at": "yesterday", "data": scrap("S")},
            {
                "occurred_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"type": "scrap.received", "occurred_at": "2026-01-01T00:00:00Z", "data": [1]},
            {"data": ["Expected an object but got a JSON array."]},
        ),
        ([], {"non_field_errors": ["This list may not be empty."]}),
        ("scrap", {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
    ],
)
def test_malformed_events_are_refused_naming_the_field(cast, client_for, body, errors):
    response = client_for("alurec").post("/api/v1/events/", body, format="json")
    assert assert_problem(response, 400, "invalid")["errors"] == errors
    assert Entry.objects.count() == 0


def test_floats_and_future_times_are_refused_by_the_rules(cast, client_for):
    client = client_for("alurec")
    floats = client.post(
        "/api/v1/events/",
        event("scrap.received", {**scrap("SCR-1"), "mass_kg": 1000.5}),
        format="json",
    )
    assert list(assert_problem(floats, 400, "invalid")["errors"]) == ["data.mass_kg"]
    future = post(client, "scrap.received", scrap("SCR-1"), occurred_at=timezone.now() + timedelta(days=1))
    assert list(assert_problem(future, 400, "future")["errors"]) == ["occurred_at"]
    assert Entry.objects.count() == 0


def test_too_many_events_in_one_batch_are_refused(cast, client_for, monkeypatch):
    monkeypatch.setattr("ledger.api.serializers.MAX_BATCH", 2)
    batch = [event("scrap.received", scrap(f"SCR-{i}")) for i in range(3)]
    body = assert_problem(client_for("alurec").post("/api/v1/events/", batch, format="json"), 400)
    assert body["errors"] == {"non_field_errors": ["Ensure this field has no more than 2 elements."]}


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(cast, client_for, settings):
    settings.MAX_BODY_BYTES = 2000
    batch = [event("scrap.received", scrap(f"SCR-{i}")) for i in range(20)]
    body = assert_problem(
        client_for("alurec").post("/api/v1/events/", batch, format="json"), 413, "too_large"
    )
    assert "at most 2000" in body["detail"]
    assert Entry.objects.count() == 0


def test_bodies_that_are_not_json_are_refused(cast, client_for):
    client = client_for("alurec")
    assert_problem(
        client.post("/api/v1/events/", "{not json", content_type="application/json"), 400, "parse_error"
    )
    form = client.post(
        "/api/v1/events/", json.dumps(event("scrap.received", scrap("S"))), content_type="text/plain"
    )
    assert_problem(form, 415, "unsupported_media_type")
    assert Entry.objects.count() == 0


def test_a_post_without_a_body_is_refused_not_read_as_an_empty_event(cast, client_for):
    client = client_for("alurec")
    for response in (
        client.post("/api/v1/events/"),
        client.post("/api/v1/events/", content_type="application/json"),
        client.post("/api/v1/events/", "", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"),
    ):
        body = assert_problem(response, 400, "parse_error")
        assert body["detail"].startswith("The request has no body")
    # An empty object is a body: an event without its fields.
    empty = assert_problem(client.post("/api/v1/events/", {}, format="json"), 400, "invalid")
    assert set(empty["errors"]) == {"type", "occurred_at", "data"}
    assert Entry.objects.count() == 0


def test_chemistry_is_keyed_by_element_symbols_as_iupac_writes_them(cast, client_for):
    data = {"lot": "ING-1", "reason": "lab", "chemistry": {"Si": "7.1", "si": "7.1", "Xx": "1", "Mg": "101"}}
    response = client_for("alurec").post("/api/v1/events/", event("lot.amended", data), format="json")
    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"data.chemistry.si", "data.chemistry.Xx", "data.chemistry.Mg"}
    assert "element symbol" in body["errors"]["data.chemistry.Xx"][0]
    assert Entry.objects.count() == 0
