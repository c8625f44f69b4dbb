"""Every API authentication yields one Principal: organisation, actor string and viewer."""

import pytest
from rest_framework.test import APIRequestFactory

from accounts.api.authentication import ApiKeyAuthentication, StaffSessionAuthentication
from accounts.principal import Principal, principal_of
from accounts.services import api_key_issue, user_create


def test_an_api_key_gives_its_organisations_principal(alurec):
    issued = api_key_issue(organisation=alurec, name="mes")
    request = APIRequestFactory().get("/api/v1/lots/", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    user, principal = ApiKeyAuthentication().authenticate(request)
    assert principal == Principal.of_api_key(issued.api_key)
    assert principal.organisation == alurec
    assert principal.actor == f"apikey:{issued.api_key.prefix}"
    assert (principal.viewer.organisation_id, principal.viewer.sees_everything) == (alurec.pk, False)
    assert user.is_authenticated and user.username == principal.actor and user.organisation == alurec


def test_an_auditors_key_sees_everything(certa):
    issued = api_key_issue(organisation=certa, name="audit")
    assert Principal.of_api_key(issued.api_key).viewer.sees_everything


def test_a_staff_session_gives_the_users_principal(alice, alurec):
    request = APIRequestFactory().get("/api/v1/lots/")
    request._request = request
    request.user = alice
    request._dont_enforce_csrf_checks = True
    user, principal = StaffSessionAuthentication().authenticate(request)
    assert user == alice
    assert principal == Principal(
        organisation=alurec, actor="user:alice", viewer=Principal.of_user(alice).viewer
    )
    assert principal.viewer.organisation_id == alurec.pk


def test_a_superuser_without_organisation_sees_everything(db):
    ops = user_create(username="ops", organisation=None, password=None, is_staff=True)
    ops.is_superuser = True
    principal = Principal.of_user(ops)
    assert principal.organisation is None and principal.viewer.sees_everything


def test_an_authentication_that_returns_no_principal_is_a_programming_error():
    class Request:
        auth = object()

    with pytest.raises(TypeError, match="not a Principal"):
        principal_of(Request())
