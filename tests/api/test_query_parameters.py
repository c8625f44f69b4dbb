"""A query parameter that is given is read or refused with a field error, never ignored, and
the schema states what is read: types, minimums, maximums, non-empty strings."""

import pytest

from tests.api.support import assert_problem


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/lots/?voided=null", "voided"),
        ("/api/v1/lots/?voided=unknown", "voided"),
        ("/api/v1/lots/?voided=1", "voided"),
        ("/api/v1/lots/?voided=", "voided"),
        ("/api/v1/lots/?kind=", "kind"),
        ("/api/v1/lots/?owner=", "owner"),
        ("/api/v1/lots/?ordering=mass,bogus", "ordering"),
        ("/api/v1/lots/?page_size=abc", "page_size"),
        ("/api/v1/lots/?page_size=0", "page_size"),
        ("/api/v1/lots/?page_size=501", "page_size"),
        ("/api/v1/lots/?page=0", "page"),
        ("/api/v1/lots/?page=1.0", "page"),
        ("/api/v1/lots/SCR-A/trace/?direction=", "direction"),
        ("/api/v1/lots/SCR-A/trace/?depth=", "depth"),
        ("/api/v1/lots/SCR-A/trace/?depth=+3", "depth"),
        ("/api/v1/lots/SCR-A/epcis?direction=", "direction"),
        ("/api/v1/ledger/entries/?after=", "after"),
        ("/api/v1/ledger/entries/?limit=1.0", "limit"),
        ("/api/v1/ledger/checkpoints/?size=0", "size"),
    ],
)
def test_a_parameter_given_badly_is_a_field_error(loop, client_for, url, field):
    problem = assert_problem(client_for("alurec").get(url), 400, "invalid")
    assert list(problem["errors"]) == [field], problem


def test_voided_true_and_false_filter(loop, client_for):
    client = client_for("alurec")
    every = client.get("/api/v1/lots/").json()["count"]
    assert client.get("/api/v1/lots/?voided=false").json()["count"] == every
    assert client.get("/api/v1/lots/?voided=true").json()["count"] == 0


def test_good_parameters_still_read(loop, client_for):
    client = client_for("alurec")
    assert client.get("/api/v1/lots/?page=1&page_size=500&kind=scrap&owner=alurec").status_code == 200
    assert client.get("/api/v1/lots/?ordering=").status_code == 200  # an empty list, as the schema allows
    assert client.get("/api/v1/lots/SCR-A/trace/?direction=down&depth=3").status_code == 200
    assert client.get("/api/v1/ledger/entries/?after=0&limit=5").status_code == 200


def _parameters(schema: dict, path: str) -> dict:
    """The path and query parameters (every operation has the Accept-Language header too)."""
    parameters = schema["paths"][path]["get"].get("parameters", [])
    return {p["name"]: p["schema"] for p in parameters if p["in"] != "header"}


def test_the_schema_states_the_minimums_of_paging_and_tree_sizes(db, client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    expected = {
        "/api/v1/lots/": {"page": (1, None), "page_size": (1, 500)},
        "/api/v1/ledger/checkpoints/": {"size": (1, None)},
        "/api/v1/ledger/proofs/inclusion/": {"seq": (1, None), "size": (1, None)},
        "/api/v1/ledger/proofs/consistency/": {"from": (1, None), "to": (1, None)},
        "/api/v1/ledger/entries/": {"after": (0, None), "limit": (1, 1000)},
        "/api/v1/lots/{code}/trace/": {"depth": (1, 50), "page": (1, None), "page_size": (1, 1000)},
        "/api/v1/epcis/events": {"perPage": (1, 1000)},
    }
    for path, names in expected.items():
        parameters = _parameters(schema, path)
        for name, (minimum, maximum) in names.items():
            assert parameters[name]["type"] == "integer", (path, name)
            assert parameters[name]["minimum"] == minimum, (path, name)
            if maximum is not None:
                assert parameters[name]["maximum"] == maximum, (path, name)
    lots = _parameters(schema, "/api/v1/lots/")
    for name in ("owner", "alloy", "part_number", "code_prefix"):
        assert lots[name]["minLength"] == 1, name
    assert lots["voided"]["type"] == "boolean"


def test_the_recall_is_documented_without_the_traces_parameters(db, client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert _parameters(schema, "/api/v1/lots/{code}/recall/").keys() == {"code"}
    assert {"direction", "depth"} <= _parameters(schema, "/api/v1/lots/{code}/trace/").keys()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/parts/ING-1/passport/",
        "/api/v1/parts/ING-1/evidence/",
        "/api/v1/parts/ING-1/catenax/pcf/",
        "/api/v1/parts/ING-1/catenax/secondary-material-content/",
        "/api/v1/lots/W-0003/passport/",
        "/api/v1/lots/W-0003/evidence/",
        "/api/v1/lots/W-0003/catenax/pcf/",
        "/api/v1/lots/W-0003/catenax/secondary-material-content/",
    ],
)
def test_parts_and_lots_urls_do_not_answer_each_others_codes(loop, client_for, url):
    """wheelworks may see both ING-1 and W-0003; each answers only under its own kind's URL."""
    assert_problem(client_for("wheelworks").get(url), 404, "not_found")
    own = (
        url.replace("/parts/ING-1/", "/lots/ING-1/")
        if "/parts/" in url
        else url.replace("/lots/W-0003/", "/parts/W-0003/")
    )
    assert client_for("wheelworks").get(own).status_code != 404, own
