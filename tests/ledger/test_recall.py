"""Recalls are complete: every part, past any trace limit, paged on the page, streamed as CSV and JSON.

The history: alurec receives SCR-1 (30 t) and SCR-2 (20 t) and melts them into MLT-1; wheelworks
gets MLT-1's metal as ING-1, makes three runs of 40 wheels from it (R1-…, R2-…, R3-…) with
internal scrap, melts the internal scrap of the first two with SCR-3 into MLT-2 and makes two
runs of 30 wheels from that (R4-…, R5-…): SCR-1's metal is in all 180 wheels, two steps deeper
in the last 60.
"""

import csv
import io
import json
import tracemalloc
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_issue, user_create
from ledger import recall as recall_module
from ledger import trace as trace_module
from ledger import views
from ledger.models import Lot
from ledger.recall import lot_recall
from ledger.selectors import grams_of
from ledger.services import EventInput, events_record
from ledger.trace import DOWN, MAX_DEPTH, lot_trace
from ledger.visibility import Viewer
from tests.api.support import TRUCK, scrap

EVERYTHING = Viewer(organisation_id=None, sees_everything=True)


def _record(org, entry_type, data, when):
    return events_record(organisation=org, actor="user:loader", events=[EventInput(entry_type, when, data)])


def _run(org, number, source, count, when, grams=11_500):
    serials = [f"R{number}-{i:03d}" for i in range(count)]
    _record(
        org,
        "parts.produced",
        {
            "inputs": [{"lot": source, "mass_kg": f"{count * grams * 1.2 / 1000:.3f}"}],
            "parts": [
                {"serial": s, "mass_kg": f"{grams / 1000:.3f}", "part_number": "AW-18"} for s in serials
            ],
            "internal_scrap": {"code": f"INT-{number}", "mass_kg": f"{count * grams * 0.1 / 1000:.3f}"},
            "energy": {"electricity_kwh": "120"},
        },
        when,
    )
    return serials


@pytest.fixture
def plant(cast):
    alurec, wheelworks = cast["alurec"], cast["wheelworks"]
    start = timezone.now() - timedelta(days=2)
    minutes = iter(range(1, 1000))

    def at():
        return start + timedelta(minutes=next(minutes))

    _record(alurec, "scrap.received", scrap("SCR-1", "30000"), at())
    _record(alurec, "scrap.received", scrap("SCR-2", "20000", category="pre_consumer"), at())
    _record(
        alurec,
        "melt.recorded",
        {
            "code": "MLT-1",
            "furnace": "TC-65",
            "inputs": [{"lot": "SCR-1", "mass_kg": "30000"}, {"lot": "SCR-2", "mass_kg": "20000"}],
            "additions": [{"material": "silicon", "mass_kg": "350"}],
            "output_mass_kg": "49000",
        },
        at(),
    )
    _record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MLT-1", "mass_kg": "48000"}],
            "outputs": [{"code": "ING-1", "mass_kg": "47500", "alloy": "A356.2"}],
        },
        at(),
    )
    _record(alurec, "custody.transferred", {"lots": ["ING-1"], "to": "wheelworks", "transport": TRUCK}, at())
    serials = []
    for number in (1, 2, 3):
        serials += _run(wheelworks, number, "ING-1", 40, at())
    _record(wheelworks, "scrap.received", scrap("SCR-3", "2000"), at())
    _record(
        wheelworks,
        "melt.recorded",
        {
            "code": "MLT-2",
            "furnace": "F2",
            "inputs": [
                {"lot": "INT-1", "mass_kg": "46"},
                {"lot": "INT-2", "mass_kg": "46"},
                {"lot": "SCR-3", "mass_kg": "2000"},
            ],
            "output_mass_kg": "2050",
        },
        at(),
    )
    for number in (4, 5):
        serials += _run(wheelworks, number, "MLT-2", 30, at())
    _record(
        wheelworks, "custody.transferred", {"lots": serials[:25], "to": "autofab", "transport": TRUCK}, at()
    )
    return sorted(serials)


@pytest.fixture
def auditor(client, cast):
    client.force_login(user_create(username="carol", organisation=cast["certa"], password=None))
    return client


def test_a_recall_lists_every_part_past_any_trace_limit(plant, monkeypatch):
    # The trace's own shares, without a limit, are the reference for each part's metal.
    reference = lot_trace(
        lot=Lot.objects.get(code="SCR-1"), direction=DOWN, depth=MAX_DEPTH, viewer=EVERYTHING
    )
    monkeypatch.setattr(trace_module, "MAX_NODES", 5)
    recall = lot_recall(lot=Lot.objects.get(code="SCR-1"), viewer=EVERYTHING)
    parts = list(recall.parts())
    assert [item.part.code for item in parts] == plant and recall.count == 180
    for item in parts:
        assert item.share == reference.shares[item.part.code], item.part.code
        assert item.metal_g == grams_of(item.share, item.part.mass_g)
    assert recall.metal_g == sum(item.metal_g for item in parts)
    deep = {item.part.code: item.share for item in parts if item.part.code.startswith("R4-")}
    assert all(0 < share < parts[0].share / 20 for share in deep.values())  # two steps deeper, diluted
    holders = {(s.organisation.slug, s.parts, s.metal_g) for s in recall.by_holder()}
    assert {slug for slug, _parts, _metal in holders} == {"autofab", "wheelworks"}
    assert sum(parts for _slug, parts, _metal in holders) == 180
    assert sum(metal for _slug, _parts, metal in holders) == recall.metal_g


