"""Per-lot payload visibility (SPEC §9, issue #13 item 8): an entry naming lots of several
holders commits to them one by one, and each reader gets only the items it may see.

In the loop wheelworks makes W-0001 … W-0004 and INT-1 and sends W-0001 and W-0002 to autofab;
alurec casts ING-1 and ING-2 and sends ING-1 to wheelworks. Autofab may see neither W-0003,
W-0004, INT-1 nor ING-2 (they answer 404), so nothing of them may reach it through the feed or
an evidence bundle, while both still verify.

The ledger writes disclosure format 2 (a Merkle root per member); the tests that take
`either_format` run once on a loop written so and once on one written in format 1, as the ledger
wrote entries until 2026-12-03 (entries are append-only: those stay in every ledger).
"""

import copy
import functools
import json
import subprocess
import sys

import pytest
from remelt_verify import disclosure
from remelt_verify.bundle import BundleProblem, bundle_verify
from remelt_verify.chain import ChainVerifier, canonical, export_line, seal_header, verify_export_lines
from remelt_verify.disclosure import MARKER, DisclosureError, commit, digest, hidden, proven, reveal, withheld
from remelt_verify.merkle import leaf_hash, root_from_leaves
from remelt_verify.steps import evidence_verify

from ledger.checkpoints import verifier_key
from ledger.models import Entry, LedgerHead
from ledger.selectors import chain_verify
from passports.services import rollup_run
from tests.api.support import TRUCK, post
from tests.support import append_only_suspended, disclosure_pair

HIDDEN_FROM_AUTOFAB = ("W-0003", "W-0004", "INT-1", "ING-2")


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    """Bundles carry a signed checkpoint."""


@pytest.fixture
def format_1(monkeypatch):
    """Entries written from here on commit to their items in format 1, as the ledger's write path
    did until 2026-12-03. Take it before `loop` to have the loop written so."""
    monkeypatch.setattr(disclosure, "commit", functools.partial(disclosure.commit, format=1))
    return monkeypatch


@pytest.fixture(params=[2, 1], ids=["format-2", "format-1"])
def either_format(request):
    """The loop (taken after this) written in disclosure format 2, then in format 1."""
    if request.param == 1:
        request.getfixturevalue("format_1")
    return request.param


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
    return [disclosure_pair(given)[1] for given in entry["disclosures"] or []]


def _roots(disclosures: list) -> bytes:
    return root_from_leaves([leaf_hash(bytes.fromhex(digest(d))) for d in disclosures]).hex()


def test_the_stored_payload_commits_to_each_member_by_a_merkle_root(loop):
    made = Entry.objects.get(seq=loop.parts_made)
    payload = json.loads(bytes(made.payload))
    assert payload[MARKER] == {
        "format": 2,
        "salted": ["parts", "internal_scrap"],
        "mass_kg": {"parts": "80.000", "internal_scrap": "500.000"},
    }
    assert b"W-0001" not in bytes(made.payload) and b"INT-1" not in bytes(made.payload)
    # The items are kept beside the payload, in order; the leaves are their salted digests.
    disclosures = json.loads(bytes(made.disclosures))
    assert payload["parts"] == {"count": 4, "root": _roots(disclosures[:4])}
    assert payload["internal_scrap"] == {"root": _roots(disclosures[4:])}  # one object, one leaf
    assert len({salt for salt, _item in disclosures}) == 5
    assert made.data["parts"][0] == {"serial": "W-0001", "mass_kg": "20.000", "part_number": "AF-18"}
    assert made.data["internal_scrap"]["code"] == "INT-1" and MARKER not in made.data
    # What the payload says of the items whatever the run's size: two values per member.
    assert len(bytes(made.payload)) < 500


def test_an_entry_of_format_1_commits_to_each_item_by_a_salted_digest(format_1, loop):
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
def test_each_reader_gets_the_items_of_the_lots_it_may_see(
    either_format, loop, client_for, slug, parts, outputs, moved
):
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


def test_a_reader_of_some_items_gets_their_places_and_paths(loop, client_for):
    """Format 2: autofab gets W-0001 and W-0002 as leaves 0 and 1 of the run's four parts, with
    their paths; wheelworks, which posted the run, gets every item bare and recomputes the roots."""
    mine = {e["seq"]: e for e in _feed(client_for("wheelworks"))}[loop.parts_made]
    theirs = {e["seq"]: e for e in _feed(client_for("autofab"))}[loop.parts_made]
    stored = json.loads(bytes(Entry.objects.get(seq=loop.parts_made).disclosures))
    assert mine["disclosures"] == stored
    assert [(d["member"], d["leaf_index"], d["disclosure"]) for d in theirs["disclosures"]] == [
        ("parts", 0, stored[0]),
        ("parts", 1, stored[1]),
    ]
    assert all(len(d["path"]) == 2 for d in theirs["disclosures"])  # log2 of 4 parts
    # Of W-0003 and W-0004 autofab reads the payload's count and root, no digest of each.
    assert theirs["payload"]["parts"].keys() == {"count", "root"}
    revealed = reveal(theirs["payload"], theirs["disclosures"])
    assert [part.get("serial") for part in revealed["parts"]] == ["W-0001", "W-0002", None, None]


