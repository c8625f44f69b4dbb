"""Passports and emission factors over the API: 401 / 404 / 200, and what they say."""

from passports.services import rollup_run

PASSPORT = "/api/v1/parts/W-0001/passport/"


def test_anonymous_and_revoked_are_401(loop, anonymous, client_for, keys, cast):
    from accounts.models import ApiKey
    from accounts.services import api_key_revoke

    assert anonymous.get(PASSPORT).status_code == 401
    api_key_revoke(api_key=ApiKey.objects.get(prefix=keys["autofab"].split("_")[1]))
    assert client_for("autofab").get(PASSPORT).status_code == 401


def test_an_outsider_gets_404(loop, client_for):
    response = client_for("outsider").get(PASSPORT)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_holder_and_the_auditor_see_the_passport(loop, client_for):
    rollup_run()
    for slug in ("autofab", "certa", "wheelworks"):
        body = client_for(slug).get(PASSPORT).json()
        assert body["lot"] == "W-0001" and body["status"] == "current"
        assert body["footprint"]["method"] == "remelt-2" and body["footprint"]["factor_set"] == "cn-2026.1"
        assert body["versions"][0]["version"] == 1 and body["versions"][0]["anchored_in"]
        # The entries of its own step: the cast of its ingot lot and its run (not the upstream).
        assert [(e["seq"], e["type"]) for e in body["entries"]] == [
            (loop.cast, "ingots.cast"),
            (loop.parts_made, "parts.produced"),
        ]


def test_pending_until_rolled_up(loop, client_for):
    assert client_for("autofab").get(PASSPORT).json()["status"] == "pending"


def test_ingot_lot_passport_for_ingot_buyers(loop, client_for):
    rollup_run()
    body = client_for("wheelworks").get("/api/v1/lots/ING-1/passport/").json()
    assert body["kind"] == "ingot" and body["footprint"]["mass_kg"] == "6000.000"
    assert client_for("outsider").get("/api/v1/lots/ING-1/passport/").status_code == 404


def test_emission_factors_are_listed_with_sources(cast, client_for, anonymous):
    assert anonymous.get("/api/v1/emission-factors/").status_code == 401
    sets = client_for("scrapco").get("/api/v1/emission-factors/").json()
    assert sets[0]["version"] == "cn-2026.1" and sets[0]["active"]
    truck = next(f for f in sets[0]["factors"] if f["key"] == "transport_truck")
    assert truck["value"] == "0.095000" and "GLEC" in truck["source"] and truck["unit"] == "kg CO2e/t·km"