def test_a_recall_of_other_scrap_reaches_only_the_runs_its_metal_went_to(plant):
    recall = lot_recall(lot=Lot.objects.get(code="SCR-3"), viewer=EVERYTHING)
    assert [item.part.code for item in recall.parts()] == [s for s in plant if s[:3] in ("R4-", "R5-")]


def test_the_page_pages_through_every_part(plant, auditor):
    first = auditor.get("/audit/lots/SCR-1/recall/")
    assert first.status_code == 200
    assert [item.part.code for item in first.context["page"]] == plant[: views.PAGE_ROWS]
    assert first.context["recall"].count == 180
    page = first.content.decode()
    assert "Rows 1–100 of 180" in page and "?page=2#parts" in page
    second = auditor.get("/audit/lots/SCR-1/recall/?page=2")
    assert [item.part.code for item in second.context["page"]] == plant[views.PAGE_ROWS :]


def test_the_csv_is_streamed_a_chunk_at_a_time_and_lists_every_part(plant, auditor, monkeypatch):
    monkeypatch.setattr(recall_module, "CHUNK", 16)
    monkeypatch.setattr(views, "CSV_ROWS_PER_CHUNK", 16)
    response = auditor.get("/audit/lots/SCR-1/recall.csv")
    assert response.status_code == 200 and response.streaming
    chunks = iter(response.streaming_content)
    rows = list(csv.reader(io.StringIO(next(chunks).decode())))
    assert rows[0][0] == "serial" and len(rows) == 16  # the header and the first 15 parts, sent
    received = [rows]
    for chunk in chunks:
        part = list(csv.reader(io.StringIO(chunk.decode())))
        assert 0 < len(part) <= 16
        received.append(part)
    serials = [row[0] for rows in received for row in rows][1:]
    assert serials == plant and len(received) > 10


def _recall_csv_peak(client, code: str) -> tuple[int, int]:
    """Rows of a recall's CSV and the peak of memory allocated while it was read."""
    response = client.get(f"/audit/lots/{code}/recall.csv")
    tracemalloc.start()
    try:
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        return lines, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_csv_takes_the_same_memory_for_four_times_the_parts(cast, auditor, monkeypatch):
    monkeypatch.setattr(recall_module, "CHUNK", 50)
    monkeypatch.setattr(views, "CSV_ROWS_PER_CHUNK", 50)
    alurec = cast["alurec"]
    when = timezone.now() - timedelta(hours=5)
    for code in ("SMALL", "LARGE"):
        _record(alurec, "scrap.received", scrap(f"S-{code}", "30000"), when)
        _record(
            alurec,
            "melt.recorded",
            {
                "code": f"M-{code}",
                "furnace": "F",
                "inputs": [{"lot": f"S-{code}", "mass_kg": "30000"}],
                "output_mass_kg": "29000",
            },
            when,
        )
    for number in range(1, 2):
        _run(alurec, 10 + number, "M-SMALL", 200, when, grams=9_000)
    for number in range(1, 5):
        _run(alurec, 20 + number, "M-LARGE", 200, when, grams=9_000)
    _recall_csv_peak(auditor, "S-SMALL")  # warm the caches (templates, query compilation)
    small_rows, small_peak = _recall_csv_peak(auditor, "S-SMALL")
    large_rows, large_peak = _recall_csv_peak(auditor, "S-LARGE")
    assert (small_rows, large_rows) == (201, 801)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def _api(cast, slug: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=cast[slug], name='t').token}")
    return client


def test_the_api_streams_the_recall_as_json(plant, cast):
    from rest_framework.test import APIClient

    from accounts.services import api_key_issue

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=cast['certa'], name='t').token}"
    )
    response = client.get("/api/v1/lots/SCR-1/recall/")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/json"
    body = json.loads(b"".join(response.streaming_content))
    assert body["lot"] == "SCR-1" and body["count"] == 180 == len(body["parts"])
    assert [part["serial"] for part in body["parts"]] == plant
    first = body["parts"][0]
    assert set(first) == {
        "serial",
        "part_number",
        "holder",
        "held_by",
        "metal_kg",
        "share",
        "part_mass_kg",
        "made_at",
    }
    assert first["held_by"] == ["wheelworks", "autofab"] and first["holder"] == "autofab"
    grams = sum(int(part["metal_kg"].replace(".", "")) for part in body["parts"])
    assert f"{grams // 1000}.{grams % 1000:03d}" == body["metal_kg"]


def test_a_part_is_not_where_a_recall_starts_and_an_outsider_sees_no_recall(plant, cast):
    from rest_framework.test import APIClient

    from accounts.services import api_key_issue

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=cast['certa'], name='t').token}"
    )
    refused = client.get(f"/api/v1/lots/{plant[0]}/recall/")
    assert refused.status_code == 400 and "code" in refused.json()["errors"]
    outsider = APIClient()
    outsider.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=cast['outsider'], name='t').token}"
    )
    assert outsider.get("/api/v1/lots/SCR-1/recall/").status_code == 404


def test_the_lot_page_says_a_trace_is_too_large_and_the_recall_still_has_every_part(
    plant, auditor, monkeypatch
):
    monkeypatch.setattr(trace_module, "MAX_NODES", 5)
    page = auditor.get("/audit/lots/SCR-1/")
    assert page.status_code == 200
    assert "Not shown: the trace down from SCR-1 reaches more than 5 lots" in page.content.decode()
    assert auditor.get("/audit/lots/SCR-1/recall/").context["recall"].count == 180
