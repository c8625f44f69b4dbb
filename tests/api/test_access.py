"""Every endpoint: anonymous and revoked keys get 401, outsiders 404 (never a 403 that leaks
existence), the holder a 2xx; staff may use their session."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_revoke, user_create
from ledger.models import Entry
from tests.api.support import assert_problem, event, post

READS = [
    "/api/v1/lots/",
    "/api/v1/lots/SCR-A/",
    "/api/v1/lots/SCR-A/trace/",
    "/api/v1/lots/SCR-A/trace/?direction=down",
    "/api/v1/ledger/entries/",
]
MELT_SCR_A = {
    "furnace": "TC-65",
    "inputs": [{"lot": "SCR-A", "mass_kg": "1000"}],
    "output_mass_kg": "950",
}


def _calls(client):
    for url in READS:
        yield url, client.get(url)
    yield "POST events", client.post("/api/v1/events/", event("melt.recorded", MELT_SCR_A), format="json")


def test_anonymous_gets_401_with_a_bearer_challenge_everywhere(loop, anonymous):
    for what, response in _calls(anonymous):
        body = assert_problem(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="remelt"', what
        assert body["title"] == "Not authenticated"
    assert Entry.objects.count() == 8


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer rmk_00000000_not-a-key",
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
    ],
)
def test_unknown_or_malformed_keys_get_401(loop, authorization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    for _what, response in _calls(client):
        assert_problem(response, 401, "authentication_failed")


def test_a_revoked_key_gets_401_everywhere(loop, client_for, keys):
    holder = client_for("alurec")
    assert holder.get("/api/v1/lots/SCR-A/").status_code == 200
    prefix = keys["alurec"].split("_")[1]
    api_key_revoke(api_key=ApiKey.objects.get(prefix=prefix))
    for _what, response in _calls(holder):
        assert_problem(response, 401, "authentication_failed")
    assert Entry.objects.count() == 8


def test_the_holder_gets_2xx_everywhere(loop, client_for):
    for what, response in _calls(client_for("alurec")):
        assert response.status_code in (200, 201), (what, response.content)
    assert Entry.objects.count() == 9


def test_an_outsider_gets_404_for_lots_and_traces_exactly_as_for_lots_that_do_not_exist(loop, client_for):
    outsider = client_for("outsider")
    for url in ("/api/v1/lots/{}/", "/api/v1/lots/{}/trace/", "/api/v1/lots/{}/trace/?direction=down"):
        hidden = outsider.get(url.format("SCR-A"))
        missing = outsider.get(url.format("SCR-NOPE"))
        assert_problem(hidden, 404, "not_found")
        assert hidden.json() == missing.json()


def test_an_outsider_lists_and_reads_the_feed_without_seeing_others_material(loop, client_for):
    outsider = client_for("outsider")
    listed = outsider.get("/api/v1/lots/")
    assert listed.status_code == 200
    assert [lot["code"] for lot in listed.json()["results"]] == ["OUT-1"]
    feed = outsider.get("/api/v1/ledger/entries/").json()["entries"]
    assert len(feed) == 8
    assert [entry["seq"] for entry in feed if entry["payload"] is not None] == [loop.outsider_received]


def test_an_outsider_posting_with_others_lots_is_told_they_do_not_exist(loop, client_for):
    outsider = client_for("outsider")
    hidden = post(outsider, "melt.recorded", MELT_SCR_A)
    missing = post(
        outsider, "melt.recorded", {**MELT_SCR_A, "inputs": [{"lot": "SCR-NOPE", "mass_kg": "1000"}]}
    )
    body = assert_problem(hidden, 400, "unknown_lot")
    assert body["errors"] == {"data.inputs[0].lot": ["no lot 'SCR-A'"]}
    assert missing.json()["errors"] == {"data.inputs[0].lot": ["no lot 'SCR-NOPE'"]}
    assert Entry.objects.count() == 8


def test_staff_may_use_their_session_with_the_csrf_token(loop, alice):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/api/v1/lots/SCR-A/").status_code == 200
    assert_problem(browser.get("/api/v1/lots/W-0001/"), 404)  # alurec never held the part
    refused = browser.post("/api/v1/events/", event("melt.recorded", MELT_SCR_A), format="json")
    assert_problem(refused, 403, "permission_denied")
    assert Entry.objects.count() == 8

    browser.get("/admin/")  # sets the CSRF cookie, as the admin pages do
    token = browser.cookies["csrftoken"].value
    posted = browser.post(
        "/api/v1/events/", event("melt.recorded", MELT_SCR_A), format="json", headers={"X-CSRFToken": token}
    )
    assert posted.status_code == 201, posted.content
    assert Entry.objects.get(seq=posted.json()["entries"][0]["seq"]).actor == "user:alice"


def test_a_session_that_is_not_staff_is_not_enough(loop, alurec):
    bob = user_create(username="bob", organisation=alurec, password="not-staff-pass", is_staff=False)
    browser = APIClient()
    browser.force_login(bob)
    assert_problem(browser.get("/api/v1/lots/"), 401, "not_authenticated")


def test_a_superuser_without_organisation_reads_everything_but_cannot_post(loop):
    ops = user_create(username="ops", organisation=None, password="ops-pass-123", is_staff=True)
    ops.is_superuser = True
    ops.save()
    browser = APIClient()
    browser.force_login(ops)
    assert browser.get("/api/v1/lots/W-0003/").status_code == 200
    assert_problem(browser.post("/api/v1/events/", event("melt.recorded", MELT_SCR_A), format="json"), 403)


def test_the_key_posts_as_its_organisation_and_records_its_prefix_as_actor(loop, client_for, keys):
    response = post(client_for("alurec"), "melt.recorded", MELT_SCR_A)
    assert response.status_code == 201
    entry = Entry.objects.get(seq=response.json()["entries"][0]["seq"])
    assert entry.organisation.slug == "alurec"
    assert entry.actor == f"apikey:{keys['alurec'].split('_')[1]}"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("{key}", "The key needs `Bearer ` before it: `Authorization: Bearer <key>`."),
        (
            "Token {key}",
            "The API takes keys as `Authorization: Bearer <key>`; this header has another scheme.",
        ),
    ],
)
def test_a_key_without_bearer_is_told_so(loop, keys, authorization, message):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization.format(key=keys["alurec"]))
    body = assert_problem(client.get("/api/v1/lots/"), 401, "authentication_failed")
    assert body["detail"] == message
    assert body["title"] == "Authentication failed"
