"""Action Events both ways: the conformance tool's cases 12–16 and 40. Requests are fulfilled
or rejected by a Celery task that POSTs to the requester's host (a real socket here), whose
callbacks are checked against PACT's schemas; new versions are announced; malformed events
are refused and change nothing; deliveries back off and stop after 72 hours."""

import copy
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.services import EventInput, events_record
from pact.models import EventDelivery, InboundEvent, ProductFootprint
from pact.services import delivery_attempt, footprints_sync, request_answer
from pact.tasks import deliver_due
from passports.services import rollup_run
from tests.pact.conftest import EVENTS, PRODUCT_FOOTPRINT, assert_pact_error

CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"


def request_event(peer, data: dict, event_id: str = "run-1/12") -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": peer.base_url,
        "time": "2026-11-19T10:30:00Z",
        "type": CREATED,
        "data": data,
    }


def published_event(pf_ids: list) -> dict:
    return {
        "type": PUBLISHED,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "https://supplier.example",
        "time": "2026-11-19T11:30:00Z",
        "data": {"pfIds": pf_ids},
    }


def test_cases_12_13_a_request_is_fulfilled_at_the_requester_host(
    published, pact_for, registered, peer, django_capture_on_commit_callbacks
):
    registered("autofab")
    pact = pact_for("autofab")
    run = pact.get("/pact/3/footprints?productId=urn:pact:remelt.example:production-run:6").json()["data"]
    assert len(run) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = pact.event(
            request_event(peer, {"productId": run[0]["productIds"], "comment": "this year"})
        )
    assert response.status_code == 200 and response.content == b""
    (callback,) = peer.events
    assert callback.headers["Content-Type"].startswith("application/cloudevents+json")
    assert callback.headers["Authorization"] == f"Bearer {peer.token}"
    event = callback.json
    EVENTS["RequestFulfilledEvent"].validate(event)
    assert event["data"]["requestEventId"] == "run-1/12"
    for document in event["data"]["pfs"]:
        PRODUCT_FOOTPRINT.validate(document)
    assert [d["id"] for d in event["data"]["pfs"]] == [run[0]["id"]]
    assert EventDelivery.objects.get().delivered_at is not None


def test_case_14_a_request_nothing_matches_is_rejected(
    published, pact_for, registered, peer, django_capture_on_commit_callbacks
):
    registered("autofab")
    with django_capture_on_commit_callbacks(execute=True):
        response = pact_for("autofab").event(
            request_event(peer, {"productId": ["urn:pact:null"]}, "run-1/14.A")
        )
    assert response.status_code == 200
    (callback,) = peer.events
    EVENTS["RequestRejectedEvent"].validate(callback.json)
    assert callback.json["data"] == {
        "requestEventId": "run-1/14.A",
        "error": {"code": "NotFound", "message": "No footprint you may see matches the request."},
    }


def test_a_request_for_footprints_the_client_may_not_see_is_rejected(
    published, pact_for, registered, peer, django_capture_on_commit_callbacks
):
    registered("outsider")
    with django_capture_on_commit_callbacks(execute=True):
        pact_for("outsider").event(
            request_event(peer, {"productId": ["urn:pact:remelt.example:production-run:6"]})
        )
    assert peer.events[0].json["type"].endswith("RequestRejectedEvent.3")


def test_a_request_is_answered_once_even_if_sent_twice(
    published, pact_for, registered, peer, django_capture_on_commit_callbacks
):
    registered("autofab")
    pact = pact_for("autofab")
    event = request_event(peer, {"status": "Active"})
    with django_capture_on_commit_callbacks(execute=True):
        assert pact.event(event).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert pact.event(event).status_code == 200
    assert len(peer.events) == 1 and InboundEvent.objects.count() == 1
    assert request_answer(inbound_id=InboundEvent.objects.get().pk) is None  # the task again: nothing


def test_a_request_needs_a_registered_host_and_a_matching_source(published, pact_for, registered, peer):
    pact = pact_for("autofab")
    event = request_event(peer, {"status": "Active"})
    assert_pact_error(pact.event(event), 400, "BadRequest")
    registered("autofab")
    assert_pact_error(pact.event({**event, "source": "https://elsewhere.example"}), 400, "BadRequest")
    assert not InboundEvent.objects.exists() and not EventDelivery.objects.exists()


def test_case_15_a_published_event_is_accepted(published, pact_for):
    response = pact_for("autofab").event(published_event(["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]))
    assert response.status_code == 200 and response.content == b""
    assert InboundEvent.objects.get().type == PUBLISHED


def test_case_16_an_invalid_token_is_refused(published, pact_for):
    from tests.pact.conftest import Pact

    response = Pact("very-invalid-access-token-0").event(published_event([str(uuid.uuid4())]))
    assert_pact_error(response, 401, "BadRequest")
    assert not InboundEvent.objects.exists()


def _breakages():
    def remove(name):
        return lambda e: e.pop(name)

    return [
        ("pfIds entry not a UUID (case 40)", lambda e: e["data"].update(pfIds=["urn:gtin:4712345060507"])),
        ("pfIds empty", lambda e: e["data"].update(pfIds=[])),
        ("pfIds missing", lambda e: e.update(data={})),
        ("unknown type", lambda e: e.update(type="org.wbcsd.pact.ProductFootprint.PublishedEvent.2")),
        ("specversion", lambda e: e.update(specversion="0.3")),
        ("no id", remove("id")),
        ("no source", remove("source")),
        ("no type", remove("type")),
        ("no specversion", remove("specversion")),
        ("no time", remove("time")),
        ("bad time", lambda e: e.update(time="yesterday")),
        ("data not an object", lambda e: e.update(data=["x"])),
    ]


@pytest.mark.parametrize(("what", "breakage"), _breakages(), ids=[name for name, _ in _breakages()])
def test_case_40_and_other_malformed_events_are_400_and_change_nothing(published, pact_for, what, breakage):
    event = published_event([str(uuid.uuid4())])
    breakage(event)
    assert_pact_error(pact_for("autofab").event(event), 400, "BadRequest")
    assert not InboundEvent.objects.exists()


def test_a_wrong_content_type_or_a_body_that_is_not_json_is_400(published, pact_for):
    import json

    pact = pact_for("autofab")
    event = published_event([str(uuid.uuid4())])
    assert_pact_error(pact.event(event, content_type="application/json"), 400, "BadRequest")
    response = pact.client.post(
        "/pact/3/events", "{not json", content_type="application/cloudevents+json", secure=True
    )
    assert_pact_error(response, 400, "BadRequest")
    assert (
        pact.client.post(
            "/pact/3/events", json.dumps(event), content_type="text/plain", secure=True
        ).status_code
        == 400
    )
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"productId": "urn:x"},  # not a list
        {"productId": []},
        {"validOn": "not-a-date"},
        {"geography": [1]},
        {"unknownCriterion": ["x"]},
    ],
)
def test_a_request_with_bad_criteria_is_400(published, pact_for, registered, peer, data):
    registered("autofab")
    assert_pact_error(pact_for("autofab").event(request_event(peer, data)), 400, "BadRequest")
    assert not InboundEvent.objects.exists()


