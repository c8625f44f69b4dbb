"""The demo's recycler has an installation, a CBAM report and a shipment to the EU; load_demo prints them."""

import io
import re

from django.core.management import call_command

from cbam.models import CbamReport, Installation
from ledger.models import Transfer


def test_load_demo_prints_the_cbam_report_and_the_eu_shipment(db, client, ledger_signing_key):
    out = io.StringIO()
    call_command("load_demo", "--small", "--base-url", "http://testserver", stdout=out)
    printed = out.getvalue()
    installation = Installation.objects.get(code="HN-1")
    assert installation.organisation.slug == "huanan-recycling" and installation.units.count() == 3
    report = CbamReport.objects.get(superseded_at=None, period__installation=installation)
    (good,) = report.document["goods"]
    assert good["cn_code"] == "7601 20" and float(good["see_direct_t_co2e_per_t"]) > 0
    report_url = re.search(r"^CBAM report \(HN-1\):\s+http://testserver(\S+)", printed, re.MULTILINE)[1]
    shipment_url = re.search(r"^CBAM shipment to EU:\s+http://testserver(\S+)", printed, re.MULTILINE)[1]
    assert client.login(username="huanan", password="remelt-demo")
    assert good["see_direct_t_co2e_per_t"] in client.get(report_url).content.decode()
    client.logout()
    assert client.login(username="elbe", password="remelt-demo")
    page = client.get(shipment_url).content.decode()
    transfer = Transfer.objects.get(to_organisation__slug="elbe-radguss")
    assert transfer.items.count() >= 1 and good["see_direct_t_co2e_per_t"] in page
    assert client.get(f"/cbam/shipments/{transfer.pk}.pdf").status_code == 200
