"""POST /api/v1/epcis/capture: EPCIS documents become the same remelt events, all or none."""

import copy
import json
from datetime import timedelta
from itertools import groupby
from pathlib import Path

import jsonschema
import pytest
from django.db import transaction
from django.utils import timezone

from accounts.services import organisation_gs1_prefix_set
from epcis.models import CaptureJob, LotIdentifier
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from pact.services import footprint_import
from tests.api.support import assert_problem
from tests.epcis.test_query import SHARED_SCHEMA
from tests.pact.test_remelt2_worked_example import SMELTER_ID, smelter_footprint

pytestmark = pytest.mark.django_db
GS1_EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "epcis" / "examples"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"remelt": "urn:remelt:epcis:"}]
TRUCK = {"remelt:distanceKm": "40.000", "remelt:mode": "truck"}


def document(*events) -> dict:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(),
        "epcisBody": {"eventList": list(events)},
    }


def at(minutes_ago: int = 5) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def receipt(lot: str, kg, *, supplier="urn:remelt:org:scrapco", receiver="alurec", uom="KGM") -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": at(30),
        "eventTimeZoneOffset": "+00:00",
        "quantityList": [{"epcClass": lot, "quantity": kg, "uom": uom}],
        "action": "ADD",
        "bizStep": "receiving",
        "sourceList": [{"type": "owning_party", "source": supplier}],
        "destinationList": [{"type": "owning_party", "destination": f"urn:remelt:org:{receiver}"}],
        "ilmd": {"remelt:grade": "wheels", "remelt:category": "post_consumer"},
        "remelt:transport": TRUCK,
    }


def melt(inputs: list[tuple[str, object]], output: tuple[str, object], additions=()) -> dict:
    return {
        "type": "TransformationEvent",
        "eventTime": at(20),
        "eventTimeZoneOffset": "+00:00",
        "inputQuantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"} for lot, kg in inputs]
        + [{"epcClass": f"urn:remelt:material:{m}", "quantity": kg, "uom": "KGM"} for m, kg in additions],
        "outputQuantityList": [{"epcClass": output[0], "quantity": output[1], "uom": "KGM"}],
        "bizStep": "creating_class_instance",
        "remelt:furnace": "TC-65",
    }


def capture(client, doc, **headers):
    return client.post(
        "/api/v1/epcis/capture", json.dumps(doc), content_type="application/ld+json", headers=headers
    )


def job_of(response) -> dict:
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/epcis/capture/{body['captureID']}")
    assert body["running"] is False and body["captureErrorBehaviour"] == "rollback"
    return body


def test_a_mes_posts_a_receipt_and_a_melt(cast, client_for):
    alurec = client_for("alurec")
    doc = document(
        receipt("urn:remelt:lot:SCR-M1", 10000.5),
        melt([("urn:remelt:lot:SCR-M1", 9000.25)], ("urn:remelt:lot:MLT-M1", 8800), [("silicon", 150)]),
    )
    job = job_of(capture(alurec, doc))
    assert job["success"] is True and job["errors"] == []
    assert [(e["index"], e["type"]) for e in job["entries"]] == [(0, "scrap.received"), (1, "melt.recorded")]
    scrap, melted = Lot.objects.get(code="SCR-M1"), Lot.objects.get(code="MLT-M1")
    assert (scrap.mass_g, scrap.remaining_g, melted.mass_g) == (10_000_500, 1_000_250, 8_800_000)
    payload = Entry.objects.get(seq=job["entries"][1]["seq"]).data
    assert payload["inputs"] == [{"lot": "SCR-M1", "mass_kg": "9000.250"}]
    assert payload["additions"] == [{"material": "silicon", "mass_kg": "150.000"}]
    assert alurec.get(f"/api/v1/epcis/capture/{job['captureID']}").json() == job
    assert_problem(client_for("wheelworks").get(f"/api/v1/epcis/capture/{job['captureID']}"), 404)


def test_a_document_that_fails_the_schema_is_a_400_naming_the_field(cast, client_for):
    doc = document(receipt("urn:remelt:lot:SCR-X", "10000"))  # a quantity is a JSON number
    body = assert_problem(capture(client_for("alurec"), doc), 400, "schema")
    assert "epcisBody.eventList[0].quantityList[0].quantity" in body["errors"], body
    assert not Entry.objects.exists() and not CaptureJob.objects.exists()
    assert_problem(capture(client_for("alurec"), {"type": "EPCISDocument"}), 400, "schema")


def test_uom_other_than_kgm_is_refused(cast, client_for):
    doc = document(receipt("urn:remelt:lot:SCR-X", 10000, uom="TNE"))
    body = assert_problem(capture(client_for("alurec"), doc), 400, "uom")
    assert list(body["errors"]) == ["epcisBody.eventList[0].quantityList[0].uom"]
    assert "KGM" in body["errors"]["epcisBody.eventList[0].quantityList[0].uom"][0]
    assert not Entry.objects.exists()


