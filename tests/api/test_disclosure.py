"""Per-lot payload visibility (SPEC §9, issue #13 item 8): an entry naming lots of several
holders commits to them one by one, and each reader gets only the items it may see.

In the loop wheelworks makes W-0001 … W-0004 and INT-1 and sends W-0001 and W-0002 to autofab;
alurec casts ING-1 and ING-2 and sends ING-1 to wheelworks. Autofab may see neither W-0003,
W-0004, INT-1 nor ING-2 (they answer 404), so nothing of them may reach it through the feed or
an evidence bundle, while both still verify.
"""

import copy
import json

import pytest
from remelt_verify.bundle import BundleProblem, bundle_verify
from remelt_verify.chain import ChainVerifier, canonical, export_line, seal_header, verify_export_lines
from remelt_verify.disclosure import MARKER, DisclosureError, commit, digest, hidden, reveal
from remelt_verify.steps import evidence_verify

from ledger.checkpoints import verifier_key
from ledger.models import Entry, LedgerHead
from ledger.selectors import chain_verify
from passports.services import rollup_run
from tests.support import append_only_suspended

HIDDEN_FROM_AUTOFAB = ("W-0003", "W-0004", "INT-1", "ING-2")


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    """Bundles carry a signed checkpoint."""


def _lines(entries) -> list[bytes]:
    return [
        export_line(header=e["header"], hash=e["hash"], payload=e["payload"], disclosures=e["disclosures"])
        for e in entries
    ]


def _feed(client) -> list[dict]:
    response = client.get("/api/v1/ledger/entries/")
    assert response.status_code == 200
    return response.json()["entries"]


def _disclosed(entry: dict) -> list:
    """The items of a feed or bundle entry the reader was given, as they were committed."""
    return [item for _salt, item in entry["disclosures"] or []]


def test_the_stored_payload_commits_to_each_item_by_a_salted_digest(loop):
    made = Entry.objects.get(seq=loop.parts_made)
    payload = json.loads(bytes(made.payload))
    assert payload[MARKER] == {
        "format": 1,
        "salted": ["parts", "internal_scrap"],
        "mass_kg": {"parts": "80.000", "internal_scrap": "500.000"},
    }
    assert all(hidden(item) for item in payload["parts"]) and hidden(payload["internal_scrap"])
    assert b"W-0001" not in bytes(made.payload) and b"INT-1" not in bytes(made.payload)
    # The items are kept beside the payload; each digest covers a salt and the item.
    disclosures = json.loads(bytes(made.disclosures))
    assert [digest(d) for d in disclosures] == [
        hidden(i) for i in [*payload["parts"], payload["internal_scrap"]]
    ]
    assert len({salt for salt, _item in disclosures}) == 5
    # The event's data is whole again once every item is disclosed.
    assert made.data["parts"][0] == {"serial": "W-0001", "mass_kg": "20.000", "part_number": "AF-18"}
    assert made.data["internal_scrap"]["code"] == "INT-1" and MARKER not in made.data


@pytest.mark.parametrize(
    ("slug", "parts", "outputs", "moved"),
    [
        ("wheelworks", ["W-0001", "W-0002", "W-0003", "W-0004", "INT-1"], ["ING-1"], ["ING-1"]),
        ("autofab", ["W-0001", "W-0002"], ["ING-1"], ["ING-1"]),
        ("alurec", [], ["ING-1", "ING-2"], ["ING-1"]),
        ("certa", ["W-0001", "W-0002", "W-0003", "W-0004", "INT-1"], ["ING-1", "ING-2"], ["ING-1"]),
    ],
)
def test_each_reader_gets_the_items_of_the_lots_it_may_see(loop, client_for, slug, parts, outputs, moved):
    entries = {e["seq"]: e for e in _feed(client_for(slug))}
    made, cast, sent = entries[loop.parts_made], entries[loop.cast], entries[loop.ingot_sent]

    def codes(entry):
        return [
            item if isinstance(item, str) else item.get("serial", item.get("code"))
            for item in _disclosed(entry)
        ]

    assert codes(made) == parts
    assert codes(cast) == outputs
    assert codes(sent) == moved


