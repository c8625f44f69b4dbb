"""The auditor pages under /audit/: search, trace both ways, recall list and its CSV.

The history (all through the services, as partners would post it):
- alurec receives SCR-A (10 000 kg from scrapco), SCR-B (5 000 kg from "Foshan Metals", not on
  remelt) and SCR-C (3 000 kg from scrapco);
- melts SCR-A 8 000 + SCR-B 5 000 kg + silicon 100 kg into MLT-1 (12 500 kg), so 80/131 of
  MLT-1's metal is SCR-A, 50/131 SCR-B and 1/131 silicon; casts ING-1 and ING-2 from it;
- melts all of SCR-C into MLT-2 and casts ING-3 from it (all SCR-C);
- sends ING-1 and ING-3 to wheelworks, which makes W-0001 … W-0004 (20 kg) and INT-1 from
  600 kg of ING-1, then W-0005 and W-0006 (25 kg) and INT-10 from 300 kg of ING-1 and 100 kg
  of ING-3 (so 3/4 ING-1, 1/4 ING-3), and sends W-0001, W-0002 and W-0005 to autofab;
- outsider receives OUT-1 from "Somewhere Else" and has dealt with nobody.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from accounts.models import Organisation
from accounts.services import user_create
from ledger.models import Lot, LotHolder
from ledger.selectors import lot_search
from ledger.services import EventInput, events_record
from ledger.visibility import Viewer
from tests.api.support import TRUCK, scrap

SCR_A_IN_MLT_1 = Fraction(8000, 13100)
SCR_B_IN_MLT_1 = Fraction(5000, 13100)
SILICON_IN_MLT_1 = Fraction(100, 13100)
ING_1_IN_RUN_2 = Fraction(300, 400)
ING_3_IN_RUN_2 = Fraction(100, 400)

CSV_HEADER = [
    "serial",
    "part_number",
    "holder",
    "holder_name",
    "held_by",
    "metal_kg",
    "share_percent",
    "part_mass_kg",
    "made_at",
]


@dataclass(frozen=True)
class History:
    """Seqs of the entries that matter to the assertions."""

    melted_1: int
    melted_2: int
    cast_1: int
    cast_2: int
    run_1: int
    run_2: int


def _record(org, entry_type, data, when) -> int:
    recorded = events_record(
        organisation=org, actor="user:loader", events=[EventInput(entry_type, when, data)]
    )
    return recorded[0].entry.seq


@pytest.fixture
def history(cast) -> History:
    alurec, wheelworks, outsider = cast["alurec"], cast["wheelworks"], cast["outsider"]
    start = timezone.now() - timedelta(days=3)
    hours = iter(range(1, 100))

    def at():
        return start + timedelta(hours=next(hours))

    _record(alurec, "scrap.received", scrap("SCR-A", "10000"), at())
    _record(
        alurec,
        "scrap.received",
        scrap("SCR-B", "5000", supplier_name="Foshan Metals", category="pre_consumer"),
        at(),
    )
    _record(alurec, "scrap.received", scrap("SCR-C", "3000"), at())
    melted_1 = _record(
        alurec,
        "melt.recorded",
        {
            "code": "MLT-1",
            "furnace": "TC-65",
            "inputs": [{"lot": "SCR-A", "mass_kg": "8000"}, {"lot": "SCR-B", "mass_kg": "5000"}],
            "additions": [{"material": "silicon", "mass_kg": "100"}],
            "output_mass_kg": "12500",
        },
        at(),
    )
    cast_1 = _record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MLT-1", "mass_kg": "12400"}],
            "outputs": [
                {"code": "ING-1", "mass_kg": "6000", "alloy": "A356.2"},
                {"code": "ING-2", "mass_kg": "6000", "alloy": "A356.2"},
            ],
        },
        at(),
    )
    melted_2 = _record(
        alurec,
        "melt.recorded",
        {
            "code": "MLT-2",
            "furnace": "TC-65",
            "inputs": [{"lot": "SCR-C", "mass_kg": "3000"}],
            "output_mass_kg": "2900",
        },
        at(),
    )
    cast_2 = _record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MLT-2", "mass_kg": "2900"}],
            "outputs": [{"code": "ING-3", "mass_kg": "2800", "alloy": "A356.2"}],
        },
        at(),
    )
    _record(
        alurec,
        "custody.transferred",
        {"lots": ["ING-1", "ING-3"], "to": "wheelworks", "transport": TRUCK},
        at(),
    )
    run_1 = _record(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": "ING-1", "mass_kg": "600"}],
            "parts": [{"serial": f"W-000{n}", "mass_kg": "20", "part_number": "AF-18"} for n in range(1, 5)],
            "internal_scrap": {"code": "INT-1", "mass_kg": "500"},
        },
        at(),
    )
    run_2 = _record(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": "ING-1", "mass_kg": "300"}, {"lot": "ING-3", "mass_kg": "100"}],
            "parts": [
                {"serial": "W-0005", "mass_kg": "25", "part_number": "AF-19"},
                {"serial": "W-0006", "mass_kg": "25", "part_number": "AF-19"},
            ],
            "internal_scrap": {"code": "INT-10", "mass_kg": "300"},
        },
        at(),
    )
    _record(
        wheelworks,
        "custody.transferred",
        {"lots": ["W-0001", "W-0002", "W-0005"], "to": "autofab", "transport": TRUCK},
        at(),
    )
    _record(outsider, "scrap.received", scrap("OUT-1", supplier_name="Somewhere Else"), at())
    _record(cast["scrapco"], "supply.confirmed", {"lot": "SCR-A"}, at())  # scrapco holds SCR-A from then on
    return History(melted_1, melted_2, cast_1, cast_2, run_1, run_2)


@pytest.fixture
def browser_for(client, cast, history):
    """`browser_for("certa")`: the test client signed in as a person of that organisation
    (`None`: an operator superuser without one)."""

    users = {}

    def sign_in(slug: str | None):
        if slug not in users:
            users[slug] = user_create(
                username=slug or "ops",
                organisation=cast[slug] if slug else None,
                password=None,
                is_staff=slug is None,
            )
            if slug is None:
                users[slug].is_superuser = True
                users[slug].save(update_fields=["is_superuser"])
        client.force_login(users[slug])
        return client

    return sign_in


def _found(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [lot.code for lot in response.context["search"].lots]


def _grams(share: Fraction, mass_g: int) -> int:
    # Half up, like the pages; none of the numbers here lands on a half.
    return round(share * mass_g)


# -- sign-in -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/audit/",
        "/audit/?q=W-0001",
        "/audit/lots/SCR-A/",
        "/audit/lots/SCR-A/recall/",
        "/audit/lots/SCR-A/recall.csv",
    ],
)
def test_anonymous_is_sent_to_sign_in(client, history, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/audit/")


# -- search --------------------------------------------------------------------------------------


def test_an_empty_search_shows_the_form(browser_for):
    response = browser_for("certa").get("/audit/")
    assert response.status_code == 200
    assert _found(response) == []
    assert b'name="q"' in response.content


def test_a_serial_goes_straight_to_its_part_ignoring_case(browser_for):
    response = browser_for("certa").get("/audit/", {"q": " w-0005 "})
    assert response.status_code == 302
    assert response["Location"] == "/audit/lots/W-0005/"


def test_a_code_prefix_lists_the_matching_lots_in_code_order(browser_for):
    response = browser_for("certa").get("/audit/", {"q": "w-000"})
    assert _found(response) == ["W-0001", "W-0002", "W-0003", "W-0004", "W-0005", "W-0006"]
    page = response.content.decode()
    assert 'href="/audit/lots/W-0003/"' in page
    assert "25.000" in page  # W-0005's mass in kg
    assert "Wheelworks" in page  # owner of W-0003


def test_an_exact_code_comes_before_codes_that_start_with_it(browser_for):
    response = browser_for("certa").get("/audit/", {"q": "int-1"})
    assert _found(response) == ["INT-1", "INT-10"]
    assert response.context["search"].exact.code == "INT-1"


def test_a_supplier_slug_finds_its_scrap_lots(browser_for):
    assert _found(browser_for("certa").get("/audit/", {"q": "scrapco"})) == ["SCR-A", "SCR-C"]


def test_a_supplier_name_finds_the_lots_of_its_slug(browser_for):
    Organisation.objects.filter(slug="scrapco").update(name="Guangfa Scrap Trading")
    assert _found(browser_for("certa").get("/audit/", {"q": "guangfa"})) == ["SCR-A", "SCR-C"]


def test_a_supplier_not_on_remelt_is_found_by_its_free_text_name(browser_for):
    assert _found(browser_for("certa").get("/audit/", {"q": "foshan"})) == ["SCR-B"]


def test_nothing_found_says_so(browser_for):
    response = browser_for("certa").get("/audit/", {"q": "no-such-lot"})
    assert _found(response) == []
    assert "No lot you may see matches" in response.content.decode()


def test_a_long_result_is_capped_with_a_note(browser_for, monkeypatch):
    monkeypatch.setattr("ledger.views.SEARCH_LIMIT", 4)
    response = browser_for("certa").get("/audit/", {"q": "w-"})
    assert _found(response) == ["W-0001", "W-0002", "W-0003", "W-0004"]
    assert response.context["search"].capped
    assert "Showing the first 4 lots only" in response.content.decode()


def test_the_search_ranks_are_capped_together(history):
    search = lot_search(viewer=Viewer(organisation_id=None, sees_everything=True), query="int-1", limit=1)
    assert ([lot.code for lot in search.lots], search.capped) == (["INT-1"], True)


@pytest.mark.postgres
@pytest.mark.parametrize("lookup", ["code__istartswith", "code__iexact"])
def test_the_search_by_code_ignoring_case_is_served_by_an_index(history, lookup):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        plan = Lot.objects.filter(**{lookup: "scr-"}).explain()
    assert "ledger_lot_code_upper_prefix" in plan


def test_an_operator_superuser_without_an_organisation_sees_everything(browser_for):
    assert _found(browser_for(None).get("/audit/", {"q": "scr-"})) == ["SCR-A", "SCR-B", "SCR-C"]


# -- what partners may see -----------------------------------------------------------------------


def test_an_outsider_finds_only_its_own_lot(browser_for):
    browser = browser_for("outsider")
    for query in ["scr-", "w-", "scrapco", "foshan", "int"]:
        assert _found(browser.get("/audit/", {"q": query})) == [], query
    assert browser.get("/audit/", {"q": "out-1"})["Location"] == "/audit/lots/OUT-1/"


@pytest.mark.parametrize(
    "path",
    [
        "/audit/lots/SCR-A/",
        "/audit/lots/W-0001/",
        "/audit/lots/SCR-A/recall/",
        "/audit/lots/SCR-A/recall.csv",
        "/audit/lots/NO-SUCH-LOT/",
    ],
)
def test_an_outsider_gets_404_for_lots_it_may_not_see(browser_for, path):
    assert browser_for("outsider").get(path).status_code == 404


def test_an_automaker_sees_its_parts_and_their_upstream_only(browser_for):
    browser = browser_for("autofab")
    assert _found(browser.get("/audit/", {"q": "w-"})) == ["W-0001", "W-0002", "W-0005"]
    assert _found(browser.get("/audit/", {"q": "scrapco"})) == ["SCR-A", "SCR-C"]
    assert browser.get("/audit/lots/W-0003/").status_code == 404
    assert browser.get("/audit/lots/ING-2/").status_code == 404
    assert browser.get("/audit/lots/SCR-A/").status_code == 200


# -- the lot page and its traces ---------------------------------------------------------------


def _rows(tables) -> dict[str, tuple[int, Fraction, int]]:
    return {row.lot.code: (row.distance, row.share, row.metal_g) for row in tables.rows}


def _steps(tables) -> set[tuple[str, str, int, int, Fraction]]:
    return {(step.source, step.target, step.seq, step.mass_g, step.share) for step in tables.steps}


def _metal_in_targets(tables) -> dict[tuple[str, str], int]:
    """(source, target) → grams of the source's metal in the target, as the steps table shows."""
    return {(step.source, step.target): step.metal_g for step in tables.steps}


