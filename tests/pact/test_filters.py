"""ListFootprints' filters: the conformance tool's cases 20–39 (each filter positive and
negative, combined with AND, repeated with OR), built as the tool builds them from the first
footprint listed, plus PACT's case-insensitive matching and refusals of bad parameters."""

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from tests.pact.conftest import assert_pact_error
from tests.pact.test_footprints import documents

LIST = "/pact/3/footprints"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def tool(published, pact_for):
    """What the conformance tool does: list, take the first footprint's values as filters."""
    pact = pact_for("certa")
    everything = documents(pact.get(LIST))
    first = everything[0]
    start = datetime.fromisoformat(first["validityPeriodStart"])
    end = datetime.fromisoformat(first["validityPeriodEnd"])
    params = {
        "productId": first["productIds"][0],
        "companyId": first["companyIds"][0],
        "geography": first["pcf"]["geographyCountry"],
        "classification": first["productClassifications"][0],
        "validOn": first["validityPeriodStart"],
        "validAfter": iso(start - timedelta(days=1)),
        "validBefore": iso(end + timedelta(days=1)),
        "status": first["status"],
    }

    def listed(query: str) -> list[dict]:
        return documents(pact.get(f"{LIST}?{query}"))

    return pact, everything, params, listed


def q(value: str) -> str:
    return quote(value, safe="")


def test_cases_20_to_23_each_list_filter_matches(tool):
    _pact, everything, p, listed = tool
    found = listed(f"productId={q(p['productId'])}")
    assert found and all(p["productId"] in d["productIds"] for d in found)
    found = listed(f"companyId={q(p['companyId'])}")
    assert found and all(p["companyId"] in d["companyIds"] for d in found)
    assert [d["id"] for d in found] == [d["id"] for d in everything if p["companyId"] in d["companyIds"]]
    found = listed(f"geography={p['geography']}")
    assert len(found) == len(everything)  # every remelt footprint is of the plant's country
    found = listed(f"classification={q(p['classification'])}")
    assert found and all(p["classification"] in d["productClassifications"] for d in found)


def test_cases_24_to_27_validity_and_status(tool):
    _pact, everything, p, listed = tool
    found = listed(f"validOn={q(p['validOn'])}")
    assert found and all(d["validityPeriodStart"] <= p["validOn"] <= d["validityPeriodEnd"] for d in found)
    found = listed(f"validAfter={q(p['validAfter'])}")
    after = datetime.fromisoformat(p["validAfter"])
    assert found and all(datetime.fromisoformat(d["validityPeriodStart"]) > after for d in found)
    found = listed(f"validBefore={q(p['validBefore'])}")
    before = datetime.fromisoformat(p["validBefore"])
    assert found and all(datetime.fromisoformat(d["validityPeriodEnd"]) < before for d in found)
    found = listed(f"status={p['status']}")
    assert found and all(d["status"] == p["status"] for d in found)


def test_case_28_criteria_are_anded(tool):
    _pact, _everything, p, listed = tool
    found = listed(f"status={p['status']}&productId={q(p['productId'])}")
    assert found and all(d["status"] == p["status"] and p["productId"] in d["productIds"] for d in found)
    assert listed(f"status=Deprecated&productId={q(p['productId'])}") == []


def test_case_29_repeated_values_are_ored_even_with_non_urns(tool):
    _pact, _everything, p, listed = tool
    found = listed(f"companyId={q(p['companyId'])}&companyId=Xy7kP2aQ&companyId=urn:uuid:other-company")
    assert found and all(p["companyId"] in d["companyIds"] for d in found)
    two = listed("productId=urn:pact:remelt.example:lot:ING-1&productId=urn:pact:remelt.example:lot:ING-2")
    assert sorted(d["productIds"][0][-5:] for d in two) == ["ING-1", "ING-2"]


@pytest.mark.parametrize(
    "query",
    [
        "productId=urn:bogus:product:nonexistent123",  # 30
        "companyId=urn:bogus:company:nonexistent456",  # 31
        "geography=XX",  # 32
        "classification=urn:bogus:classification:nonexistent789",  # 33
        "validOn=1900-01-01T00:00:00Z",  # 34
        "validAfter=2099-12-31T23:59:59Z",  # 35
        "validBefore=1900-01-01T00:00:00Z",  # 36
        "status=BogusStatusAb12Cd34",  # 37
        "companyId=urn:bogus:company:5FIi8zS3&productId=urn:bogus:product:nonexistent123",  # 38
        "companyId=urn:bogus:company:a&companyId=urn:bogus:company:b&companyId=urn:bogus:company:c",  # 39
    ],
)
def test_cases_30_to_39_negative_filters_give_an_empty_list(tool, query):
    _pact, _everything, _p, listed = tool
    assert listed(query) == []


def test_matching_ignores_case_in_values_and_parameter_names(tool):
    _pact, _everything, p, listed = tool
    exact = listed(f"productId={q(p['productId'])}")
    assert listed(f"PRODUCTID={q(p['productId'].upper())}") == exact
    assert listed(f"productid={q(p['productId'].lower())}&status=active") == exact


def test_geography_matches_the_country_and_its_regions(tool):
    _pact, everything, _p, listed = tool
    assert len(listed("geography=cn")) == len(everything)
    assert len(listed(f"geography={q('Eastern Asia')}")) == len(everything)
    assert len(listed("geography=Asia&geography=Europe")) == len(everything)
    assert listed("geography=Europe") == []


def test_date_formats_pact_clients_send(tool):
    _pact, everything, _p, listed = tool
    assert len(listed("validBefore=2100-01-01")) == len(everything)
    assert len(listed("validBefore=2100-01-01T00:00Z")) == len(everything)
    # An offset whose '+' was not percent-encoded arrives as a space.
    assert len(listed("validBefore=2100-01-01T00:00:00+01:00")) == len(everything)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("validOn=yesterday", "validOn"),
        ("validAfter=2026-13-01T00:00:00Z", "validAfter"),
        ("offset=2", "offset"),
        ("$filter=created ge '2023-01-15T10:15:30Z'", "$filter"),
        ("status=Active&status=Deprecated", "status"),
        ("x-remelt-after=abc", "x-remelt-after"),
    ],
)
def test_bad_parameters_are_bad_request_naming_them(tool, query, field):
    pact, _everything, _p, _listed = tool
    body = assert_pact_error(pact.get(f"{LIST}?{query}"), 400, "BadRequest")
    assert field in body["message"]
