"""GET /api/v1/lots/ and /lots/{code}/: what each member of the loop may see, filters, order,
pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.support import assert_problem

EVERYTHING = {
    "SCR-A",
    "SCR-B",
    "MLT-1",
    "ING-1",
    "ING-2",
    "W-0001",
    "W-0002",
    "W-0003",
    "W-0004",
    "INT-1",
    "OUT-1",
}
UPSTREAM_OF_PARTS = {"ING-1", "MLT-1", "SCR-A", "SCR-B"}


def _codes(client, query="") -> list[str]:
    response = client.get(f"/api/v1/lots/?page_size=500{query}")
    assert response.status_code == 200, response.content
    return [lot["code"] for lot in response.json()["results"]]


@pytest.mark.parametrize(
    ("slug", "sees"),
    [
        ("scrapco", set()),  # named as SCR-A's supplier, but it has not confirmed the receipt
        ("alurec", {"SCR-A", "SCR-B", "MLT-1", "ING-1", "ING-2"}),  # made them
        ("wheelworks", {"W-0001", "W-0002", "W-0003", "W-0004", "INT-1"} | UPSTREAM_OF_PARTS),
        ("autofab", {"W-0001", "W-0002"} | UPSTREAM_OF_PARTS),  # its parts and all upstream of them
        ("certa", EVERYTHING),  # auditor
        ("remelt-ops", EVERYTHING),  # operator
        ("outsider", {"OUT-1"}),
    ],
)
def test_each_organisation_sees_what_it_holds_or_held_and_the_upstream_of_its_parts(
    loop, client_for, slug, sees
):
    client = client_for(slug)
    assert set(_codes(client)) == sees
    for code in EVERYTHING:
        status = client.get(f"/api/v1/lots/{code}/").status_code
        assert status == (200 if code in sees else 404), (slug, code)


def test_a_lot_shows_its_masses_as_kg_strings_and_where_it_came_from(loop, client_for):
    lot = client_for("autofab").get("/api/v1/lots/ING-1/").json()
    assert lot == {
        "code": "ING-1",
        "kind": "ingot",
        "owner": "wheelworks",
        "mass_kg": "6000.000",
        "remaining_kg": "5400.000",
        "category": "",
        "grade": "",
        "alloy": "A356.2",
        "chemistry": {"Si": "7.0500"},
        "part_number": "",
        "supplier": "",
        "supplier_name": "",
        "origin": "",
        "occurred_at": lot["occurred_at"],
        "made_by": loop.cast,
        "voided": False,
        "amendments": [],
    }


def test_filters(loop, client_for):
    certa = client_for("certa")
    assert set(_codes(certa, "&kind=part")) == {"W-0001", "W-0002", "W-0003", "W-0004"}
    assert set(_codes(certa, "&kind=scrap&category=internal")) == {"INT-1"}
    assert set(_codes(certa, "&owner=autofab")) == {"W-0001", "W-0002"}
    assert set(_codes(certa, "&alloy=A356.2")) == {"ING-1", "ING-2"}
    assert set(_codes(certa, "&code_prefix=SCR-")) == {"SCR-A", "SCR-B"}
    assert set(_codes(certa, "&part_number=AF-18&owner=wheelworks")) == {"W-0003", "W-0004"}
    # the loop's events are one hour apart, starting three days ago
    start = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    after, before = start + timedelta(minutes=150), start + timedelta(minutes=270)
    window = (
        f"&occurred_after={after.isoformat().replace('+00:00', 'Z')}&occurred_before={before.isoformat()}"
    )
    assert set(_codes(certa, window.replace("+", "%2B"))) == {"MLT-1", "ING-1", "ING-2"}
    # filters never widen what a caller may see
    assert set(_codes(client_for("alurec"), "&kind=part")) == set()


def test_order_and_pages(loop, client_for):
    certa = client_for("certa")
    assert _codes(certa, "&ordering=-mass&kind=scrap") == ["SCR-A", "SCR-B", "OUT-1", "INT-1"]
    assert _codes(certa, "&ordering=code&kind=part") == ["W-0001", "W-0002", "W-0003", "W-0004"]
    assert _codes(certa, "&ordering=-occurred_at&kind=part") == ["W-0001", "W-0002", "W-0003", "W-0004"]
    first = certa.get("/api/v1/lots/?page_size=4").json()
    assert first["count"] == 11 and len(first["results"]) == 4 and first["previous"] is None
    seen = [lot["code"] for lot in first["results"]]
    url = first["next"]
    while url:
        page = certa.get(url).json()
        seen += [lot["code"] for lot in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 11
    assert seen[:2] == ["SCR-A", "SCR-B"]  # by default in the order they were made


@pytest.mark.parametrize(
    "query",
    ["kind=alloy", "category=scrap", "occurred_after=yesterday", "ordering=owner"],
)
def test_bad_filters_are_400_naming_them(loop, client_for, query):
    body = assert_problem(client_for("certa").get(f"/api/v1/lots/?{query}"), 400, "invalid")
    assert list(body["errors"]) == [query.split("=")[0]]


def test_a_page_past_the_end_is_404(loop, client_for):
    assert_problem(client_for("certa").get("/api/v1/lots/?page=9"), 404, "not_found")