def test_the_trace_up_reaches_the_scrap_with_masses_and_shares(browser_for, history):
    response = browser_for("certa").get("/audit/lots/W-0005/")
    assert response.status_code == 200
    up = response.context["up"]
    scr_a = ING_1_IN_RUN_2 * SCR_A_IN_MLT_1
    scr_b = ING_1_IN_RUN_2 * SCR_B_IN_MLT_1
    assert _rows(up) == {
        "ING-1": (1, ING_1_IN_RUN_2, 18750),
        "ING-3": (1, ING_3_IN_RUN_2, 6250),
        "MLT-1": (2, ING_1_IN_RUN_2, 18750),
        "MLT-2": (2, ING_3_IN_RUN_2, 6250),
        "SCR-A": (3, scr_a, _grams(scr_a, 25000)),
        "SCR-B": (3, scr_b, _grams(scr_b, 25000)),
        "SCR-C": (3, ING_3_IN_RUN_2, 6250),
    }
    assert _steps(up) == {
        ("ING-1", "W-0005", history.run_2, 300_000, ING_1_IN_RUN_2),
        ("ING-3", "W-0005", history.run_2, 100_000, ING_3_IN_RUN_2),
        ("MLT-1", "ING-1", history.cast_1, 12_400_000, ING_1_IN_RUN_2),
        ("MLT-2", "ING-3", history.cast_2, 2_900_000, ING_3_IN_RUN_2),
        ("SCR-A", "MLT-1", history.melted_1, 8_000_000, scr_a),
        ("SCR-B", "MLT-1", history.melted_1, 5_000_000, scr_b),
        ("SCR-C", "MLT-2", history.melted_2, 3_000_000, ING_3_IN_RUN_2),
    }
    silicon = ING_1_IN_RUN_2 * SILICON_IN_MLT_1
    assert [(a.seq, a.target, a.material, a.mass_g, a.share) for a in up.additions] == [
        (history.melted_1, "MLT-1", "silicon", 100_000, silicon)
    ]
    # The scrap and the addition make up all of the part's metal.
    assert scr_a + scr_b + ING_3_IN_RUN_2 + silicon == 1

    # Each step shows the source's metal in the target: the target's mass times what the
    # source gave over the step's whole charge, not what it gave to the step.
    assert _metal_in_targets(up) == {
        ("ING-1", "W-0005"): 18_750,  # 25 kg x 300/400
        ("ING-3", "W-0005"): 6_250,  # 25 kg x 100/400
        ("MLT-1", "ING-1"): 6_000_000,  # all of ING-1's 6 000 kg
        ("MLT-2", "ING-3"): 2_800_000,
        ("SCR-A", "MLT-1"): _grams(SCR_A_IN_MLT_1, 12_500_000),  # 7 633.588 kg of 12 500
        ("SCR-B", "MLT-1"): _grams(SCR_B_IN_MLT_1, 12_500_000),
        ("SCR-C", "MLT-2"): 2_900_000,
    }

    page = response.content.decode()
    assert "45.80 %" in page  # SCR-A: 60/131 of the wheel
    assert "11.450" in page  # … i.e. 11 450 g of its 25 kg
    assert "7,633.588" in page  # SCR-A's metal in MLT-1, grouped like every mass on the pages
    assert "8000.000" not in page and "8,000.000" not in page  # not what it gave to the step
    assert 'href="/audit/lots/SCR-A/"' in page
    assert 'href="/passports/W-0005/"' in page  # a part has a passport page
    assert "/recall/" not in page  # but no recall list of its own
    assert "Wheelworks" in page and "Autofab" in page  # the holders


