"""Concurrent writers queue on the head row: no fork, no gap."""

import threading

import pytest
from django.db import connection

from ledger.models import Entry
from ledger.selectors import chain_verify
from tests.factories import notes

THREADS = 16
APPENDS = 100


@pytest.mark.postgres
def test_sixteen_writers_leave_one_gapless_verified_chain(transactional_db):
    errors = []
    start = threading.Barrier(THREADS)

    def writer():
        try:
            start.wait()
            for _ in range(APPENDS):
                notes(1)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * APPENDS + 1))
    report = chain_verify()
    assert report.ok, report.problem
    assert report.count == THREADS * APPENDS
