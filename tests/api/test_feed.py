"""GET /api/v1/ledger/entries/: the whole chain, cursor-paged by seq, payloads withheld where
the caller may not see them, and verifiable end to end by any partner."""

import subprocess
import sys
import threading

import pytest
from django.db import connection
from remelt_verify.chain import ChainVerifier, export_line, verify_export_lines
from remelt_verify.disclosure import reveal, withheld
from rest_framework.test import APIClient

from ledger.disclosure import PER_ITEM
from ledger.models import Entry, LedgerHead
from tests.api.support import assert_problem, post, scrap
from tests.factories import notes


def _pages(client, limit):
    """Every entry, following `next`."""
    url = f"/api/v1/ledger/entries/?limit={limit}"
    entries = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["entries"]) <= limit
        entries += page["entries"]
        url = page["next"]
    return entries


def _lines(entries) -> list[bytes]:
    return [
        export_line(header=e["header"], hash=e["hash"], payload=e["payload"], disclosures=e["disclosures"])
        for e in entries
    ]


@pytest.mark.parametrize(
    ("slug", "readable"),
    [
        ("scrapco", set()),  # named as SCR-A's supplier, it has not confirmed: it holds nothing
        ("alurec", {1, 2, 3, 4, 5}),  # what it posted
        ("wheelworks", {1, 2, 3, 4, 5, 6, 7}),  # its own, and everything upstream of its parts
        ("autofab", {1, 2, 3, 4, 5, 6, 7}),  # upstream of its parts, and the transfer to it
        ("certa", {1, 2, 3, 4, 5, 6, 7, 8}),
        ("outsider", {8}),
    ],
)
def test_payloads_show_only_to_those_who_may_see_their_lots(loop, client_for, slug, readable):
    entries = client_for(slug).get("/api/v1/ledger/entries/").json()["entries"]
    assert [e["seq"] for e in entries] == list(range(1, 9))
    assert {e["seq"] for e in entries if e["payload"] is not None} == readable
    stored = {entry.seq: entry for entry in Entry.objects.all()}
    for e in entries:
        entry = stored[e["seq"]]
        assert (e["type"], e["hash"], e["prev_hash"], e["payload_sha256"]) == (
            entry.type,
            entry.hash,
            entry.prev_hash,
            entry.payload_sha256,
        )
        assert e["header"]["seq"] == e["seq"] and e["header"]["payload_sha256"] == entry.payload_sha256
        if e["payload"] is None:
            assert e["disclosures"] is None
            continue
        # Items committed one by one show where the reader may see their lot (test_disclosure.py
        # says which); every other member is the entry's own.
        revealed = reveal(e["payload"], e["disclosures"] or [])
        revealed.pop("disclosure", None)
        assert revealed.keys() == entry.data.keys()
        for member, value in revealed.items():
            if member not in PER_ITEM.get(entry.type, ()):
                assert value == entry.data[member]
            elif isinstance(value, list):
                assert [item for item in value if not withheld(item)] == [
                    item for item in entry.data[member] if item in value
                ]


def test_amendments_and_voids_show_to_those_who_see_what_they_touch(loop, client_for):
    alurec, scrapco = client_for("alurec"), client_for("scrapco")
    assert scrapco.post("/api/v1/lots/SCR-A/confirm-supply/").status_code == 201  # entry 9
    amended = post(alurec, "lot.amended", {"lot": "SCR-A", "reason": "ticket re-read", "grade": "ISRI Tense"})
    mine = post(alurec, "scrap.received", scrap("SCR-X"))  # supplied by scrapco, which confirms it
    confirmed = scrapco.post("/api/v1/lots/SCR-X/confirm-supply/")
    other = post(alurec, "scrap.received", scrap("SCR-Y", supplier_name="Elsewhere"))
    seqs = [r.json()["entries"][0]["seq"] for r in (amended, mine, other)]
    voids = [post(alurec, "entry.voided", {"seq": seq, "reason": "duplicate"}) for seq in seqs[1:]]
    seqs += [r.json()["entries"][0]["seq"] for r in voids]
    entries = scrapco.get("/api/v1/ledger/entries/?after=9").json()["entries"]
    readable = {e["seq"] for e in entries if e["payload"] is not None}
    amend, receipt_x, receipt_y, void_x, void_y = seqs
    confirm_x = confirmed.json()["entries"][0]["seq"]
    assert readable == {amend, receipt_x, confirm_x, void_x}
    assert {e["seq"] for e in entries} == {*seqs, confirm_x}
    # Another organisation that may not see SCR-X does not read its confirmation either.
    others = client_for("outsider").get("/api/v1/ledger/entries/?after=9").json()["entries"]
    assert {e["seq"] for e in others if e["payload"] is not None} == set()