def test_the_trace_down_reaches_every_part_with_shares(browser_for, history):
    response = browser_for("certa").get("/audit/lots/SCR-A/")
    assert response.status_code == 200
    down = response.context["down"]
    in_run_2 = ING_1_IN_RUN_2 * SCR_A_IN_MLT_1
    expected = {
        "MLT-1": (1, SCR_A_IN_MLT_1, _grams(SCR_A_IN_MLT_1, 12_500_000)),
        "ING-1": (2, SCR_A_IN_MLT_1, _grams(SCR_A_IN_MLT_1, 6_000_000)),
        "ING-2": (2, SCR_A_IN_MLT_1, _grams(SCR_A_IN_MLT_1, 6_000_000)),
        "INT-1": (3, SCR_A_IN_MLT_1, _grams(SCR_A_IN_MLT_1, 500_000)),
        "INT-10": (3, in_run_2, _grams(in_run_2, 300_000)),
    }
    expected |= {f"W-000{n}": (3, SCR_A_IN_MLT_1, _grams(SCR_A_IN_MLT_1, 20_000)) for n in range(1, 5)}
    expected |= {f"W-000{n}": (3, in_run_2, _grams(in_run_2, 25_000)) for n in (5, 6)}
    assert _rows(down) == expected
    steps = _steps(down)
    assert ("SCR-A", "MLT-1", history.melted_1, 8_000_000, SCR_A_IN_MLT_1) in steps
    assert ("ING-1", "W-0005", history.run_2, 300_000, in_run_2) in steps
    assert ("MLT-1", "ING-2", history.cast_1, 12_400_000, SCR_A_IN_MLT_1) in steps
    assert {step.target for step in down.steps} == set(expected)
    assert down.additions == []
    # A wheel's step shows that wheel's own grams, not the run's whole input.
    metal = _metal_in_targets(down)
    assert metal[("ING-1", "W-0001")] == 20_000  # run 1 is all ING-1
    assert metal[("ING-1", "W-0005")] == 18_750  # 3/4 of 25 kg
    assert metal[("ING-1", "INT-10")] == 225_000  # 3/4 of the run's 300 kg internal scrap
    assert metal[("SCR-A", "MLT-1")] == _grams(SCR_A_IN_MLT_1, 12_500_000)

    page = response.content.decode()
    assert 'href="/audit/lots/SCR-A/recall/"' in page  # scrap has a recall list
    assert 'href="/passports/SCR-A/"' not in page  # and no passport
    assert "Foshan" not in page  # SCR-B is not downstream of SCR-A
    assert "61.07 %" in page  # 80/131 of W-0001


