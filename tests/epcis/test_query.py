"""GET /api/v1/epcis/events and /api/v1/lots/{code}/epcis: every document validates against GS1's
schema unchanged, shows what the ledger holds, and only what the reader may see."""

import copy
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
from django.utils import timezone

from epcis.documents import SCHEMA_PATH
from epcis.eventhash import event_hash
from epcis.mapping import NAMESPACES
from ledger.models import Entry
from ledger.services import EventInput, events_record
from tests.api.support import assert_problem

SHARED_SCHEMA = (
    Path(__file__).resolve().parents[3] / "shared" / "testdata" / "epcis" / "EPCIS-JSON-Schema.json"
)
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def gs1():
    """GS1's schema, read from ../shared/testdata as it is, formats checked."""
    schema = json.loads(SHARED_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def valid(gs1, document: dict) -> dict:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in gs1.iter_errors(document)]
    assert not errors, errors[:5]
    return document


def events_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.json()
    if body["type"] == "EPCISQueryDocument":
        return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return body["epcisBody"]["eventList"]


def query(client, **params):
    return client.get("/api/v1/epcis/events", params)


def test_the_app_ships_gs1s_schema_unchanged():
    assert SCHEMA_PATH.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_the_validator_rejects_a_broken_document(gs1, loop, client_for):
    document = query(client_for("certa")).json()
    valid(gs1, document)
    for breaking in (
        lambda d: d["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["quantityList"][0].update(
            uom="kg"
        ),
        lambda d: d["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["quantityList"][0].update(
            quantity="10000"
        ),
        lambda d: d["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0].pop("eventTime"),
        lambda d: d["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0].update(action="RECEIVE"),
        lambda d: d["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0].update(eventID="not a uri"),
    ):
        broken = copy.deepcopy(document)
        breaking(broken)
        assert list(gs1.iter_errors(broken)), breaking


def test_every_entry_is_an_event_with_its_hash_and_ledger_anchor(gs1, loop, client_for):
    events = events_of(query(client_for("certa"), perPage=100))
    valid(gs1, query(client_for("certa"), perPage=100).json())
    entries = {e.seq: e for e in Entry.objects.all()}
    assert [e["remelt:ledger"]["remelt:seq"] for e in events] == sorted(entries)
    for event in events:
        anchor = event["remelt:ledger"]
        assert anchor["remelt:hash"] == entries[anchor["remelt:seq"]].hash
        assert event["eventID"] == event_hash(event, NAMESPACES)
        assert event["eventID"].startswith("ni:///sha-256;") and event["eventID"].endswith("?ver=CBV2.0")
    kinds = [(e["type"], e.get("action"), e["bizStep"]) for e in events]
    assert kinds == [
        ("ObjectEvent", "ADD", "receiving"),
        ("ObjectEvent", "ADD", "receiving"),
        ("TransformationEvent", None, "creating_class_instance"),
        ("TransformationEvent", None, "creating_class_instance"),
        ("ObjectEvent", "OBSERVE", "shipping"),
        ("TransformationEvent", None, "commissioning"),
        ("ObjectEvent", "OBSERVE", "shipping"),
        ("ObjectEvent", "ADD", "receiving"),
    ]


def test_a_melt_lists_its_inputs_and_additions_in_kgm_and_its_output(loop, client_for):
    events = events_of(query(client_for("alurec"), MATCH_anyEPCClass="urn:remelt:lot:MLT-1", perPage=10))
    melt = next(e for e in events if e["remelt:ledger"]["remelt:seq"] == loop.melted)
    assert melt["inputQuantityList"] == [
        {"epcClass": "urn:remelt:lot:SCR-A", "quantity": 8000, "uom": "KGM"},
        {"epcClass": "urn:remelt:lot:SCR-B", "quantity": 5000, "uom": "KGM"},
        {"epcClass": "urn:remelt:material:silicon", "quantity": 100, "uom": "KGM"},
    ]
    assert melt["outputQuantityList"] == [
        {"epcClass": "urn:remelt:lot:MLT-1", "quantity": 12500, "uom": "KGM"}
    ]
    assert melt["remelt:furnace"] == "TC-65"


def test_masses_are_exact_to_the_gram(loop, alurec, client_for):
    when = timezone.now() - timedelta(minutes=1)
    data = {"code": "SCR-G", "supplier": "scrapco", "grade": "wheels", "category": "post_consumer",
            "mass_kg": "1234567890.123", "transport": {"distance_km": "1", "mode": "truck"}}  # fmt: skip
    events_record(organisation=alurec, actor="user:t", events=[EventInput("scrap.received", when, data)])
    response = query(client_for("alurec"), MATCH_anyEPCClass="urn:remelt:lot:SCR-G")
    assert b'"quantity":1234567890.123' in response.content
    assert events_of(response)[0]["quantityList"][0]["quantity"] == 1234567890.123


def test_an_outsider_sees_its_own_events_only(gs1, loop, client_for):
    events = events_of(query(client_for("outsider"), perPage=100))
    assert [e["remelt:ledger"]["remelt:seq"] for e in events] == [loop.outsider_received]


def test_a_holder_of_some_wheels_gets_only_those_items(gs1, loop, client_for):
    response = query(client_for("autofab"), perPage=100)
    valid(gs1, response.json())
    by_seq = {e["remelt:ledger"]["remelt:seq"]: e for e in events_of(response)}
    assert loop.outsider_received not in by_seq
    run = by_seq[loop.parts_made]
    assert run["outputEPCList"] == ["urn:remelt:serial:W-0001", "urn:remelt:serial:W-0002"]
    assert "outputQuantityList" not in run  # the internal scrap stays with the wheel maker
    assert [p["remelt:serial"] for p in run["ilmd"]["remelt:parts"]] == run["outputEPCList"]
    cast = by_seq[loop.cast]
    assert [q["epcClass"] for q in cast["outputQuantityList"]] == ["urn:remelt:lot:ING-1"]
    assert run["eventID"] == event_hash(run, NAMESPACES)  # the hash of the event as it is shown
    full = {
        e["remelt:ledger"]["remelt:seq"]: e for e in events_of(query(client_for("wheelworks"), perPage=100))
    }
    assert len(full[loop.parts_made]["outputEPCList"]) == 4
    assert full[loop.parts_made]["eventID"] != run["eventID"]


def test_corrections_are_error_declarations_with_their_corrective_events(
    gs1, loop, alurec, outsider, client_for
):
    now = timezone.now()
    events_record(
        organisation=alurec,
        actor="user:t",
        events=[
            EventInput("lot.amended", now, {"lot": "SCR-A", "reason": "regraded", "grade": "ISRI Tense"})
        ],
    )
    events_record(
        organisation=outsider,
        actor="user:t",
        events=[EventInput("entry.voided", now, {"seq": loop.outsider_received, "reason": "never came"})],
    )
    certa = client_for("certa")
    document = valid(gs1, query(certa, perPage=100).json())
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    receipt = events[0]
    declared, corrected, voided = events[-3:]
    assert declared["eventID"] == receipt["eventID"]
    assert declared["errorDeclaration"]["reason"] == "incorrect_data"
    assert declared["errorDeclaration"]["correctiveEventIDs"] == [corrected["eventID"]]
    assert corrected["ilmd"]["remelt:grade"] == "ISRI Tense" and receipt["ilmd"]["remelt:grade"] == "wheels"
    assert corrected["eventTime"] == receipt["eventTime"]
    assert voided["errorDeclaration"]["reason"] == "did_not_occur"
    outsiders = [e for e in events if e["remelt:ledger"]["remelt:seq"] == loop.outsider_received]
    assert voided["eventID"] == outsiders[0]["eventID"]
    assert events_of(query(certa, EQ_eventID=receipt["eventID"])) == [receipt, declared]
    trace = valid(gs1, certa.get("/api/v1/lots/SCR-A/epcis", {"direction": "down"}).json())
    assert corrected["eventID"] in {e["eventID"] for e in trace["epcisBody"]["eventList"]}


def test_filters_of_the_rest_binding(loop, client_for):
    certa = client_for("certa")
    seqs = lambda response: [e["remelt:ledger"]["remelt:seq"] for e in events_of(response)]  # noqa: E731
    assert seqs(query(certa, EQ_bizStep="receiving")) == [
        loop.received_a,
        loop.received_b,
        loop.outsider_received,
    ]
    assert seqs(query(certa, EQ_bizStep="shipping|commissioning")) == [
        loop.ingot_sent,
        loop.parts_made,
        loop.parts_sent,
    ]
    assert seqs(query(certa, MATCH_anyEPCClass="urn:remelt:lot:SCR-A")) == [loop.received_a, loop.melted]
    assert seqs(query(certa, MATCH_anyEPCClass="urn:remelt:material:silicon")) == [loop.melted]
    assert seqs(query(certa, MATCH_epc="urn:remelt:serial:W-0001")) == [loop.parts_made, loop.parts_sent]
    assert seqs(query(certa, MATCH_epc="urn:remelt:lot:SCR-A")) == []  # a lot is a class, not an EPC
    times = [e["eventTime"] for e in events_of(query(certa))]
    assert seqs(query(certa, GE_eventTime=times[2], LT_eventTime=times[4])) == [loop.melted, loop.cast]


def test_pages_follow_the_token_and_the_link(loop, client_for):
    certa = client_for("certa")
    seen, params = [], {"perPage": 3}
    while True:
        response = query(certa, **params)
        page = events_of(response)
        seen += [e["remelt:ledger"]["remelt:seq"] for e in page]
        if "Link" not in response:
            break
        assert len(page) == 3 and response["Link"].endswith('>; rel="next"')
        url = response["Link"].split(">")[0].lstrip("<")
        params = dict(parse_qsl(urlsplit(url).query))
    assert seen == sorted(Entry.objects.values_list("seq", flat=True))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"perPage": 0}, "perPage"),
        ({"perPage": 1001}, "perPage"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"nextPageToken": "garbage!"}, "nextPageToken"),
        ({"EQ_bizstep": "receiving"}, "EQ_bizstep"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(loop, client_for, params, field):
    body = assert_problem(query(client_for("certa"), **params), 400)
    assert field in body["errors"], body


def test_lot_traces_as_documents(gs1, loop, client_for):
    autofab = client_for("autofab")
    up = events_of(autofab.get("/api/v1/lots/W-0001/epcis", {"direction": "up"}))
    valid(gs1, autofab.get("/api/v1/lots/W-0001/epcis").json())
    assert {e["remelt:ledger"]["remelt:seq"] for e in up} == {
        loop.received_a, loop.received_b, loop.melted, loop.cast,
        loop.ingot_sent, loop.parts_made, loop.parts_sent,
    }  # fmt: skip
    certa = client_for("certa")
    for code in ("SCR-A", "MLT-1", "ING-1", "W-0003", "INT-1", "OUT-1"):
        for direction in ("up", "down"):
            valid(gs1, certa.get(f"/api/v1/lots/{code}/epcis", {"direction": direction}).json())
    assert_problem(client_for("outsider").get("/api/v1/lots/W-0001/epcis"), 404)
    assert_problem(certa.get("/api/v1/lots/W-0001/epcis", {"direction": "sideways"}), 400)


def test_credentials_are_needed(loop, anonymous):
    assert_problem(anonymous.get("/api/v1/epcis/events"), 401)
    assert_problem(anonymous.get("/api/v1/lots/W-0001/epcis"), 401)


def test_a_holders_trace_and_corrections_keep_to_its_items(gs1, loop, wheelworks, client_for):
    """Per-item visibility in traces and error declarations: another holder's wheel, and its
    amendment, are absent (not redacted into an invalid event)."""
    events_record(
        organisation=wheelworks,
        actor="user:t",
        events=[
            EventInput(
                "lot.amended", timezone.now(), {"lot": "W-0003", "reason": "label", "part_number": "AF-9"}
            ),
            EventInput(
                "lot.amended", timezone.now(), {"lot": "W-0001", "reason": "label", "part_number": "AF-8"}
            ),
        ],
    )
    autofab = client_for("autofab")
    for response in (
        query(autofab, perPage=100),
        autofab.get("/api/v1/lots/W-0001/epcis", {"direction": "up"}),
    ):
        valid(gs1, response.json())
        events = events_of(response)
        shown = json.dumps(events)
        assert "W-0003" not in shown and "W-0004" not in shown and "AF-9" not in shown
        runs = [e for e in events if e["remelt:ledger"]["remelt:seq"] == loop.parts_made]
        assert runs and all(
            set(e["outputEPCList"]) <= {"urn:remelt:serial:W-0001", "urn:remelt:serial:W-0002"} for e in runs
        )
        for event in events:
            assert event["eventID"] == event_hash(event, NAMESPACES)
        # W-0001's amendment: its run's event as it stood, declared, then corrected.
        declared = [e for e in events if "errorDeclaration" in e]
        assert [e["errorDeclaration"]["reason"] for e in declared] == ["incorrect_data"]
        (corrected_id,) = declared[0]["errorDeclaration"]["correctiveEventIDs"]
        (corrected,) = [e for e in events if e["eventID"] == corrected_id]
        parts = {p["remelt:serial"]: p for p in corrected["ilmd"]["remelt:parts"]}
        assert parts["urn:remelt:serial:W-0001"]["remelt:partNumber"] == "AF-8"
