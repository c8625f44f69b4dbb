"""The auditor's pages show the figures of the API (issue #14, item 5): masses in kg everywhere,
an amended lot with the value recorded, the value corrected and the amending entry (page and
API), trace steps with each part's own grams, paged through all of the steps."""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_issue, user_create
from ledger.services import EventInput, events_record
from ledger.views import PAGE_ROWS
from passports.services import rollup_run
from tests.passports.test_passport_page import record_wheel_history

MELT = "HEAT-ALU-1"  # 12 200 kg, upstream of wheel W-0001
WHEEL = "W-0001"


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts, keyed by the table's class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(response) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def row_of(table: list[list[str]], code: str) -> dict[str, str]:
    """The row of `table` whose first cells name `code`, as {column heading: cell text}."""
    heading = table[0]
    [row] = [row for row in table[1:] if code in row[:3]]
    return dict(zip(heading, row, strict=True))


def kg_of(text: str) -> Decimal:
    """A mass as a page prints it (digit grouping, 3 decimals, maybe a unit) as a Decimal."""
    return Decimal(text.removesuffix(" kg").replace(",", ""))


@pytest.fixture
def auditor(client, cast):
    client.force_login(user_create(username="carol", organisation=cast["certa"], password=None))
    return client


@pytest.fixture
def api(cast):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=cast['certa'], name='t').token}"
    )
    return client


def post(org, entry_type, data, *, hours_ago=1):
    when = timezone.now() - timedelta(hours=hours_ago)
    [recorded] = events_record(organisation=org, actor="user:t", events=[EventInput(entry_type, when, data)])
    return recorded.entry


def test_a_melts_lot_mass_is_the_apis_mass_kg_on_every_page(cast, auditor, api):
    record_wheel_history(cast)
    rollup_run()
    mass_kg = Decimal(api.get(f"/api/v1/lots/{MELT}/").json()["mass_kg"])
    assert mass_kg == Decimal("12200.000")

    # The passport's material flow (it printed grams: 12,200,000).
    flow = tables_of(auditor.get(f"/passports/{WHEEL}/"))["numbers trace"]
    assert kg_of(row_of(flow, MELT)["Lot mass (kg)"]) == mass_kg
    # The wheel's audit page, in its trace up.
    trace = tables_of(auditor.get(f"/audit/lots/{WHEEL}/"))["audit-trace audit-trace-up"]
    assert kg_of(row_of(trace, MELT)["Mass (kg)"]) == mass_kg
    # The melt's own audit page.
    page = auditor.get(f"/audit/lots/{MELT}/").content.decode()
    assert "12,200.000 kg" in page


def test_a_wheels_step_shows_its_own_grams_not_the_runs_input(cast, auditor):
    record_wheel_history(cast)
    steps = tables_of(auditor.get("/audit/lots/HEAT-WW-1/"))["audit-steps"]
    # The run took 600 kg of HEAT-WW-1 for 40 wheels of 11.5 kg and 140 kg of home scrap: all
    # of each wheel's metal is the melt's.
    assert row_of(steps, WHEEL)["kg of From in Into"] == "11.500"
    assert row_of(steps, "INT-WW-1")["kg of From in Into"] == "140.000"
    assert "600.000" not in {row[3] for row in steps[1:]}


def test_an_amended_receipt_shows_the_fact_recorded_the_fact_corrected_and_the_amendment(cast, auditor, api):
    alurec = cast["alurec"]
    receipt = {
        "code": "SCR-1",
        "supplier": "scrapco",
        "grade": "ISRI Tense",
        "category": "post_consumer",
        "mass_kg": "1000",
        "origin": "Foshan scrap market",
        "transport": {"distance_km": "408", "mode": "truck"},
    }
    made = post(alurec, "scrap.received", receipt, hours_ago=3)
    first = post(
        alurec,
        "lot.amended",
        {"lot": "SCR-1", "reason": "wrong yard", "transport": {"distance_km": "512", "mode": "truck"}},
        hours_ago=2,
    )
    second = post(alurec, "lot.amended", {"lot": "SCR-1", "reason": "grade misread", "grade": "ISRI Taint"})

    response = auditor.get("/audit/lots/SCR-1/")
    page = response.content.decode()
    facts = {row[0]: row[1] for row in tables_of(response)["audit-facts"][1:] if len(row) == 2}
    assert facts["transport.distance_km"] == (
        f"512.000 amended by entry #{first.seq}; first recorded as 408.000"
    )
    assert facts["transport.mode"] == "truck"  # unchanged: no note
    assert facts["Grade"] == f"ISRI Taint amended by entry #{second.seq}; first recorded as ISRI Tense"
    amendments = tables_of(response)["audit-amendments"]
    assert [row[-3:] for row in amendments[1:]] == [
        ["transport", "distance_km 408.000, mode truck", "distance_km 512.000, mode truck"],
        ["grade", "ISRI Tense", "ISRI Taint"],
    ]
    assert f'id="amendment-{first.seq}"' in page and first.hash[:16] in page
    assert "wrong yard" in page and "grade misread" in page
    assert f"#{made.seq}" in page  # the entry that made it, unchanged

    lot = api.get("/api/v1/lots/SCR-1/").json()
    assert lot["grade"] == "ISRI Taint"  # the lot shows the corrected facts …
    assert lot["amendments"] == [  # … and names each amendment with both values
        {
            "seq": first.seq,
            "hash": first.hash,
            "occurred_at": lot["amendments"][0]["occurred_at"],
            "reason": "wrong yard",
            "changes": [
                {
                    "fact": "transport",
                    "was": {"distance_km": "408.000", "mode": "truck"},
                    "now": {"distance_km": "512.000", "mode": "truck"},
                }
            ],
        },
        {
            "seq": second.seq,
            "hash": second.hash,
            "occurred_at": lot["amendments"][1]["occurred_at"],
            "reason": "grade misread",
            "changes": [{"fact": "grade", "was": "ISRI Tense", "now": "ISRI Taint"}],
        },
    ]
    assert api.get("/api/v1/lots/").json()["results"][0].keys() == lot.keys() - {"amendments"}


