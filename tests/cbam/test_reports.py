"""CBAM reports: computed from the ledger by the task, anchored, versioned, valid JSON."""

import json
from pathlib import Path

import jsonschema
import pytest
from remelt_verify.cbam import entries_digest, report_digest

from cbam.models import CbamReport, ReportPeriod
from cbam.services import report_request, reports_compute
from ledger.errors import DomainError
from ledger.models import Entry
from tests.cbam.conftest import HN1
from tests.cbam.ledger_example import Q3, Q4, at, cast, melt, receive, worked_example
from tests.ledger.test_events import record

SCHEMA = json.loads((Path(__file__).parents[2] / "cbam" / "schema" / "remelt-cbam-1.json").read_text())


@pytest.fixture
def example(alurec):
    worked_example(alurec)


def current(period) -> CbamReport:
    return CbamReport.objects.get(period=period, superseded_at=None)


def test_the_worked_example_through_the_ledger(alurec, example):
    period = report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    [report] = reports_compute()
    (good,) = report.document["goods"]
    assert (
        good["see_direct_t_co2e_per_t"],
        good["electricity_mwh_per_t"],
        good["see_indirect_t_co2e_per_t"],
    ) == (
        "0.2033",
        "0.1900",
        "0.1008",
    )
    assert good["qualifying_parameters"]["scrap_t_per_t"] == "1.0272"
    assert good["qualifying_parameters"]["pre_consumer_scrap_percent"] == "12.00"
    assert good["production_t"] == "97.350"
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
        report.document
    )
    # Anchored: the entry commits to the report's digest and the list of entries it used.
    anchor = report.anchor.data
    assert anchor["report"] == report.digest == report_digest(report.document)
    assert (anchor["installation"], anchor["version"], anchor["factor_set"]) == ("HN-1", 1, "cbam-2026.1")
    used = Entry.objects.filter(seq__gte=report.entries_first, seq__lte=report.entries_last)
    assert report.entries_count == used.count() == 8  # the installation, 3 receipts, 2 melts, 2 casts
    assert report.entries_digest == entries_digest(used.values_list("seq", "hash"))
    assert not ReportPeriod.objects.get(pk=period.pk).pending
    assert reports_compute() == []  # nothing pending: nothing done


def test_a_period_needs_start_before_end(alurec, example):
    with pytest.raises(DomainError) as caught:
        report_request(organisation=alurec, installation="HN-1", start=Q4[1], end=Q4[0])
    assert "end" in caught.value.errors
    assert not ReportPeriod.objects.exists()


def test_an_amendment_changes_only_its_periods_report(alurec, example):
    receive(alurec, "S-Q3", "20000", "post_consumer", at(8, 1))
    melt(alurec, "M-Q3", [("S-Q3", "20000")], [], "1000", "2000", "19500", at(8, 2))
    cast(alurec, "ING-Q3", "M-Q3", "19500", "19400", "100", "300", at(8, 2, 14))
    q3 = report_request(organisation=alurec, installation="HN-1", start=Q3[0], end=Q3[1])
    q4 = report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    assert len(reports_compute()) == 2
    before_q3 = current(q3).document
    record(
        alurec,
        "lot.amended",
        {
            "lot": "M-B",
            "reason": "meter read again",
            "energy": {"natural_gas_m3": "3900", "electricity_kwh": "6000"},
        },
    )
    made = reports_compute()
    assert [(report.period_id, report.version) for report in made] == [(q4.pk, 2)]
    assert current(q3).document == before_q3 and current(q3).version == 1
    # (16,432.72 + 1,000 × 2.1622 + 3,360) / 97,350
    assert current(q4).document["goods"][0]["see_direct_t_co2e_per_t"] == "0.2255"
    old = CbamReport.objects.get(period=q4, version=1)
    assert old.superseded_at is not None and old.document["goods"][0]["see_direct_t_co2e_per_t"] == "0.2033"


def test_a_melt_at_another_installation_changes_nothing(alurec, example):
    q4 = report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    reports_compute()
    other = {
        **HN1,
        "code": "HN-2",
        "unlocode": "CNSZX",
        "furnaces": [{"code": "HN-2-F1"}],
        "casting_lines": [],
    }
    record(alurec, "installation.registered", other, occurred_at=at(9, 2))
    receive(alurec, "S-X", "30000", "post_consumer", at(11, 20))
    melt(
        alurec,
        "M-X",
        [("S-X", "30000")],
        [("primary_aluminium", "900")],
        "2000",
        "4000",
        "29500",
        at(11, 21),
        furnace="HN-2-F1",
    )
    cast(alurec, "ING-X", "M-X", "29500", "29400", "100", "500", at(11, 21, 15))
    assert reports_compute() == []
    assert current(q4).version == 1


def test_melts_before_the_installation_are_not_reported(alurec):
    receive(alurec, "S-0", "20000", "post_consumer", at(10, 2))
    melt(alurec, "M-0", [("S-0", "20000")], [], "1000", "2000", "19500", at(10, 3), furnace="HN-1-RF1")
    record(alurec, "installation.registered", HN1, occurred_at=at(10, 4))
    cast_data = {
        "inputs": [{"lot": "M-0", "mass_kg": "19500"}],
        "outputs": [{"code": "ING-0", "mass_kg": "19400", "alloy": "A356.2"}],
    }
    record(alurec, "ingots.cast", cast_data, occurred_at=at(10, 5))
    report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    [report] = reports_compute()
    assert report.document["goods"] == [] and report.document["processes"] == []
