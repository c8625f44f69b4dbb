"""Merkle tree benchmark: roots and proofs at 1,000,000 entries, proof sizes, and the append
rate with the tree maintained beside the rate without it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench_tree .venv/bin/python bench/tree.py [--quick]

Like the other benchmarks it drops, creates and drops again its own database (the name must
contain "bench"). The 1,000,000-entry tree is filled with synthetic leaves
(`ledger.tree.tree_fill_synthetic`), so its chain does not verify; the append rates are
measured first, on a real chain, in the same database.
"""

import random
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import django  # noqa: E402
import rollup  # noqa: E402, F401  (sets up the environment)
from benchdb import create_database, drop_database, machine_facts, server_facts  # noqa: E402

PROOF_TARGET_MS = 10.0
TREE_COST_TARGET = 0.20


def appends_per_second(count: int, batch: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from ledger.services import Draft, entries_append

    started = time.perf_counter()
    for start in range(0, count, batch):
        drafts = [
            Draft(
                type="bench.note",
                organisation=None,
                actor="system",
                occurred_at=timezone.now(),
                data={"n": start + i, "mass_kg": "12.500"},
            )
            for i in range(batch)
        ]
        with transaction.atomic():
            entries_append(drafts=drafts)
    return count / (time.perf_counter() - started)


def append_rates(count: int, batch: int) -> tuple[float, float]:
    """(with the tree, without it): alternating runs, the median of three each."""
    from django.db import transaction

    from ledger.models import Entry, LedgerHead
    from ledger.tree import tree_extend

    with_tree, without = [], []
    for _ in range(3):
        with_tree.append(appends_per_second(count, batch))
        before = LedgerHead.objects.get()
        with mock.patch("ledger.services.tree_completed", return_value=[]):
            without.append(appends_per_second(count, batch))
        with transaction.atomic():  # catch the tree up before the next measured run
            hashes = Entry.objects.filter(seq__gt=before.seq).order_by("seq").values_list("hash", flat=True)
            tree_extend(start=before.seq, last_hash=before.hash, hashes=list(hashes))
    return statistics.median(with_tree), statistics.median(without)


def timings_ms(function, repeats: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(len(runs) * 0.99) - 1]


def main(quick: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql" or "bench" not in db["NAME"]:
        sys.exit("bench/tree.py needs DATABASE_URL=postgres://…/<a database name containing 'bench'>")
    size = 100_000 if quick else 1_000_000
    repeats = 200 if quick else 1000
    create_database(db)
    try:
        call_command("migrate", verbosity=0)
        print(f"remelt Merkle tree benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"{machine_facts()}; PostgreSQL {server_facts()}")
        single_with, single_without = append_rates(300 if quick else 2000, 1)
        batch_with, batch_without = append_rates(2000 if quick else 20000, 100)

        from ledger.tree import (
            tree_fill_synthetic,
            tree_root,
            tree_root_and_inclusion_proof,
            tree_roots_and_consistency_proof,
        )

        drop_database(db)
        create_database(db)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        tree_fill_synthetic(size)
        fill_s = time.perf_counter() - started
        rng = random.Random(7)
        root = timings_ms(lambda: tree_root(rng.randint(1, size)), repeats)
        inclusion = timings_ms(lambda: tree_root_and_inclusion_proof(rng.randrange(size), size), repeats)
        consistency = timings_ms(
            lambda: tree_roots_and_consistency_proof(rng.randint(1, size - 1), size), repeats
        )
        inclusion_len = len(tree_root_and_inclusion_proof(size // 3, size)[2])
        consistency_len = len(tree_roots_and_consistency_proof(size // 3, size)[2])

        rows = [
            (
                "appends with tree, 1/tx",
                f"{single_with:,.0f}/s",
                f"without: {single_without:,.0f}/s",
                f"cost {1 - single_with / single_without:.0%}",
                f"<= {TREE_COST_TARGET:.0%}",
                1 - single_with / single_without <= TREE_COST_TARGET,
            ),
            (
                "appends with tree, 100/tx",
                f"{batch_with:,.0f}/s",
                f"without: {batch_without:,.0f}/s",
                f"cost {1 - batch_with / batch_without:.0%}",
                f"<= {TREE_COST_TARGET:.0%}",
                1 - batch_with / batch_without <= TREE_COST_TARGET,
            ),
            (f"synthetic fill, {size:,} leaves", f"{fill_s:.1f} s", "", "", "(info)", None),
            (
                f"root at random size <= {size:,}",
                f"p50 {root[0]:.2f} ms",
                f"p99 {root[1]:.2f} ms",
                "",
                "(info)",
                None,
            ),
            (
                f"inclusion proof at {size:,}",
                f"p50 {inclusion[0]:.2f} ms",
                f"p99 {inclusion[1]:.2f} ms",
                f"{inclusion_len} hashes, {inclusion_len * 32} B",
                f"p99 <= {PROOF_TARGET_MS:.0f} ms",
                inclusion[1] <= PROOF_TARGET_MS,
            ),
            (
                f"consistency proof to {size:,}",
                f"p50 {consistency[0]:.2f} ms",
                f"p99 {consistency[1]:.2f} ms",
                f"{consistency_len} hashes, {consistency_len * 32} B",
                f"p99 <= {PROOF_TARGET_MS:.0f} ms",
                consistency[1] <= PROOF_TARGET_MS,
            ),
        ]
        widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
        for row in rows:
            verdict = "" if row[5] is None else ("MET" if row[5] else "NOT MET")
            print(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row[:5], widths, strict=True)),
                verdict,
            )
    finally:
        drop_database(db)


if __name__ == "__main__":
    django.setup()
    main(quick="--quick" in sys.argv)
