"""Installations over the API and in the admin: the same services and rules as every event."""

import pytest
from django.urls import reverse

from accounts.services import user_create
from cbam.models import Installation
from cbam.shapes import INSTALLATION_CODE_PATTERN
from ledger.models import Entry
from ledger.shapes import CODE_PATTERN
from tests.api.support import assert_problem
from tests.cbam.conftest import HN1, register
from tests.ledger.test_admin import error_next_to, form_data, furnace_picker, receive, record


@pytest.fixture
def api(client_for):
    return client_for


def test_an_organisation_registers_and_amends_its_installation(api, alurec):
    response = api("alurec").post("/api/v1/installations/", HN1, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["entries"][0]["type"] == "installation.registered"
    amended = api("alurec").post(
        "/api/v1/installations/HN-1/amendments/",
        {"reason": "third furnace", "furnaces": [{"code": "HN-1-RF3"}]},
        format="json",
    )
    assert amended.status_code == 201, amended.content
    body = api("alurec").get("/api/v1/installations/HN-1/").json()
    assert body["furnaces"] == ["HN-1-RF1", "HN-1-RF2", "HN-1-RF3"]
    assert body["facts"]["unlocode"] == "CNFOS" and body["organisation"] == "alurec"
    # The same event posted as any other.
    other = {**HN1, "code": "HN-2", "furnaces": [{"code": "HN-2-F1"}], "casting_lines": []}
    posted = api("alurec").post(
        "/api/v1/events/",
        {"type": "installation.registered", "occurred_at": "2026-11-20T07:30:00Z", "data": other},
        format="json",
    )
    assert posted.status_code == 201, posted.content


def test_refusals_name_the_field_and_write_nothing(api, alurec):
    entries = Entry.objects.count()
    without_country = {key: value for key, value in HN1.items() if key != "country"}
    body = assert_problem(
        api("alurec").post("/api/v1/installations/", without_country, format="json"), 400, "invalid"
    )
    assert "data.country" in body["errors"]
    assert Entry.objects.count() == entries and not Installation.objects.exists()


def test_an_amendment_is_the_body_the_url_names_the_installation(api, alurec):
    api("alurec").post("/api/v1/installations/", HN1, format="json")
    entries = Entry.objects.count()
    url = "/api/v1/installations/HN-1/amendments/"
    named = {"installation": "HN-1", "reason": "third furnace", "furnaces": [{"code": "HN-1-RF3"}]}
    body = assert_problem(api("alurec").post(url, named, format="json"), 400, "invalid")
    assert list(body["errors"]) == ["data.installation"]
    # Every field error at once, null and unknown fields refused, codes in the code character set.
    bad = {"reason": "x", "name": None, "colour": "red", "furnaces": [{"code": "RF 3"}]}
    body = assert_problem(api("alurec").post(url, bad, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"data.name", "data.colour", "data.furnaces[0].code"}
    assert_problem(api("alurec").post(url, {"reason": "x"}, format="json"), 400, "nothing_to_amend")
    elsewhere = {"reason": "moved", "country": "DE"}  # its UN/LOCODE CNFOS stays
    body = assert_problem(api("alurec").post(url, elsewhere, format="json"), 400, "unlocode_not_in_country")
    assert list(body["errors"]) == ["data.unlocode"]
    assert_problem(api("alurec").post(url, ["x"], format="json"), 400, "invalid")
    assert Entry.objects.count() == entries


def test_the_installation_bodies_are_their_declarations_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    registered = components["InstallationRegisteredData"]
    assert registered["additionalProperties"] is False
    assert registered["properties"]["code"]["maxLength"] == 32
    assert registered["properties"]["code"]["pattern"] == INSTALLATION_CODE_PATTERN
    assert components["UnitData"]["properties"]["code"]["pattern"] == CODE_PATTERN
    assert components["UnitData"]["additionalProperties"] is False
    create = schema["paths"]["/api/v1/installations/"]["post"]
    assert create["requestBody"]["required"] is True
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InstallationRegisteredData"
    }
    amend = schema["paths"]["/api/v1/installations/{code}/amendments/"]["post"]
    body = amend["requestBody"]["content"]["application/json"]["schema"]
    assert "installation" not in body["properties"] and body["additionalProperties"] is False
    amended = set(components["InstallationAmendedData"]["properties"])
    assert set(body["properties"]) == amended - {"installation"}
    assert "`nothing_to_amend`" in amend["responses"]["400"]["description"]
    assert "`unlocode_not_in_country`" in amend["responses"]["400"]["description"]
    reports = schema["paths"]["/api/v1/installations/{code}/reports/"]["post"]
    assert "`empty_period`" in reports["responses"]["400"]["description"]
    assert "x-remelt-rules" not in amend


def test_others_see_no_installation_and_cannot_amend_it(api, alurec, wheelworks, certa):
    api("alurec").post("/api/v1/installations/", HN1, format="json")
    assert api("wheelworks").get("/api/v1/installations/HN-1/").status_code == 404
    assert api("wheelworks").get("/api/v1/installations/").json()["count"] == 0
    refused = api("wheelworks").post(
        "/api/v1/installations/HN-1/amendments/", {"reason": "x", "name": "y"}, format="json"
    )
    assert refused.status_code == 404
    assert api("certa").get("/api/v1/installations/HN-1/").status_code == 200  # the auditor
    # An auditor reads it but posts nothing: its role may not amend installations.
    body = assert_problem(
        api("certa").post(
            "/api/v1/installations/HN-1/amendments/", {"reason": "x", "name": "y"}, format="json"
        ),
        403,
        "role_not_allowed",
    )
    assert "auditor" in body["detail"] and "installation.amended" in body["detail"]


def test_anonymous_callers_are_refused(anonymous):
    assert anonymous.get("/api/v1/installations/").status_code == 401


@pytest.fixture
def staff(client, cast):
    user = user_create(username="ops", organisation=cast["remelt-ops"], password="ops-runs-it", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    client.force_login(user)
    return client


def _rows(units):
    return [{"code": unit["code"], "name": unit.get("name", "")} for unit in units]


def test_staff_register_an_installation_in_the_admin(staff, alurec):
    url = reverse("admin:cbam_installation_record", args=["register"])
    fields = {key: HN1[key] for key in ("code", "name", "address", "unlocode", "registry_id")}
    data = form_data(
        alurec,
        rows={"furnaces": _rows(HN1["furnaces"]), "casting_lines": _rows(HN1["casting_lines"])},
        country="cn",
        latitude="23.0215",
        longitude="113.1214",
        **fields,
    )
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "capitals" in error_next_to(response, "country")
    assert not Installation.objects.exists()
    response = staff.post(url, {**data, "country": "CN"})
    installation = Installation.objects.get(code="HN-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cbam_installation_change", args=[installation.pk])
    assert installation.units.count() == 3
    page = staff.get(response["Location"])
    assert page.status_code == 200 and b"Amend this installation" in page.content


def test_the_melt_form_offers_only_the_furnaces_of_the_organisations_installations(staff, alurec, wheelworks):
    melt_url = reverse("admin:ledger_lot_record", args=["melt"])
    receive(alurec, "SCR-A", "1000.000")
    receive(wheelworks, "SCR-W", "1000.000")
    record(
        alurec,
        "melt.recorded",
        {"furnace": "old-furnace", "inputs": [{"lot": "SCR-A", "mass_kg": "10"}], "output_mass_kg": "9"},
    )
    record(
        wheelworks,
        "melt.recorded",
        {"furnace": "TC-65", "inputs": [{"lot": "SCR-W", "mass_kg": "10"}], "output_mass_kg": "9"},
    )
    before = furnace_picker(staff.get(melt_url).content.decode())["choices"]
    assert before[str(alurec.pk)] == {"registered": False, "furnaces": [["old-furnace", "old-furnace"]]}

    register(alurec)
    picker = furnace_picker(staff.get(f"{melt_url}?organisation={alurec.pk}").content.decode())
    registered = [
        ["HN-1-RF1", "HN-1-RF1 — reverberatory 60 t (HN-1 Huanan remelt plant 1)"],
        ["HN-1-RF2", "HN-1-RF2 (HN-1 Huanan remelt plant 1)"],
    ]
    # Its installations' furnaces only: not the one it used before, nor its casting line.
    assert picker["choices"][str(alurec.pk)] == {"registered": True, "furnaces": registered}
    assert picker["options"] == ["", "HN-1-RF1", "HN-1-RF2"]
    # An organisation without an installation keeps the furnaces it used.
    assert picker["choices"][str(wheelworks.pk)] == {"registered": False, "furnaces": [["TC-65", "TC-65"]]}

    # A furnace that is not registered (a hand-made POST) is refused next to the field.
    rows = {"inputs": [{"lot": "SCR-A", "mass_kg": "10"}], "additions": []}
    melts = Entry.objects.filter(type="melt.recorded").count()
    response = staff.post(melt_url, form_data(alurec, rows=rows, furnace="old-furnace", output_mass_kg="9"))
    assert "no furnace 'old-furnace' at your installations" in error_next_to(response, "furnace")
    assert Entry.objects.filter(type="melt.recorded").count() == melts
    response = staff.post(melt_url, form_data(alurec, rows=rows, furnace="HN-1-RF2", output_mass_kg="9"))
    assert response.status_code == 302
    assert Entry.objects.filter(type="melt.recorded").latest("seq").data["furnace"] == "HN-1-RF2"


def test_the_events_schema_documents_the_installation_events_the_api_takes(api, alurec, client):
    schema = client.get("/api/schema/?format=json").json()
    event = schema["components"]["schemas"]["Event"]
    mapping = event["discriminator"]["mapping"]
    assert mapping["installation.registered"] == "#/components/schemas/InstallationRegisteredEvent"
    assert mapping["installation.amended"] == "#/components/schemas/InstallationAmendedEvent"
    assert {"$ref": mapping["installation.registered"]} in event["oneOf"]
    registered = schema["components"]["schemas"]["InstallationRegisteredEvent"]
    assert registered["properties"]["data"] == {"$ref": "#/components/schemas/InstallationRegisteredData"}
    assert "furnaces" in schema["components"]["schemas"]["InstallationRegisteredData"]["required"]
    examples = schema["paths"]["/api/v1/events/"]["post"]["requestBody"]["content"]["application/json"]
    documented = {
        name: example["value"]
        for name, example in examples["examples"].items()
        if name.startswith("Installation")
    }
    assert [value["type"] for value in documented.values()] == [
        "installation.registered",
        "installation.amended",
    ]
    # The documented examples are events the API records, in that order.
    for value in documented.values():
        response = api("alurec").post(
            "/api/v1/events/", {**value, "occurred_at": "2026-11-02T07:30:00Z"}, format="json"
        )
        assert response.status_code == 201, response.content
    assert Installation.objects.get(code="HN-1").units.filter(code="HN-1-RF3").exists()