def test_a_refused_capture_is_told_in_the_readers_language_with_the_same_code_and_paths(cast, client_for):
    doc = document(receipt("urn:remelt:lot:SCR-X", 10000, uom="TNE"))
    english = assert_problem(capture(client_for("alurec"), doc), 400, "uom")
    chinese = assert_problem(capture(client_for("alurec"), doc, **{"Accept-Language": "zh-CN"}), 400, "uom")
    where = "epcisBody.eventList[0].quantityList[0].uom"
    assert list(english["errors"]) == list(chinese["errors"]) == [where]
    assert english["errors"][where] == ["remelt records masses in kilograms: uom must be KGM, not 'TNE'"]
    assert chinese["errors"][where] == ["remelt 以千克记录重量：uom 须为 KGM，而不是 “TNE”"]
    assert chinese["detail"] == f"{where}: remelt 以千克记录重量：uom 须为 KGM，而不是 “TNE”"


def test_an_unknown_lot_and_an_overdraw_name_the_event_and_field(loop, client_for):
    alurec = client_for("alurec")
    before = Entry.objects.count()
    job = job_of(capture(alurec, document(melt([("urn:remelt:lot:NOPE", 10)], ("urn:remelt:lot:MLT-9", 10)))))
    assert job["success"] is False and job["entries"] == []
    (problem,) = job["errors"]
    assert problem["code"] == "unknown_lot"
    assert list(problem["errors"]) == ["epcisBody.eventList[0].inputQuantityList[0].epcClass"]
    job = job_of(
        capture(alurec, document(melt([("urn:remelt:lot:SCR-A", 2000.001)], ("urn:remelt:lot:MLT-9", 1500))))
    )
    (problem,) = job["errors"]
    assert problem["code"] == "overdrawn" and problem["status"] == 409
    assert list(problem["errors"]) == ["epcisBody.eventList[0].inputQuantityList[0].quantity"]
    assert "2000.000 kg left" in problem["detail"]
    # A lot the poster never held is unknown to it, as on /api/v1/events/.
    job = job_of(
        capture(
            client_for("outsider"), document(melt([("urn:remelt:lot:SCR-A", 1)], ("urn:remelt:lot:O", 1)))
        )
    )
    assert job["errors"][0]["code"] == "unknown_lot"
    assert Entry.objects.count() == before


def test_a_receipts_supplier_is_an_organisation_on_remelt_or_a_party_that_is_not(cast, client_for):
    alurec = client_for("alurec")
    job = job_of(
        capture(alurec, document(receipt("urn:remelt:lot:SCR-T", 10, supplier="urn:remelt:org:scrapc0")))
    )
    (problem,) = job["errors"]
    assert problem["code"] == "unknown_supplier"
    assert list(problem["errors"]) == ["epcisBody.eventList[0].sourceList[0].source"]
    assert not Entry.objects.exists()
    doc = document(
        receipt("urn:remelt:lot:SCR-O", 10),
        receipt("urn:remelt:lot:SCR-P", 10, supplier="urn:remelt:party:Hebei%20Scrap%20Trading"),
        receipt("urn:remelt:lot:SCR-U", 10, supplier="urn:epc:id:pgln:0614141.00001"),
    )
    assert job_of(capture(alurec, doc))["success"] is True
    suppliers = {lot.code: (lot.supplier, lot.supplier_name) for lot in Lot.objects.all()}
    assert suppliers == {
        "SCR-O": ("scrapco", ""),
        "SCR-P": ("", "Hebei Scrap Trading"),
        "SCR-U": ("", "urn:epc:id:pgln:0614141.00001"),
    }


def test_a_batch_whose_third_event_is_bad_writes_nothing(cast, client_for):
    doc = document(
        receipt("urn:remelt:lot:SCR-1", 1000),
        receipt("urn:remelt:lot:SCR-2", 1000),
        melt(
            [("urn:remelt:lot:SCR-1", 1000), ("urn:remelt:lot:SCR-2", 1200)], ("urn:remelt:lot:MLT-1", 1900)
        ),
    )
    job = job_of(capture(client_for("alurec"), doc))
    assert job["success"] is False
    assert list(job["errors"][0]["errors"]) == ["epcisBody.eventList[2].inputQuantityList[1].quantity"]
    assert job["errors"][0]["detail"].startswith("event 2: ")
    assert not Entry.objects.exists() and not Lot.objects.exists()


