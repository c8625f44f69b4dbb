"""The cast and the plumbing shared by every test.

The cast of organisations (one per role in the loop):
- scrapco: a scrap supplier, named as the supplier of alurec's receipts; it posts no receipt
  itself (the recycler that weighs the scrap in does), but may hold and pass on lots.
- alurec: the recycler that melts scrap and casts A356.2 ingots (also a wheel maker: some tests
  make its own wheels).
- wheelworks: the wheel maker.
- autofab: the automaker buying wheels.
- certa: an auditor that may read everything.
- outsider: a recycler with no dealings with anyone here (sees nothing of theirs).
Users: alice (alurec staff), bob (wheelworks), carol (certa auditor), ops (operator superuser).
"""

import importlib
import os

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection
from django.test import TransactionTestCase
from django.utils import translation

from accounts.models import Role
from accounts.services import api_key_issue, organisation_create, user_create
from config.celery import app as celery_app
from ledger.models import LedgerHead
from tests.support import TEST_SIGNING_KEY, append_only_suspended

_flush_between_tests = TransactionTestCase._fixture_teardown


def _fixture_teardown_past_triggers(self):
    # A transactional test ends with a flush (TRUNCATE on PostgreSQL, DELETE on SQLite) that
    # the append-only triggers rightly refuse; the test database user may suspend them, as a
    # superuser could in production. The flush also empties the tables that migrations
    # filled (the head row, the default factor set), so they are filled again.
    with append_only_suspended():
        _flush_between_tests(self)
    LedgerHead.objects.get_or_create(pk=1)
    importlib.import_module("passports.migrations.0002_factor_set_cn_2026_1").load(apps, None)
    importlib.import_module("cbam.migrations.0001_initial").load(apps, None)


TransactionTestCase._fixture_teardown = _fixture_teardown_past_triggers

# The live server (browser tests, schemathesis, the demo walks) writes a response's head and
# body in two sends; with Nagle's algorithm on its socket, the body then waits for the
# client's delayed ACK of the head, about 40 ms on Linux, on every request of a kept-alive
# connection (schemathesis's 7,000 requests took 400 s instead of 100 s).
WSGIRequestHandler.disable_nagle_algorithm = True


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    if os.environ.get("CI"):
        pytest.exit("CI is set but the tests are not on PostgreSQL: set DATABASE_URL", returncode=3)
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in the test process; tests/integration starts real workers instead."""
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache (local memory here), which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Chinese leaves its language active in the thread (LocaleMiddleware activates
    it and nothing deactivates it), so a later test calling the services directly would read
    Chinese rule messages; every test starts and ends in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def signer_state(settings, tmp_path):
    """Each test's checkpoint signer remembers only what it signed itself (its state file)."""
    settings.LEDGER_SIGNER_STATE = str(tmp_path / "ledger-signer-state.json")
    return tmp_path / "ledger-signer-state.json"


@pytest.fixture
def ledger_signing_key(settings):
    """Tests run with DEBUG off, where checkpoints need LEDGER_SIGNING_KEY as in production."""
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY
    return TEST_SIGNING_KEY


@pytest.fixture
def cast(db):
    """The organisations of the loop, by slug."""
    roles = {
        "scrapco": [Role.SCRAP_SUPPLIER],
        "alurec": [Role.RECYCLER, Role.WHEEL_MAKER],
        "wheelworks": [Role.WHEEL_MAKER],
        "autofab": [Role.OEM],
        "certa": [Role.AUDITOR],
        "outsider": [Role.RECYCLER],
        "remelt-ops": [Role.OPERATOR],
    }
    return {
        slug: organisation_create(slug=slug, name=slug.replace("-", " ").title(), roles=r)
        for slug, r in roles.items()
    }


@pytest.fixture
def scrapco(cast):
    return cast["scrapco"]


@pytest.fixture
def alurec(cast):
    return cast["alurec"]


@pytest.fixture
def wheelworks(cast):
    return cast["wheelworks"]


@pytest.fixture
def autofab(cast):
    return cast["autofab"]


@pytest.fixture
def certa(cast):
    return cast["certa"]


@pytest.fixture
def outsider(cast):
    return cast["outsider"]


@pytest.fixture
def alice(alurec):
    return user_create(username="alice", organisation=alurec, password="alice-melts-scrap", is_staff=True)


@pytest.fixture
def alurec_key(alurec):
    return api_key_issue(organisation=alurec, name="mes")
