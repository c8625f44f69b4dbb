"""GET /api/v1/ledger/proofs/…: public proofs that verify, bad parameters named, and a
constant number of queries whatever the ledger's size."""

import pytest
from remelt_verify import merkle

from ledger.models import Entry
from tests.factories import notes

INCLUSION = "/api/v1/ledger/proofs/inclusion/"
CONSISTENCY = "/api/v1/ledger/proofs/consistency/"


def hashes() -> list[bytes]:
    return [bytes.fromhex(value) for value in Entry.objects.values_list("hash", flat=True)]


def test_every_inclusion_proof_verifies_against_the_root_of_its_size(db, client):
    notes(6)
    notes(7)
    leaves = hashes()
    for size in (1, 2, 5, 8, 13):
        root = merkle.root_from_leaves(leaves[:size])
        for seq in range(1, size + 1):
            response = client.get(INCLUSION, {"seq": seq, "size": size})
            assert response.status_code == 200
            body = response.json()
            assert body["seq"] == seq and body["size"] == size
            assert body["leaf_hash"] == leaves[seq - 1].hex() == Entry.objects.get(seq=seq).hash
            assert body["root"] == root.hex()
            proof = [bytes.fromhex(item) for item in body["proof"]]
            assert merkle.verify_inclusion(leaves[seq - 1], seq - 1, size, proof, root)


def test_every_consistency_proof_verifies(db, client):
    notes(11)
    leaves = hashes()
    for new in range(1, 12):
        for old in range(1, new + 1):
            body = client.get(CONSISTENCY, {"from": old, "to": new}).json()
            old_root, new_root = merkle.root_from_leaves(leaves[:old]), merkle.root_from_leaves(leaves[:new])
            assert (body["from"], body["to"]) == (old, new)
            assert (body["from_root"], body["to_root"]) == (old_root.hex(), new_root.hex())
            proof = [bytes.fromhex(item) for item in body["proof"]]
            assert merkle.verify_consistency(old, new, proof, old_root, new_root)


def test_the_proofs_are_public_and_ignore_credentials(db, client):
    notes(2)
    response = client.get(INCLUSION, {"seq": 1, "size": 2}, HTTP_AUTHORIZATION="Bearer rmk_nonsense")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "field", "message"),
    [
        (INCLUSION, {"size": 3}, "seq", "required"),
        (INCLUSION, {"seq": "", "size": 3}, "seq", "required"),
        (INCLUSION, {"seq": "x", "size": 3}, "seq", "not a whole number"),
        (INCLUSION, {"seq": "-1", "size": 3}, "seq", "not a whole number"),
        (INCLUSION, {"seq": "1", "size": "1e3"}, "size", "not a whole number"),
        (INCLUSION, {"seq": 1, "size": "9" * 19}, "size", "not a whole number"),
        (INCLUSION, {"seq": 0, "size": 3}, "seq", "at least 1"),
        (INCLUSION, {"seq": 1, "size": 0}, "size", "at least 1"),
        (INCLUSION, {"seq": 4, "size": 3}, "seq", "between 1 and size"),
        (INCLUSION, {"seq": 1, "size": 6}, "size", "the ledger has 5 entries"),
        (CONSISTENCY, {"to": 3}, "from", "required"),
        (CONSISTENCY, {"from": 1}, "to", "required"),
        (CONSISTENCY, {"from": 0, "to": 3}, "from", "at least 1"),
        (CONSISTENCY, {"from": 4, "to": 3}, "from", "between 1 and to"),
        (CONSISTENCY, {"from": 1, "to": 6}, "to", "the ledger has 5 entries"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(db, client, url, params, field, message):
    notes(5)
    response = client.get(url, params)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]


def test_every_bad_parameter_is_named_at_once(db, client):
    response = client.get(INCLUSION, {"seq": "one"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"seq", "size"}


@pytest.mark.parametrize("entries", [100, 1000])
def test_a_proof_takes_the_same_few_queries_at_any_size(db, client, django_assert_max_num_queries, entries):
    notes(entries)
    size = entries - 1
    with django_assert_max_num_queries(3):  # the head, the leaves, the nodes
        assert client.get(INCLUSION, {"seq": size // 3, "size": size}).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(CONSISTENCY, {"from": size // 3, "to": size}).status_code == 200
