"""The schema's example requests tell one story: posted in order on an empty ledger by an
integrated plant (it melts, casts and makes wheels), each one is recorded, and the
`entry.voided` example withdraws an entry of that story."""

from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_issue, organisation_create
from ledger.api.examples import EVENT_EXAMPLES, WHEN
from ledger.models import Entry
from tests.api.support import assert_problem


def test_the_examples_posted_in_order_are_all_recorded(cast, settings):
    settings.LEDGER_CLOCK_SKEW_SECONDS = 10**9  # the examples' business time is fixed
    plant = organisation_create(slug="plant", name="Plant", roles=[Role.RECYCLER, Role.WHEEL_MAKER])
    # The receipt's supplier, as in the demo: it posts the example that confirms the receipt.
    supplier = organisation_create(slug="guangfa-scrap", name="Guangfa Scrap", roles=[Role.SCRAP_SUPPLIER])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=plant, name='erp').token}")
    confirming = APIClient()
    confirming.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=supplier, name='erp').token}"
    )
    assert Entry.objects.count() == 0
    for entry_type, data in EVENT_EXAMPLES.items():
        poster = confirming if entry_type == "supply.confirmed" else client
        response = poster.post(
            "/api/v1/events/", {"type": entry_type, "occurred_at": WHEN, "data": data}, format="json"
        )
        assert response.status_code == 201, (entry_type, response.content)
    assert Entry.objects.get(seq=EVENT_EXAMPLES["entry.voided"]["seq"]).type == "custody.transferred"
    again = client.post(
        "/api/v1/events/",
        {"type": "entry.voided", "occurred_at": WHEN, "data": EVENT_EXAMPLES["entry.voided"]},
        format="json",
    )
    assert_problem(again, 409)
