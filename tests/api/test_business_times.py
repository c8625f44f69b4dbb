"""Business times (`occurred_at`) are in the years 2000 to 9999 in UTC, so every entry header
writes a four-digit year; anything else is a field error and nothing is written."""

import pytest

from ledger.models import Entry
from tests.api.support import assert_problem, scrap

RANGE = "Business times are in the years 2000 to 9999 (in UTC)."


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00Z",
        "0999-12-31T23:59:59Z",
        "1999-12-31T23:59:59.999999Z",
        "2000-01-01T00:30:00+01:00",  # 1999 in UTC
        "9999-12-31T23:00:00-05:00",  # beyond 9999 in UTC
    ],
)
def test_times_outside_the_years_remelt_records_are_a_field_error(cast, client_for, when):
    body = {"type": "scrap.received", "occurred_at": when, "data": scrap("SCR-OLD")}
    response = client_for("alurec").post("/api/v1/events/", body, format="json")
    assert assert_problem(response, 400, "invalid")["errors"] == {"occurred_at": [RANGE]}
    assert Entry.objects.count() == 0


def test_the_first_moment_of_2000_in_utc_is_recorded_with_a_four_digit_year(cast, client_for):
    body = {"type": "scrap.received", "occurred_at": "1999-12-31T23:30:00-01:00", "data": scrap("SCR-2000")}
    response = client_for("alurec").post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.content
    assert b'"occurred_at":"2000-01-01T00:30:00.000000Z"' in bytes(Entry.objects.get().header)
    assert response.json()["entries"][0]["lots"] == ["SCR-2000"]


def test_the_future_is_refused_with_the_time_in_utc_written_with_z(cast, client_for):
    body = {"type": "scrap.received", "occurred_at": "2999-01-01T01:00:00+01:00", "data": scrap("SCR-F")}
    problem = assert_problem(client_for("alurec").post("/api/v1/events/", body, format="json"), 400, "future")
    assert problem["detail"].startswith("occurred_at 2999-01-01T00:00:00Z is in the future")