def test_events_remelt_cannot_read_are_named_all_at_once(cast, client_for):
    gs1 = json.loads((GS1_EXAMPLES / "Example_9.6.4-TransformationEvent.jsonld").read_text())
    body = assert_problem(capture(client_for("alurec"), gs1), 400)
    assert "epcisBody.eventList[0].inputEPCList" in body["errors"], body
    shipping = receipt("urn:remelt:lot:SCR-1", 1000)
    shipping["action"] = "OBSERVE"  # an observation of a receipt is nothing remelt records
    del shipping["ilmd"]  # (GS1's schema allows ILMD on ADD only)
    wrong_receiver = receipt("urn:remelt:lot:SCR-2", 1000, receiver="wheelworks")
    body = assert_problem(capture(client_for("alurec"), document(shipping, wrong_receiver)), 400)
    assert set(body["errors"]) == {
        "epcisBody.eventList[0].bizStep",
        "epcisBody.eventList[1].destinationList[0].destination",
    }
    assert not Entry.objects.exists()


def test_only_rollback_is_offered(cast, client_for):
    response = capture(
        client_for("alurec"),
        document(receipt("urn:remelt:lot:S", 1)),
        **{"GS1-Capture-Error-Behaviour": "proceed"},
    )
    body = assert_problem(response, 400)
    assert "GS1-Capture-Error-Behaviour" in body["errors"]


def test_idempotency_key_as_on_events(cast, client_for):
    alurec = client_for("alurec")
    doc = document(receipt("urn:remelt:lot:SCR-I", 500))
    first = capture(alurec, doc, **{"Idempotency-Key": "mes-4711"})
    again = capture(alurec, doc, **{"Idempotency-Key": "mes-4711"})
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Entry.objects.count() == 1 and CaptureJob.objects.count() == 1
    other = document(receipt("urn:remelt:lot:SCR-J", 500))
    assert_problem(capture(alurec, other, **{"Idempotency-Key": "mes-4711"}), 409)


def test_gs1_identifiers_of_the_posters_company_prefix(cast, client_for):
    organisation_gs1_prefix_set(organisation=cast["alurec"], prefix="4012345")
    alurec = client_for("alurec")
    lgtin = "urn:epc:class:lgtin:4012345.022222.L2611"
    job = job_of(capture(alurec, document(receipt(lgtin, 2500))))
    assert job["success"], job
    assert Lot.objects.filter(code="L2611").exists()
    assert (
        LotIdentifier.objects.get(code="L2611").digital_link
        == "https://id.gs1.org/01/04012345222227/10/L2611"
    )
    consumed = melt([("https://id.gs1.org/01/04012345222227/10/L2611", 2000)], ("urn:remelt:lot:MLT-G", 1900))
    assert job_of(capture(alurec, document(consumed)))["success"]
    events = alurec.get("/api/v1/epcis/events", {"MATCH_anyEPCClass": lgtin}).json()
    classes = [
        q["epcClass"]
        for e in events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        for q in e.get("quantityList", []) + e.get("inputQuantityList", [])
    ]
    assert classes == [lgtin, lgtin]
    body = assert_problem(
        capture(
            client_for("wheelworks"),
            document(receipt("urn:epc:class:lgtin:4012345.022222.X1", 1, receiver="wheelworks")),
        ),
        400,
        "not_your_prefix",
    )
    assert list(body["errors"]) == ["epcisBody.eventList[0].quantityList[0].epcClass"]


# -- the round trip -----------------------------------------------------------------------------


def _anchorless(event: dict) -> dict:
    """An event without what depends on the ledger that holds it (its entry, hence its eventID)."""
    event = copy.deepcopy(event)
    for key in ("eventID", "recordTime", "remelt:ledger"):
        event.pop(key, None)
    declaration = event.get("errorDeclaration")
    if declaration:
        declaration.pop("remelt:ledger")
        declaration.pop("correctiveEventIDs", None)
    return event


def _seq_of(event: dict) -> int:
    """The seq of the entry that recorded an event (the declaring one, for a declaration)."""
    return event.get("errorDeclaration", event)["remelt:ledger"]["remelt:seq"]


def _export(client) -> list[dict]:
    body = client.get("/api/v1/epcis/events", {"perPage": 1000}).json()
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


@pytest.fixture
def fresh_ledger(cast):
    """A savepoint taken before anything is recorded: rolling back to it leaves a fresh ledger
    with the same organisations (and their keys, made before it)."""
    sid = transaction.savepoint()
    return lambda: transaction.savepoint_rollback(sid)


