"""No existence oracle on the write path: to a poster, a lot of someone else's is what a lot that
does not exist is (the same answer, the same statements run), a code another organisation's lot
has is refused only once every rule of the whole request has passed, with the answer of a code
another request took meanwhile, and generated codes count nothing."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from ledger.errors import DomainError
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record

TRUCK = {"distance_km": "80", "mode": "truck"}
GENERATED = r"SCR-\d{4}-[0-9A-HJKMNP-TV-Z]{10}"


def _when():
    return timezone.now() - timedelta(hours=1)


def _scrap(code=None, mass="1000"):
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": mass,
        "transport": TRUCK,
    }
    return EventInput("scrap.received", _when(), data | ({"code": code} if code else {}))


def _melt(lot, mass="100", output="95"):
    data = {"furnace": "TC-65", "inputs": [{"lot": lot, "mass_kg": mass}], "output_mass_kg": output}
    return EventInput("melt.recorded", _when(), data)


def _run(melt, serial):
    data = {
        "inputs": [{"lot": melt, "mass_kg": "20"}],
        "parts": [{"serial": serial, "mass_kg": "10", "part_number": "AW-18"}],
    }
    return EventInput("parts.produced", _when(), data)


def _record(org, events):
    return events_record(organisation=org, actor="user:test", events=events)


def _refusal(org, events):
    entries = Entry.objects.count()
    with pytest.raises(DomainError) as refused:
        _record(org, events)
    assert Entry.objects.count() == entries
    error = refused.value
    return error.code, error.status, error.message, error.errors


@pytest.fixture
def plants(alurec, wheelworks, outsider):
    """outsider, an integrated plant here (it melts and makes wheels), has scrap OUT-S and a melt
    of it; wheelworks has its own melt and wheel WW-1."""
    outsider.roles = [Role.RECYCLER, Role.WHEEL_MAKER]
    outsider.save(update_fields=["roles"])
    _record(outsider, [_scrap("OUT-S")])
    [melt] = _record(outsider, [_melt("OUT-S")])[0].lots
    _record(wheelworks, [_scrap("WW-S")])
    [own_melt] = _record(wheelworks, [_melt("WW-S", "500", "480")])[0].lots
    _record(wheelworks, [_run(own_melt, "WW-1")])
    _record(outsider, [_run(melt, "OUT-1")])
    return own_melt


def test_a_lot_of_someone_else_is_refused_as_a_lot_that_does_not_exist(plants, alurec):
    taken = _refusal(alurec, [_melt("OUT-S")])
    missing = _refusal(alurec, [_melt("NO-SUCH")])
    assert taken == ("unknown_lot", 400, "no lot 'OUT-S'", {"data.inputs[0].lot": ["no lot 'OUT-S'"]})
    assert missing == ("unknown_lot", 400, "no lot 'NO-SUCH'", {"data.inputs[0].lot": ["no lot 'NO-SUCH'"]})


def test_a_lot_of_someone_else_costs_the_statements_of_a_lot_that_does_not_exist(plants, alurec):
    """The timing: the same statements, only the code differs (the other's lot is never loaded)."""

    def statements(code):
        with CaptureQueriesContext(connection) as queries, pytest.raises(DomainError):
            _record(alurec, [_melt(code)])
        return [
            re.sub(r'"s\d+_x\d+"', "savepoint", q["sql"].replace(code, "?")) for q in queries.captured_queries
        ]

    assert statements("OUT-S") == statements("NO-SUCH")


def test_a_batch_does_not_tell_whether_a_code_it_claims_exists(plants, alurec):
    """`[scrap(code=X), bad]` answered the duplicate for X before the bad item."""
    bad = _melt("NO-SUCH")
    assert _refusal(alurec, [_scrap("OUT-1"), bad]) == _refusal(alurec, [_scrap("FREE-1"), bad])
    assert _refusal(alurec, [_scrap("OUT-1"), bad])[3] == {"[1].data.inputs[0].lot": ["no lot 'NO-SUCH'"]}


def test_a_serial_of_someone_else_is_refused_as_one_taken_meanwhile_after_every_rule(plants, wheelworks):
    taken = _refusal(wheelworks, [_run(plants, "OUT-1")])
    assert taken == ("duplicate_code", 409, "not available: OUT-1", {})
    # Its own wheel's serial is a duplicate it is told of, at the field, before anything else.
    own = _refusal(wheelworks, [_run(plants, "WW-1")])
    assert own == (
        "duplicate_code",
        409,
        "serial 'WW-1' is taken",
        {"data.parts[0].serial": ["serial 'WW-1' is taken"]},
    )
    assert not Lot.objects.filter(made_by__organisation=wheelworks, code="OUT-1").exists()


def test_generated_codes_are_random_and_count_nothing(plants, alurec, outsider):
    first = [_record(org, [_scrap()])[0].lots[0] for org in (alurec, outsider, alurec)]
    assert all(re.fullmatch(GENERATED, code) for code in first), first
    assert len(set(first)) == 3
    # Nothing in them is a running number: no two of 50 share more than a few characters' place.
    more = [recorded.lots[0] for recorded in _record(alurec, [_scrap() for _ in range(50)])]
    tails = [code.rsplit("-", 1)[1] for code in more]
    assert len(set(tails)) == 50
    assert max(sum(a == b for a, b in zip(x, y, strict=True)) for x in tails for y in tails if x != y) < 8
