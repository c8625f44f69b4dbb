"""A scrap receipt's supplier is a platform organisation (`supplier`, its slug) or one that is not
on remelt (`supplier_name`, free text): exactly one of the two, and a slug that names no
organisation is refused, never kept as a name."""

import pytest
from django.utils import timezone

from ledger.errors import DomainError
from ledger.events import SCRAP_RECEIVED, Context, OrgInfo, scrap_received
from ledger.models import Entry, Lot
from ledger.projection import DbState, MemoryState, projection_drift
from tests.api.support import assert_problem, post, scrap


def _receipt(**supplier) -> dict:
    data = scrap("SCR-S1")
    del data["supplier"]
    return {**data, **supplier}


def test_a_slug_that_names_no_organisation_is_refused_at_data_supplier(client_for):
    response = post(client_for("alurec"), SCRAP_RECEIVED, _receipt(supplier="scrapco-typo"))
    problem = assert_problem(response, 400, "unknown_supplier")
    assert problem["title"] == "Unknown supplier"
    assert problem["errors"] == {
        "data.supplier": [
            "no organisation 'scrapco-typo'; give a platform organisation's slug, or name a supplier "
            "not on remelt in supplier_name"
        ]
    }
    assert Entry.objects.count() == 0 and not Lot.objects.exists()


def test_both_or_neither_of_supplier_and_supplier_name_is_refused_naming_them(client_for):
    client = client_for("alurec")
    both = assert_problem(
        post(client, SCRAP_RECEIVED, _receipt(supplier="scrapco", supplier_name="Hebei")), 400
    )
    assert both["code"] == "invalid"
    assert both["errors"] == {
        "data.supplier": ["Give only one of supplier, supplier_name."],
        "data.supplier_name": ["Give only one of supplier, supplier_name."],
    }
    neither = assert_problem(post(client, SCRAP_RECEIVED, _receipt()), 400, "invalid")
    assert neither["errors"] == {"data.supplier": ["This field is required, or one of: supplier_name."]}
    assert Entry.objects.count() == 0


def test_a_supplier_not_on_remelt_is_kept_as_its_name(client_for):
    client = client_for("alurec")
    response = post(client, SCRAP_RECEIVED, _receipt(supplier_name="Hebei Scrap Trading"))
    assert response.status_code == 201, response.content
    data = Entry.objects.get(seq=response.json()["entries"][0]["seq"]).data
    assert data["supplier_name"] == "Hebei Scrap Trading" and "supplier" not in data
    lot = client.get("/api/v1/lots/SCR-S1/").json()
    assert (lot["supplier"], lot["supplier_name"]) == ("", "Hebei Scrap Trading")
    assert projection_drift() is None


def test_a_supplier_on_remelt_is_kept_as_its_slug(client_for):
    client = client_for("alurec")
    response = post(client, SCRAP_RECEIVED, _receipt(supplier="scrapco"))
    assert response.status_code == 201, response.content
    data = Entry.objects.get(seq=response.json()["entries"][0]["seq"]).data
    assert data["supplier"] == "scrapco" and "supplier_name" not in data
    lot = client.get("/api/v1/lots/SCR-S1/").json()
    assert (lot["supplier"], lot["supplier_name"]) == ("scrapco", "")


def test_a_receipt_recorded_before_the_two_fields_replays_as_it_was_meant(alurec):
    """Before `supplier_name`, `supplier` held a slug or a name: on replay a value that names no
    organisation is the name it was; posted today, it is refused."""
    legacy = {
        "code": "SCR-OLD",
        "supplier": "Foshan Diecast",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100.000",
        "transport": {"distance_km": "10.000", "mode": "truck"},
        "documents": [],
    }
    ctx = Context(org=OrgInfo("alurec", False), occurred_at=timezone.now(), seq=1)
    state = MemoryState()
    scrap_received(state, ctx, dict(legacy))
    lot = state.lot("SCR-OLD")
    assert (lot.supplier, lot.supplier_name) == ("", "Foshan Diecast")
    scrap_received(state, ctx, {**legacy, "code": "SCR-OLD-2", "supplier": "scrapco"})
    assert (state.lot("SCR-OLD-2").supplier, state.lot("SCR-OLD-2").supplier_name) == ("scrapco", "")
    with pytest.raises(DomainError) as refused:
        scrap_received(DbState(viewer=ctx.org), ctx, {**legacy, "code": "SCR-NEW"})
    assert refused.value.code == "unknown_supplier" and list(refused.value.errors) == ["data.supplier"]
