"""Appending entries: seqs, links, exact bytes, and what is refused."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from remelt_verify.chain import GENESIS_HASH, canonical, entry_hash

from ledger.errors import DomainError
from ledger.models import Entry, LedgerHead
from ledger.services import Draft, entries_append, entry_append
from tests.factories import notes


def test_entries_get_consecutive_seqs_and_link_to_their_predecessor(db):
    entries = notes(5)
    stored = list(Entry.objects.order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in zip(stored, stored[1:], strict=False):
        assert after.prev_hash == before.hash
    assert [e.hash for e in entries] == [e.hash for e in stored]
    head = LedgerHead.objects.get()
    assert (head.seq, head.hash) == (5, stored[-1].hash)


def test_stored_bytes_are_canonical_and_hash_as_documented(db, alurec):
    entry = entry_append(
        type="test.note",
        organisation=alurec,
        actor="user:alice",
        occurred_at=datetime(2026, 11, 2, 7, 30, tzinfo=UTC),
        data={"mass_kg": "1250.500", "grade": "ISRI Tense", "lines": [1, 2]},
    )
    entry.refresh_from_db()
    payload = bytes(entry.payload)
    header = bytes(entry.header)
    assert payload == b'{"grade":"ISRI Tense","lines":[1,2],"mass_kg":"1250.500"}'
    parsed = json.loads(header)
    assert canonical(parsed) == header
    assert parsed["payload_sha256"] == hashlib.sha256(payload).hexdigest() == entry.payload_sha256
    assert parsed["org"] == "alurec" and parsed["actor"] == "user:alice"
    assert parsed["occurred_at"] == "2026-11-02T07:30:00.000000Z"
    assert entry.hash == hashlib.sha256(b"\x00" + header).hexdigest() == entry_hash(header)
    assert entry.data == {"mass_kg": "1250.500", "grade": "ISRI Tense", "lines": [1, 2]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mass_kg": 1.5}, "data.mass_kg"),
        ({"inputs": [{"mass_kg": "1"}, {"mass_kg": 0.1}]}, "data.inputs[1].mass_kg"),
        ({"n": 2**60}, "data.n"),
    ],
)
def test_values_that_cannot_be_hashed_exactly_are_refused_naming_the_field(db, data, field):
    with pytest.raises(DomainError) as caught:
        entry_append(
            type="test.note", organisation=None, actor="system", occurred_at=timezone.now(), data=data
        )
    assert field in caught.value.errors
    assert Entry.objects.count() == 0


def test_occurred_at_too_far_in_the_future_is_refused(db, settings):
    settings.LEDGER_CLOCK_SKEW_SECONDS = 60
    entry_append(
        type="test.note",
        organisation=None,
        actor="system",
        occurred_at=timezone.now() + timedelta(seconds=30),
        data={},
    )
    with pytest.raises(DomainError) as caught:
        entry_append(
            type="test.note",
            organisation=None,
            actor="system",
            occurred_at=timezone.now() + timedelta(hours=1),
            data={},
        )
    assert caught.value.code == "future"
    assert list(caught.value.errors) == ["occurred_at"]
    assert Entry.objects.count() == 1


def test_a_batch_with_one_bad_draft_writes_nothing(db):
    now = timezone.now()
    drafts = [
        Draft(type="test.note", organisation=None, actor="system", occurred_at=now, data={"n": 1}),
        Draft(type="test.note", organisation=None, actor="system", occurred_at=now, data={"n": 0.5}),
    ]
    with pytest.raises(DomainError):
        entries_append(drafts=drafts)
    assert Entry.objects.count() == 0
    assert LedgerHead.objects.get().seq == 0
