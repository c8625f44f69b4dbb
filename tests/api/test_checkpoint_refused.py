"""While the signer refuses to sign (the stored tree no longer extends what it signed), a request
that needs a new checkpoint gets a 503 problem with the reason, never a 500."""

from django.utils import timezone

from ledger.checkpoints import checkpoint_sign
from ledger.services import EventInput, events_record
from passports.services import rollup_run
from tests.api.support import assert_problem
from tests.support import append_only_suspended


def test_an_evidence_bundle_needing_a_new_checkpoint_is_a_503_while_signing_is_refused(
    loop, cast, client_for, ledger_signing_key
):
    rollup_run()
    checkpoint_sign()
    data = {"lot": "MLT-1", "reason": "gas meter", "energy": {"natural_gas_m3": "900"}}
    amended = EventInput("lot.amended", timezone.now(), data)
    events_record(organisation=cast["alurec"], actor="user:loader", events=[amended])
    rollup_run()  # a new footprint, anchored after the last checkpoint
    with append_only_suspended() as cursor:  # the subtree of entries 1-8, in the proof from 9
        cursor.execute('UPDATE ledger_tree_node SET hash = %s WHERE level = 3 AND "index" = 0', [bytes(32)])
    response = client_for("autofab").get("/api/v1/parts/W-0001/evidence/")
    body = assert_problem(response, 503, "checkpoint_refused")
    assert "does not extend checkpoint" in body["detail"]