def test_a_partner_trace_passes_only_through_lots_it_may_see(browser_for):
    response = browser_for("autofab").get("/audit/lots/SCR-A/")
    assert set(_rows(response.context["down"])) == {"MLT-1", "ING-1", "W-0001", "W-0002", "W-0005"}


def test_the_lot_page_shows_identity_and_facts(browser_for, history):
    page = browser_for("certa").get("/audit/lots/SCR-B/").content.decode()
    assert "Foshan Metals" in page and "not on remelt" in page
    assert "Pre-consumer" in page
    assert "5,000.000 kg" in page
    page = browser_for(None).get("/audit/lots/MLT-1/").content.decode()
    assert "TC-65" in page  # the furnace, a fact of the melt
    assert f"#{history.melted_1}" in page


# -- the recall list ---------------------------------------------------------------------------


def _expected_recall() -> dict[str, tuple[str, list[str], int, Fraction]]:
    """serial → (current holder, all holders in custody order, grams of SCR-A, share)."""
    run_1, run_2 = SCR_A_IN_MLT_1, ING_1_IN_RUN_2 * SCR_A_IN_MLT_1
    return {
        "W-0001": ("autofab", ["wheelworks", "autofab"], _grams(run_1, 20_000), run_1),
        "W-0002": ("autofab", ["wheelworks", "autofab"], _grams(run_1, 20_000), run_1),
        "W-0003": ("wheelworks", ["wheelworks"], _grams(run_1, 20_000), run_1),
        "W-0004": ("wheelworks", ["wheelworks"], _grams(run_1, 20_000), run_1),
        "W-0005": ("autofab", ["wheelworks", "autofab"], _grams(run_2, 25_000), run_2),
        "W-0006": ("wheelworks", ["wheelworks"], _grams(run_2, 25_000), run_2),
    }


