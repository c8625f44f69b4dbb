"""Codes and serials of new lots are in the code character set (letters, digits, `-`, `.`,
`_`, at most 64, beginning with a letter or a digit), so every URL reaches them; anything else
is a field error. Lots recorded before the set existed stay readable, usable and replayable."""

import pytest
from django.utils import timezone

from ledger.errors import DomainError
from ledger.models import Entry, Lot
from ledger.projection import projection_drift
from ledger.services import EventInput, events_record
from tests.ledger.test_tamper import run_verify_ledger

TRUCK = {"distance_km": "10", "mode": "truck"}


def receive(org, code, **extra):
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport": TRUCK,
    }
    return events_record(
        organisation=org,
        actor="user:test",
        events=[EventInput("scrap.received", timezone.now(), {**data, "code": code, **extra})],
    )


def run(org, serial, code="SCR-OK-1"):
    receive(org, code)
    melt = {
        "furnace": "F",
        "inputs": [{"lot": code, "mass_kg": "100"}],
        "output_mass_kg": "90",
        "code": "MLT-OK-1",
    }
    events_record(
        organisation=org, actor="user:test", events=[EventInput("melt.recorded", timezone.now(), melt)]
    )
    data = {
        "inputs": [{"lot": "MLT-OK-1", "mass_kg": "20"}],
        "parts": [{"serial": serial, "mass_kg": "10", "part_number": "AF"}],
    }
    return events_record(
        organisation=org, actor="user:test", events=[EventInput("parts.produced", timezone.now(), data)]
    )


@pytest.mark.parametrize(
    "code",
    [
        "A/B",
        "A B",
        'A"B',
        "A'B",
        "A\nB",
        "A\x00B",
        "A%2FB",
        "A?B",
        "A#B",
        ".",
        "..",
        ".hidden",
        "-x",
        "Ä1",
    ],
)
def test_a_new_lot_code_outside_the_set_is_a_field_error(alurec, code):
    with pytest.raises(DomainError) as refused:
        receive(alurec, code)
    assert refused.value.code == "invalid"
    assert list(refused.value.errors) == ["data.code"]
    assert "letters (A-Z, a-z), digits" in refused.value.errors["data.code"][0]
    assert Entry.objects.count() == 0


def test_a_code_longer_than_64_is_a_field_error(alurec):
    with pytest.raises(DomainError) as refused:
        receive(alurec, "x" * 65)
    assert refused.value.errors == {"data.code": ["Ensure this field has no more than 64 characters."]}


def test_a_serial_with_a_slash_is_refused_naming_it(alurec):
    with pytest.raises(DomainError) as refused:
        run(alurec, "WH/0001")
    assert list(refused.value.errors) == ["data.parts[0].serial"]
    assert not Lot.objects.filter(kind="part").exists()


@pytest.mark.parametrize("code", ["SCR-2026-000123", "WH.7731_000001", "a", "0" * 64])
def test_codes_in_the_set_are_recorded_and_reachable_by_url(alurec, admin_client, code):
    receive(alurec, code)
    assert admin_client.get(f"/api/v1/lots/{code}/").status_code == 200


def test_a_lot_recorded_before_the_set_existed_stays_usable_and_replays(alurec, monkeypatch):
    monkeypatch.setattr("ledger.services.events_check", lambda events: None)  # as recorded before
    receive(alurec, "OLD/1")
    monkeypatch.undo()
    assert Lot.objects.filter(code="OLD/1").exists()
    melt = {"furnace": "F", "inputs": [{"lot": "OLD/1", "mass_kg": "100"}], "output_mass_kg": "90"}
    events_record(
        organisation=alurec, actor="user:test", events=[EventInput("melt.recorded", timezone.now(), melt)]
    )
    assert Lot.objects.get(code="OLD/1").remaining_g == 0
    assert projection_drift() is None
    assert run_verify_ledger()[0] == 0
