"""The ledger's RFC 6962 Merkle tree in the database: kept up to date by appends, read in O(log n).

The leaves are the entries' hashes (leaf i is entry seq i + 1). Every perfect subtree of two or
more leaves is a `TreeNode` row, written by the append that completes it, in the same
transaction; a leaf is read from its entry. Perfect subtrees never change once complete, so the
root of any earlier size and every proof come from the same rows (see `remelt_verify.merkle`), and a
root or a proof costs a constant number of queries, each reading O(log n) rows.

`tree_verify` recomputes every stored node from the entries; `entries_root` recomputes a root
without reading the stored tree at all, which is what checking a partner's checkpoint needs.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction
from remelt_verify import merkle
from remelt_verify.chain import Problem

from ledger.models import Entry, LedgerHead, TreeNode
from ledger.rows import rows_insert

STREAM_CHUNK = 5000
VERIFY_CHUNK = 1 << 14  # leaves per comparison with the stored nodes
_PLACEHOLDER = bytes(merkle.HASH_SIZE)

Node = tuple[int, int, bytes]  # (level, index, hash)
NODE_FIELDS = ("level", "index", "hash")


class TreeIncomplete(RuntimeError):
    """The stored tree lacks a node it should have: it was damaged or appends bypassed it."""


def completed_nodes(start: int, leaves: Sequence[bytes], known: dict[tuple[int, int], bytes]) -> list[Node]:
    """The nodes (level >= 1) completed by appending `leaves` to a tree of `start` leaves.

    Leaf i completes its parent when it is a right child (i odd), that parent completes its own
    parent when it is a right child, and so on up. The left siblings that lie before `start`
    must be in `known` (see `frontier_needed`); the ones made by this batch are added to it.
    """
    nodes: list[Node] = []
    for offset, leaf in enumerate(leaves):
        level, index, node = 0, start + offset, leaf
        known[(0, index)] = leaf
        while index & 1:
            try:
                left = known[(level, index - 1)]
            except KeyError:
                raise TreeIncomplete(f"the stored tree has no node {level}/{index - 1}") from None
            level, index, node = level + 1, index >> 1, merkle.node_hash(left, node)
            known[(level, index)] = node
            nodes.append((level, index, node))
    return nodes


def frontier_needed(start: int, count: int) -> list[tuple[int, int]]:
    """The stored nodes (level >= 1) that appending `count` leaves to `start` leaves merges with.

    They are the perfect subtrees on the right edge of the old tree (one per set bit of
    `start`) whose parent the new leaves complete; a single append needs none half the time.
    """
    needed = []
    for level in range(1, start.bit_length()):
        if start >> level & 1 and ((start >> (level + 1)) + 1) << (level + 1) <= start + count:
            needed.append((level, (start >> level) - 1))
    return needed


def _flat(rows: Iterable[tuple]) -> list:
    return [value for row in rows for value in row]


def tree_completed(*, start: int, last_hash: str, hashes: Sequence[str]) -> list[Node]:
    """The nodes that entries start + 1 … (hashes, hex) complete, for the append to store.

    Runs under the head row's lock, inside the append's transaction: at most one read (the
    old right edge, only when the new leaves merge with it). A batch of n entries completes
    about n nodes; a single append, one on average.
    """
    leaves = [bytes.fromhex(value) for value in hashes]
    known = _fetch_nodes(frontier_needed(start, len(leaves)))
    if start:
        known[(0, start - 1)] = bytes.fromhex(last_hash)  # the last leaf is the head's hash
    return completed_nodes(start, leaves, known)


def tree_extend(*, start: int, last_hash: str, hashes: Sequence[str]) -> None:
    """Store the nodes that entries start + 1 … complete (appends store them with the entries)."""
    rows_insert(TreeNode, NODE_FIELDS, tree_completed(start=start, last_hash=last_hash, hashes=hashes))


def _fetch_nodes(wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Read the given nodes in at most two queries: leaves from the entries, the rest from the tree."""
    wanted = set(wanted)
    leaves = sorted(index + 1 for level, index in wanted if level == 0)
    inner = sorted(key for key in wanted if key[0] > 0)
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        for seq, value in Entry.objects.filter(seq__in=leaves).values_list("seq", "hash"):
            found[(0, seq - 1)] = bytes.fromhex(value)
    if inner:
        # Plain SQL: the ORM's composite-key IN costs more to build than the query takes to run.
        where = " OR ".join(['(level = %s AND "index" = %s)'] * len(inner))
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT level, "index", hash FROM ledger_tree_node WHERE {where}', _flat(inner))
            found.update(((level, index), bytes(value)) for level, index, value in cursor.fetchall())
    return found