def test_the_recall_lists_exactly_the_affected_parts_and_their_holders(browser_for):
    response = browser_for("certa").get("/audit/lots/SCR-A/recall/")
    assert response.status_code == 200
    recall = response.context["recall"]
    listed = {
        item.part.code: (item.part.owner.slug, [org.slug for org in item.holders], item.metal_g, item.share)
        for item in recall.parts()
    }
    assert listed == _expected_recall()
    assert [item.part.code for item in recall.parts()] == sorted(listed)
    assert recall.count == 6 and recall.metal_g == 4 * 12_214 + 2 * 11_450
    assert _grams(SCR_A_IN_MLT_1, 20_000) == 12_214
    assert _grams(ING_1_IN_RUN_2 * SCR_A_IN_MLT_1, 25_000) == 11_450
    summary = {(s.organisation.slug, s.parts, s.metal_g) for s in response.context["holders"]}
    assert summary == {("autofab", 3, 2 * 12_214 + 11_450), ("wheelworks", 3, 2 * 12_214 + 11_450)}
    page = response.content.decode()
    assert "12.214" in page and "11.450" in page
    assert "wheelworks → autofab" in page
    assert 'href="/audit/lots/SCR-A/recall.csv"' in page


def test_a_recall_from_other_scrap_lists_only_its_parts(browser_for):
    recall = browser_for("certa").get("/audit/lots/SCR-C/recall/").context["recall"]
    assert [(item.part.code, item.metal_g, item.share) for item in recall.parts()] == [
        ("W-0005", 6250, ING_3_IN_RUN_2),
        ("W-0006", 6250, ING_3_IN_RUN_2),
    ]


