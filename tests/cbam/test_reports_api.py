"""CBAM reports over the API and as a page: request, list, one version, JSON, XLSX, schema."""

import json
from io import BytesIO

import jsonschema
import pytest
from openpyxl import load_workbook

from accounts.services import user_create
from cbam.models import ReportPeriod
from cbam.services import reports_compute
from tests.api.support import assert_problem
from tests.cbam.ledger_example import worked_example


@pytest.fixture
def reported(alurec, client_for):
    worked_example(alurec)
    period = {"start": "2026-10-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
    response = client_for("alurec").post("/api/v1/installations/HN-1/reports/", period, format="json")
    assert response.status_code == 202, response.content
    [report] = reports_compute()
    return report


@pytest.mark.parametrize("start", ["2027-01-01T00:00:00Z", "2026-10-01T00:00:00Z"])
def test_an_empty_period_is_refused_by_its_rule_about_end(alurec, client_for, start):
    worked_example(alurec)
    period = {"start": start, "end": "2026-10-01T00:00:00Z"}  # after the end, or at it
    body = assert_problem(
        client_for("alurec").post("/api/v1/installations/HN-1/reports/", period, format="json"),
        400,
        "empty_period",
    )
    assert list(body["errors"]) == ["end"]
    assert not ReportPeriod.objects.exists()


def test_the_json_validates_against_the_served_schema(reported, client_for, anonymous):
    schema = anonymous.get("/api/v1/cbam/schema/remelt-cbam-1.json")
    assert schema.status_code == 200
    response = client_for("alurec").get(f"/api/v1/cbam/reports/{reported.pk}/communication.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    jsonschema.Draft202012Validator(json.loads(schema.content)).validate(document)
    assert document["goods"][0]["see_direct_t_co2e_per_t"] == "0.2033"


def test_the_xlsx_has_the_documented_sheets_and_cells(reported, client_for):
    response = client_for("alurec").get(f"/api/v1/cbam/reports/{reported.pk}/communication.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "A_InstData",
        "D_Processes",
        "E_PurchPrec",
        "Summary_Products",
        "Summary_Communication",
    ]
    data = book["A_InstData"]
    assert (data["A3"].value, data["B3"].value) == ("Installation code", "HN-1")
    assert (data["A7"].value, data["B7"].value) == ("Country", "CN")
    assert data["B19"].value == reported.digest
    processes = book["D_Processes"]
    assert [processes.cell(row=row, column=6).value for row in range(4, 8)] == [
        pytest.approx(float(v)) for v in ("9081.240", "648.660", "6270.380", "432.440")
    ]
    assert book["E_PurchPrec"]["A4"].value == "primary_aluminium"
    assert float(book["E_PurchPrec"]["C4"].value) == 1.6 and book["E_PurchPrec"]["D4"].value == "default"
    products = book["Summary_Products"]
    assert products["A3"].value == "CN code" and products["A4"].value == "7601 20"
    assert float(products["F4"].value) == 0.2033 and float(products["I4"].value) == 1.0272
    communication = book["Summary_Communication"]
    assert (communication["A4"].value, communication["B4"].value, float(communication["F4"].value)) == (
        "7601 20",
        "HN-1",
        0.2033,
    )


def test_a_chinese_reader_gets_the_same_sheets_and_one_more_naming_their_labels(reported, client_for):
    url = f"/api/v1/cbam/reports/{reported.pk}/communication.xlsx"
    english = load_workbook(BytesIO(client_for("alurec").get(url).content))
    book = load_workbook(BytesIO(client_for("alurec").get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content))
    assert book.sheetnames == [*english.sheetnames, "表头对照"]
    for name in english.sheetnames:  # the template's own sheets are the same, cell for cell
        assert [[c.value for c in row] for row in book[name]] == [
            [c.value for c in row] for row in english[name]
        ]
    labels = {
        (row[0], row[1]): (row[2], row[3]) for row in book["表头对照"].iter_rows(min_row=4, values_only=True)
    }
    assert labels[("A_InstData", "A3")] == ("Installation code", "装置编号")
    assert labels[("Summary_Products", "F3")] == ("SEE direct t CO2e/t", "SEE direct t CO2e/t")
    assert labels[("D_Processes", "D3")] == ("Natural gas m3", "天然气 m³")
    assert ("A_InstData", "B3") not in labels  # values are not labels
    assert all(translated for _, translated in labels.values())


def test_reports_have_the_installations_visibility(reported, client_for):
    assert client_for("alurec").get("/api/v1/cbam/reports/").json()["count"] == 1
    assert client_for("certa").get(f"/api/v1/cbam/reports/{reported.pk}/").status_code == 200
    assert client_for("wheelworks").get(f"/api/v1/cbam/reports/{reported.pk}/").status_code == 404
    assert (
        client_for("wheelworks").get(f"/api/v1/cbam/reports/{reported.pk}/communication.xlsx").status_code
        == 404
    )
    assert client_for("wheelworks").get("/api/v1/cbam/reports/").json()["count"] == 0


def test_the_report_page_says_what_the_figure_is(reported, client, alurec, wheelworks):
    client.force_login(user_create(username="li", organisation=alurec, password="li-melts-scrap"))
    page = client.get(f"/cbam/reports/{reported.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "0.2033" in text and "not</em> the product carbon footprint" in text
    client.force_login(user_create(username="wu", organisation=wheelworks, password="wu-makes-wheels"))
    assert client.get(f"/cbam/reports/{reported.pk}/").status_code == 404