def test_an_automaker_receives_nothing_of_its_wheels_siblings(either_format, loop, client_for, cast):
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


def test_the_redacted_feed_still_verifies_end_to_end(either_format, loop, client_for):
    entries = _feed(client_for("autofab"))
    lines = _lines(entries)
    verifier = ChainVerifier(expected_head=LedgerHead.objects.get().hash)
    assert verify_export_lines(iter(lines), verifier) is None and verifier.count == len(entries)

    # A disclosed item changed, or one taken from another entry, is caught at its entry.
    made = next(i for i, e in enumerate(entries) if e["seq"] == loop.parts_made)
    changed = copy.deepcopy(entries)
    disclosure_pair(changed[made]["disclosures"][0])[1]["mass_kg"] = "21.000"
    problem = verify_export_lines(iter(_lines(changed)), ChainVerifier())
    assert (problem.seq, problem.reason) == (loop.parts_made, "disclosure")
    assert "disclosures[0]" in problem.detail


def test_tampered_disclosures_in_a_bundle_fail_naming_the_entry(either_format, loop, client_for):
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
        lambda e, _b: disclosure_pair(e["disclosures"][0])[1].update(mass_kg="19.000"),
        f"entry {loop.parts_made}",
        "disclosures[0]",
    )
    fails(lambda e, _b: disclosure_pair(e["disclosures"][0]).__setitem__(0, "another-salt"), "disclosures[0]")
    fails(lambda e, _b: e["disclosures"].append(cast["disclosures"][0]), "disclosures[2]")
    if either_format == 2:
        # The wheel's place: another leaf, one beyond the run, or a hash of its path changed.
        fails(lambda e, _b: e["disclosures"][0].update(leaf_index=2), "disclosures[0]", "parts[2]")
        fails(lambda e, _b: e["disclosures"][0].update(leaf_index=4), "disclosures[0]", "leaf_index 4")
        fails(lambda e, _b: e["disclosures"][0]["path"].__setitem__(0, "00" * 32), "disclosures[0]", "path")
        # W-0001 and W-0002 in each other's places.
        fails(
            lambda e, _b: e["disclosures"].__setitem__(
                slice(None),
                [{**e["disclosures"][0], "path": e["disclosures"][1]["path"]}, e["disclosures"][1]],
            ),
            "disclosures[0]",
        )
    # A total the hidden items cannot make up: the payload's digest no longer holds.
    fails(lambda e, _b: e["payload"][MARKER]["mass_kg"].update(parts="40.000"), "payload does not match")
    # Without its own item the wheel cannot be recomputed.
    fails(lambda e, _b: e["disclosures"].pop(0), "W-0001")
    assert made["disclosures"] and cast["disclosures"]


def test_format_1_commit_and_reveal_refuse_what_does_not_add_up():
    data = {"parts": [{"serial": "A", "mass_kg": "1.000"}, {"serial": "B", "mass_kg": "2.000"}], "energy": {}}
    committed = commit(data, ("parts", "internal_scrap"), format=1)
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
    assert commit(data, ("parts",), format=1).payload["parts"] != payload["parts"]


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
def test_verify_ledger_catches_changed_disclosures(either_format, loop, change):
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
    if either_format == 2:  # a root recomputed from the stored items: it names the member
        assert problem.detail.startswith("parts:" if change == "swap" else "disclosures: 4 given"), problem


