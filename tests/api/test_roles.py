"""Roles: each event type names the roles that may post it (ledger.shapes), and the API, EPCIS
capture and the OpenAPI schema all read that one table. An organisation none of whose roles
may post a type gets 403 `role_not_allowed` about `type`, before its payload is looked at, and
nothing is written."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import user_create
from epcis.models import CaptureJob
from ledger.events import CONFIRMING_TYPES, EVENT_TYPES
from ledger.models import Entry
from ledger.shapes import EVENTS, posted_by
from tests.api.support import TRUCK, assert_problem, event, post, scrap
from tests.epcis.test_capture import capture, document, receipt

RUN = {
    "inputs": [{"lot": "ING-2", "mass_kg": "40"}],
    "parts": [{"serial": "W-9001", "mass_kg": "20", "part_number": "AF-18"}],
}


def test_every_event_type_names_its_roles_and_auditors_and_the_operator_post_none():
    assert set(EVENTS) == {*EVENT_TYPES, *CONFIRMING_TYPES}
    for entry_type in EVENTS:
        roles = posted_by(entry_type)
        assert roles and set(roles) <= set(Role.values), entry_type
        assert Role.AUDITOR not in roles and Role.OPERATOR not in roles, entry_type
    assert posted_by("scrap.received") == (Role.RECYCLER, Role.WHEEL_MAKER)
    assert posted_by("parts.produced") == (Role.WHEEL_MAKER,)
    assert posted_by("supply.confirmed") == (Role.SCRAP_SUPPLIER,)
    assert posted_by("installation.registered") == (Role.RECYCLER, Role.WHEEL_MAKER)
    assert posted_by("scrap.smelted") is None


def test_an_auditor_key_cannot_record_a_scrap_receipt(loop, client_for):
    before = Entry.objects.count()
    body = assert_problem(
        post(client_for("certa"), "scrap.received", scrap("SCR-AUD")), 403, "role_not_allowed"
    )
    assert body["title"] == "Role not allowed"
    assert list(body["errors"]) == ["type"]
    assert "auditor" in body["detail"] and "scrap.received" in body["detail"]
    assert "recycler, wheel_maker" in body["detail"]
    # Refused before the payload is read: a broken one gets the same 403, not its field errors.
    body = assert_problem(
        post(client_for("certa"), "scrap.received", {"mass_kg": 7}), 403, "role_not_allowed"
    )
    assert list(body["errors"]) == ["type"]
    assert Entry.objects.count() == before


@pytest.mark.parametrize(
    ("slug", "entry_type", "data", "role"),
    [
        ("outsider", "parts.produced", RUN, "recycler"),
        ("autofab", "melt.recorded", {"furnace": "F", "inputs": [{"lot": "W-0001", "mass_kg": "1"}]}, "oem"),
        ("scrapco", "scrap.received", scrap("SCR-SELF"), "scrap_supplier"),
        (
            "remelt-ops",
            "custody.transferred",
            {"lots": ["ING-2"], "to": "autofab", "transport": TRUCK},
            "operator",
        ),
    ],
)
def test_a_partner_cannot_post_a_type_its_role_may_not(loop, client_for, slug, entry_type, data, role):
    before = Entry.objects.count()
    body = assert_problem(post(client_for(slug), entry_type, data), 403, "role_not_allowed")
    assert f"{slug} (role: {role}) may not post {entry_type}" in body["detail"]
    assert Entry.objects.count() == before


def test_a_wheel_maker_receives_scrap_and_a_holder_of_any_role_passes_its_lots_on(loop, client_for):
    assert post(client_for("wheelworks"), "scrap.received", scrap("SCR-WW")).status_code == 201
    moved = post(
        client_for("autofab"),
        "custody.transferred",
        {"lots": ["W-0001"], "to": "wheelworks", "transport": TRUCK},
    )
    assert moved.status_code == 201, moved.content


def test_a_batch_names_the_item_whose_type_the_role_may_not_post(loop, client_for):
    before = Entry.objects.count()
    batch = [event("scrap.received", scrap("SCR-OK")), event("parts.produced", RUN)]
    response = client_for("outsider").post("/api/v1/events/", batch, format="json")
    body = assert_problem(response, 403, "role_not_allowed")
    assert list(body["errors"]) == ["[1].type"]
    assert Entry.objects.count() == before


def test_operator_staff_post_nothing_of_their_own_through_the_api(loop, cast):
    ops = user_create(
        username="opsy", organisation=cast["remelt-ops"], password="ops-pass-123", is_staff=True
    )
    browser = APIClient()
    browser.force_login(ops)
    assert browser.get("/api/v1/lots/W-0003/").status_code == 200  # the operator reads everything
    body = assert_problem(
        browser.post("/api/v1/events/", event("scrap.received", scrap("SCR-OPS")), format="json"),
        403,
        "role_not_allowed",
    )
    assert "operator" in body["detail"]


def test_epcis_capture_refuses_a_type_the_role_may_not_post_without_a_job(loop, client_for):
    before = Entry.objects.count()
    body = assert_problem(
        capture(client_for("certa"), document(receipt("urn:remelt:lot:SCR-EP", 100, receiver="certa"))),
        403,
        "role_not_allowed",
    )
    assert body["detail"].startswith("event 0: certa (role: auditor) may not post scrap.received")
    assert all(path.startswith("epcisBody.eventList[0]") for path in body["errors"])
    assert not CaptureJob.objects.exists()
    assert Entry.objects.count() == before


def test_the_schema_names_the_roles_of_each_event_type(loop, client_for):
    schema = json.loads(client_for("alurec").get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    for entry_type, declared in EVENTS.items():
        description = components[f"{declared.component}Event"]["description"]
        assert f"role {' or '.join(declared.posted_by)}." in description, entry_type
    operation = schema["paths"]["/api/v1/events/"]["post"]
    assert "role_not_allowed" in operation["responses"]["403"]["description"]
    assert "role_not_allowed" in operation["description"]