def test_an_automaker_receives_nothing_of_its_wheels_siblings(loop, client_for, cast):
    rollup_run()
    autofab = client_for("autofab")
    feed = autofab.get("/api/v1/ledger/entries/").content.decode()
    full = autofab.get("/api/v1/parts/W-0001/evidence/?upstream=all")
    stepped = autofab.get("/api/v1/parts/W-0001/evidence/")
    assert full.status_code == stepped.status_code == 200
    for code in HIDDEN_FROM_AUTOFAB:
        assert code in json.dumps(Entry.objects.get(seq=loop.parts_made).data) + json.dumps(
            Entry.objects.get(seq=loop.cast).data
        )
        assert code not in feed, code
        assert code not in full.content.decode() and code not in stepped.content.decode(), code
        assert autofab.get(f"/api/v1/lots/{code}/").status_code == 404
    # ING-2's chemistry was cast with ING-1's but reaches only those who may see ING-2.
    assert '"Si":"7.0500"' in json.dumps(full.json(), separators=(",", ":"))
    # And the holder's bundles still verify: its wheel's footprint (and run) is recomputed with
    # the hidden siblings counted by their total mass.
    assert "W-0001" in bundle_verify(full.json(), key=verifier_key())
    assert "W-0001" in evidence_verify(stepped.json(), key=verifier_key())


def test_the_redacted_feed_still_verifies_end_to_end(loop, client_for):
    entries = _feed(client_for("autofab"))
    lines = _lines(entries)
    verifier = ChainVerifier(expected_head=LedgerHead.objects.get().hash)
    assert verify_export_lines(iter(lines), verifier) is None and verifier.count == len(entries)

    # A disclosed item changed, or one taken from another entry, is caught at its entry.
    made = next(i for i, e in enumerate(entries) if e["seq"] == loop.parts_made)
    changed = copy.deepcopy(entries)
    changed[made]["disclosures"][0][1]["mass_kg"] = "21.000"
    problem = verify_export_lines(iter(_lines(changed)), ChainVerifier())
    assert (problem.seq, problem.reason) == (loop.parts_made, "disclosure")
    assert "disclosures[0]" in problem.detail


def test_tampered_disclosures_in_a_bundle_fail_naming_the_entry(loop, client_for):
    rollup_run()
    bundle = client_for("autofab").get("/api/v1/parts/W-0001/evidence/?upstream=all").json()
    made = next(e for e in bundle["entries"] if e["header"]["seq"] == loop.parts_made)
    cast = next(e for e in bundle["entries"] if e["header"]["seq"] == loop.cast)

    def fails(change, *fragments):
        broken = copy.deepcopy(bundle)
        change(next(e for e in broken["entries"] if e["header"]["seq"] == loop.parts_made), broken)
        with pytest.raises(BundleProblem) as failure:
            bundle_verify(broken, key=verifier_key())
        for fragment in fragments:
            assert fragment in str(failure.value), str(failure.value)

    fails(
        lambda e, _b: e["disclosures"][0][1].update(mass_kg="19.000"),
        f"entry {loop.parts_made}",
        "disclosures[0]",
    )
    fails(lambda e, _b: e["disclosures"][0].__setitem__(0, "another-salt"), "disclosures[0]")
    fails(lambda e, _b: e["disclosures"].append(cast["disclosures"][0]), "disclosures[2]")
    # A total the hidden items cannot make up: the payload's digest no longer holds.
    fails(lambda e, _b: e["payload"][MARKER]["mass_kg"].update(parts="40.000"), "payload does not match")
    # Without its own item the wheel cannot be recomputed.
    fails(lambda e, _b: e["disclosures"].pop(0), "W-0001")
    assert made["disclosures"] and cast["disclosures"]


