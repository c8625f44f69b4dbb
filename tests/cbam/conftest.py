"""Installations of the cast, registered through the ledger's services."""

import pytest

from tests.api.conftest import anonymous, client_for, keys, loop  # noqa: F401 - fixtures shared with the API tests
from tests.ledger.test_events import record

HN1 = {
    "code": "HN-1",
    "name": "Huanan remelt plant 1",
    "address": "8 Shishan Road, Nanhai, Foshan, Guangdong",
    "country": "CN",
    "unlocode": "CNFOS",
    "coordinates": {"latitude": "23.0215", "longitude": "113.1214"},
    "registry_id": "CN-ALU-000123",
    "furnaces": [{"code": "HN-1-RF1", "name": "reverberatory 60 t"}, {"code": "HN-1-RF2"}],
    "casting_lines": [{"code": "HN-1-CL1", "name": "ingot line"}],
}


def register(org, data=None, *, occurred_at=None, **changes):
    return record(org, "installation.registered", {**(data or HN1), **changes}, occurred_at=occurred_at)


@pytest.fixture
def hn1(alurec):
    register(alurec)
    return "HN-1"
