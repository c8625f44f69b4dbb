"""The roll-up's commitments: RFC 6962 trees over its footprint versions and carbon states.

A `footprint.computed` entry of anchor format 2 carries, instead of a list, the size and root
of two Merkle trees (`remelt_verify.merkle`: leaf hash SHA-256(0x00 || data), nodes
SHA-256(0x01 || left || right)):

- `footprints`: one leaf per footprint version the run made, the RFC 8785 bytes of
  `[lot code, version, digest]`;
- `states`: one leaf per making entry whose carbon state the run made anew, the RFC 8785 bytes
  of `{"entry", "intensity", "internal_scrap"?, "post_consumer", "pre_consumer", "supplier"?}`
  (`remelt_verify.steps.state_leaf`; evidence bundles of format 2 recompute a step from them).

So the payload has the same members and size whatever the run's size, and names no lot. Each
version and state keeps its leaf index. Of each tree the database keeps the perfect subtrees of
256 leaves and more (`AnchorNode`); a proof rebuilds the one chunk of at most 256 leaves it
needs from the rows themselves, so it reads a few dozen rows whatever the run's size.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import rfc8785
from remelt_verify import merkle

ANCHOR_FORMAT = 2
CHUNK_LEVEL = 8  # nodes of 2**8 = 256 leaves and more are stored
CHUNK = 1 << CHUNK_LEVEL

# Strings of printable ASCII other than '"' and '\' encode in RFC 8785 as themselves in quotes.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def json_string(text: str) -> bytes:
    """The RFC 8785 encoding of a string (quick for the plain ASCII of codes and serials)."""
    if _PLAIN.fullmatch(text):
        return b'"' + text.encode() + b'"'
    return rfc8785.dumps(text)


def footprint_leaf(code: str, version: int, digest: str) -> bytes:
    """The leaf data of a footprint version: RFC 8785 of `[code, version, digest]`."""
    return b"[" + json_string(code) + b"," + str(version).encode() + b',"' + digest.encode() + b'"]'


def anchor_payload(*, run: int, method: str, factor_set: str, ledger_seq: int, trees: dict) -> dict:
    """The `footprint.computed` payload of format 2; `trees` maps name to (count, root)."""
    return {
        "anchor": ANCHOR_FORMAT,
        "run": run,
        "method": method,
        "factor_set": factor_set,
        "ledger_seq": ledger_seq,
        **{name: {"count": count, "root": root.hex()} for name, (count, root) in trees.items()},
    }


class TreeBuilder:
    """Builds a tree leaf by leaf in O(log n) memory, keeping its nodes of CHUNK leaves and more.

    `nodes` collects (level, index, hash) of every perfect subtree of level >= CHUNK_LEVEL as
    it completes; `root()` is MTH of the leaves added, as `merkle.root_from_leaves` gives it.
    """

    def __init__(self) -> None:
        self.count = 0
        self.nodes: list[tuple[int, int, bytes]] = []
        self._stack: list[tuple[int, bytes]] = []  # (level, hash) of the right edge, largest first

    def add(self, leaf_data: bytes) -> int:
        """Add a leaf (its data; it is hashed here); returns its index."""
        index = self.count
        level, node = 0, merkle.leaf_hash(leaf_data)
        position = index
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            level, node, position = level + 1, merkle.node_hash(left, node), position >> 1
            if level >= CHUNK_LEVEL:
                self.nodes.append((level, position, node))
        self._stack.append((level, node))
        self.count += 1
        return index

    def root(self) -> bytes:
        if not self._stack:
            return merkle.EMPTY_ROOT
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = merkle.node_hash(left, root)
        return root


# leaves(start, end) -> the leaf data of leaves [start, end) of one tree, in index order
LeafReader = Callable[[int, int], Sequence[bytes]]
# stored(keys) -> the stored nodes (level >= CHUNK_LEVEL) at these (level, index) keys
NodeReader = Callable[[set[tuple[int, int]]], dict[tuple[int, int], bytes]]


def inclusion_path(index: int, count: int, leaves: LeafReader, stored: NodeReader) -> list[bytes]:
    """RFC 9162 PATH of leaf `index` in a tree of `count` leaves, leaf to root.

    Nodes of level >= CHUNK_LEVEL are read with `stored`, all in one call; below, they come
    from the chunk of leaves that holds them, read with `leaves` (only the chunks of the leaf
    and of the tree's right edge are ever needed). A first walk with placeholder hashes finds
    which nodes and chunks the path needs.
    """
    wanted: set[tuple[int, int]] = set()
    chunks: set[int] = set()

    def note(level: int, position: int) -> bytes:
        if level >= CHUNK_LEVEL:
            wanted.add((level, position))
        else:
            chunks.add((position << level) >> CHUNK_LEVEL)
        return bytes(merkle.HASH_SIZE)

    merkle.inclusion_proof(index, count, note)
    nodes = stored(wanted) if wanted else {}
    trees = {}
    for chunk in chunks:
        start = chunk << CHUNK_LEVEL
        data = leaves(start, min(start + CHUNK, count))
        trees[chunk] = merkle.MemoryTree([merkle.leaf_hash(item) for item in data])

    def get_node(level: int, position: int) -> bytes:
        if level >= CHUNK_LEVEL:
            return nodes[(level, position)]
        chunk = (position << level) >> CHUNK_LEVEL
        return trees[chunk].get_node(level, position - (chunk << (CHUNK_LEVEL - level)))

    return merkle.inclusion_proof(index, count, get_node)


@dataclass(frozen=True)
class LeafProof:
    """A leaf of an anchor tree with what proves it: check with `merkle.verify_inclusion(
    merkle.leaf_hash(leaf), leaf_index, count, path, root)`."""

    anchor_seq: int
    tree: str  # "footprints" or "states"
    leaf: bytes
    leaf_index: int
    count: int
    root: bytes
    path: list[bytes]

    def verifies(self) -> bool:
        return merkle.verify_inclusion(
            merkle.leaf_hash(self.leaf), self.leaf_index, self.count, self.path, self.root
        )


def chunked(items: Sequence, size: int) -> Iterator[Sequence]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