def test_the_cursor_pages_by_seq(loop, client_for):
    client = client_for("certa")
    page = client.get("/api/v1/ledger/entries/?after=2&limit=3").json()
    assert [e["seq"] for e in page["entries"]] == [3, 4, 5]
    assert page["next"] == "http://testserver/api/v1/ledger/entries/?after=5&limit=3"
    last = client.get("/api/v1/ledger/entries/?after=6&limit=3").json()
    assert [e["seq"] for e in last["entries"]] == [7, 8] and last["next"] is None
    assert client.get("/api/v1/ledger/entries/?after=8").json() == {"entries": [], "next": None}


@pytest.mark.parametrize(
    ("query", "field"), [("after=-1", "after"), ("limit=0", "limit"), ("limit=1001", "limit")]
)
def test_bad_cursors_are_400(loop, client_for, query, field):
    body = assert_problem(client_for("certa").get(f"/api/v1/ledger/entries/?{query}"), 400, "invalid")
    assert list(body["errors"]) == [field]


def test_an_outsider_pages_through_the_redacted_feed_and_verifies_the_whole_chain(loop, client_for, tmp_path):
    entries = _pages(client_for("outsider"), limit=3)
    assert len(entries) == 8 and sum(e["payload"] is None for e in entries) == 7
    verifier = ChainVerifier(expected_head=LedgerHead.objects.get().hash)
    assert verify_export_lines(iter(_lines(entries)), verifier) is None
    assert verifier.count == 8

    export = tmp_path / "feed.jsonl"
    export.write_bytes(b"".join(_lines(entries)))
    run = subprocess.run(
        [sys.executable, "-m", "remelt_verify", str(export), "--head", LedgerHead.objects.get().hash],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"OK 8 entries, head {LedgerHead.objects.get().hash}")


def test_a_changed_header_in_the_feed_does_not_verify(loop, client_for):
    entries = _pages(client_for("outsider"), limit=100)
    entries[3]["header"]["org"] = "someone-else"
    problem = verify_export_lines(iter(_lines(entries)), ChainVerifier())
    assert (problem.seq, problem.reason) == (4, "header hash")


WRITERS = 4
APPENDS = 40


@pytest.mark.postgres
def test_a_reader_paging_during_concurrent_appends_never_misses_an_entry(transactional_db, cast, keys):
    """Appends commit in seq order, so `after=<last seq seen>` never skips one."""
    start = threading.Barrier(WRITERS + 1)
    errors = []

    def writer():
        try:
            start.wait()
            for _ in range(APPENDS):
                notes(1)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['outsider']}")
    start.wait()
    seen, after = [], 0
    while len(seen) < WRITERS * APPENDS:
        page = reader.get(f"/api/v1/ledger/entries/?after={after}&limit=7").json()["entries"]
        seen += page
        after = page[-1]["seq"] if page else after
    for thread in threads:
        thread.join()
    assert errors == []
    assert [e["seq"] for e in seen] == list(range(1, WRITERS * APPENDS + 1))
    assert verify_export_lines(iter(_lines(seen)), ChainVerifier()) is None
