"""remelt_verify.merkle against a naive transcription of RFC 6962 §2.1, for every small tree.

The reference below is the RFC's recursive definitions written as literally as possible (MTH,
PATH, PROOF/SUBPROOF), memoised only so that thousands of trees stay fast. Our iterative code,
reading perfect subtrees through get_node, must give the same roots and the same proofs, its
proofs must verify, and every damaged proof must be refused.
"""

import hashlib
import math
from functools import cache

import pytest
from remelt_verify.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaves,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)

MAX_INCLUSION_SIZE = 256
MAX_CONSISTENCY_SIZE = 64
# Every proof element is bit-flipped up to this size; beyond it one element per proof, for time.
FULL_DAMAGE_SIZE = 64

LEAVES = tuple(leaf_hash(f"entry {i}".encode()) for i in range(2 * MAX_INCLUSION_SIZE))
TREE = MemoryTree(LEAVES)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]), straight from RFC 6962 §2.1 (D holds leaf hashes here)."""
    n = end - start
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return LEAVES[start]
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(start, start + k) + ref_mth(start + k, end))


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) of RFC 6962 §2.1.1, m relative to start."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, start, start + k) + [ref_mth(start + k, end)]
    return ref_path(m - k, start + k, end) + [ref_mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of RFC 6962 §2.1.2, m relative to start."""
    n = end - start
    if m == n:
        return [] if b else [ref_mth(start, end)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, start, start + k, b) + [ref_mth(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [ref_mth(start, start + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    return ref_subproof(m, 0, n, True)


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8 % len(changed)] ^= 1 << bit % 8
    return bytes(changed)


def damaged(proof: list[bytes], *, every_element: bool, seed: int) -> list[list[bytes]]:
    """Bit flips, truncations and extensions of a proof; each must be refused."""
    versions = []
    positions = range(len(proof)) if every_element else ([seed % len(proof)] if proof else [])
    for i in positions:
        versions.append(proof[:i] + [flip(proof[i], seed * 7 + i)] + proof[i + 1 :])
    if proof:
        versions += [proof[:-1], proof[1:]]
        versions.append(proof[:-1] + [proof[-1] + b"\x00"])  # a 33-byte hash
    extra = _sha256(b"extra %d" % seed)
    versions += [proof + [extra], [extra] + proof, proof + [b""], proof + [proof[-1] if proof else extra]]
    return versions


def test_roots_match_reference():
    assert EMPTY_ROOT == ref_mth(0, 0) == root_from_leaves([]) == TREE.root(0)
    for n in range(1, MAX_INCLUSION_SIZE + 1):
        expected = ref_mth(0, n)
        assert root_from_leaves(LEAVES[:n]) == expected, n
        assert TREE.root(n) == expected, n  # earlier sizes, read back from the grown tree
        assert MemoryTree(LEAVES[:n]).root() == expected, n


def test_inclusion_proofs_for_every_leaf():
    for n in range(1, MAX_INCLUSION_SIZE + 1):
        root = TREE.root(n)
        for i in range(n):
            proof = TREE.inclusion_proof(i, n)
            assert proof == ref_path(i, 0, n), (i, n)
            assert verify_inclusion(LEAVES[i], i, n, proof, root), (i, n)
            for bad in damaged(proof, every_element=n <= FULL_DAMAGE_SIZE, seed=i + n):
                assert not verify_inclusion(LEAVES[i], i, n, bad, root), (i, n, bad)
            assert not verify_inclusion(flip(LEAVES[i], i), i, n, proof, root), (i, n)
            assert not verify_inclusion(LEAVES[i], i, n, proof, flip(root, n)), (i, n)
            assert not verify_inclusion(LEAVES[i], n, n, proof, root)  # index == size
            assert not verify_inclusion(LEAVES[i], n + i, n, proof, root)
            assert not verify_inclusion(LEAVES[i], -1, n, proof, root)
            for j in {i - 1, i + 1, i ^ 1, i ^ 2} - {i}:  # the same leaf claimed elsewhere
                if 0 <= j < n:
                    assert not verify_inclusion(LEAVES[i], j, n, proof, root), (i, j, n)
            # Claimed for another size, with that size's real root: it only verifies if it
            # happens to be that size's own proof (it never is, but let the reference say).
            for other in {n - 1, n + 1, 2 * n, n // 2} - {n}:
                if i < other <= len(LEAVES):
                    expected = proof == ref_path(i, 0, other)
                    assert verify_inclusion(LEAVES[i], i, other, proof, TREE.root(other)) is expected


def test_consistency_proofs_for_every_pair():
    for n in range(1, MAX_CONSISTENCY_SIZE + 1):
        new_root = TREE.root(n)
        for m in range(1, n + 1):
            old_root = TREE.root(m)
            proof = TREE.consistency_proof(m, n)
            assert proof == ref_proof(m, n), (m, n)
            assert verify_consistency(m, n, proof, old_root, new_root), (m, n)
            if m == n:
                assert proof == []
                assert not verify_consistency(m, n, [old_root], old_root, new_root)
                assert not verify_consistency(m, n, proof, old_root, flip(new_root, m))
                continue
            for bad in damaged(proof, every_element=True, seed=m * n):
                assert not verify_consistency(m, n, bad, old_root, new_root), (m, n, bad)
            assert not verify_consistency(m, n, [], old_root, new_root)
            assert not verify_consistency(m, n, proof, flip(old_root, n), new_root), (m, n)
            assert not verify_consistency(m, n, proof, old_root, flip(new_root, m)), (m, n)
            assert not verify_consistency(m, n, proof, new_root, old_root), (m, n)
            assert not verify_consistency(n, m, proof, old_root, new_root), (m, n)
            assert not verify_consistency(0, n, proof, old_root, new_root)
            # Claimed for other sizes, with those sizes' real roots.
            for m2, n2 in {(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1), (2 * m, n), (m, 2 * n)}:
                if 0 < m2 < n2:
                    expected = proof == ref_proof(m2, n2)
                    ok = verify_consistency(m2, n2, proof, TREE.root(m2), TREE.root(n2))
                    assert ok is expected, (m, n, m2, n2)
                elif 0 < m2 == n2:
                    assert not verify_consistency(m2, n2, proof, TREE.root(m2), TREE.root(n2))


def test_reads_are_logarithmic():
    """A stored tree answers with O(log n) node reads: what the database version relies on."""
    reads = 0

    def counting_get_node(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return TREE.get_node(level, index)

    for n in range(1, len(LEAVES) + 1):
        bound = 2 * math.ceil(math.log2(n)) + 2
        reads = 0
        assert subtree_root(0, n, counting_get_node) == TREE.root(n)
        assert reads <= bound, ("root", n, reads)
        for i in {0, n // 3, n // 2, n - 1}:
            reads = 0
            inclusion_proof(i, n, counting_get_node)
            assert reads <= bound, ("inclusion", i, n, reads)
        for m in {1, n // 3, n // 2, n - 1, n} - {0}:
            reads = 0
            consistency_proof(m, n, counting_get_node)
            assert reads <= bound, ("consistency", m, n, reads)


def test_nodes_are_the_perfect_subtrees():
    for level, nodes in enumerate(TREE.levels):
        width = 1 << level
        assert len(nodes) == len(LEAVES) // width
        for index, node in enumerate(nodes):
            assert node == ref_mth(index * width, (index + 1) * width)


def test_generators_refuse_bad_arguments():
    with pytest.raises(ValueError):
        TREE.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        TREE.inclusion_proof(-1, 5)
    with pytest.raises(ValueError):
        TREE.consistency_proof(0, 5)
    with pytest.raises(ValueError):
        TREE.consistency_proof(6, 5)
    with pytest.raises(ValueError):
        TREE.root(len(LEAVES) + 1)
    with pytest.raises(ValueError):  # [3, 7) is not a subtree that MTH ever splits out
        subtree_root(3, 7, TREE.get_node)
    with pytest.raises(KeyError):
        TREE.get_node(1, len(LEAVES))
    with pytest.raises(ValueError):
        MemoryTree([b"short"])


GOOD_LEAF, GOOD_PROOF, GOOD_ROOT = LEAVES[2], TREE.inclusion_proof(2, 5), TREE.root(5)


@pytest.mark.parametrize(
    "args",
    [
        (None, 2, 5, GOOD_PROOF, GOOD_ROOT),
        ("leaf", 2, 5, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, "2", 5, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 2, 5.0, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, True, 5, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 2, 5, None, GOOD_ROOT),
        (GOOD_LEAF, 2, 5, b"".join(GOOD_PROOF), GOOD_ROOT),
        (GOOD_LEAF, 2, 5, [*GOOD_PROOF[:-1], None], GOOD_ROOT),
        (GOOD_LEAF, 2, 5, [*GOOD_PROOF[:-1], GOOD_PROOF[-1].hex()], GOOD_ROOT),
        (GOOD_LEAF, 2, 5, [*GOOD_PROOF[:-1], 7], GOOD_ROOT),
        (GOOD_LEAF, 2, 5, GOOD_PROOF, None),
        (GOOD_LEAF, 2, 5, GOOD_PROOF, GOOD_ROOT.hex()),
        (GOOD_LEAF, 2, 2**64 + 5, GOOD_PROOF, GOOD_ROOT),
    ],
)
def test_verify_inclusion_never_raises(args):
    assert verify_inclusion(GOOD_LEAF, 2, 5, GOOD_PROOF, GOOD_ROOT)
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        ("3", 7, "proof", "root", "root"),
        (3, 7, None, TREE.root(3), TREE.root(7)),
        (3, 7, [None, 1, "x"], TREE.root(3), TREE.root(7)),
        (3, 7, TREE.consistency_proof(3, 7), None, TREE.root(7)),
        (3, 7, TREE.consistency_proof(3, 7), TREE.root(3), 7),
        (3.0, 7, TREE.consistency_proof(3, 7), TREE.root(3), TREE.root(7)),
        (False, 7, TREE.consistency_proof(3, 7), TREE.root(3), TREE.root(7)),
        (3, 3, [], None, None),
        (3, 3, None, TREE.root(3), TREE.root(3)),
        (-3, 7, TREE.consistency_proof(3, 7), TREE.root(3), TREE.root(7)),
    ],
)
def test_verify_consistency_never_raises(args):
    assert verify_consistency(3, 7, TREE.consistency_proof(3, 7), TREE.root(3), TREE.root(7))
    assert verify_consistency(*args) is False


def test_node_hash_is_domain_separated():
    left, right = LEAVES[0], LEAVES[1]
    assert node_hash(left, right) == _sha256(b"\x01" + left + right)
    assert leaf_hash(left + right) != node_hash(left, right)