def test_a_recall_can_start_from_a_melt(browser_for):
    recall = browser_for("certa").get("/audit/lots/MLT-2/recall/").context["recall"]
    assert [item.part.code for item in recall.parts()] == ["W-0005", "W-0006"]


def test_a_part_has_no_recall_list(browser_for):
    assert browser_for("certa").get("/audit/lots/W-0001/recall/").status_code == 404
    assert browser_for("certa").get("/audit/lots/W-0001/recall.csv").status_code == 404


def test_a_partner_recall_lists_only_the_parts_it_may_see(browser_for):
    recall = browser_for("autofab").get("/audit/lots/SCR-A/recall/").context["recall"]
    assert [item.part.code for item in recall.parts()] == ["W-0001", "W-0002", "W-0005"]


def test_the_recall_csv_has_a_header_and_one_row_per_part(browser_for):
    response = browser_for("certa").get("/audit/lots/SCR-A/recall.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recall-SCR-A.csv"'
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == CSV_HEADER
    made_at = {lot.code: lot.occurred_at for lot in Lot.objects.filter(kind="part")}
    expected = []
    for serial, (holder, held_by, grams, share) in sorted(_expected_recall().items()):
        mass_g = 25_000 if serial in ("W-0005", "W-0006") else 20_000
        expected.append(
            [
                serial,
                "AF-19" if mass_g == 25_000 else "AF-18",
                holder,
                holder.title(),
                ";".join(held_by),
                f"{grams // 1000}.{grams % 1000:03d}",
                f"{float(share * 100):.4f}",
                f"{mass_g // 1000}.{mass_g % 1000:03d}",
                made_at[serial].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            ]
        )
    assert rows[1:] == expected


def test_the_recall_csv_in_chinese_names_its_columns_in_a_second_row(browser_for):
    response = browser_for("certa").get("/audit/lots/SCR-A/recall.csv", HTTP_ACCEPT_LANGUAGE="zh-CN")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    english = browser_for("certa").get("/audit/lots/SCR-A/recall.csv", HTTP_ACCEPT_LANGUAGE="en")
    english_rows = list(csv.reader(io.StringIO(b"".join(english.streaming_content).decode())))
    assert rows[0] == CSV_HEADER  # the names programs read, unchanged
    assert rows[1][:3] == ["序列号", "零件号", "当前持有方"] and len(rows[1]) == len(CSV_HEADER)
    assert rows[2:] == english_rows[1:]  # the parts and their figures, the same in both


def test_the_recall_csv_defuses_spreadsheet_formulas(browser_for, cast):
    # A part number is free text from a partner; opened in a spreadsheet it must stay text.
    _record(
        cast["alurec"],
        "parts.produced",
        {
            "inputs": [{"lot": "ING-2", "mass_kg": "30"}],
            "parts": [{"serial": "W-0100", "mass_kg": "20", "part_number": '=HYPERLINK("x")'}],
        },
        timezone.now() - timedelta(minutes=5),
    )
    response = browser_for("certa").get("/audit/lots/SCR-A/recall.csv")
    rows = {row[0]: row for row in csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))}
    assert rows["W-0100"][1] == '\'=HYPERLINK("x")'


