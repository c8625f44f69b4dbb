"""One body limit, MAX_BODY_BYTES, for every request: bodies up to it are read (Django's own
limit is the same, so none gets its 400 page), larger ones are refused with 413 before they are
read, as a problem on the API, in PACT's format on PACT and as plain text on the pages."""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from tests.api.support import TRUCK, assert_problem, scrap

MB = 10**6
DJANGOS_DEFAULT = 2.5 * 2**20  # DATA_UPLOAD_MAX_MEMORY_SIZE when not set, which refused such bodies


def _ingot_at_wheelworks(cast, mass_kg: int) -> None:
    alurec = cast["alurec"]
    start = timezone.now() - timedelta(days=1)
    events_record(
        organisation=alurec,
        actor="user:loader",
        events=[
            EventInput("scrap.received", start, scrap("SCR-BIG", str(mass_kg + 20_000))),
            EventInput(
                "melt.recorded",
                start + timedelta(hours=1),
                {
                    "code": "MLT-BIG",
                    "furnace": "TC-65",
                    "inputs": [{"lot": "SCR-BIG", "mass_kg": str(mass_kg + 20_000)}],
                    "output_mass_kg": str(mass_kg + 10_000),
                },
            ),
            EventInput(
                "ingots.cast",
                start + timedelta(hours=2),
                {
                    "inputs": [{"lot": "MLT-BIG", "mass_kg": str(mass_kg + 10_000)}],
                    "outputs": [{"code": "ING-BIG", "mass_kg": str(mass_kg), "alloy": "A356.2"}],
                },
            ),
            EventInput(
                "custody.transferred",
                start + timedelta(hours=3),
                {"lots": ["ING-BIG"], "to": "wheelworks", "transport": TRUCK},
            ),
        ],
    )


def _part_runs(runs: int, parts: int) -> list[dict]:
    """Runs of wheel hubs with serials and part numbers as long as codes may be (64 characters)."""
    when = (timezone.now() - timedelta(hours=2)).isoformat()
    number = "AF-18-" + "X" * 58
    return [
        {
            "type": "parts.produced",
            "occurred_at": when,
            "data": {
                "inputs": [{"lot": "ING-BIG", "mass_kg": str(parts * 20)}],
                "parts": [
                    {"serial": f"WH-{run:02d}-{part:05d}-" + "0" * 50, "mass_kg": "20", "part_number": number}
                    for part in range(parts)
                ],
            },
        }
        for run in range(runs)
    ]


def test_a_valid_batch_of_part_runs_of_3_4_mb_is_recorded(cast, client_for, settings):
    settings.LEDGER_MAX_BATCH_ITEMS = 20_000  # the items' own limit, raised as the README allows
    batch = _part_runs(runs=4, parts=4_850)
    body = json.dumps(batch)
    assert DJANGOS_DEFAULT < 3.4 * MB < len(body) <= settings.MAX_BODY_BYTES
    _ingot_at_wheelworks(cast, mass_kg=4 * 4_850 * 20)
    before = Entry.objects.count()

    response = client_for("wheelworks").post("/api/v1/events/", body, content_type="application/json")

    assert response.status_code == 201, response.content[:500]
    assert Entry.objects.count() == before + 4
    assert Lot.objects.filter(kind="part", code__startswith="WH-").count() == 4 * 4_850


def test_djangos_limit_is_the_same_one():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.MAX_BODY_BYTES


def test_a_body_over_the_limit_is_a_413_problem_on_the_api_even_if_django_would_read_it(
    cast, client_for, settings
):
    settings.MAX_BODY_BYTES = 2000
    body = json.dumps(_part_runs(runs=1, parts=20))
    response = client_for("wheelworks").post("/api/v1/events/", body, content_type="application/json")
    problem = assert_problem(response, 413, "too_large")
    assert f"{len(body)} bytes; at most 2000" in problem["detail"]


def test_a_body_over_the_limit_is_a_413_on_the_pages_and_the_admin(db, client, settings):
    settings.MAX_BODY_BYTES = 2000
    for url in ("/admin/login/", "/accounts/login/", "/audit/"):
        response = client.post(url, {"username": "x" * 3000, "password": "y"})
        assert response.status_code == 413, url
        assert response["Content-Type"].startswith("text/plain")
        assert b"at most 2000" in response.content


def test_a_body_over_the_limit_is_refused_in_pacts_format(db, client, settings):
    settings.MAX_BODY_BYTES = 2000
    response = client.post(
        "/pact/3/events", "{" + " " * 3000 + "}", content_type="application/cloudevents+json", secure=True
    )
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest" and "at most 2000" in response.json()["message"]


def test_djangos_own_400_is_a_problem_on_the_api(cast, client_for):
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    assert_problem(client_for("alurec").get(f"/api/v1/lots/?{query}"), 400, "invalid")
