"""A shipment of ingot lots: page, PDF (read back) and API with each lot's CBAM figures."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from accounts.services import user_create
from cbam.services import report_request, reports_compute
from ledger.models import Transfer
from tests.cbam.ledger_example import Q4, at, worked_example
from tests.ledger.test_events import record


@pytest.fixture
def shipped(alurec, wheelworks):
    worked_example(alurec)
    report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    [report] = reports_compute()
    data = {
        "lots": ["ING-A", "ING-B"],
        "to": "wheelworks",
        "transport": {"distance_km": "800", "mode": "ship"},
    }
    record(alurec, "custody.transferred", data, occurred_at=at(11, 20))
    return Transfer.objects.get(), report


def signed_in(client, org, username):
    client.force_login(user_create(username=username, organisation=org, password=f"{username}-pass-1234"))
    return client


def test_the_shipment_pdf_reads_back_with_each_lots_figures(client, shipped, wheelworks):
    transfer, report = shipped
    response = signed_in(client, wheelworks, "wu").get(f"/cbam/shipments/{transfer.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    for expected in (
        "ING-A",
        "ING-B",
        "7601 20",
        "58400.000",
        "38950.000",
        "HN-1 (CN)",
        "0.2033",
        report.digest,
    ):
        assert expected in text, expected
    assert "2026-10-01 to 2027-01-01" in text and "not the product carbon footprint" in text


def test_the_shipment_page_and_api(client, client_for, shipped, wheelworks, scrapco):
    transfer, report = shipped
    page = signed_in(client, wheelworks, "wu").get(f"/cbam/shipments/{transfer.pk}/")
    assert page.status_code == 200
    assert "0.2033" in page.content.decode() and f"/cbam/reports/{report.pk}/" in page.content.decode()
    body = client_for("wheelworks").get(f"/api/v1/cbam/shipments/{transfer.pk}/").json()
    assert [
        (line["lot"], line["net_mass_kg"], line["see_direct_t_co2e_per_t"]) for line in body["lines"]
    ] == [
        ("ING-A", "58400.000", "0.2033"),
        ("ING-B", "38950.000", "0.2033"),
    ]
    assert body["lines"][0]["installation"] == "HN-1" and body["lines"][0]["report_digest"] == report.digest
    assert client_for("scrapco").get(f"/api/v1/cbam/shipments/{transfer.pk}/").status_code == 404
    assert signed_in(client, scrapco, "sc").get(f"/cbam/shipments/{transfer.pk}/").status_code == 404


def test_the_buyer_sees_the_report_of_what_it_bought_and_no_other(client_for, shipped, alurec):
    transfer, report = shipped
    assert client_for("wheelworks").get(f"/api/v1/cbam/reports/{report.pk}/").status_code == 200
    assert client_for("autofab").get(f"/api/v1/cbam/reports/{report.pk}/").status_code == 404


def test_the_ingot_passport_shows_cbam_apart_from_the_footprint(client, shipped, wheelworks):
    transfer, report = shipped
    anonymous = client.get("/passports/ING-A/").content.decode()
    section = anonymous[anonymous.index('id="cbam"') :]
    assert "CBAM embedded emissions (EU customs)" in section and "Not the carbon footprint above" in section
    assert "0.2033" in section and "7601 20" in section and "HN-1 (CN)" in section
    assert f"/cbam/reports/{report.pk}/" not in anonymous  # the report itself is for those who may see it
    page = signed_in(client, wheelworks, "wu").get("/passports/ING-A/").content.decode()
    assert f"/cbam/reports/{report.pk}/" in page


def test_the_auditor_view_links_the_report_and_the_shipment(client, shipped, certa):
    transfer, report = shipped
    page = signed_in(client, certa, "vera").get("/audit/lots/ING-A/").content.decode()
    assert f'href="/cbam/reports/{report.pk}/"' in page and f'href="/cbam/shipments/{transfer.pk}/"' in page
