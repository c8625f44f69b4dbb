"""The staff desk on the admin's index page: the day's, week's and month's making steps, stock
with mass left by age, footprints waiting for a roll-up, the last checkpoint and the witnesses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import user_create
from ledger.checkpoints import checkpoint_sign
from ledger.services import EventInput, events_record
from operations.selectors import desk_summary
from passports.models import PendingRollup
from witness.models import WitnessState

NOW = timezone.now()
TRUCK = {"distance_km": "100", "mode": "truck"}


def _receive(org, code, mass_kg, days_ago):
    data = {
        "code": code,
        "supplier_name": "Foshan Metals",
        "grade": "ISRI Tense",
        "category": "post_consumer",
        "mass_kg": mass_kg,
        "transport": TRUCK,
    }
    when = NOW - timedelta(days=days_ago)
    events_record(organisation=org, actor="user:t", events=[EventInput("scrap.received", when, data)])


@pytest.fixture
def stock(cast):
    """alurec's scrap of four ages, a melt of today from two of the lots, wheelworks' ingots."""
    alurec, wheelworks = cast["alurec"], cast["wheelworks"]
    _receive(alurec, "SCR-OLD", "1000", days_ago=120)
    _receive(alurec, "SCR-MONTH", "2000", days_ago=40)
    _receive(alurec, "SCR-WEEK", "3000", days_ago=10)
    _receive(alurec, "SCR-TODAY", "4000", days_ago=0)
    _receive(wheelworks, "SCR-WW", "500", days_ago=3)
    melt = {
        "code": "MLT-TODAY",
        "furnace": "RF-1",
        "inputs": [{"lot": "SCR-WEEK", "mass_kg": "3000"}, {"lot": "SCR-TODAY", "mass_kg": "1000"}],
        "output_mass_kg": "3800",
    }
    events_record(organisation=alurec, actor="user:t", events=[EventInput("melt.recorded", NOW, melt)])
    return cast


def _cells(desk, label):
    return next(step.cells for step in desk.activity if step.label == label)


def test_the_desk_counts_the_periods_and_ages_stock(stock):
    desk = desk_summary(now=NOW)
    # (entries, kg made) today, in the last 7 days and in the last 30.
    assert _cells(desk, "Scrap receipts") == [(1, 4_000_000), (2, 4_500_000), (3, 7_500_000)]
    assert _cells(desk, "Melts") == [(1, 3_800_000)] * 3
    assert _cells(desk, "Part runs") == [(0, 0)] * 3
    scrap, melt, ingot = desk.stock
    # SCR-WEEK is all melted; SCR-TODAY has 3,000 kg left, SCR-WW 500 kg.
    assert (scrap.kind, scrap.by_age) == ("scrap", [(2, 3_500_000), (0, 0), (1, 2_000_000), (1, 1_000_000)])
    assert (scrap.lots, scrap.grams) == (4, 6_500_000)
    assert melt.by_age[0] == (1, 3_800_000) and ingot.lots == 0
    assert [lot.code for lot in desk.oldest] == ["SCR-OLD", "SCR-MONTH", "SCR-WW", "SCR-TODAY", "MLT-TODAY"]
    assert desk.pending == 6  # nothing rolled up: the test's transaction never commits
    assert desk.checkpoint is None and desk.unsigned == 6


def test_staff_see_the_desk_on_the_admin_index(stock, client, ledger_signing_key):
    checkpoint = checkpoint_sign()
    WitnessState.objects.create(
        key="witness.veritas.example+1a2b3c4d+AQ",
        url="http://w/",
        cosigned_size=checkpoint.size,
        cosigned_at=NOW,
    )
    WitnessState.objects.create(
        key="witness.other.example+5e6f7a8b+AQ",
        url="http://o/",
        problem="connection refused",
        problem_at=NOW,
    )
    PendingRollup.objects.all().delete()
    ops = user_create(username="ops", organisation=stock["remelt-ops"], password="pw-ops-desk", is_staff=True)
    client.force_login(ops)
    page = client.get("/admin/").content.decode()
    assert "Stock with mass left, by age" in page
    assert "All rolled up" in page
    assert f"Size {checkpoint.size}" in page and "It covers the whole ledger." in page
    assert "witness.veritas.example" in page and "cosigned the last checkpoint" in page
    assert "last submission failed: connection refused" in page
    assert "SCR-OLD" in page and "3,800.000 kg tapped" in page


def test_the_desk_is_for_staff_only(stock, client):
    user_create(username="dana", organisation=stock["alurec"], password="pw-dana-desk", is_staff=False)
    client.login(username="dana", password="pw-dana-desk")
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