def test_format_2_commit_and_reveal_refuse_what_does_not_add_up():
    data = {
        "parts": [{"serial": serial, "mass_kg": "1.000"} for serial in "ABCDE"],
        "internal_scrap": {"code": "S", "mass_kg": "2.000"},
        "energy": {},
    }
    committed = commit(data, ("parts", "internal_scrap"))
    payload, every = committed.payload, committed.disclosures
    assert committed.disclosures_bytes == canonical(every)
    assert payload[MARKER] == {
        "format": 2,
        "salted": ["parts", "internal_scrap"],
        "mass_kg": {"parts": "5.000", "internal_scrap": "2.000"},
    }
    assert payload["parts"] == {"count": 5, "root": _roots(every[:5])}
    assert payload["internal_scrap"] == {"root": _roots(every[5:])}
    assert reveal(payload, every, complete=True) == data  # the round trip

    # A reader of B and S: their places and paths (a single object is a tree of one leaf).
    given = proven(payload, every, [1, 5])
    assert [(g["member"], g["leaf_index"], len(g["path"])) for g in given] == [
        ("parts", 1, 3),
        ("internal_scrap", 0, 0),
    ]
    revealed = reveal(payload, given)
    assert revealed["parts"][1] == data["parts"][1] and revealed["internal_scrap"] == data["internal_scrap"]
    assert [withheld(part) for part in revealed["parts"]] == [True, False, True, True, True]
    assert revealed["parts"][0] == {"...": None}  # no digest per item to show

    def refused(disclosures, pattern, committed_payload=payload, complete=False):
        with pytest.raises(DisclosureError, match=pattern):
            reveal(committed_payload, disclosures, complete=complete)

    refused(given, r"parts\[0\]: not disclosed", complete=True)
    changed = copy.deepcopy(given)
    changed[0]["disclosure"][1]["mass_kg"] = "1.500"
    refused(changed, r"disclosures\[0\]: is not parts\[1\] of the 5 items")
    refused([{**given[0], "leaf_index": 2}], r"disclosures\[0\]: is not parts\[2\] of the 5 items")
    refused(
        [{**given[0], "leaf_index": 5}], r"disclosures\[0\]: leaf_index 5 is not one of the 5 items of parts"
    )
    refused([{**given[0], "path": given[0]["path"][::-1]}], r"disclosures\[0\]: is not parts\[1\]")
    refused([{**given[0], "path": given[0]["path"][:-1]}], r"disclosures\[0\]: is not parts\[1\]")
    refused([{**given[0], "path": ["zz"]}], r"disclosures\[0\]\.path: not a list of hashes")
    refused([given[1], given[0], given[0]], r"disclosures\[2\]: parts\[1\] is disclosed twice")
    refused([{**given[0], "member": "energy"}], r"disclosures\[0\]: 'energy' is not a salted member")
    refused(
        [given[0], every[1]],
        r"disclosures\[1\]: a disclosure of format 2 is \{member, leaf_index, path, disclosure\}",
    )
    # Another entry's item, with its own path, at the same place.
    other = commit(data, ("parts", "internal_scrap"))
    refused(
        proven(other.payload, other.disclosures, [1]), r"disclosures\[0\]: is not parts\[1\].*another entry's"
    )
    # Bare disclosures are every item or nothing: with some missing they cannot rebuild a root.
    refused(
        every[1:],
        r"disclosures: 5 given without paths, the payload commits to 6 items \(parts 5, internal_scrap 1\)",
    )
    swapped = copy.deepcopy(every)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    refused(swapped, r"parts: its 5 disclosures \(disclosures\[0:5\]\) make the root", complete=True)
    # A count that lies: the stored items do not make it up, and a path no longer leads to the root.
    for count in (4, 6):
        lying = copy.deepcopy(payload)
        lying["parts"]["count"] = count
        refused(
            every, rf"payload commits to {count + 1} items \(parts {count}, internal_scrap 1\)", lying, True
        )
    # A count past what any entry holds is refused before a placeholder is made for each item.
    lying["parts"]["count"] = 10**15
    refused(given, r"parts\.count: 1000000000000000 items, more than the 1,000,000 a member may have", lying)
    lying["parts"]["count"] = 4
    refused(given[:1], r"disclosures\[0\]: is not parts\[1\] of the 4 items", lying)
    # A mass total that lies: all the items weigh otherwise, or one weighs more than the total.
    lying = copy.deepcopy(payload)
    lying[MARKER]["mass_kg"]["parts"] = "4.000"
    refused(every, r"disclosure\.mass_kg\.parts: the disclosed items weigh 5\.000 kg", lying, True)
    lying[MARKER]["mass_kg"]["parts"] = "0.500"
    refused(given, r"disclosure\.mass_kg\.parts: the disclosed items weigh 1\.000 kg", lying)
    # An empty list commits to the empty tree.
    empty = commit({"lots": []}, ("lots",)).payload
    assert empty["lots"] == {"count": 0, "root": root_from_leaves([]).hex()}
    assert reveal(empty, [], complete=True) == {"lots": []}


