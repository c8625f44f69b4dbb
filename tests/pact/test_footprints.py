"""ListFootprints and GetFootprint: the conformance tool's cases 3–8, the mapping's numbers,
versions, visibility, and every emitted document checked against PACT's own schema."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.services import EventInput, events_record
from pact.models import ProductFootprint
from pact.services import footprints_sync
from passports.models import Footprint
from passports.services import rollup_run
from tests.pact.conftest import PRODUCT_FOOTPRINT, Pact, assert_pact_error

LIST = "/pact/3/footprints"


def documents(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()["data"]
    for document in data:
        PRODUCT_FOOTPRINT.validate(document)
    return data


def by_product(data: list[dict], fragment: str) -> list[dict]:
    return [d for d in data if any(fragment in pid for pid in d["productIds"])]


# -- conformance 3, 4, 5: get, list, pagination ---------------------------------------------------


def test_case_4_list_gives_what_the_client_may_see_each_valid(published, pact_for):
    data = documents(pact_for("autofab").get(LIST))
    # autofab holds W-0001 and W-0002 (shipped by truck): their run's group, and ING-1 upstream.
    runs = by_product(data, "production-run")
    assert len(runs) == 1 and runs[0]["pcf"]["declaredUnitOfMeasurement"] == "piece"
    assert "outboundLogisticsGhgEmissions" in runs[0]["pcf"]
    assert [d["productIds"] for d in data if d not in runs] == [["urn:pact:remelt.example:lot:ING-1"]]


def test_case_3_get_by_id(published, pact_for):
    pact = pact_for("autofab")
    listed = documents(pact.get(LIST))
    for document in listed:
        response = pact.get(f"{LIST}/{document['id']}")
        assert response.status_code == 200
        got = response.json()["data"]
        PRODUCT_FOOTPRINT.validate(got)
        assert got == document


def test_case_5_pagination_links_are_absolute_on_the_request_host_and_repeatable(
    published, pact_for, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "pact.partner.example"]
    pact = pact_for("certa")  # the auditor sees every footprint
    everything = [d["id"] for d in documents(pact.get(LIST))]
    assert len(everything) >= 4
    seen, url = [], f"{LIST}?limit=1&status=Active"
    while url:
        response = pact.get(url, HTTP_HOST="pact.partner.example")
        page = documents(response)
        assert len(page) <= 1
        seen += [d["id"] for d in page]
        link = response.get("Link")
        if link is None:
            break
        target, rel = link.split(";")
        assert rel.strip() == 'rel="next"'
        target = target.strip().removeprefix("<").removesuffix(">")
        assert target.startswith("https://pact.partner.example/pact/3/footprints?")
        assert "limit=1" in target and "status=Active" in target
        url = target.removeprefix("https://pact.partner.example")
        # The same link gives the same page again (PACT: callable more than once).
        assert documents(pact.get(url, HTTP_HOST="pact.partner.example")) == documents(
            pact.get(url, HTTP_HOST="pact.partner.example")
        )
    assert seen == [pf for pf in everything if pf in seen] and len(seen) == len(everything)


def test_the_link_is_still_valid_after_180_seconds(published, pact_for, monkeypatch):
    pact = pact_for("certa")
    link = pact.get(f"{LIST}?limit=2")["Link"]
    url = link.split(";")[0].strip("<>").removeprefix("https://testserver")
    later = timezone.now() + timedelta(seconds=181)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # The access token itself may have expired by then; a fresh one is as good.
    assert len(documents(pact_for("certa").get(url))) >= 1


def test_no_link_on_the_last_page_and_an_empty_list_is_an_empty_array(published, pact_for):
    response = pact_for("certa").get(f"{LIST}?limit=1000")
    assert "Link" not in response
    response = pact_for("outsider").get(LIST)
    assert response.status_code == 200 and response.json() == {"data": []}


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_a_bad_limit_is_bad_request(published, pact_for, limit):
    body = assert_pact_error(pact_for("certa").get(f"{LIST}?limit={limit}"), 400, "BadRequest")
    assert "limit" in body["message"]


# -- conformance 6, 7, 8: bad tokens, unknown ids -------------------------------------------------


def test_case_6_and_7_an_invalid_token_is_401_bad_request(published, pact_for):
    pf_id = ProductFootprint.objects.first().id
    for path in (LIST, f"{LIST}/{pf_id}"):
        response = Pact("very-invalid-access-token-x").get(path)
        assert_pact_error(response, 401, "BadRequest")
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "data" not in response.json()
        assert_pact_error(Pact().get(path), 401, "BadRequest")


def test_an_expired_token_is_token_expired(published, pact_for, monkeypatch):
    pact = pact_for("autofab")
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert_pact_error(pact.get(LIST), 401, "TokenExpired")


def test_case_8_an_unknown_id_is_not_found_and_a_malformed_one_bad_request(published, pact_for):
    pact = pact_for("autofab")
    assert_pact_error(pact.get(f"{LIST}/00000000-0000-0000-0000-000000000000"), 404, "NotFound")
    assert_pact_error(pact.get(f"{LIST}/non-existent-id"), 400, "BadRequest")


def test_unknown_paths_and_methods_answer_pact_errors(published, pact_for):
    pact = pact_for("autofab")
    assert_pact_error(pact.get("/pact/3/nothing"), 404, "NotFound")
    response = pact.client.delete(LIST, secure=True)
    assert_pact_error(response, 405, "BadRequest")


# -- visibility -------------------------------------------------------------------------------


def test_a_client_of_an_organisation_that_never_held_a_run_does_not_see_it(published, pact_for):
    run = ProductFootprint.objects.filter(subject="run").first()
    outsider = pact_for("outsider")
    assert_pact_error(outsider.get(f"{LIST}/{run.id}"), 404, "NotFound")
    assert documents(outsider.get(LIST)) == []
    for product_id in run.document["productIds"]:
        assert documents(outsider.get(f"{LIST}?productId={product_id}")) == []
    # alurec made ING-1 and ING-2 but never held a wheel: it sees its ingots only.
    data = documents(pact_for("alurec").get(LIST))
    assert data and not by_product(data, "production-run")
    assert_pact_error(pact_for("alurec").get(f"{LIST}/{run.id}"), 404, "NotFound")


def test_wheelworks_sees_both_groups_of_its_run_and_autofab_only_what_it_holds(published, pact_for):
    mine = by_product(documents(pact_for("wheelworks").get(LIST)), "production-run")
    assert sorted("outboundLogisticsGhgEmissions" in d["pcf"] for d in mine) == [False, True]
    theirs = by_product(documents(pact_for("autofab").get(LIST)), "production-run")
    assert [d["id"] for d in theirs] == [d["id"] for d in mine if "outboundLogisticsGhgEmissions" in d["pcf"]]


# -- the numbers agree with the passports ---------------------------------------------------------


def _passport(code: str) -> dict:
    return Footprint.objects.get(lot__code=code, superseded_at__isnull=True).document


def test_per_piece_footprint_plus_outbound_is_the_passport_total_to_the_gram(published, pact_for):
    data = documents(pact_for("certa").get(LIST))
    shipped = next(
        d for d in by_product(data, "production-run") if "outboundLogisticsGhgEmissions" in d["pcf"]
    )
    at_gate = next(
        d for d in by_product(data, "production-run") if "outboundLogisticsGhgEmissions" not in d["pcf"]
    )
    for document, serial in ((shipped, "W-0001"), (shipped, "W-0002"), (at_gate, "W-0003")):
        pcf = document["pcf"]
        piece = Decimal(pcf["pcfExcludingBiogenicUptake"]) + Decimal(
            pcf.get("outboundLogisticsGhgEmissions", "0")
        )
        passport = _passport(serial)
        assert abs(piece - Decimal(passport["total_kg_co2e"])) < Decimal("0.001")
        assert pcf["productMassPerDeclaredUnit"] == passport["mass_kg"]
        shares = document["extensions"][0]["data"]["recycledContent"]
        assert (shares["postConsumer"], shares["preConsumer"]) == (
            passport["recycled_content"]["post_consumer"],
            passport["recycled_content"]["pre_consumer"],
        )


def test_ingot_lot_per_kilogram_times_its_mass_is_the_passport_total(published, pact_for):
    ingot = by_product(documents(pact_for("wheelworks").get(LIST)), "lot:ING-1")[0]
    pcf = ingot["pcf"]
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == ("kilogram", "1")
    passport = _passport("ING-1")
    per_kg = Decimal(pcf["pcfExcludingBiogenicUptake"]) + Decimal(pcf["outboundLogisticsGhgEmissions"])
    # Per kg to 6 decimals: times 6,000 kg, within 6 g.
    assert abs(per_kg * Decimal(passport["mass_kg"]) - Decimal(passport["total_kg_co2e"])) < Decimal("0.006")
    extension = ingot["extensions"][0]["data"]
    exact = Decimal(extension["perKgCO2eAtGate"]) + Decimal(extension["outboundPerKgCO2e"])
    assert abs(exact * Decimal(passport["mass_kg"]) - Decimal(passport["total_kg_co2e"])) < Decimal("0.001")
    assert extension["recycledContent"]["postConsumer"] == passport["recycled_content"]["post_consumer"]


def test_the_extension_names_the_anchor_of_a_footprint_version(published, pact_for, ledger_signing_key):
    from ledger.models import Entry
    from passports.selectors import footprint_proof

    document = by_product(documents(pact_for("autofab").get(LIST)), "production-run")[0]
    anchor = document["extensions"][0]["data"]["anchor"]
    version = Footprint.objects.get(lot__code=anchor["lot"], version=anchor["footprintVersion"])
    assert version.digest == anchor["footprintDigest"] and version.run.entry_id == anchor["anchorSeq"]
    entry = Entry.objects.get(seq=anchor["anchorSeq"])
    assert entry.type == "footprint.computed" and entry.hash == anchor["anchorHash"]
    proof = footprint_proof(version)  # the anchor commits to the version by a Merkle root
    assert proof.anchor_seq == entry.seq and proof.verifies()
    assert entry.data["footprints"] == {"count": proof.count, "root": proof.root.hex()}
    assert anchor["lot"] in ("W-0001", "W-0002")  # a part of this group, that autofab holds


def test_primary_data_share_leaves_out_generic_alloying(published, pact_for):
    document = by_product(documents(pact_for("certa").get(LIST)), "lot:ING-2")[0]
    stages = document["extensions"][0]["data"]["stages"]
    total = sum(Decimal(v) for v in stages.values())
    expected = 100 * (total - Decimal(stages["alloying"])) / total
    assert abs(Decimal(document["pcf"]["primaryDataShare"]) - expected) < Decimal("0.01")


# -- versions ---------------------------------------------------------------------------------


def test_an_amendment_deprecates_the_version_and_its_successor_names_it(published, pact_for, alurec):
    pact = pact_for("certa")
    before = {d["id"]: d for d in documents(pact.get(LIST))}
    events_record(
        organisation=alurec,
        actor="user:alice",
        events=[
            EventInput(
                "lot.amended",
                timezone.now() - timedelta(minutes=1),
                {
                    "lot": "MLT-1",
                    "reason": "meter misread",
                    "energy": {"natural_gas_m3": "900", "electricity_kwh": "0"},
                },
            )
        ],
    )
    rollup_run()
    footprints_sync()
    after = {d["id"]: d for d in documents(pact.get(LIST))}
    successors = [d for d in after.values() if d.get("precedingPfIds")]
    # Everything downstream of MLT-1 changed: both ingot lots and both groups of the run.
    assert len(successors) == 4
    for successor in successors:
        (old_id,) = successor["precedingPfIds"]
        old = after[old_id]
        assert old["status"] == "Deprecated" and before[old_id]["status"] == "Active"
        assert {k: v for k, v in old.items() if k != "status"} == {
            k: v for k, v in before[old_id].items() if k != "status"
        }
        assert successor["status"] == "Active" and successor["productIds"] == old["productIds"]
        # Both stay readable by id.
        assert pact.get(f"{LIST}/{old_id}").json()["data"]["status"] == "Deprecated"
        assert pact.get(f"{LIST}/{successor['id']}").json()["data"] == successor
        assert Decimal(successor["pcf"]["pcfExcludingBiogenicUptake"]) > Decimal(
            old["pcf"]["pcfExcludingBiogenicUptake"]
        )


def test_publishing_again_changes_nothing(published):
    before = list(ProductFootprint.objects.values_list("id", "status", "document"))
    rollup_run(full=True)
    footprints_sync()
    assert list(ProductFootprint.objects.values_list("id", "status", "document")) == before


def test_shipping_more_wheels_adds_them_to_the_shipped_group_without_a_new_version(
    published, pact_for, wheelworks
):
    from tests.api.support import TRUCK

    shipped = ProductFootprint.objects.get(subject="run", status="Active", outbound__gt="")
    events_record(
        organisation=wheelworks,
        actor="user:bob",
        events=[
            EventInput(
                "custody.transferred",
                timezone.now() - timedelta(minutes=1),
                {"lots": ["W-0003"], "to": "autofab", "transport": TRUCK},
            )
        ],
    )
    rollup_run()
    footprints_sync()
    shipped.refresh_from_db()
    assert shipped.status == "Active"
    assert set(shipped.lots.values_list("lot__code", flat=True)) == {"W-0001", "W-0002", "W-0003"}
    assert ProductFootprint.objects.filter(subject="run").count() == 2


def test_a_voided_run_deprecates_its_footprints(loop, alurec, wheelworks):
    # A run whose parts were never moved can be voided: a separate one, so the loop stays whole.
    from tests.api.support import TRUCK  # noqa: F401 - the loop's transport

    events_record(
        organisation=wheelworks,
        actor="user:bob",
        events=[
            EventInput(
                "parts.produced",
                timezone.now() - timedelta(minutes=2),
                {
                    "inputs": [{"lot": "ING-1", "mass_kg": "40"}],
                    "parts": [{"serial": "V-1", "mass_kg": "20", "part_number": "AF-19"}],
                },
            )
        ],
    )
    rollup_run()
    footprints_sync()
    run = ProductFootprint.objects.get(subject="run", document__productNameCompany="Wheel hub AF-19")
    events_record(
        organisation=wheelworks,
        actor="user:bob",
        events=[
            EventInput(
                "entry.voided", timezone.now() - timedelta(minutes=1), {"seq": run.run_seq, "reason": "test"}
            )
        ],
    )
    rollup_run()
    footprints_sync()
    run.refresh_from_db()
    assert run.status == "Deprecated" and run.document["status"] == "Deprecated"


# -- the validator can fail -------------------------------------------------------------------


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("companyIds"),
        lambda d: d["pcf"].update(pcfExcludingBiogenicUptake=2.47),  # a number, not a decimal string
        lambda d: d["pcf"].update(geographyRegionOrSubregion="Eastern Asia"),  # two geographies
        lambda d: d.update(status="Current"),
        lambda d: d["pcf"].update(declaredUnitOfMeasurement="pieces"),
        lambda d: d["productIds"].append(d["productIds"][0]),
    ],
)
def test_the_schema_check_rejects_a_broken_document(published, pact_for, breakage):
    import copy

    import jsonschema

    document = copy.deepcopy(documents(pact_for("certa").get(LIST))[0])
    breakage(document)
    with pytest.raises(jsonschema.ValidationError):
        PRODUCT_FOOTPRINT.validate(document)


def test_a_run_footprint_is_the_run_level_footprint_at_the_gate(published, pact_for):
    from passports.selectors import production_run_footprints

    document = by_product(documents(pact_for("certa").get(LIST)), "production-run")[0]
    (current,) = [
        v
        for v in production_run_footprints(document["extensions"][0]["data"]["productionRun"]["seq"])
        if v.superseded_at is None
    ]
    data = document["extensions"][0]["data"]
    assert data["perKgCO2eAtGate"] == str(current.per_kg.quantize(Decimal("1E-9")))
    mass = Decimal(document["pcf"]["productMassPerDeclaredUnit"])
    assert Decimal(document["pcf"]["pcfExcludingBiogenicUptake"]) == (mass * current.per_kg).quantize(
        Decimal("1E-6")
    )
    assert data["method"] == current.method and data["ledgerSeq"] == current.ledger_seq
