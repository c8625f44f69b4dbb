"""The plain multi-row INSERTs of the append path, and the query counts they keep constant."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.models import LedgerHead, Lot, Process
from ledger.projection import LOT_FACTS
from ledger.rows import rows_insert
from ledger.services import EventInput, events_record
from passports.models import PendingRollup

from .test_events import melt, receive, record


def _processes(alurec, count: int) -> list[int]:
    """`count` entries to hang test processes on (seqs)."""
    first = LedgerHead.objects.get().seq + 1
    for index in range(count):
        receive(alurec, code=f"ROWS-{index}")
    return list(range(first, first + count))


# One row; several (unnest on PostgreSQL); more than one statement holds on SQLite.
@pytest.mark.parametrize("count", [1, 7, 400])
def test_rows_come_back_as_the_orm_reads_them_with_ids_in_order(alurec, count):
    seqs = _processes(alurec, 1)
    when = datetime(2026, 11, 23, 8, 36, 8, 123456, tzinfo=UTC)
    rows = [
        (
            f"ROWS-NEW-{index}",
            "ingot",
            alurec.pk,
            1000 + index,
            1000 + index,
            seqs[0],
            when,
            False,
            "",
            "",
            "A356.2",
            {"Si": "7.0500", "note": ["a", index]},
            "",
            "",
            "",
            False,
            "",
        )
        for index in range(count)
    ]
    names = (
        "code",
        "kind",
        "owner",
        "mass_g",
        "remaining_g",
        "made_by",
        "occurred_at",
        "voided",
    )
    ids = rows_insert(Lot, (*names, *LOT_FACTS), rows, returning="id")
    lots = Lot.objects.in_bulk(ids)
    assert [lots[pk].code for pk in ids] == [row[0] for row in rows]
    for pk, row in zip(ids, rows, strict=True):
        lot = lots[pk]
        assert (lot.kind, lot.owner_id, lot.mass_g, lot.made_by_id, lot.voided, lot.alloy) == (
            "ingot",
            alurec.pk,
            row[3],
            seqs[0],
            False,
            "A356.2",
        )
        assert lot.occurred_at == when
        assert lot.chemistry == row[11]


def test_ignore_conflicts_skips_rows_already_there(alurec):
    seqs = _processes(alurec, 3)
    now = timezone.now()
    PendingRollup.objects.all().delete()
    rows_insert(PendingRollup, ("entry", "created_at"), [(seqs[0], now)])
    rows_insert(PendingRollup, ("entry", "created_at"), [(seq, now) for seq in seqs], ignore_conflicts=True)
    assert sorted(PendingRollup.objects.values_list("entry_id", flat=True)) == seqs


def test_a_conflict_without_ignore_conflicts_is_an_error_and_nothing_is_added(alurec):
    seqs = _processes(alurec, 1)
    process = Process.objects.get(pk=seqs[0])
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        rows_insert(
            Process,
            ("entry", "type", "organisation", "occurred_at", "facts", "voided"),
            [(process.pk, "x", alurec.pk, timezone.now(), {}, False)],
        )


def _run(ingot: str, serials: int, first: int) -> dict:
    return {
        "inputs": [{"lot": ingot, "mass_kg": str(serials * 10 + 1)}],
        "parts": [
            {"serial": f"QC-{first + i:04d}", "mass_kg": "10", "part_number": "AW-17"} for i in range(serials)
        ],
        "internal_scrap": {"code": f"QC-CHIPS-{first}", "mass_kg": "1"},
        "energy": {"electricity_kwh": "600"},
    }


def test_a_part_run_checks_its_serials_in_one_query_however_many(alurec, wheelworks):
    m1 = melt(alurec, [(receive(alurec, mass="20000"), "19000")], "18000")
    cast = {
        "inputs": [{"lot": m1, "mass_kg": "17000"}],
        "outputs": [{"code": "QC-ING", "mass_kg": "17000", "alloy": "A356.2"}],
    }
    record(alurec, "ingots.cast", cast)
    transport = {"distance_km": "5", "mode": "truck"}
    record(alurec, "custody.transferred", {"lots": ["QC-ING"], "to": "wheelworks", "transport": transport})
    counts = []
    for serials, first in ((3, 0), (60, 100)):
        event = EventInput("parts.produced", timezone.now(), _run("QC-ING", serials, first))
        with CaptureQueriesContext(connection) as queries:
            events_record(organisation=wheelworks, actor="user:test", events=[event])
        # The tree's writes vary with the chain's length; the lookups of lots must not vary.
        lookups = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        counts.append(sum('FROM "ledger_lot"' in sql for sql in lookups))
    # The run's inputs, the lots made with them (loaded with their making process), every new code.
    assert counts[0] == counts[1] <= 3
    assert Lot.objects.filter(code__startswith="QC-0").count() == 63


AWKWARD_TEXT = [
    "",
    "NULL",
    "null",
    '"',
    "\\",
    '\\"',
    "'",
    "a,b",
    "{x}",
    " lead",
    "tail ",
    "%s",
    "%(x)s",
    "熔炼批次",
    "\U0001f600",
    "\t\n",
]


def test_arrays_quoted_into_the_text_read_back_as_given(alurec):
    """rows.array_text writes every value of the types it handles so that PostgreSQL's array
    input reads it back exactly, with NULLs, quotes, backslashes, braces and commas."""
    if connection.vendor != "postgresql":
        pytest.skip("array literals are PostgreSQL's")
    from psycopg.types.json import Jsonb

    from ledger.rows import _array

    when = datetime(2026, 11, 23, 8, 36, 8, 123456, tzinfo=UTC)
    columns = [
        (AWKWARD_TEXT + [None], "text"),
        ([0, -1, 2**53 - 1, None], "bigint"),
        ([True, False, None], "boolean"),
        ([when, when.astimezone(timezone.get_fixed_timezone(480)), None], "timestamp with time zone"),
    ]
    with connection.cursor() as cursor:
        for values, db_type in columns:
            cursor.execute(f"SELECT {_array(values, db_type)}")
            assert cursor.fetchone()[0] == values
        documents = [{"Si": "7.05", "note": ['"', "\\", "熔"]}, [], "text", None]
        cursor.execute(f"SELECT {_array([None if d is None else Jsonb(d) for d in documents], 'jsonb')}")
        # Django reads jsonb as text (its fields parse it): parse the elements here.
        assert [None if text is None else json.loads(text) for text in cursor.fetchone()[0]] == documents


def test_arrays_of_one_type_read_back_as_given(alurec):
    """Columns of one type (array_text's joined fast paths): plain and awkward strings, integers,
    booleans, one time repeated and the same instant in two zones, JSON documents with quotes and
    backslashes, all read back exactly."""
    if connection.vendor != "postgresql":
        pytest.skip("array literals are PostgreSQL's")
    from psycopg.types.json import Jsonb

    from ledger.rows import _array

    when = datetime(2026, 11, 23, 8, 36, 8, 123456, tzinfo=UTC)
    plain = [text for text in AWKWARD_TEXT if "\\" not in text and '"' not in text]
    columns = [
        (plain, "text"),
        ([""], "text"),
        (["WH00000001", "WH00000002", "a,b", "{x}"], "text"),
        ([text for text in AWKWARD_TEXT if text is not None], "text"),
        ([0, -1, 2**53 - 1, 7], "bigint"),
        (
            [when] * 3 + [when.astimezone(timezone.get_fixed_timezone(480)), when.replace(microsecond=0)],
            "timestamp with time zone",
        ),
    ]
    with connection.cursor() as cursor:
        for values, db_type in columns:
            cursor.execute(f"SELECT {_array(values, db_type)}")
            assert cursor.fetchone()[0] == values
        cursor.execute(f"SELECT {_array([True, False, True], 'boolean')}")
        assert cursor.fetchone()[0] == [True, False, True]
        documents = [{}, {"Si": "7.05", "note": ['"', "\\", "熔"]}, [], "text", {}]
        cursor.execute(f"SELECT {_array([Jsonb(d) for d in documents], 'jsonb')}")
        assert [json.loads(text) for text in cursor.fetchone()[0]] == documents


def test_rows_update_sets_awkward_text_and_json_exactly(alurec):
    from ledger.rows import rows_update

    seqs = _processes(alurec, 1)
    lots = Lot.objects.filter(made_by_id=seqs[0]).order_by("pk")
    lot = lots.get()
    rows_update(
        Lot, "id", ("grade", "chemistry"), [(lot.pk, AWKWARD_TEXT[3] + AWKWARD_TEXT[4], {"k": AWKWARD_TEXT})]
    )
    lot.refresh_from_db()
    assert (lot.grade, lot.chemistry) == ('"\\', {"k": AWKWARD_TEXT})


def test_any_of_finds_what_in_finds(alurec):
    """`__any_of` (ledger.rows.AnyOf) selects the rows `__in` selects: codes, among them awkward
    text that no lot has (quotes and backslashes take the array's slow path), foreign-key ids,
    and nothing for an empty list."""
    seqs = _processes(alurec, 3)
    awkward = [text for text in AWKWARD_TEXT if text is not None]
    for codes in (["ROWS-0", "ROWS-2", "ROWS-none"], ["ROWS-1", *awkward], awkward):
        expected = set(Lot.objects.filter(code__in=codes).values_list("code", flat=True))
        assert set(Lot.objects.filter(code__any_of=codes).values_list("code", flat=True)) == expected
    assert set(Lot.objects.filter(code__any_of=["ROWS-0", "ROWS-2", "x"]).values_list("code", flat=True)) == {
        "ROWS-0",
        "ROWS-2",
    }
    assert set(Lot.objects.filter(code__any_of=["ROWS-1", *awkward]).values_list("code", flat=True)) == {
        "ROWS-1"
    }
    made = set(Lot.objects.filter(made_by_id__any_of=seqs[1:]).values_list("code", flat=True))
    assert made == {"ROWS-1", "ROWS-2"}
    assert list(Lot.objects.filter(code__any_of=[])) == []
    assert Process.objects.filter(pk__any_of={seqs[0], seqs[2]}).count() == 2
