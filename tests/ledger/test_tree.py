"""The stored Merkle tree: appends keep it equal to the tree of the entries' hashes, reads are
O(log n), verification finds a damaged node, and the database keeps it append-only."""

import importlib
import threading
import uuid

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from remelt_verify import merkle

from ledger.append_only import app_role_grants
from ledger.models import Entry, LedgerHead, TreeNode
from ledger.tree import (
    TreeIncomplete,
    completed_nodes,
    entries_root,
    frontier_needed,
    tree_consistency_proof,
    tree_fill_synthetic,
    tree_inclusion_proof,
    tree_root,
    tree_root_and_inclusion_proof,
    tree_roots_and_consistency_proof,
    tree_verify,
)
from tests.factories import notes
from tests.support import append_only_suspended

BATCHES = [1, 1, 2, 3, 1, 5, 8, 1, 13, 2, 1, 1, 21, 4, 30, 1, 7]  # 101 entries in 17 appends


def leaves() -> list[bytes]:
    return [bytes.fromhex(value) for value in Entry.objects.order_by("seq").values_list("hash", flat=True)]


def stored_nodes() -> dict[tuple[int, int], bytes]:
    return {(level, index): bytes(value) for level, index, value in TreeNode.objects.values_list()}


def memory_nodes(tree: merkle.MemoryTree) -> dict[tuple[int, int], bytes]:
    return {
        (level, index): node
        for level, nodes in enumerate(tree.levels)
        if level
        for index, node in enumerate(nodes)
    }