def test_commit_and_reveal_refuse_what_does_not_add_up():
    data = {"parts": [{"serial": "A", "mass_kg": "1.000"}, {"serial": "B", "mass_kg": "2.000"}], "energy": {}}
    committed = commit(data, ("parts", "internal_scrap"))
    payload, disclosures = committed.payload, committed.disclosures
    assert committed.disclosures_bytes == canonical(disclosures)
    assert payload[MARKER] == {"format": 1, "salted": ["parts"], "mass_kg": {"parts": "3.000"}}
    assert reveal(payload, disclosures, complete=True) == data
    assert reveal(payload, disclosures[1:])["parts"][0] == payload["parts"][0]
    with pytest.raises(DisclosureError, match=r"parts\[0\]: not disclosed"):
        reveal(payload, disclosures[1:], complete=True)
    with pytest.raises(DisclosureError, match="disclosures\\[1\\]"):
        reveal(payload, [disclosures[0], disclosures[0]])
    heavier = copy.deepcopy(payload)
    heavier[MARKER]["mass_kg"]["parts"] = "2.000"
    with pytest.raises(DisclosureError, match="weigh 3.000 kg"):
        reveal(heavier, disclosures)
    with pytest.raises(DisclosureError, match="commits to no item"):
        reveal({"energy": {}}, disclosures)
    # Salts differ every time: equal items of two runs do not get equal digests.
    assert commit(data, ("parts",)).payload["parts"] != payload["parts"]


def test_entries_written_before_the_format_verify_as_they_are(loop, client_for):
    """An old part run (its payload lists its parts in the clear, no disclosures) is read,
    replayed, fed and verified exactly as before."""
    data = {
        "inputs": [{"lot": "ING-1", "mass_kg": "20.000"}],
        "parts": [{"serial": "W-OLD", "mass_kg": "20.000", "part_number": "AF-18"}],
        "energy": {"electricity_kwh": "0.000", "natural_gas_m3": "0.000"},
    }
    head = LedgerHead.objects.get()
    made = Entry.objects.get(seq=loop.parts_made)
    payload = canonical(data)
    sealed = seal_header(
        seq=head.seq + 1,
        prev_hash=head.hash,
        type="parts.produced",
        org="wheelworks",
        actor="user:loader",
        occurred_at=made.occurred_at,
        recorded_at=made.recorded_at,
        payload_bytes=payload,
    )
    Entry.objects.create(
        seq=head.seq + 1,
        type="parts.produced",
        organisation_id=made.organisation_id,
        actor="user:loader",
        occurred_at=made.occurred_at,
        recorded_at=made.recorded_at,
        prev_hash=head.hash,
        hash=sealed.hash,
        payload_sha256=sealed.header["payload_sha256"],
        header=sealed.header_bytes,
        payload=payload,
    )
    LedgerHead.objects.filter(pk=1).update(seq=head.seq + 1, hash=sealed.hash)
    old = Entry.objects.get(seq=head.seq + 1)
    assert old.disclosures is None and old.data == data
    assert chain_verify().problem is None
    fed = next(e for e in _feed(client_for("wheelworks")) if e["seq"] == old.seq)
    assert fed["payload"] == data and fed["disclosures"] is None
    assert export_line(header=fed["header"], hash=fed["hash"], payload=data) == export_line(
        header=fed["header"], hash=fed["hash"], payload=data, disclosures=None
    )


@pytest.mark.parametrize("change", ["drop", "swap"])
def test_verify_ledger_catches_changed_disclosures(loop, change):
    made = Entry.objects.get(seq=loop.parts_made)
    disclosures = json.loads(bytes(made.disclosures))
    if change == "drop":
        disclosures = disclosures[1:]  # the stored copy lost an item
    else:
        disclosures[0][1]["serial"] = "W-9999"
    with append_only_suspended() as cursor:
        cursor.execute(
            "UPDATE ledger_entry SET disclosures = %s WHERE seq = %s",
            [json.dumps(disclosures, separators=(",", ":")).encode(), loop.parts_made],
        )
    problem = chain_verify().problem
    assert (problem.seq, problem.reason) == (loop.parts_made, "disclosure")