def test_a_ledger_of_both_formats_reads_and_verifies(format_1, loop, client_for):
    """Entries of format 1 stay as they are; what is written after them is format 2, and the
    chain, the replay, a partial reader's feed and its bundles verify across both."""
    format_1.undo()
    wheelworks = client_for("wheelworks")
    run = {
        "inputs": [{"lot": "ING-1", "mass_kg": "90"}],
        "parts": [{"serial": f"W-01{n:02d}", "mass_kg": "20", "part_number": "AF-18"} for n in range(4)],
    }
    made = post(wheelworks, "parts.produced", run).json()["entries"][0]["seq"]
    sent = post(wheelworks, "custody.transferred", {"lots": ["W-0100"], "to": "autofab", "transport": TRUCK})
    assert sent.status_code == 201, sent.content
    formats = {
        entry.seq: json.loads(bytes(entry.payload))[MARKER]["format"]
        for entry in Entry.objects.exclude(disclosures=None)
    }
    assert formats == {
        loop.cast: 1,
        loop.ingot_sent: 1,
        loop.parts_made: 1,
        loop.parts_sent: 1,
        made: 2,
        made + 1: 2,
    }
    assert chain_verify().problem is None
    assert Entry.objects.get(seq=loop.parts_made).data["parts"][3]["serial"] == "W-0004"
    entries = _feed(client_for("autofab"))
    verifier = ChainVerifier(expected_head=LedgerHead.objects.get().hash)
    assert verify_export_lines(iter(_lines(entries)), verifier) is None
    fed = {e["seq"]: e for e in entries}
    assert [type(d) for d in fed[loop.parts_made]["disclosures"]] == [list, list]  # format 1: bare
    assert [d["leaf_index"] for d in fed[made]["disclosures"]] == [0]  # format 2: place and path
    rollup_run()
    for code in ("W-0001", "W-0100"):
        bundle = client_for("autofab").get(f"/api/v1/parts/{code}/evidence/").json()
        assert code in evidence_verify(bundle, key=verifier_key())


def _size(document) -> int:
    return len(json.dumps(document, separators=(",", ":")).encode())


def test_a_wheels_bundle_does_not_grow_with_its_run_and_transfer(loop, client_for, settings):
    """Issue 18: a custody transfer of thousands of wheels cost every wheel's bundle 74 bytes a
    wheel (format 1). Of format 2 a bundle carries two values per member and a path per item."""
    settings.LEDGER_MAX_BATCH_ITEMS = 2_002  # a run of 2,000 wheels (an event, its input) at once
    wheelworks, autofab = client_for("wheelworks"), client_for("autofab")
    for count in (20, 2000):
        serials = [f"B{count}-{n:04d}" for n in range(count)]
        run = {
            "inputs": [{"lot": "ING-1", "mass_kg": str(count + 10)}],
            "parts": [{"serial": serial, "mass_kg": "1", "part_number": "AF-18"} for serial in serials],
        }
        made = post(wheelworks, "parts.produced", run)
        assert made.status_code == 201, made.content
        sent = post(wheelworks, "custody.transferred", {"lots": serials, "to": "autofab", "transport": TRUCK})
        assert sent.status_code == 201, sent.content
    rollup_run()
    sizes = {}
    for count in (20, 2000):
        bundle = autofab.get(f"/api/v1/parts/B{count}-0007/evidence/").json()
        assert f"B{count}-0007" in evidence_verify(bundle, key=verifier_key())
        run, sent = (
            e
            for e in bundle["entries"]
            if e["header"]["type"] in ("parts.produced", "custody.transferred")
            and e["header"]["seq"] > loop.outsider_received
        )
        assert [d["leaf_index"] for d in run["disclosures"] + sent["disclosures"]] == [7, 7]
        sizes[count] = _size(bundle)
    # 100 times the wheels: the payloads are the same size, each path is 7 hashes longer.
    assert sizes[2000] - sizes[20] < 2_500, sizes
    assert sizes[2000] < 30_000, sizes


def test_the_command_line_verifier_checks_a_holders_places_and_paths(loop, client_for, tmp_path):
    rollup_run()
    bundle = client_for("autofab").get("/api/v1/parts/W-0001/evidence/").json()
    made = next(e for e in bundle["entries"] if e["header"]["seq"] == loop.parts_made)
    assert [(d["member"], d["leaf_index"]) for d in made["disclosures"]] == [("parts", 0)]
    key = tmp_path / "operator.key"
    key.write_text(verifier_key())

    def verify(document) -> subprocess.CompletedProcess:
        path = tmp_path / "W-0001-evidence.json"
        path.write_text(json.dumps(document))
        command = [sys.executable, "-m", "remelt_verify", str(path), "--key", str(key)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    run = verify(bundle)
    assert run.returncode == 0 and run.stdout.startswith("OK W-0001:"), run.stdout + run.stderr
    made["disclosures"][0]["path"][0] = "00" * 32
    run = verify(bundle)
    assert run.returncode == 1 and run.stdout.startswith("FAIL"), run.stdout + run.stderr
    assert f"entry {loop.parts_made} (parts.produced): disclosures[0]: is not parts[0]" in run.stdout