def test_remelt_sends_no_requests_so_answers_to_none_are_refused(published, pact_for):
    event = {
        **published_event([]),
        "type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
        "data": {"requestEventId": "x", "error": {"code": "NotFound", "message": "none"}},
    }
    assert_pact_error(pact_for("autofab").event(event), 400, "BadRequest")


# -- PublishedEvent to the clients that may see a new version ----------------------------------


def test_a_new_version_is_announced_to_registered_clients_that_may_see_it(
    published, pact_for, registered, peer, alurec, django_capture_on_commit_callbacks
):
    registered("autofab")
    registered("outsider")
    with django_capture_on_commit_callbacks(execute=True):
        events_record(
            organisation=alurec,
            actor="user:alice",
            events=[
                EventInput(
                    "lot.amended",
                    timezone.now() - timedelta(minutes=1),
                    {
                        "lot": "MLT-1",
                        "reason": "meter",
                        "energy": {"natural_gas_m3": "900", "electricity_kwh": "0"},
                    },
                )
            ],
        )
        rollup_run()
        footprints_sync()
    (callback,) = peer.events  # to autofab only: the outsider may see none of them
    event = callback.json
    EVENTS["PublishedEvent"].validate(event)
    new = ProductFootprint.objects.filter(status="Active", document__precedingPfIds__isnull=False)
    visible = pact_for("autofab").get("/pact/3/footprints?status=Active").json()["data"]
    assert sorted(event["data"]["pfIds"]) == sorted(d["id"] for d in visible if d.get("precedingPfIds"))
    assert set(event["data"]["pfIds"]) <= {str(pf.id) for pf in new}


# -- delivery: back-off, 72 hours, safe to run twice ------------------------------------------


@pytest.fixture
def waiting(published, pact_for, registered, peer, django_capture_on_commit_callbacks):
    """A rejection on its way to a host that answers 503."""
    registered("autofab")
    peer.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        pact_for("autofab").event(request_event(peer, {"productId": ["urn:pact:null"]}))
    return EventDelivery.objects.get()


def test_a_failed_delivery_backs_off_and_is_retried(waiting, peer, monkeypatch):
    assert waiting.attempts == 1 and waiting.delivered_at is None and "503" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert delivery_attempt(delivery_id=waiting.pk) == "skipped"  # not due yet
    peer.status = 200
    later = waiting.next_attempt_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert deliver_due() == 1
    waiting.refresh_from_db()
    assert waiting.delivered_at is not None and waiting.attempts == 2 and len(peer.events) == 2
    assert delivery_attempt(delivery_id=waiting.pk) == "skipped"  # delivered: never again


def test_back_off_doubles_and_gives_up_after_72_hours(waiting, peer, monkeypatch):
    gaps = []
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    while True:
        waiting.refresh_from_db()
        if waiting.abandoned_at is not None:
            break
        gaps.append(waiting.next_attempt_at - clock[0])
        clock[0] = waiting.next_attempt_at + timedelta(seconds=1)
        delivery_attempt(delivery_id=waiting.pk)
    assert gaps[1] > gaps[0] * 1.9 and max(gaps) <= timedelta(hours=6, seconds=5)
    assert waiting.abandoned_at - waiting.created_at <= timedelta(hours=72)
    assert waiting.abandoned_at - waiting.created_at > timedelta(hours=60)
    assert delivery_attempt(delivery_id=waiting.pk) == "skipped"


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(waiting, peer, monkeypatch):
    later = waiting.next_attempt_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    EventDelivery.objects.filter(pk=waiting.pk).update(claimed_until=later + timedelta(minutes=1))
    assert delivery_attempt(delivery_id=waiting.pk) == "skipped"
    assert len(peer.events) == 1


def test_delivered_events_are_copies_of_pact_documents(
    published, pact_for, registered, peer, django_capture_on_commit_callbacks
):
    registered("certa")
    with django_capture_on_commit_callbacks(execute=True):
        pact_for("certa").event(request_event(peer, {"status": "Active"}))
    pfs = peer.events[0].json["data"]["pfs"]
    listed = pact_for("certa").get("/pact/3/footprints?status=Active").json()["data"]
    assert pfs == listed
    broken = copy.deepcopy(peer.events[0].json)
    broken["data"]["pfs"] = []
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        EVENTS["RequestFulfilledEvent"].validate(broken)
