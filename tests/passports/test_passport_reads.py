"""A passport reads the lot's own step, never its upstream: the same queries and the same short
list of entries however long the history behind the lot (home scrap remelted daily puts every
earlier melt upstream of a wheel)."""

import pytest

from ledger.models import Lot
from passports.selectors import passport
from passports.services import rollup_run
from tests.ledger.test_trace import chain


@pytest.mark.parametrize("steps", [3, 30])
def test_a_passport_lists_its_own_step_in_the_same_queries_at_any_depth(
    cast, django_assert_num_queries, steps
):
    chain(cast["alurec"], steps, f"C{steps}")
    rollup_run()
    part = Lot.objects.get(code=f"C{steps}-L{steps - 1}-P")  # a run's wheel, from an ingot lot
    ingot = Lot.objects.get(code=f"C{steps}-L{steps - 2}")
    # versions, pending roll-ups, the step's entries, the factors its document is written with
    with django_assert_num_queries(4):
        shown = passport(part)
    assert shown["status"] == "current" and shown["footprint"]["lot"] == part.code
    assert [(entry["seq"], entry["type"]) for entry in shown["entries"]] == [
        (ingot.made_by_id, "ingots.cast"),
        (part.made_by_id, "parts.produced"),
    ]
    with django_assert_num_queries(3):  # the page's passport: no entries
        assert passport(part, entries=False)["entries"] == []
