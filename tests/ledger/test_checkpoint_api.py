"""GET /api/v1/ledger/checkpoint/, /checkpoints/?size=N and /key/: signed notes that verify
with the published key."""

import pytest
from remelt_verify import merkle
from remelt_verify.notes import parse_checkpoint, verify_note

from ledger.checkpoints import checkpoint_sign
from ledger.models import Entry
from tests.factories import notes
from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY

LATEST = "/api/v1/ledger/checkpoint/"
BY_SIZE = "/api/v1/ledger/checkpoints/"
KEY = "/api/v1/ledger/key/"


@pytest.fixture(autouse=True)
def signing(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY


def test_the_key_is_published_as_a_verifier_key(client):
    response = client.get(KEY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == TEST_VERIFIER_KEY + "\n"


def test_the_latest_checkpoint_verifies_with_the_published_key(db, client):
    assert client.get(LATEST).status_code == 404
    notes(4)
    checkpoint_sign()
    notes(3)
    checkpoint_sign()

    response = client.get(LATEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    key = client.get(KEY).content.decode().strip()
    checkpoint = parse_checkpoint(verify_note(response.content, key))
    assert checkpoint.size == 7
    leaves = [bytes.fromhex(value) for value in Entry.objects.values_list("hash", flat=True)]
    assert checkpoint.root == merkle.root_from_leaves(leaves)


def test_an_older_checkpoint_is_served_by_its_size(db, client):
    notes(4)
    first = checkpoint_sign()
    notes(3)
    checkpoint_sign()
    response = client.get(BY_SIZE, {"size": 4})
    assert response.status_code == 200
    assert response.content.decode() == first.note
    assert parse_checkpoint(verify_note(response.content, TEST_VERIFIER_KEY)).size == 4

    missing = client.get(BY_SIZE, {"size": 5})
    assert missing.status_code == 404
    assert "size 5" in missing.json()["detail"]


@pytest.mark.parametrize("params", [{}, {"size": "four"}, {"size": "-4"}])
def test_a_bad_size_is_a_400_naming_it(db, client, params):
    response = client.get(BY_SIZE, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["size"]
