"""Failed authentication is throttled: API keys per source address and per key prefix, sign-ins
per address and per username; 429 with Retry-After, counted in the shared cache, and a
throttled attempt never runs the password hasher or looks the key up."""

import os
import uuid
from unittest import mock

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import throttle
from accounts.services import api_key_issue
from tests.api.support import assert_problem

LOTS = "/api/v1/lots/"


def _get(token: str, address: str = "203.0.113.7"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(LOTS)


def _wrong(token: str) -> str:
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


@override_settings(AUTH_FAILURES_PER_KEY="3/m", AUTH_FAILURES_PER_ADDRESS="100/m")
def test_wrong_secrets_for_a_key_get_429_but_the_right_key_still_works(alurec):
    token = api_key_issue(organisation=alurec, name="mes").token
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # spread: the prefix counts
        assert_problem(_get(_wrong(token), address), 401)
    response = _get(_wrong(token), "203.0.113.4")
    body = assert_problem(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "this key" in body["detail"]
    # Prefixes are public (they are in every entry's header): the partner is not locked out.
    assert _get(token, "203.0.113.4").status_code == 200


@override_settings(AUTH_FAILURES_PER_ADDRESS="3/m", AUTH_FAILURES_PER_KEY="100/m")
def test_an_address_at_its_limit_is_refused_before_any_key_is_looked_up(alurec):
    token = api_key_issue(organisation=alurec, name="mes").token
    for _ in range(3):
        assert_problem(_get(f"rmk_{uuid.uuid4().hex[:8]}_guess"), 401)
    assert_problem(_get("not even a token"), 429)
    with mock.patch("accounts.api.authentication.api_key_authenticate") as lookup:
        response = _get(token)
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    lookup.assert_not_called()
    assert _get(token, "198.51.100.9").status_code == 200  # another address is not concerned


@pytest.fixture
def bob(wheelworks):
    from accounts.services import user_create

    return user_create(username="bob", organisation=wheelworks, password="bob-casts-wheels", is_staff=True)


@pytest.mark.parametrize("url", ["/admin/login/", "/accounts/login/"])
@override_settings(LOGIN_FAILURES_PER_USERNAME="3/10m", LOGIN_FAILURES_PER_ADDRESS="100/10m")
def test_failed_sign_ins_for_a_username_are_throttled_without_running_the_hasher(client, bob, url):
    for _ in range(3):
        response = client.post(url, {"username": "bob", "password": "wrong"})
        assert response.status_code == 200 and b"correct username and password" in response.content
    hasher = PBKDF2PasswordHasher
    with (
        mock.patch.object(hasher, "verify", wraps=hasher().verify) as verify,
        mock.patch.object(hasher, "encode", wraps=hasher().encode) as encode,
    ):
        response = client.post(url, {"username": "BOB", "password": "bob-casts-wheels"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "Too many failed sign-ins" in response.content.decode()
    assert verify.call_count == encode.call_count == 0  # no password was checked
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURES_PER_ADDRESS="2/10m", LOGIN_FAILURES_PER_USERNAME="100/10m")
def test_failed_sign_ins_from_an_address_are_throttled_whatever_the_username(client, bob):
    client.post("/admin/login/", {"username": "carol", "password": "x"})
    client.post("/admin/login/", {"username": "dave", "password": "x"})
    right = {"username": "bob", "password": "bob-casts-wheels"}
    assert client.post("/admin/login/", right).status_code == 429
    other = type(client)(REMOTE_ADDR="198.51.100.20")
    response = other.post("/admin/login/", right)
    assert response.status_code == 302  # signed in from elsewhere


@override_settings(TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_address_it_saw_counts():
    request = mock.Mock(META={"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"})
    assert throttle.client_address(request) == "203.0.113.5"  # what our proxy appended; 1.2.3.4 is forgeable


REDIS = os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.skipif(not REDIS.startswith("redis://"), reason="needs a real Redis (CELERY_BROKER_URL)")
def test_two_processes_count_together_through_redis(alurec):
    prefix = f"remelt-test-{uuid.uuid4().hex[:8]}"
    redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": prefix,
    }
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches |= {"web-1": redis_cache, "web-2": dict(redis_cache)}  # two clients, like two processes
    token = api_key_issue(organisation=alurec, name="mes").token
    with override_settings(CACHES=caches, AUTH_FAILURES_PER_KEY="2/m", AUTH_FAILURES_PER_ADDRESS="100/m"):
        with override_settings(RATELIMIT_USE_CACHE="web-1"):
            assert_problem(_get(_wrong(token)), 401)
            assert_problem(_get(_wrong(token)), 401)
        with override_settings(RATELIMIT_USE_CACHE="web-2"):
            assert_problem(_get(_wrong(token)), 429)
    # The counters expire with their window (a minute): nothing to clean up in Redis.


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
)
def test_a_cache_that_is_down_fails_open(alurec):
    token = api_key_issue(organisation=alurec, name="mes").token
    assert _get(token).status_code == 200  # the per-key request throttle fails open too
    assert_problem(_get(_wrong(token)), 401)
