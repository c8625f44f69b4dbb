"""Naming an organisation as a receipt's supplier does not let it see the lot: it holds the lot
once it confirms the receipt (supply.confirmed, POST /api/v1/lots/{code}/confirm-supply/), and
for anyone else that URL answers as for a lot that does not exist."""

import io

import pytest
from django.core.management import call_command
from remelt_verify.chain import ChainVerifier, verify_export_lines
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_issue, organisation_create
from ledger.models import Entry, Lot, LotHolder
from ledger.projection import projection_drift
from ledger.selectors import chain_export
from tests.api.support import TRUCK, assert_problem, post, scrap


@pytest.fixture
def received(cast, client_for):
    """alurec received SCR-C from scrapco, and melted part of it."""
    alurec = client_for("alurec")
    assert post(alurec, "scrap.received", scrap("SCR-C", "1000")).status_code == 201
    melt = {
        "code": "MLT-C",
        "furnace": "TC-65",
        "inputs": [{"lot": "SCR-C", "mass_kg": "600"}],
        "energy": {"electricity_kwh": "10"},
        "output_mass_kg": "580",
    }
    assert post(alurec, "melt.recorded", melt).status_code == 201
    return Lot.objects.get(code="SCR-C")


@pytest.fixture
def rival(db):
    """Another scrap supplier, with its own key."""
    org = organisation_create(slug="rival-scrap", name="Rival Scrap", roles=[Role.SCRAP_SUPPLIER])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=org, name='erp').token}")
    return client


def _confirm(client, code: str):
    return client.post(f"/api/v1/lots/{code}/confirm-supply/")


def test_the_named_supplier_sees_the_lot_only_once_it_confirms(received, cast, client_for):
    scrapco = client_for("scrapco")
    assert_problem(scrapco.get("/api/v1/lots/SCR-C/"), 404)
    assert "SCR-C" not in [lot["code"] for lot in scrapco.get("/api/v1/lots/").json()["results"]]
    assert not LotHolder.objects.filter(lot=received, organisation=cast["scrapco"]).exists()

    response = _confirm(scrapco, "SCR-C")
    assert response.status_code == 201, response.content
    [entry] = response.json()["entries"]
    assert entry["type"] == "supply.confirmed" and entry["lots"] == []
    stored = Entry.objects.get(seq=entry["seq"])
    assert (stored.organisation, stored.data) == (cast["scrapco"], {"lot": "SCR-C"})

    lot = scrapco.get("/api/v1/lots/SCR-C/")
    assert lot.status_code == 200 and lot.json()["supplier"] == "scrapco"
    assert scrapco.get("/api/v1/lots/SCR-C/trace/?direction=down").status_code == 200
    assert LotHolder.objects.filter(lot=received, organisation=cast["scrapco"]).exists()
    assert Lot.objects.get(code="SCR-C").supplier_confirmed is True
    # The receipt's payload and the confirmation show to the supplier in the feed.
    feed = {e["seq"]: e for e in scrapco.get("/api/v1/ledger/entries/?after=0").json()["entries"]}
    assert feed[received.made_by_id]["payload"]["supplier"] == "scrapco"
    assert feed[entry["seq"]]["payload"] == {"lot": "SCR-C"}
    assert projection_drift() is None  # a replay gives the supplier the same lot


def test_anyone_else_confirming_gets_the_answer_of_a_lot_that_does_not_exist(received, rival, client_for):
    before = Entry.objects.count()
    theirs = assert_problem(_confirm(rival, "SCR-C"), 404, "unknown_lot")
    nothing = assert_problem(_confirm(rival, "SCR-Z"), 404, "unknown_lot")
    assert theirs == {
        **nothing,
        "detail": nothing["detail"].replace("SCR-Z", "SCR-C"),
        "errors": {"code": [nothing["errors"]["code"][0].replace("SCR-Z", "SCR-C")]},
    }
    assert list(theirs["errors"]) == ["code"]
    # Not a supplier at all: refused for its role, before any lot is looked at.
    assert_problem(_confirm(client_for("alurec"), "SCR-C"), 403, "role_not_allowed")
    assert_problem(_confirm(client_for("wheelworks"), "SCR-Z"), 403, "role_not_allowed")
    assert Entry.objects.count() == before
    assert_problem(rival.get("/api/v1/lots/SCR-C/"), 404)


def test_a_receipt_is_confirmed_once(received, client_for):
    scrapco = client_for("scrapco")
    assert _confirm(scrapco, "SCR-C").status_code == 201
    before = Entry.objects.count()
    again = assert_problem(_confirm(scrapco, "SCR-C"), 409, "already_confirmed")
    assert again["errors"] == {"data.lot": ["lot 'SCR-C' is confirmed already"]}
    assert Entry.objects.count() == before


def test_a_receipt_from_a_supplier_not_on_remelt_is_no_ones_to_confirm(cast, client_for):
    post(client_for("alurec"), "scrap.received", scrap("SCR-N", supplier_name="scrapco"))
    assert_problem(_confirm(client_for("scrapco"), "SCR-N"), 404, "unknown_lot")


def test_the_event_posted_as_any_other_confirms_in_a_batch(cast, client_for):
    """Through POST /api/v1/events/ too; a batch of a confirmation and a transfer of the lot the
    supplier does not own is refused as a whole."""
    assert post(client_for("alurec"), "scrap.received", scrap("SCR-B")).status_code == 201
    scrapco = client_for("scrapco")
    transfer = {"lots": ["SCR-B"], "to": "autofab", "transport": TRUCK}
    batch = [
        {"type": "supply.confirmed", "occurred_at": "2026-11-20T07:30:00Z", "data": {"lot": "SCR-B"}},
        {"type": "custody.transferred", "occurred_at": "2026-11-20T07:31:00Z", "data": transfer},
    ]
    refused = assert_problem(scrapco.post("/api/v1/events/", batch, format="json"), 409, "not_owner")
    assert list(refused["errors"]) == ["[1].data.lots[0]"]  # it sees the lot by then, but does not hold it
    assert not Lot.objects.get(code="SCR-B").supplier_confirmed
    one = post(scrapco, "supply.confirmed", {"lot": "SCR-B"})
    assert one.status_code == 201, one.content
    assert scrapco.get("/api/v1/lots/SCR-B/").status_code == 200


def test_a_ledger_with_confirmations_verifies_online_and_offline(received, client_for):
    assert _confirm(client_for("scrapco"), "SCR-C").status_code == 201
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "OK" in out.getvalue()
    export = io.BytesIO()
    chain_export(out=export)
    verifier = ChainVerifier()
    assert verify_export_lines(iter(export.getvalue().splitlines(keepends=True)), verifier) is None
    assert verifier.count == Entry.objects.count()