class Recording(dict):
    """A dict of known nodes that remembers which were read."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.read: set = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_an_append_reads_exactly_the_right_edge_it_merges_with():
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(130)]
    full = merkle.MemoryTree(hashes)
    for start in range(0, 70):
        for count in range(1, 61):
            needed = frontier_needed(start, count)
            known = Recording({key: full.get_node(*key) for key in needed})
            if start:
                known[(0, start - 1)] = hashes[start - 1]
            nodes = completed_nodes(start, hashes[start : start + count], known)
            expected = {
                key: node
                for key, node in memory_nodes(merkle.MemoryTree(hashes[: start + count])).items()
                if ((key[1] + 1) << key[0]) > start
            }
            assert {(level, index): node for level, index, node in nodes} == expected, (start, count)
            assert set(needed) <= known.read, f"fetched a node that was not needed: {start}, {count}"


def test_a_missing_right_edge_node_is_an_error_not_a_wrong_tree():
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(8)]
    with pytest.raises(TreeIncomplete, match="no node 1/2"):
        completed_nodes(7, hashes[7:], {(0, 6): hashes[6]})


def test_after_appends_in_batches_the_stored_tree_is_the_tree_of_the_entries(db):
    for size in BATCHES:
        notes(size)
    hashes = leaves()
    assert len(hashes) == sum(BATCHES)
    reference = merkle.MemoryTree(hashes)
    assert stored_nodes() == memory_nodes(reference)
    for size in range(len(hashes) + 1):
        assert tree_root(size) == merkle.root_from_leaves(hashes[:size]), size
    assert tree_verify().problem is None
    assert entries_root(len(hashes)) == (len(hashes), reference.root())


def test_proofs_from_the_stored_tree_are_the_reference_proofs_and_verify(db):
    for size in BATCHES[:9]:
        notes(size)
    hashes = leaves()
    reference = merkle.MemoryTree(hashes)
    for size in range(1, len(hashes) + 1):
        root = reference.root(size)
        for index in range(size):
            proof = tree_inclusion_proof(index, size)
            assert proof == reference.inclusion_proof(index, size)
            assert merkle.verify_inclusion(hashes[index], index, size, proof, root)
        for old_size in range(1, size + 1):
            proof = tree_consistency_proof(old_size, size)
            assert proof == reference.consistency_proof(old_size, size)
            assert merkle.verify_consistency(old_size, size, proof, reference.root(old_size), root)
    assert tree_root_and_inclusion_proof(4, 9) == (
        hashes[4],
        reference.root(9),
        reference.inclusion_proof(4, 9),
    )
    assert tree_roots_and_consistency_proof(3, 9) == (
        reference.root(3),
        reference.root(9),
        reference.consistency_proof(3, 9),
    )


@pytest.mark.parametrize("entries", [100, 1000])
def test_a_root_or_a_proof_takes_the_same_few_queries_at_any_size(db, django_assert_max_num_queries, entries):
    notes(entries - 1)
    notes(1)
    size = entries - 1  # an odd size, so the right edge is ragged
    with django_assert_max_num_queries(2):
        tree_root(size)
    with django_assert_max_num_queries(2):
        tree_root_and_inclusion_proof(size // 3, size)
    with django_assert_max_num_queries(2):
        tree_roots_and_consistency_proof(size // 3 + 1, size)


def test_an_append_costs_at_most_two_queries_more(db):
    notes(1022)
    with CaptureQueriesContext(connection) as plain:
        notes(1)  # leaf 1022 is a left child: it completes nothing, the tree costs no query
    with CaptureQueriesContext(connection) as merging:
        notes(1)  # leaf 1023 completes ten nodes, merging with nine stored ones
    # One read of the right edge; on SQLite one more statement to insert the nodes, which on
    # PostgreSQL go in with the entry and the head in a single statement.
    assert len(merging) == len(plain) + (1 if connection.vendor == "postgresql" else 2)


def test_the_tree_is_built_for_entries_that_predate_it(db):
    notes(37)
    expected = stored_nodes()
    with append_only_suspended() as cursor:
        cursor.execute("DELETE FROM ledger_tree_node")
    assert tree_verify().problem.reason == "tree"
    migration = importlib.import_module("ledger.migrations.0005_tree_append_only")
    migration.build_tree(apps, None)
    assert stored_nodes() == expected


def test_verification_names_the_entry_that_completes_a_changed_node(db):
    notes(20)
    with append_only_suspended() as cursor:
        # Node 2/2 covers leaves 8..11; leaf 11 (seq 12) completes it.
        cursor.execute('UPDATE ledger_tree_node SET hash = %s WHERE level = 2 AND "index" = 2', [bytes(32)])
    problem = tree_verify().problem
    assert (problem.seq, problem.reason) == (12, "tree")
    assert "node 2/2 is 0000" in problem.detail


def test_verification_finds_a_missing_node_beyond_the_first_chunk(db, monkeypatch):
    monkeypatch.setattr("ledger.tree.VERIFY_CHUNK", 8)  # several chunks over 40 entries
    notes(40)
    assert tree_verify().problem is None
    with append_only_suspended() as cursor:
        cursor.execute('DELETE FROM ledger_tree_node WHERE level = 1 AND "index" = 15')
    problem = tree_verify().problem
    assert (problem.seq, problem.reason) == (32, "tree")
    assert "node 1/15 is missing" in problem.detail


def test_an_append_refuses_to_grow_a_damaged_tree(db):
    notes(6)
    with append_only_suspended() as cursor:
        cursor.execute('DELETE FROM ledger_tree_node WHERE level = 1 AND "index" = 2')
    # A failed append takes its transaction down (no savepoint of its own): the caller's goes.
    with pytest.raises(TreeIncomplete), transaction.atomic():
        notes(2)  # leaf 7 merges with node 1/2
    assert LedgerHead.objects.get().seq == 6
    assert Entry.objects.count() == 6


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_tree_node SET hash = hash WHERE level = 1",
        "DELETE FROM ledger_tree_node WHERE level = 1",
    ],
)
def test_raw_update_and_delete_of_tree_nodes_are_rejected(db, statement):
    notes(4)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert TreeNode.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_tree_node SET hash = hash",
        "DELETE FROM ledger_tree_node",
        "TRUNCATE ledger_tree_node",
        "UPDATE ledger_checkpoint SET note = ''",
        "TRUNCATE ledger_checkpoint",
        "ALTER TABLE ledger_tree_node DISABLE TRIGGER ALL",
    ],
)
def test_least_privilege_role_cannot_change_the_tree_or_the_checkpoints(db, statement):
    notes(4)
    role = f"remelt_app_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        for grant in app_role_grants(role):
            cursor.execute(grant)
        with transaction.atomic():
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(
                'INSERT INTO ledger_tree_node (level, "index", hash) VALUES (40, 0, %s)', [bytes(32)]
            )
            transaction.set_rollback(True)  # it may insert (that is how appends grow the tree)
        with pytest.raises(DatabaseError, match="permission denied|must be owner"), transaction.atomic():
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(statement)
    assert TreeNode.objects.count() == 3


@pytest.mark.postgres
def test_concurrent_writers_grow_one_correct_tree(transactional_db):
    threads, appends = 8, 25
    errors = []
    start = threading.Barrier(threads)

    def writer(number):
        try:
            start.wait()
            for i in range(appends):
                notes(1 + (number + i) % 4)  # batches of 1 to 4, interleaved
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    hashes = leaves()
    assert len(hashes) == sum(1 + (n + i) % 4 for n in range(threads) for i in range(appends))
    assert stored_nodes() == memory_nodes(merkle.MemoryTree(hashes))
    for size in range(len(hashes) + 1):
        assert tree_root(size) == merkle.root_from_leaves(hashes[:size])
    assert tree_verify().problem is None


@pytest.mark.postgres
def test_the_benchmarks_synthetic_ledger_has_a_correct_tree(db):
    tree_fill_synthetic(1000)
    hashes = leaves()
    assert len(hashes) == 1000 == LedgerHead.objects.get().seq
    assert stored_nodes() == memory_nodes(merkle.MemoryTree(hashes))
    assert tree_verify().problem is None
    notes(3)  # appends go on from it
    assert tree_root(1003) == merkle.root_from_leaves(leaves())
    with pytest.raises(RuntimeError, match="empty ledger"):
        tree_fill_synthetic(10)
