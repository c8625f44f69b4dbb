"""The API's cast: a key per organisation, clients, and one closed loop of material.

The loop (all through the services, as partners would post it):
- alurec receives SCR-A (10 000 kg, supplied by scrapco) and SCR-B (5 000 kg, from a supplier
  not on remelt), melts 8 000 + 5 000 kg of them into MLT-1 (12 500 kg) and casts ING-1 and
  ING-2 (6 000 kg each) from 12 400 kg of it; it sends ING-1 to wheelworks.
- wheelworks makes wheel hubs W-0001 … W-0004 (20 kg each) and internal scrap INT-1 (500 kg)
  from 600 kg of ING-1, and sends W-0001 and W-0002 to autofab.
- outsider receives its own OUT-1 and has dealt with nobody.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_issue
from ledger.services import EventInput, events_record
from tests.api.support import TRUCK, scrap

PARTS = ["W-0001", "W-0002", "W-0003", "W-0004"]


@pytest.fixture
def keys(cast):
    """One API key per organisation of the cast: slug → token."""
    return {slug: api_key_issue(organisation=org, name="erp").token for slug, org in cast.items()}


@pytest.fixture
def client_for(keys):
    """`client_for("alurec")`: an API client sending that organisation's key."""

    def make(slug: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys[slug]}")
        return client

    return make


@pytest.fixture
def anonymous():
    return APIClient()


@dataclass(frozen=True)
class Loop:
    """Seqs of the loop's entries, by what they recorded."""

    received_a: int
    received_b: int
    melted: int
    cast: int
    ingot_sent: int
    parts_made: int
    parts_sent: int
    outsider_received: int


def _record(org, entry_type, data, when):
    recorded = events_record(
        organisation=org, actor="user:loader", events=[EventInput(entry_type, when, data)]
    )
    return recorded[0].entry.seq


@pytest.fixture
def loop(cast) -> Loop:
    alurec, wheelworks, outsider = cast["alurec"], cast["wheelworks"], cast["outsider"]
    start = timezone.now() - timedelta(days=3)
    hours = iter(range(1, 100))

    def at():
        return start + timedelta(hours=next(hours))

    received_a = _record(alurec, "scrap.received", scrap("SCR-A", "10000"), at())
    received_b = _record(
        alurec,
        "scrap.received",
        scrap("SCR-B", "5000", supplier_name="Foshan Metals", category="pre_consumer"),
        at(),
    )
    melted = _record(
        alurec,
        "melt.recorded",
        {
            "code": "MLT-1",
            "furnace": "TC-65",
            "inputs": [{"lot": "SCR-A", "mass_kg": "8000"}, {"lot": "SCR-B", "mass_kg": "5000"}],
            "additions": [{"material": "silicon", "mass_kg": "100"}],
            "output_mass_kg": "12500",
        },
        at(),
    )
    cast_seq = _record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MLT-1", "mass_kg": "12400"}],
            "outputs": [
                {"code": "ING-1", "mass_kg": "6000", "alloy": "A356.2", "chemistry": {"Si": "7.05"}},
                {"code": "ING-2", "mass_kg": "6000", "alloy": "A356.2"},
            ],
        },
        at(),
    )
    ingot_sent = _record(
        alurec, "custody.transferred", {"lots": ["ING-1"], "to": "wheelworks", "transport": TRUCK}, at()
    )
    parts_made = _record(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": "ING-1", "mass_kg": "600"}],
            "parts": [{"serial": serial, "mass_kg": "20", "part_number": "AF-18"} for serial in PARTS],
            "internal_scrap": {"code": "INT-1", "mass_kg": "500"},
        },
        at(),
    )
    parts_sent = _record(
        wheelworks,
        "custody.transferred",
        {"lots": ["W-0001", "W-0002"], "to": "autofab", "transport": TRUCK},
        at(),
    )
    outsider_received = _record(
        outsider, "scrap.received", scrap("OUT-1", supplier_name="Somewhere Else"), at()
    )
    return Loop(
        received_a, received_b, melted, cast_seq, ingot_sent, parts_made, parts_sent, outsider_received
    )
