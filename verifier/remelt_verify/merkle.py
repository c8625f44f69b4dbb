"""RFC 6962 / RFC 9162 Merkle trees over already-hashed leaves: roots, proofs and verifiers.

Leaves are the entries' hashes, SHA-256(0x00 || data), as 32 raw bytes (see `chain.entry_hash`);
interior nodes are SHA-256(0x01 || left || right). Standard library only, like `chain`, so the
offline verifier can check proofs without Django.

Trees are read through `get_node(level, index)`: the hash of the perfect subtree of 2**level
leaves that starts at leaf index * 2**level. Such a hash never changes once the tree has grown
past it, so a store that keeps every perfect subtree hash (as `MemoryTree` does, and a database
table can) answers a root or a proof with O(log n) reads. The right edge of a tree whose size is
not a power of two is not perfect; `subtree_root` builds it from the perfect pieces.
"""

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

GetNode = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 leaf hash of raw leaf data: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below size (size >= 2): where MTH splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes, in one pass and O(log n) memory.

    The stack holds the perfect subtrees of the leaves seen so far, largest first (a compact
    range); folding it from the right is exactly MTH's split at the largest power of two.
    """
    if not leaves:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (number of leaves, hash)
    for leaf in leaves:
        size, node = 1, leaf
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, node = left_size + size, node_hash(left, node)
        stack.append((size, node))
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def subtree_root(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH of leaves [start, end) with one get_node call per set bit of end - start.

    The range is cut into perfect subtrees, largest first, and folded from the right. That is
    only MTH of the slice when every piece is aligned, i.e. start is a multiple of the largest
    piece; every range that RFC 6962's MTH, PATH and PROOF recurse into is. Others raise.
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    if start == end:
        return EMPTY_ROOT
    count = end - start
    top = count.bit_length() - 1
    if start % (1 << top):
        raise ValueError(f"leaf range [{start}, {end}) is not aligned to its largest perfect subtree")
    pieces = []
    position = start
    for level in range(top, -1, -1):
        if count >> level & 1:
            pieces.append(get_node(level, position >> level))
            position += 1 << level
    root = pieces[-1]
    for left in reversed(pieces[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, ordered from the leaf up to the root.

    Walking down from the root, a sibling on the left is always a perfect subtree (one read);
    a sibling on the right is perfect too once the walk has gone left, so at most one sibling
    (the first right edge) costs more than one read: O(log n) reads in all.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []  # root first; reversed at the end
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(subtree_root(middle, end, get_node))
            end = middle
        else:
            path.append(subtree_root(start, middle, get_node))
            start = middle
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1 (SUBPROOF), ordered bottom up.

    Needs 0 < old_size <= new_size; equal sizes give the empty proof. O(log n) reads, for the
    same reason as `inclusion_proof`.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []  # root first; reversed at the end
    start, end = 0, new_size
    whole = True  # SUBPROOF's b: is [start, end) still the old tree's own root?
    while True:
        if old_size == end:
            if not whole:
                proof.append(subtree_root(start, end, get_node))
            break
        middle = start + _split(end - start)
        if old_size <= middle:
            proof.append(subtree_root(middle, end, get_node))
            end = middle
        else:
            proof.append(subtree_root(start, middle, get_node))
            start = middle
            whole = False
    proof.reverse()
    return proof


class MemoryTree:
    """An append-only tree in memory that keeps every perfect subtree hash, level by level.

    levels[0] holds the leaves; levels[k][i] is the perfect subtree of leaves
    [i * 2**k, (i + 1) * 2**k). Appending a leaf completes at most one node per level. Roots and
    proofs for any earlier size come from the same nodes, since perfect subtrees never change.
    It is the reference for the database-backed tree, which stores the same nodes.
    """

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf hash; returns its index."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError("a leaf is a 32-byte hash")
        index = self.size
        self.levels[0].append(leaf)
        level, node, position = 0, leaf, index
        while position & 1:  # a right child completes its parent
            parent = node_hash(self.levels[level][position - 1], node)
            level, position, node = level + 1, position >> 1, parent
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(node)
        return index

    def get_node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self.levels) or index >= len(self.levels[level]):
            raise KeyError(f"no perfect subtree at level {level}, index {index} (tree size {self.size})")
        return self.levels[level][index]

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is beyond the tree's {self.size} leaves")
        return size

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (default: all of them)."""
        return subtree_root(0, self._size(size), self.get_node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._size(size), self.get_node)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(old_size, self._size(new_size), self.get_node)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(item) for item in proof)


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf `index` of the tree (size, root) is leaf_hash?

    Returns False, never raises, on anything malformed: index >= size, a hash that is not
    32 bytes, a proof that is not a list of hashes or is one hash too long or too short.
    """
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    fn, sn = index, size - 1
    node = bytes(leaf_hash)
    for sibling in proof:
        if sn == 0:  # the proof is longer than the path to the root
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            # On the right edge a node without a right sibling is carried up unchanged.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an extension of (old_size, old_root)?

    As in the conformance vectors: old_size must be at least 1 (a proof from the empty tree
    proves nothing, and is refused even to size 0); with equal sizes the proof must be empty
    and the roots equal. Returns False, never raises, on anything malformed.
    """
    if not (_is_size(old_size) and _is_size(new_size)) or old_size == 0 or new_size < old_size:
        return False
    if not isinstance(proof, list | tuple):
        return False
    if old_size == new_size:
        return (
            not proof
            and isinstance(old_root, bytes | bytearray)
            and isinstance(new_root, bytes | bytearray)
            and old_root == new_root
        )
    if not (proof and _is_proof(proof) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # start from the old tree's largest perfect subtree on its right edge
        fn >>= 1
        sn >>= 1
    old_node = new_node = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_node = node_hash(sibling, old_node)
            new_node = node_hash(sibling, new_node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:  # a right sibling holds only leaves added after old_size
            new_node = node_hash(new_node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_node == old_root and new_node == new_root
