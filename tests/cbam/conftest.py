"""Installations of the cast, registered through the ledger's services."""

import pytest

from cbam.shapes import INSTALLATION_EXAMPLE
from tests.api.conftest import anonymous, client_for, keys, loop  # noqa: F401 - fixtures shared with the API tests
from tests.ledger.test_events import record

HN1 = INSTALLATION_EXAMPLE  # the API documents the tests' installation as its example


def register(org, data=None, *, occurred_at=None, **changes):
    return record(org, "installation.registered", {**(data or HN1), **changes}, occurred_at=occurred_at)


@pytest.fixture
def hn1(alurec):
    register(alurec)
    return "HN-1"