def test_a_step_fact_amended_through_one_lot_shows_on_its_siblings_but_a_lot_fact_does_not(
    cast, auditor, api
):
    alurec = cast["alurec"]
    post(alurec, "scrap.received", {**_receipt("SCR-1")}, hours_ago=5)
    post(
        alurec,
        "melt.recorded",
        {
            "code": "MLT-1",
            "furnace": "F1",
            "inputs": [{"lot": "SCR-1", "mass_kg": "1000"}],
            "output_mass_kg": "950",
        },
        hours_ago=4,
    )
    post(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MLT-1", "mass_kg": "900"}],
            "outputs": [
                {"code": "ING-1", "mass_kg": "450", "alloy": "A356.2"},
                {"code": "ING-2", "mass_kg": "450", "alloy": "A356.2"},
            ],
            "energy": {"electricity_kwh": "20"},
        },
        hours_ago=3,
    )
    energy = post(
        alurec,
        "lot.amended",
        {"lot": "ING-2", "reason": "meter read twice", "energy": {"electricity_kwh": "10"}},
        hours_ago=2,
    )
    post(alurec, "lot.amended", {"lot": "ING-2", "reason": "lab report", "alloy": "A356.0"})

    changes = [
        (a["seq"], [c["fact"] for c in a["changes"]])
        for a in api.get("/api/v1/lots/ING-1/").json()["amendments"]
    ]
    assert changes == [(energy.seq, ["energy"])]
    facts = {
        row[0]: row[1]
        for row in tables_of(auditor.get("/audit/lots/ING-1/"))["audit-facts"][1:]
        if len(row) == 2
    }
    assert (
        facts["energy.electricity_kwh"] == f"10.000 amended by entry #{energy.seq}; first recorded as 20.000"
    )
    assert facts["Alloy"] == "A356.2"
    assert [c["fact"] for a in api.get("/api/v1/lots/ING-2/").json()["amendments"] for c in a["changes"]] == [
        "energy",
        "alloy",
    ]


def _receipt(code: str, **facts) -> dict:
    return {
        "code": code,
        "supplier": "scrapco",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "1000",
        "transport": {"distance_km": "100", "mode": "truck"},
        **facts,
    }


def test_the_trace_pages_through_all_of_its_steps(cast, auditor):
    wheelworks = cast["wheelworks"]
    post(wheelworks, "scrap.received", _receipt("SCR-W", mass_kg="5000"), hours_ago=3)
    post(
        wheelworks,
        "melt.recorded",
        {
            "code": "MLT-W",
            "furnace": "F1",
            "inputs": [{"lot": "SCR-W", "mass_kg": "5000"}],
            "output_mass_kg": "4900",
        },
        hours_ago=2,
    )
    serials = [f"W-{n:04d}" for n in range(1, PAGE_ROWS + 51)]
    post(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": "MLT-W", "mass_kg": "1600"}],
            "parts": [{"serial": serial, "mass_kg": "10", "part_number": "X"} for serial in serials],
        },
    )

    first = auditor.get("/audit/lots/MLT-W/")
    down = first.context["down"]
    assert len(down.steps) == len(serials)
    assert len(down.steps_page) == PAGE_ROWS
    assert "down_steps=2#down-steps" in first.content.decode()
    second = auditor.get("/audit/lots/MLT-W/", {"down_steps": 2})
    rest = list(second.context["down"].steps_page)
    assert len(rest) == 50
    shown = {step.target for step in [*down.steps_page, *rest]}
    assert shown == set(serials)
    assert "down_steps=1#down-steps" in second.content.decode()  # and back
    # Lots page the same way, independently of the steps.
    assert len(second.context["down"].rows_page) == PAGE_ROWS
    assert "down_lots=2" in second.content.decode()
    assert auditor.get("/audit/lots/MLT-W/", {"down_steps": "nonsense"}).status_code == 200


def test_search_finds_an_origin_and_suggests_what_exists(cast, auditor):
    alurec = cast["alurec"]
    post(alurec, "scrap.received", _receipt("SCR-F", origin="Foshan scrap market"), hours_ago=2)
    post(alurec, "scrap.received", _receipt("SCR-N", origin="Ningbo"))

    response = auditor.get("/audit/", {"q": "foshan"})
    assert [lot.code for lot in response.context["search"].lots] == ["SCR-F"]
    assert "Foshan scrap market" in response.content.decode()
    html = auditor.get("/audit/").content.decode()
    assert 'placeholder="SCR-F, Scrapco, Foshan"' in html
