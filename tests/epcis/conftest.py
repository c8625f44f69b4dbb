"""The API cast and loop (tests/api/conftest.py) for the EPCIS tests."""

from tests.api.conftest import anonymous, client_for, keys, loop  # noqa: F401
