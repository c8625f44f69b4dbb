"""The public bundle beside the passport page (`/passports/<code>/proof.json`): no login, proves
the page's footprint is the one committed in the signed log, reveals nothing the page does not,
and every tampering with it is caught, naming what failed."""

import copy
import html
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from remelt_verify.public import PublicProblem, public_verify

from ledger.checkpoints import checkpoint_sign, verifier_key
from ledger.models import Entry
from ledger.services import EventInput, events_record
from passports.services import rollup_run
from passports.views import public_proof_fields

PROOF = "/passports/W-0001/proof.json"

# Every member of a public bundle, by path: what the test compares with the page.
FIELDS = [
    "format",
    "lot.code",
    "lot.kind",
    "lot.mass_kg",
    "footprint.lot",
    "footprint.kind",
    "footprint.method",
    "footprint.factor_set",
    "footprint.mass_kg",
    "footprint.total_kg_co2e",
    "footprint.per_kg_co2e",
    *(
        f"footprint.by_stage.{stage}"
        for stage in ("scrap_transport", "alloying", "melting", "casting", "part_production", "transport")
    ),
    "footprint.recycled_content.post_consumer",
    "footprint.recycled_content.pre_consumer",
    "footprint.baseline_kg_co2e",
    "footprint.saving_kg_co2e",
    "footprint.version",
    "footprint.ledger_seq",
    "footprint_digest",
    "footprint_proof.leaf_index",
    "footprint_proof.path",
    "anchor.hash",
    *(
        f"anchor.header.{name}"
        for name in (
            "actor",
            "occurred_at",
            "org",
            "payload_sha256",
            "prev_hash",
            "recorded_at",
            "seq",
            "type",
        )
    ),
    "anchor.payload.anchor",
    "anchor.payload.factor_set",
    "anchor.payload.footprints.count",
    "anchor.payload.footprints.root",
    "anchor.payload.ledger_seq",
    "anchor.payload.method",
    "anchor.payload.run",
    "anchor.payload.states.count",
    "anchor.payload.states.root",
    "anchor_proof",
    "checkpoint",
    "verifier_key",
]


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    """Checkpoints are signed with the tests' key."""


def _public(client, url=PROOF) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def _fails(bundle, *fragments) -> str:
    with pytest.raises(PublicProblem) as failure:
        public_verify(bundle, key=verifier_key())
    for fragment in fragments:
        assert fragment in str(failure.value), str(failure.value)
    return str(failure.value)


def test_anyone_gets_the_public_bundle_and_it_verifies(loop, client):
    rollup_run()
    bundle = _public(client)  # no login
    summary = public_verify(bundle, key=verifier_key())
    assert summary.startswith("W-0001: footprint v1")
    assert f"ledger entry {bundle['anchor']['header']['seq']} (footprint.computed)" in summary
    passport = client.get("/passports/W-0001/")
    assert passport.status_code == 200
    # The footprint it proves is the one the page shows.
    page = html.unescape(passport.content.decode())
    assert f"<code>{bundle['footprint']['total_kg_co2e']}</code>" in page


def test_the_public_bundle_shows_nothing_the_public_page_does_not(loop, client):
    rollup_run()
    checkpoint_sign()
    bundle = _public(client)
    fields = public_proof_fields(bundle)
    assert [path for path, _value in fields] == FIELDS
    page = client.get("/passports/W-0001/").content.decode()  # the public page: nobody signed in
    shown = {
        path: html.unescape(re.sub(r"<[^>]+>", "", cell))
        for path, cell in re.findall(
            r'<tr data-field="([^"]+)"><th>[^<]*</th><td class="hash">(.*?)</td></tr>', page, re.S
        )
    }
    assert shown == dict(fields)
    # No other lot of the loop, no company, no upstream entry is in it.
    text = json.dumps(bundle)
    for other in (
        "W-0002",
        "W-0003",
        "ING-1",
        "MLT-1",
        "SCR-A",
        "INT-1",
        "alurec",
        "wheelworks",
        "autofab",
        "scrapco",
    ):
        assert other not in text, other


def test_tampering_with_a_public_bundle_is_caught_naming_what_failed(loop, client, cast):
    rollup_run()
    first = _public(client)
    other_wheel = _public(client, "/passports/W-0003/proof.json")
    # A second run gives W-0001 a version 2 (an amended transport upstream).
    events_record(
        organisation=cast["alurec"],
        actor="user:loader",
        events=[
            EventInput(
                "lot.amended",
                timezone.now() - timedelta(minutes=5),
                {
                    "lot": "SCR-A",
                    "reason": "weighbridge ticket",
                    "transport": {"distance_km": "480", "mode": "truck"},
                },
            )
        ],
    )
    rollup_run()
    bundle = _public(client)
    assert bundle["footprint"]["version"] == 2 and first["footprint"]["version"] == 1
    assert public_verify(bundle, key=verifier_key()) and public_verify(first, key=verifier_key())

    def changed(change):
        broken = copy.deepcopy(bundle)
        change(broken)
        return broken

    total = bundle["footprint"]["total_kg_co2e"]
    one_digit = total[:-1] + str((int(total[-1]) + 1) % 10)
    _fails(
        changed(lambda b: b["footprint"].update(total_kg_co2e=one_digit)), "footprint_digest", "was changed"
    )

    def digit_and_digest(b):  # the digest recomputed too: the leaf then is not in the tree
        from remelt_verify.chain import canonical, sha256_hex

        b["footprint"]["total_kg_co2e"] = one_digit
        b["footprint_digest"] = sha256_hex(canonical(b["footprint"]))

    _fails(changed(digit_and_digest), "footprint_proof", "is not leaf")
    _fails(
        changed(lambda b: b["footprint_proof"].update(leaf_index=b["footprint_proof"]["leaf_index"] ^ 1)),
        "footprint_proof: version 2 of W-0001",
        "is not leaf",
    )
    # The leaf proof of another version (v1, in the first run's tree) or of another wheel.
    _fails(
        changed(lambda b: b.update(footprint_proof=first["footprint_proof"])),
        "footprint_proof",
        "is not leaf",
    )
    _fails(changed(lambda b: b.update(footprint_proof=other_wheel["footprint_proof"])), "footprint_proof")
    # The anchor of another run (with its own inclusion proof): it is not this footprint's run.
    _fails(
        changed(lambda b: b.update(anchor=first["anchor"], anchor_proof=first["anchor_proof"])),
        "it anchors another run",
    )
    # An anchor whose payload was changed, or that is not in the checkpoint.
    _fails(changed(lambda b: b["anchor"]["payload"]["footprints"].update(count=1)), "payload does not match")
    _fails(
        changed(lambda b: b.update(anchor_proof=first["anchor_proof"][:-1] or ["00" * 32])), "anchor_proof"
    )
    # A public bundle with an upstream entry added: it holds more than the page shows.
    made = Entry.objects.get(seq=loop.received_a)
    entry = {"hash": made.hash, "header": json.loads(bytes(made.header)), "payload": made.data}
    _fails(changed(lambda b: b.update(entries=[entry])), "unexpected entries")
    _fails(changed(lambda b: b.update(checkpoint=b["checkpoint"].replace("\n", "\n ", 1))), "checkpoint")


def test_no_footprint_yet_is_a_409_and_not_a_passport_a_404(loop, client):
    assert client.get(PROOF).status_code == 409
    assert client.get("/passports/SCR-A/proof.json").status_code == 404
    assert client.get("/passports/NOPE/proof.json").status_code == 404
