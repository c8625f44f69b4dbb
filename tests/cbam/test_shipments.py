"""A shipment of ingot lots: page, PDF (read back) and API with each lot's CBAM figures."""

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from accounts.services import user_create
from cbam.services import report_request, reports_compute
from ledger.models import Transfer
from tests.cbam.ledger_example import Q4, at, worked_example
from tests.ledger.test_events import record

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # tests/artifacts/, ignored by git


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


def _read(document: bytes) -> str:
    """The PDF's text. The sheet's font is a CID font whose encoding is a CMap stream (fpdf2
    embeds Noto Sans CJK so); pypdf reads its two-byte codes with a NUL before each character,
    which poppler's pdftotext does not, so the NULs are dropped."""
    pages = PdfReader(BytesIO(document)).pages
    return " ".join(page.extract_text() for page in pages).replace("\x00", "")


def signed_in(client, org, username):
    client.force_login(user_create(username=username, organisation=org, password=f"{username}-pass-1234"))
    return client


def test_the_shipment_pdf_reads_back_with_each_lots_figures(client, shipped, wheelworks):
    transfer, report = shipped
    response = signed_in(client, wheelworks, "wu").get(f"/cbam/shipments/{transfer.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _read(response.content)
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


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return _read(response.content)


def test_the_shipment_pdf_in_chinese_and_side_by_side(client, shipped, wheelworks):
    transfer, report = shipped
    client = signed_in(client, wheelworks, "wu")
    chinese = client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang=zh-hans")
    text = _pdf_text(chinese)
    for expected in (
        "CBAM 隐含排放",
        "净重 kg",
        "装置",
        "报告期",
        "2026-10-01 至 2027-01-01",
        "不是材料护照上的产品碳足迹",
    ):
        assert expected in text, expected
    for figure in ("ING-A", "58400.000", "0.2033", "HN-1 (CN)", report.digest):  # the same in every language
        assert figure in text, figure
    assert "Net mass kg" not in text and "not the product carbon footprint" not in text
    assert chinese["Content-Disposition"].endswith(f'cbam-shipment-{transfer.pk}-zh.pdf"')
    both = _pdf_text(client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang=both"))
    for expected in (
        "净重 kg",
        "Net mass kg",
        "报告期",
        "Period",
        "不是材料护照上的产品碳足迹",
        "not the product carbon footprint",
    ):
        assert expected in both, expected
    assert both.index("净重 kg") < both.index("Net mass kg")  # Chinese first, then English
    english = _pdf_text(client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang=en-gb"))
    assert "Net mass kg" in english and "净重" not in english


def test_without_the_cjk_font_chinese_is_refused_clearly_and_english_still_made(
    client, shipped, wheelworks, settings, tmp_path
):
    transfer, _report = shipped
    settings.CJK_FONT_FILE = str(tmp_path / "no-such-font.ttc")
    client = signed_in(client, wheelworks, "wu")
    refused = client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang=both")
    assert refused.status_code == 503 and refused["Content-Type"].startswith("text/plain")
    assert "no-such-font.ttc" in refused.content.decode() and "fonts-noto-cjk" in refused.content.decode()
    assert "58400.000" in _pdf_text(client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang=en-gb"))


def test_the_shipment_page_in_chinese_links_the_three_pdfs(client, shipped, wheelworks):
    transfer, _report = shipped
    page = (
        signed_in(client, wheelworks, "wu")
        .get(f"/cbam/shipments/{transfer.pk}/?lang=zh-hans")
        .content.decode()
    )
    assert f"第 {transfer.pk} 号发货的 CBAM 隐含排放" in page and "净重 kg" in page
    for lang in ("en-gb", "zh-hans", "both"):
        assert f"/cbam/shipments/{transfer.pk}.pdf?lang={lang}" in page


def test_the_shipment_pdfs_are_rendered_for_a_person_to_look_at(client, shipped, wheelworks):
    """Each language's sheet as PNG pages in tests/artifacts/ (poppler's pdftoppm), to be looked
    at: the Chinese glyphs render (no boxes) and nothing runs out of its cell."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) renders the PDF pages: apt-get install poppler-utils"
    transfer, _report = shipped
    client = signed_in(client, wheelworks, "wu")
    ARTIFACTS.mkdir(exist_ok=True)
    for lang in ("en-gb", "zh-hans", "both"):
        response = client.get(f"/cbam/shipments/{transfer.pk}.pdf?lang={lang}")
        pdf = ARTIFACTS / f"cbam-shipment-{lang}.pdf"
        pdf.write_bytes(response.content)
        subprocess.run(
            [pdftoppm, "-png", "-r", "80", str(pdf), str(ARTIFACTS / f"cbam-shipment-{lang}")], check=True
        )
        assert list(ARTIFACTS.glob(f"cbam-shipment-{lang}-*.png")), lang
