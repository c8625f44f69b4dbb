"""Input that once made the server answer 500 gets a clear 4xx, never a 500: JSON nested
beyond any document we read, the HTTP TRACE method, codes that are not header-safe in a
download's filename, and NUL characters anywhere in a URL."""

import json
from email.message import Message

import pytest

from accounts.services import user_create
from ledger.models import Lot
from passports.services import rollup_run
from tests.api.conftest import PARTS
from tests.api.support import assert_problem, event, scrap


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 940, 5000])
def test_json_nested_too_deeply_is_a_400_problem(cast, client_for, depth):
    body = json.dumps(event("scrap.received", scrap("SCR-N")))[:-1] + ', "x": ' + _nested(depth) + "}"
    response = client_for("alurec").post("/api/v1/events/", body, content_type="application/json")
    problem = assert_problem(response, 400, "parse_error")
    assert "nested" in problem["detail"]
    assert not Lot.objects.filter(code="SCR-N").exists()


def test_json_nested_as_deep_as_the_limit_is_read(cast, client_for):
    body = json.dumps(event("scrap.received", scrap("SCR-N")))[:-1] + ', "x": ' + _nested(63) + "}"
    response = client_for("alurec").post("/api/v1/events/", body, content_type="application/json")
    # Read, and then refused by the event's rules (no field "x"), not by the parser.
    assert response.status_code in (201, 400), response.content
    assert response.json().get("code") != "parse_error"


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800"])
def test_text_the_database_cannot_store_is_a_400_naming_its_path(cast, client_for, text):
    body = json.dumps(event("scrap.received", scrap("SCR-T"))).replace('"wheels"', f'"whe{text}els"')
    response = client_for("alurec").post("/api/v1/events/", body, content_type="application/json")
    problem = assert_problem(response, 400, "unstorable_text")
    assert "data.grade" in problem["detail"]
    assert not Lot.objects.filter(code="SCR-T").exists()


def test_epcis_capture_refuses_deep_nesting_too(cast, client_for):
    response = client_for("alurec").post(
        "/api/v1/epcis/capture", '{"a": ' + _nested(2000) + "}", content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize(
    "url", ["/api/v1/lots/", "/api/v1/lots/SCR-A/", "/api/v1/lots/SCR-A/trace/", "/api/v1/lots/SCR-A/epcis"]
)
def test_the_trace_method_is_a_405_problem_not_the_trace_action(loop, client_for, url):
    response = client_for("alurec").generic("TRACE", url)
    assert_problem(response, 405, "method_not_allowed")
    assert "TRACE" not in response["Allow"]


@pytest.mark.parametrize(
    "url", ["/api/v1/events/", "/api/v1/lots/", "/api/v1/lots/SCR-A/", "/api/v1/epcis/capture"]
)
def test_options_is_a_405_problem_not_a_500(loop, client_for, url):
    response = client_for("alurec").options(url)
    assert_problem(response, 405, "method_not_allowed")
    allowed = response["Allow"].split(", ")
    assert "OPTIONS" not in allowed and ({"GET", "POST"} & set(allowed))


@pytest.mark.parametrize("code", ['W-00"; filename="evil.exe', "W-00\r\nSet-Cookie: x=1", "W-ü01"])
def test_evidence_downloads_name_any_code_safely(loop, client_for, client, cast, ledger_signing_key, code):
    """Codes recorded before codes had a character set may hold quotes, newlines or non-ASCII."""
    rollup_run()
    Lot.objects.filter(code="W-0003").update(code=code)
    client.force_login(
        user_create(username="bob", organisation=cast["wheelworks"], password="bob-casts-wheels")
    )
    for response in (
        client_for("wheelworks").get("/api/v1/parts/{}/evidence/".format(code.replace("\r\n", "%0D%0A"))),
        client.get("/passports/{}/evidence.json".format(code.replace("\r\n", "%0D%0A"))),
    ):
        assert response.status_code == 200, response.content
        header = response["Content-Disposition"]
        assert "\n" not in header and "\r" not in header
        parsed = Message()
        parsed["Content-Disposition"] = header
        assert parsed.get_content_disposition() == "attachment"
        assert [name for name, _ in parsed.get_params(header="Content-Disposition")][1:] in (
            ["filename"],
            ["filename*"],
        ), header
        assert parsed.get_filename() == f"{code}-evidence.json", header


NUL_URLS = [
    "/passports/A%00B/",
    "/passports/A%00B/evidence.json",
    "/audit/?q=%00",
    "/audit/lots/A%00B/",
    "/admin/ledger/lot/?q=%00",
    "/admin/ledger/lot/A%00B/change/",
    "/accounts/login/?next=%00",
    "/healthz?x=%00",
    "/?%00=1",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_anywhere_in_a_page_url_is_a_400(db, cast, admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert b"NUL" in response.content


@pytest.mark.parametrize(
    "url", ["/api/v1/lots/A%00B/", "/api/v1/lots/?owner=%00", "/pact/3/footprints?x=%00"]
)
def test_a_nul_in_an_api_url_is_a_400_in_the_apis_format(db, cast, client_for, url):
    response = client_for("alurec").get(url, secure=True)
    assert response.status_code == 400, response.content
    if url.startswith("/api/"):
        assert_problem(response, 400, "nul_character")


@pytest.mark.parametrize("chunk", [1, 2, 4, 500])
def test_the_streamed_recall_is_json_whatever_its_count(loop, client_for, monkeypatch, chunk):
    """Four parts hold ING-1's metal: written in chunks that divide the count or not."""
    monkeypatch.setattr("ledger.api.views.RECALL_CHUNK", chunk)
    response = client_for("wheelworks").get("/api/v1/lots/ING-1/recall/")
    body = json.loads(b"".join(response.streaming_content))
    assert body["count"] == 4 and sorted(part["serial"] for part in body["parts"]) == PARTS