def _read(compute: Callable[[merkle.GetNode], object]):
    """Run a `remelt_verify.merkle` computation against the stored tree with one batched read.

    Which nodes a root or proof reads depends only on the sizes, never on the hashes, so a
    first run with placeholders finds them, one read fetches them all, and a second run uses them.
    """
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return _PLACEHOLDER

    compute(record)
    found = _fetch_nodes(wanted)

    def get_node(level: int, index: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:
            raise TreeIncomplete(f"the stored tree has no node {level}/{index}") from None

    return compute(get_node)


def tree_size() -> int:
    """How many leaves the tree has: the ledger's length."""
    return LedgerHead.objects.get(pk=1).seq


def tree_root(size: int) -> bytes:
    """MTH of the first `size` entries, from the stored tree (size must not exceed the ledger)."""
    return _read(lambda get_node: merkle.subtree_root(0, size, get_node))


def tree_inclusion_proof(index: int, size: int) -> list[bytes]:
    """Audit path of leaf `index` (entry seq index + 1) in the tree of the first `size` entries."""
    return _read(lambda get_node: merkle.inclusion_proof(index, size, get_node))


def tree_inclusion_proofs(indices: Iterable[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths of many leaves in the tree of `size` entries, with one batched read."""
    indices = sorted(set(indices))
    return _read(lambda get_node: {index: merkle.inclusion_proof(index, size, get_node) for index in indices})


def tree_consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    """Proof that the tree of `new_size` entries extends the tree of `old_size` entries."""
    return _read(lambda get_node: merkle.consistency_proof(old_size, new_size, get_node))


def tree_root_and_inclusion_proof(index: int, size: int) -> tuple[bytes, bytes, list[bytes]]:
    """(leaf, root, audit path) in one batched read: what the inclusion-proof API returns."""

    def compute(get_node):
        return (
            get_node(0, index),
            merkle.subtree_root(0, size, get_node),
            merkle.inclusion_proof(index, size, get_node),
        )

    return _read(compute)


def tree_roots_and_consistency_proof(old_size: int, new_size: int) -> tuple[bytes, bytes, list[bytes]]:
    """(old root, new root, consistency proof) in one batched read."""

    def compute(get_node):
        return (
            merkle.subtree_root(0, old_size, get_node),
            merkle.subtree_root(0, new_size, get_node),
            merkle.consistency_proof(old_size, new_size, get_node),
        )

    return _read(compute)


# --- recomputing from the entries, trusting no stored node ---------------------------------------


class CompactRange:
    """The perfect subtrees covering leaves [0, size), largest first: a root in O(log n) memory."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (level, hash)

    def append(self, leaf: bytes) -> list[Node]:
        """Add the next leaf; returns the nodes (level >= 1) it completes, lowest first."""
        index, level, node = self.size, 0, leaf
        completed = []
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            level, node = level + 1, merkle.node_hash(left, node)
            completed.append((level, index >> level, node))
        self.stack.append((level, node))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        root = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            root = merkle.node_hash(left, root)
        return root


def _entry_hashes(limit: int | None = None):
    rows = Entry.objects.order_by("seq")
    if limit is not None:
        rows = rows.filter(seq__lte=limit)
    return rows.values_list("seq", "hash").iterator(chunk_size=STREAM_CHUNK)


def entries_root(size: int) -> tuple[int, bytes]:
    """(entries read, root) of the first `size` entries, from their stored hashes in one pass.

    Reads no stored node, so a rewritten tree cannot hide a rewritten chain. Stops early at a
    gap in seq; the caller compares the count with `size`.
    """
    tree = CompactRange()
    for seq, value in _entry_hashes(size):
        if seq != tree.size + 1:
            break
        tree.append(bytes.fromhex(value))
    return tree.size, tree.root()


def tree_backfill(entry_model=Entry, node_model=TreeNode, *, batch: int = STREAM_CHUNK) -> int:
    """Store every node the entries complete that is not stored yet; returns how many were new.

    One streaming pass in constant memory. Builds the tree of a ledger that predates it
    (migration 0005 passes its historical models) and repairs one whose appends bypassed
    `tree_extend`. Stored nodes are left as they are: `tree_verify` judges them.
    """
    tree = CompactRange()
    nodes: list = []
    before = node_model.objects.count()
    rows = entry_model.objects.order_by("seq").values_list("seq", "hash").iterator(chunk_size=batch)
    for seq, value in rows:
        if seq != tree.size + 1:
            raise TreeIncomplete(f"seq {tree.size + 1} is missing: the tree stops before it")
        nodes.extend(
            node_model(level=lvl, index=idx, hash=h) for lvl, idx, h in tree.append(bytes.fromhex(value))
        )
        if len(nodes) >= batch:
            node_model.objects.bulk_create(nodes, ignore_conflicts=True)
            nodes = []
    node_model.objects.bulk_create(nodes, ignore_conflicts=True)
    return node_model.objects.count() - before


@dataclass(frozen=True)
class TreeReport:
    """What tree verification found: the number of nodes checked, or the first problem."""

    nodes: int
    problem: Problem | None


def tree_verify() -> TreeReport:
    """Recompute every stored node from the entries' hashes and compare, in bounded memory.

    Walks the entries in chunks of VERIFY_CHUNK leaves; for each chunk one query reads the
    stored nodes that its leaves complete. A problem names the entry that completes the first
    bad or missing node. (Stray nodes past the end, left by cutting off the tail, are not
    looked for: the append that reaches them fails on the primary key, and `--head` or a
    checkpoint catches the cut itself.)
    """
    tree = CompactRange()
    expected: dict[tuple[int, int], tuple[int, bytes]] = {}  # node -> (completing seq, hash)
    checked = 0
    chunk_start = 0
    for seq, value in _entry_hashes():
        if seq != tree.size + 1:
            break  # a gap: chain verification reports it
        for level, index, node in tree.append(bytes.fromhex(value)):
            expected[(level, index)] = (seq, node)
        if tree.size - chunk_start == VERIFY_CHUNK:
            problem = _compare(chunk_start, tree.size, expected)
            if problem:
                return TreeReport(checked, problem)
            checked += len(expected)
            expected.clear()
            chunk_start = tree.size
    problem = _compare(chunk_start, tree.size, expected)
    return TreeReport(checked + len(expected), problem)


def _completed_between(start: int, end: int) -> models.Q | None:
    """Nodes completed by leaves [start, end): (i + 1) * 2**level in (start, end]."""
    query = None
    for level in range(1, end.bit_length()):
        low, high = -(-(start + 1) >> level) - 1, (end >> level) - 1
        if low <= high:
            term = models.Q(level=level, index__gte=low, index__lte=high)
            query = term if query is None else query | term
    return query


def _compare(start: int, end: int, expected: dict[tuple[int, int], tuple[int, bytes]]) -> Problem | None:
    query = _completed_between(start, end)
    stored = {}
    if query is not None:
        rows = TreeNode.objects.filter(query).values_list("level", "index", "hash")
        stored = {(level, index): bytes(value) for level, index, value in rows}
    problems = []
    for key, (seq, node) in expected.items():
        found = stored.get(key)
        if found != node:
            got = "missing" if found is None else found.hex()
            problems.append((seq, key, f"node {key[0]}/{key[1]} is {got}, the entries give {node.hex()}"))
    if not problems:
        return None
    seq, _, detail = min(problems)
    return Problem(seq, "tree", detail)


# --- the benchmark's fixture ----------------------------------------------------------------------


def tree_fill_synthetic(count: int) -> None:
    """Benchmark only (PostgreSQL): fill an EMPTY ledger with `count` fake entries and their tree.

    Entry seq g gets the hash SHA-256(0x00 || g as 8 bytes) and a 300-byte placeholder header
    and payload, so the tables have about their real size but the chain does not verify: use a
    throw-away database. The tree is computed by the database, level by level, with the RFC 6962
    node formula; `tree_verify` checks it like any other. A million entries take seconds, so
    `tree_root` and the proofs can be timed at that size without a million appends.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("tree_fill_synthetic runs on PostgreSQL only")
    if tree_size() != 0:
        raise RuntimeError("tree_fill_synthetic needs an empty ledger")
    filler = b"x" * 300
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SYNTHETIC_ENTRIES, [filler, filler, count])
        cursor.execute(_SYNTHETIC_LEVEL_1)
        for level in range(2, count.bit_length()):
            cursor.execute(_SYNTHETIC_LEVEL, [level, level - 1])
        cursor.execute(
            "UPDATE ledger_head SET seq = %s, hash = (SELECT hash FROM ledger_entry WHERE seq = %s)",
            [count, count],
        )


_SYNTHETIC_ENTRIES = r"""
INSERT INTO ledger_entry
    (seq, type, actor, occurred_at, recorded_at, prev_hash, hash, payload_sha256, header, payload)
SELECT g, 'bench.synthetic', 'system', now(), now(),
    CASE WHEN g = 1 THEN repeat('0', 64) ELSE encode(sha256('\x00'::bytea || int8send(g - 1)), 'hex') END,
    encode(sha256('\x00'::bytea || int8send(g)), 'hex'), repeat('0', 64), %s, %s
FROM generate_series(1, %s) AS g
"""
_SYNTHETIC_LEVEL_1 = r"""
INSERT INTO ledger_tree_node (level, "index", hash)
SELECT 1, (l.seq - 1) / 2, sha256('\x01'::bytea || decode(l.hash, 'hex') || decode(r.hash, 'hex'))
FROM ledger_entry l JOIN ledger_entry r ON r.seq = l.seq + 1
WHERE l.seq % 2 = 1
"""
_SYNTHETIC_LEVEL = r"""
INSERT INTO ledger_tree_node (level, "index", hash)
SELECT %s, l."index" / 2, sha256('\x01'::bytea || l.hash || r.hash)
FROM ledger_tree_node l JOIN ledger_tree_node r ON r.level = l.level AND r."index" = l."index" + 1
WHERE l.level = %s AND l."index" %% 2 = 0
"""
