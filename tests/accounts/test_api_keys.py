"""API keys: shown once, stored hashed, found by prefix, revocable."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey
from accounts.services import api_key_authenticate, api_key_issue, api_key_revoke, organisation_create
from ledger.errors import DomainError


def test_issued_token_authenticates_and_only_its_hash_is_stored(alurec):
    issued = api_key_issue(organisation=alurec, name="mes")
    scheme, prefix, secret = issued.token.split("_", 2)
    assert scheme == "rmk" and prefix == issued.api_key.prefix
    stored = ApiKey.objects.get()
    assert secret not in {stored.secret_sha256, stored.prefix, stored.name}
    assert stored.secret_sha256 == ApiKey.digest(secret)
    assert stored.last_used_at is None

    found = api_key_authenticate(issued.token)
    assert found == stored and found.organisation == alurec
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "rmk_00000000_x",
        lambda t: t.replace("rmk_", "key_"),
        lambda t: "",
        lambda t: "rmk__",
    ],
)
def test_wrong_tokens_are_refused(alurec, mangle):
    issued = api_key_issue(organisation=alurec, name="mes")
    assert api_key_authenticate(mangle(issued.token)) is None


def test_revoked_key_is_refused(alurec):
    issued = api_key_issue(organisation=alurec, name="mes")
    api_key_revoke(api_key=issued.api_key)
    assert api_key_authenticate(issued.token) is None


def test_commands_create_organisation_user_and_key_and_revoke_it(db):
    out = io.StringIO()
    call_command("create_organisation", "alurec", "Alurec Recycling", "--role", "recycler", stdout=out)
    call_command(
        "create_user", "alice", "--org", "alurec", "--password", "s3cret-melt", "--staff", stdout=out
    )
    call_command("create_api_key", "alurec", "--name", "mes", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip().splitlines()[-1]
    api_key = api_key_authenticate(token)
    assert api_key is not None and api_key.organisation.slug == "alurec"
    call_command("revoke_api_key", api_key.prefix, stdout=out)
    assert api_key_authenticate(token) is None


def test_unknown_roles_and_duplicate_slugs_are_refused(db):
    with pytest.raises(DomainError) as caught:
        organisation_create(slug="x", name="X", roles=["smelter"])
    assert list(caught.value.errors) == ["roles"]
    organisation_create(slug="x", name="X", roles=["recycler"])
    with pytest.raises(DomainError) as caught:
        organisation_create(slug="x", name="X again", roles=["recycler"])
    assert caught.value.code == "duplicate"
    with pytest.raises(CommandError, match="no organisation"):
        call_command("create_api_key", "nobody", stdout=io.StringIO())