def test_round_trip_export_capture_export_gives_the_same_events(client_for, fresh_ledger, loop, cast):
    now = timezone.now()
    corrections = [
        ("alurec", "lot.amended", {"lot": "SCR-B", "reason": "regraded", "grade": "mixed wheels",
                                   "category": "post_consumer",
                                   "transport": {"distance_km": "75.5", "mode": "rail"}}),
        ("alurec", "lot.amended", {"lot": "MLT-1", "reason": "meter read",
                                   "energy": {"electricity_kwh": "410.5", "natural_gas_m3": "1200"}}),
        ("alurec", "lot.amended", {"lot": "ING-2", "reason": "lab", "chemistry": {"Si": "7.1", "Mg": "0.35"},
                                   "alloy": "A356.0"}),
        ("wheelworks", "lot.amended", {"lot": "W-0003", "reason": "label", "part_number": "AF-18-B"}),
        ("wheelworks", "lot.amended", {"lot": "INT-1", "reason": "sorted", "grade": "chips"}),
        ("wheelworks", "entry.voided", {"seq": loop.parts_sent, "reason": "truck turned back"}),
        ("outsider", "entry.voided", {"seq": loop.outsider_received, "reason": "never came"}),
    ]  # fmt: skip
    for slug, entry_type, data in corrections:
        events_record(organisation=cast[slug], actor="user:t", events=[EventInput(entry_type, now, data)])
    certa = client_for("certa")
    exported = _export(certa)
    posters = {e.seq: e.organisation.slug for e in Entry.objects.select_related("organisation")}
    assert len(exported) == 8 + 2 * 5 + 2
    groups = [
        (slug, [event for _slug, event in run])
        for slug, run in groupby(((posters[_seq_of(e)], e) for e in exported), key=lambda pair: pair[0])
    ]
    fresh_ledger()
    assert not Entry.objects.exists()
    for slug, events in groups:
        job = job_of(capture(client_for(slug), document(*events)))
        assert job["success"], job["errors"]
    again = _export(certa)
    assert [_anchorless(e) for e in again] == [_anchorless(e) for e in exported]

    # Corrective events point at the same events as before.
    def pointers(events):
        position = {e["eventID"]: i for i, e in enumerate(events)}
        return [
            [position[i] for i in e.get("errorDeclaration", {}).get("correctiveEventIDs", [])] for e in events
        ]

    assert pointers(again) == pointers(exported)


def test_a_melt_citing_a_supplier_footprint_round_trips(client_for, fresh_ledger, cast):
    """Method remelt-2: the additions a melt prices by a supplier's PACT footprint are named in
    `remelt:footprints`, and a capture records the same citations."""
    alurec = cast["alurec"]
    footprint_import(organisation=alurec, raw=smelter_footprint(), actor="user:alice")
    now = timezone.now() - timedelta(minutes=10)
    events_record(
        organisation=alurec,
        actor="user:t",
        events=[
            EventInput(
                "scrap.received",
                now,
                {"code": "S1", "supplier": "scrapco", "grade": "wheels", "category": "post_consumer",
                 "mass_kg": "10000", "transport": {"distance_km": "200", "mode": "truck"}},
            ),
            EventInput(
                "melt.recorded",
                now,
                {"code": "M1", "furnace": "TC-65", "inputs": [{"lot": "S1", "mass_kg": "8000"}],
                 "additions": [{"material": "silicon", "mass_kg": "100"},
                               {"material": "primary_aluminium", "mass_kg": "1500", "footprint": SMELTER_ID}],
                 "output_mass_kg": "9000"},
            ),
        ],
    )  # fmt: skip
    certa = client_for("certa")
    page = certa.get("/api/v1/epcis/events", {"perPage": 1000}).json()
    schema = json.loads(SHARED_SCHEMA.read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(
        page
    )
    exported = page["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    melt_event = exported[-1]
    assert melt_event["remelt:footprints"] == [{"remelt:input": 2, "remelt:pfId": f"urn:uuid:{SMELTER_ID}"}]

    fresh_ledger()
    # The capture cites the footprint by id: on the fresh ledger alurec imports it first.
    without = job_of(capture(client_for("alurec"), document(*exported)))
    (problem,) = without["errors"]
    assert not without["success"] and problem["code"] == "unknown_footprint", without
    assert list(problem["errors"]) == ["epcisBody.eventList[1].remelt:footprints[0].remelt:pfId"]
    assert not Entry.objects.filter(type="melt.recorded").exists()
    imported = footprint_import(organisation=alurec, raw=smelter_footprint(), actor="user:alice")
    assert job_of(capture(client_for("alurec"), document(*exported)))["success"]
    melt_entry = Entry.objects.get(type="melt.recorded")
    assert melt_entry.data["additions"][1] == {
        "material": "primary_aluminium",
        "mass_kg": "1500.000",
        "footprint": SMELTER_ID,
        "footprint_entry": imported.entry_id,
    }
    again = _export(certa)
    assert [_anchorless(e) for e in again] == [_anchorless(e) for e in exported]