def test_holders_are_listed_in_custody_order_not_by_row_or_id(browser_for, cast):
    # A rejected wheel goes back to the recycler, which came into being (lower id, earlier
    # rows) before the wheel maker: custody order is still maker first, then the receiver.
    _record(
        cast["wheelworks"],
        "custody.transferred",
        {"lots": ["W-0003"], "to": "alurec", "transport": TRUCK},
        timezone.now() - timedelta(minutes=5),
    )
    # And the supplier of a receipt comes before the recycler that received it, whatever
    # order the two holder rows of that one event were written in.
    row = LotHolder.objects.get(lot__code="SCR-A", organisation__slug="scrapco")
    row.delete()
    LotHolder.objects.create(lot_id=row.lot_id, organisation_id=row.organisation_id)
    browser = browser_for("certa")
    assert [org.slug for org in browser.get("/audit/lots/SCR-A/").context["holders"]] == ["scrapco", "alurec"]
    recall = browser.get("/audit/lots/SCR-A/recall/").context["recall"]
    holders = {item.part.code: [org.slug for org in item.holders] for item in recall.parts()}
    assert holders["W-0003"] == ["wheelworks", "alurec"]
    assert holders["W-0001"] == ["wheelworks", "autofab"]


def test_an_exact_code_comes_first_even_when_it_differs_in_case(browser_for, cast):
    # Partners choose their own codes; "W-70" sorts before "w-7" byte-wise.
    _record(
        cast["alurec"],
        "parts.produced",
        {
            "inputs": [{"lot": "ING-2", "mass_kg": "50"}],
            "parts": [{"serial": s, "mass_kg": "20", "part_number": "X"} for s in ("W-70", "w-7")],
        },
        timezone.now() - timedelta(minutes=5),
    )
    response = browser_for("certa").get("/audit/", {"q": "w-7"})
    assert _found(response) == ["w-7", "W-70"]
    assert response.context["search"].exact.code == "w-7"
