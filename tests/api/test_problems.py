"""Every error under /api/ is an RFC 9457 problem: unknown URLs, wrong methods, throttling."""

from tests.api.support import assert_problem, event, scrap


def test_unknown_api_urls_are_a_404_problem(cast, client_for, anonymous):
    assert_problem(client_for("alurec").get("/api/v1/nothing-here/"), 404, "not_found")
    assert_problem(anonymous.get("/api/v2/lots/"), 404, "not_found")


def test_a_method_the_endpoint_does_not_have_is_a_405_problem_with_allow(cast, client_for):
    client = client_for("alurec")
    response = client.get("/api/v1/events/")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert_problem(client.delete("/api/v1/lots/SCR-A/"), 405, "method_not_allowed")


def test_a_client_asking_for_something_other_than_json_gets_406(cast, client_for):
    response = client_for("alurec").get("/api/v1/lots/", headers={"Accept": "text/csv"})
    assert_problem(response, 406, "not_acceptable")


def test_requests_are_throttled_per_key(cast, client_for, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    alurec, wheelworks = client_for("alurec"), client_for("wheelworks")
    for _ in range(3):
        assert alurec.get("/api/v1/lots/").status_code == 200
    throttled = alurec.get("/api/v1/lots/")
    body = assert_problem(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0 and "throttled" in body["detail"].lower()
    posted = alurec.post("/api/v1/events/", event("scrap.received", scrap("SCR-1")), format="json")
    assert_problem(posted, 429, "throttled")
    assert wheelworks.get("/api/v1/lots/").status_code == 200  # another key has its own budget


def test_pages_outside_the_api_stay_as_they_were(cast, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/problem")


def test_one_code_has_one_title_whether_drf_or_a_rule_raised_it(loop, client_for):
    from tests.api.support import post

    client = client_for("alurec")
    by_drf = client.post("/api/v1/events/", {"type": "scrap.received"}, format="json")
    twice = [{"lot": "SCR-A", "mass_kg": "1"}, {"lot": "SCR-A", "mass_kg": "1"}]
    by_rule = post(client, "melt.recorded", {"furnace": "F", "inputs": twice, "output_mass_kg": "1"})
    assert assert_problem(by_drf, 400, "invalid")["title"] == "Invalid"
    assert assert_problem(by_rule, 400, "invalid")["title"] == "Invalid"
    assert list(by_rule.json()["errors"]) == ["data.inputs[1].lot"]
    assert by_drf.json()["errors"]["occurred_at"] == ["This field is required."]
