"""Per-item commitments in entry payloads: salted digests, disclosed one item at a time.

An entry that names lots of several holders (a part run's wheels, a cast's ingot lots, the
lots of a transfer) commits to those items one by one, as selective-disclosure formats such as
SD-JWT (RFC 9901) do. Each item of a salted member has a disclosure and its digest,

    disclosure = [salt, item]            salt: 128 random bits, base64url without padding
    digest     = SHA-256(RFC 8785 bytes of the disclosure)

and the payload gains the member

    "disclosure": {"format": F, "salted": [member, …], "mass_kg": {member: total, …}}

`mass_kg` gives, for each salted member whose items have a `mass_kg`, the sum of those masses,
so a reader who sees only its own items can still check a mass balance and recompute a step's
carbon (which shares a process's burden over all its outputs by mass). The entry's hash covers
every item through what replaces them in the payload; a reader gets the disclosures of its own
items beside the payload and checks each against it. A payload without the `disclosure` member
(every entry written before these formats) is read as it is.

**Format 2** (what the ledger writes): a salted member is replaced by the root of an RFC 6962 /
RFC 9162 Merkle tree (`remelt_verify.merkle`) whose leaves are its items' digests, in order:

    "parts": {"count": 300, "root": "<hex>"}     a list of 300 items
    "internal_scrap": {"root": "<hex>"}          one object: a tree of one leaf, no count

    leaf hash = SHA-256(0x00 || digest)          digest as 32 raw bytes
    node hash = SHA-256(0x01 || left || right)   count 0: root = SHA-256("")

A reader who may see only some items is given, for each, `{"member": "parts", "leaf_index": i,
"path": ["<hex>", …], "disclosure": [salt, item]}`: the item's place and its inclusion path, leaf
first; it learns of the others their count and total mass. Whoever gets every item (the
operator's stored copy, `Entry.disclosures`; the poster; auditors) is given the bare disclosures
`[salt, item]`, every one, member by member in the order of `salted` and item by item, and
recomputes each root. An entry's cost in a bundle no longer grows with its items: a path is
about log2(count) hashes, and the payload holds two values per member.

**Format 1** (entries written until 2026-12-03): each item is replaced by a placeholder
`{"...": <digest in lowercase hex>}` (a list keeps one per item, in order; a single object becomes
one placeholder), and a reader is given bare disclosures `[salt, item]` of the items it may see,
each matched to its placeholder by its digest.

`reveal` gives the payload with the disclosed items in their places; an item not disclosed is a
placeholder (`withheld`): format 1's `{"...": digest}`, format 2's `{"...": null}`.
"""

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from remelt_verify.canonical import NotCanonicalisable, canonical, canonical_exact, exact_json, sha256_hex
from remelt_verify.carbon import format_kg
from remelt_verify.merkle import HASH_SIZE, MemoryTree, leaf_hash, root_from_leaves, verify_inclusion

MARKER = "disclosure"
FORMAT = 2  # what `commit` writes
FORMATS = (1, 2)
PLACEHOLDER = "..."
PROVEN = frozenset({"member", "leaf_index", "path", "disclosure"})


class DisclosureError(ValueError):
    """A disclosure or a committed payload that does not check out; says which and why."""


def new_salt() -> str:
    """128 random bits, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def digest(disclosure: Sequence) -> str:
    """SHA-256 of the RFC 8785 bytes of `[salt, item]`, lowercase hex."""
    return sha256_hex(canonical(list(disclosure)))


def hidden(value: object) -> str | None:
    """The digest if `value` is a placeholder `{"...": digest}` of format 1, else None."""
    if isinstance(value, dict) and value.keys() == {PLACEHOLDER} and isinstance(value[PLACEHOLDER], str):
        return value[PLACEHOLDER]
    return None


def withheld(value: object) -> bool:
    """Is `value` (an item of a revealed payload) a placeholder for an item not disclosed?"""
    return isinstance(value, dict) and value.keys() == {PLACEHOLDER}


def is_committed(payload: object) -> bool:
    """Does the payload commit to items one by one (has the `disclosure` member)?"""
    return isinstance(payload, dict) and MARKER in payload


def _grams(value: object, where: str) -> int:
    try:
        grams = Decimal(str(value)) * 1000
    except InvalidOperation:
        raise DisclosureError(f"{where}: {value!r} is not a mass in kg") from None
    if grams != grams.to_integral_value() or grams < 0:
        raise DisclosureError(f"{where}: {value!r} is not a mass in kg to the gram")
    return int(grams)


@dataclass(frozen=True)
class Committed:
    """An event's data committed item by item: the payload to hash, and its disclosures."""

    payload: dict
    disclosures: list[list]
    disclosures_bytes: bytes  # RFC 8785 bytes of `disclosures`


def commit(
    data: dict,
    members: Sequence[str],
    *,
    salt: Callable[[], str] = new_salt,
    format: int = FORMAT,
) -> Committed:
    """The payload to hash, with every item of `members` salted and digested, and the disclosures.

    `data` is the normalised event payload; members it does not have are skipped. The
    disclosures come member by member, item by item. The ledger writes `format` 2; format 1 is
    written only to check that entries of that format still read and verify.
    """
    if format not in FORMATS:
        raise ValueError(f"no disclosure format {format!r}")
    payload = dict(data)
    disclosures: list[list] = []
    encoded: list[bytes] = []
    salted: list[str] = []
    masses: dict[str, str] = {}
    sha256 = hashlib.sha256
    for member in members:
        if member not in data:
            continue
        value = data[member]
        items = value if isinstance(value, list) else [value]
        pairs = [[salt(), item] for item in items]
        item_bytes = [canonical(pair) for pair in pairs]
        disclosures += pairs
        encoded += item_bytes
        if format == 1:
            placeholders = [{PLACEHOLDER: sha256_hex(one)} for one in item_bytes]
            payload[member] = placeholders if isinstance(value, list) else placeholders[0]
        else:
            root = root_from_leaves([sha256(b"\x00" + sha256(one).digest()).digest() for one in item_bytes])
            tree = {"root": root.hex()}
            payload[member] = {"count": len(items), **tree} if isinstance(value, list) else tree
        salted.append(member)
        if items and all(isinstance(item, dict) and "mass_kg" in item for item in items):
            masses[member] = format_kg(sum(_grams(item["mass_kg"], member) for item in items))
    payload[MARKER] = {"format": format, "salted": salted, "mass_kg": masses}
    # A canonical array is its canonical elements joined: each item is encoded once.
    return Committed(payload, disclosures, b"[" + b",".join(encoded) + b"]")


def _marker(payload: dict) -> dict:
    marker = payload.get(MARKER)
    if not isinstance(marker, dict) or marker.keys() != {"format", "salted", "mass_kg"}:
        raise DisclosureError(f"{MARKER}: must be an object with exactly format, salted and mass_kg")
    if marker["format"] not in FORMATS or isinstance(marker["format"], bool):
        raise DisclosureError(f"{MARKER}.format: {marker['format']!r} is not a format this verifier knows")
    salted = marker["salted"]
    if (
        not isinstance(salted, list)
        or not all(isinstance(m, str) and m in payload and m != MARKER for m in salted)
        or len(set(salted)) != len(salted)
    ):
        raise DisclosureError(f"{MARKER}.salted: must list members of the payload, once each")
    if not isinstance(marker["mass_kg"], dict) or not set(marker["mass_kg"]) <= set(salted):
        raise DisclosureError(f"{MARKER}.mass_kg: must give totals of salted members only")
    return marker


def _pair(disclosure: object, where: str) -> None:
    if not isinstance(disclosure, list | tuple) or len(disclosure) != 2 or not isinstance(disclosure[0], str):
        raise DisclosureError(f"{where}: a disclosure is [salt, item]")


def _digest_bytes(disclosure: Sequence, where: str) -> bytes:
    try:
        return hashlib.sha256(canonical(list(disclosure))).digest()
    except NotCanonicalisable as exc:
        raise DisclosureError(f"{where}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Format 1: a placeholder per item


def _slots(payload: dict, salted: Sequence[str]) -> dict[str, tuple[str, int | None]]:
    """digest → (member, index in the list, or None for a single object), for every placeholder."""
    slots: dict[str, tuple[str, int | None]] = {}
    for member in salted:
        value = payload[member]
        entries = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in entries:
            where = member if index is None else f"{member}[{index}]"
            found = hidden(item)
            if found is None:
                raise DisclosureError(f"{where}: a salted item must be a placeholder {{'...': digest}}")
            if found in slots:
                raise DisclosureError(f"{where}: the same digest appears twice")
            slots[found] = (member, index)
    return slots


def _reveal_1(
    payload: dict, salted: Sequence[str], disclosures: Sequence, digests: Sequence[str] | None
) -> dict:
    slots = _slots(payload, salted)
    revealed = {key: list(value) if isinstance(value, list) else value for key, value in payload.items()}
    for number, disclosure in enumerate(disclosures):
        where = f"disclosures[{number}]"
        _pair(disclosure, where)
        try:
            found = digest(disclosure) if digests is None else digests[number]
        except NotCanonicalisable as exc:
            raise DisclosureError(f"{where}: {exc}") from None
        if found not in slots:
            raise DisclosureError(
                f"{where}: hashes to {found}, which no item of the payload commits to "
                "(changed, or another entry's)"
            )
        member, index = slots.pop(found)
        if index is None:
            revealed[member] = disclosure[1]
        else:
            revealed[member][index] = disclosure[1]
    return revealed


# ---------------------------------------------------------------------------------------------
# Format 2: a Merkle root per member


# The most items a member may commit to. A reader makes a placeholder for each item it is not
# shown, so a count is bounded before anything is made of it: a bundle that claims a billion
# items is refused, not a verifier's memory exhausted. No entry comes near it (remelt's batches
# hold at most LEDGER_MAX_BATCH_ITEMS, 2,000 by default, in a body of at most 5 MiB).
MAX_ITEMS = 1_000_000


def _trees(payload: dict, salted: Sequence[str]) -> dict[str, tuple[int | None, bytes]]:
    """member → (its count, or None for a single object; its root), for every salted member."""
    trees: dict[str, tuple[int | None, bytes]] = {}
    for member in salted:
        value = payload[member]
        count = value.get("count") if isinstance(value, dict) else None
        root = value.get("root") if isinstance(value, dict) else None
        if (
            not isinstance(value, dict)
            or value.keys() not in ({"count", "root"}, {"root"})
            or ("count" in value and (not isinstance(count, int) or isinstance(count, bool) or count < 0))
            or not isinstance(root, str)
            or len(root) != 2 * HASH_SIZE
        ):
            raise DisclosureError(
                f"{member}: a salted member of format 2 is {{count, root}} (or {{root}} for one item)"
            )
        if count is not None and count > MAX_ITEMS:
            raise DisclosureError(
                f"{member}.count: {count} items, more than the {MAX_ITEMS:,} a member may have"
            )
        try:
            trees[member] = (count, bytes.fromhex(root))
        except ValueError:
            raise DisclosureError(f"{member}.root: not a hash in hex") from None
    return trees


def _size(count: int | None) -> int:
    return 1 if count is None else count


def _every(
    trees: dict[str, tuple[int | None, bytes]],
    revealed: dict,
    disclosures: Sequence,
    digests: Sequence[str] | None,
) -> None:
    """Every item's bare disclosure, in order: each member's root recomputed from them."""
    total = sum(_size(count) for count, _root in trees.values())
    if len(disclosures) != total:
        counts = ", ".join(f"{member} {_size(count)}" for member, (count, _root) in trees.items())
        raise DisclosureError(
            f"disclosures: {len(disclosures)} given without paths, the payload commits to {total} items "
            f"({counts}); without leaf_index and path every item must be disclosed, in order"
        )
    start = 0
    for member, (count, root) in trees.items():
        end = start + _size(count)
        leaves = []
        for number in range(start, end):
            where = f"disclosures[{number}]"
            _pair(disclosures[number], where)
            found = (
                _digest_bytes(disclosures[number], where)
                if digests is None
                else bytes.fromhex(digests[number])
            )
            leaves.append(leaf_hash(found))
        computed = root_from_leaves(leaves)
        if computed != root:
            raise DisclosureError(
                f"{member}: its {end - start} disclosures (disclosures[{start}:{end}]) make the root "
                f"{computed.hex()}, the payload commits to {root.hex()}: an item or the count was changed"
            )
        items = [disclosure[1] for disclosure in disclosures[start:end]]
        revealed[member] = items if count is not None else items[0]
        start = end


def _proven(trees: dict[str, tuple[int | None, bytes]], revealed: dict, disclosures: Sequence) -> None:
    """Disclosures with their places and paths: each checked against its member's root."""
    seen: set[tuple[str, int]] = set()
    for number, given in enumerate(disclosures):
        where = f"disclosures[{number}]"
        if not isinstance(given, dict) or given.keys() != PROVEN:
            raise DisclosureError(
                f"{where}: a disclosure of format 2 is {{member, leaf_index, path, disclosure}} "
                "(or bare [salt, item] for every item, in order)"
            )
        member, index, path = given["member"], given["leaf_index"], given["path"]
        if not isinstance(path, list):
            raise DisclosureError(f"{where}.path: not a list of hashes in hex")
        if member not in trees:
            raise DisclosureError(f"{where}: {member!r} is not a salted member of the payload")
        count, root = trees[member]
        place = member if count is None else f"{member}[{index}]"
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < _size(count):
            raise DisclosureError(
                f"{where}: leaf_index {index!r} is not one of the {_size(count)} items of {member}"
            )
        if (member, index) in seen:
            raise DisclosureError(f"{where}: {place} is disclosed twice")
        seen.add((member, index))
        _pair(given["disclosure"], f"{where}.disclosure")
        try:
            hashes = [bytes.fromhex(node) for node in path]
        except (TypeError, ValueError):
            raise DisclosureError(f"{where}.path: not a list of hashes in hex") from None
        leaf = leaf_hash(_digest_bytes(given["disclosure"], f"{where}.disclosure"))
        if not verify_inclusion(leaf, index, _size(count), hashes, root):
            raise DisclosureError(
                f"{where}: is not {place} of the {_size(count)} items the payload commits to by their root: "
                "its disclosure, leaf_index or path was changed, or it is another entry's"
            )
        if count is None:
            revealed[member] = given["disclosure"][1]
        else:
            revealed[member][index] = given["disclosure"][1]


def _reveal_2(
    payload: dict, salted: Sequence[str], disclosures: Sequence, digests: Sequence[str] | None
) -> dict:
    trees = _trees(payload, salted)
    revealed = dict(payload)
    for member, (count, _root) in trees.items():
        revealed[member] = (
            {PLACEHOLDER: None} if count is None else [{PLACEHOLDER: None} for _ in range(count)]
        )
    if disclosures and all(isinstance(given, list | tuple) for given in disclosures):
        _every(trees, revealed, disclosures, digests)
    else:
        _proven(trees, revealed, disclosures)
    return revealed


def reveal(
    payload: dict, disclosures: Sequence, *, complete: bool = False, digests: Sequence[str] | None = None
) -> dict:
    """The payload with each disclosed item put in its place; the others stay placeholders.

    Every disclosure must match an item the payload commits to, once (format 1: bare
    `[salt, item]`, matched by its digest; format 2: with its leaf index and path, or bare for
    every item in order); the disclosed masses may not exceed the totals (and equal them once
    everything is disclosed). With `complete`, every item must be disclosed and the result is the
    event's own data, without the `disclosure` member. Raises DisclosureError naming the
    disclosure or item at fault. `digests`, if given, are the bare disclosures' digests already
    taken from their canonical bytes (`stored_disclosures`).
    """
    if not is_committed(payload):
        if disclosures:
            raise DisclosureError("disclosures given for a payload that commits to no item")
        return payload
    marker = _marker(payload)
    if not isinstance(disclosures, list | tuple):
        raise DisclosureError("disclosures must be a list")
    salted = marker["salted"]
    reveal_format = _reveal_1 if marker["format"] == 1 else _reveal_2
    revealed = reveal_format(payload, salted, disclosures, digests)
    for member, total in marker["mass_kg"].items():
        value = revealed[member]
        items = value if isinstance(value, list) else [value]
        shown = [item for item in items if not withheld(item)]
        try:
            shown_g = sum(_grams(item["mass_kg"], member) for item in shown)
        except (KeyError, TypeError):
            raise DisclosureError(f"{member}: a disclosed item has no mass_kg") from None
        total_g = _grams(total, f"{MARKER}.mass_kg.{member}")
        if shown_g > total_g or (len(shown) == len(items) and shown_g != total_g):
            raise DisclosureError(
                f"{MARKER}.mass_kg.{member}: the disclosed items weigh {format_kg(shown_g)} kg, "
                f"the payload commits to {total} kg in all"
            )
    if complete:
        for member in salted:
            value = revealed[member]
            for index, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
                if withheld(item):
                    raise DisclosureError(f"{member}{'' if index is None else f'[{index}]'}: not disclosed")
        del revealed[MARKER]
    return revealed


def proven(
    payload: dict, disclosures: Sequence, positions: Iterable[int], digests: Sequence[str] | None = None
) -> list[dict]:
    """What a reader who may see only some items of a format-2 entry is given: for each of
    `positions` (indexes into the entry's every disclosure, in order, as `commit` gives them and
    the ledger stores them), `{member, leaf_index, path, disclosure}`. `digests` as for `reveal`.
    """
    marker = _marker(payload)
    if marker["format"] != 2:
        raise ValueError("only entries of format 2 have inclusion paths")
    places: list[tuple[str, int]] = []
    trees: dict[str, MemoryTree] = {}
    start = 0
    for member, (count, _root) in _trees(payload, marker["salted"]).items():
        end = start + _size(count)
        trees[member] = MemoryTree(
            leaf_hash(
                _digest_bytes(disclosures[number], f"disclosures[{number}]")
                if digests is None
                else bytes.fromhex(digests[number])
            )
            for number in range(start, end)
        )
        places += [(member, index) for index in range(end - start)]
        start = end
    found = []
    for position in positions:
        member, index = places[position]
        found.append(
            {
                "member": member,
                "leaf_index": index,
                "path": [node.hex() for node in trees[member].inclusion_proof(index)],
                "disclosure": disclosures[position],
            }
        )
    return found


def stored_disclosures(data: bytes) -> tuple[list, list[str] | None]:
    """The disclosures stored as `data` (the RFC 8785 array `commit` gives), and their digests.

    When `data` holds only exact values (`exact_json`), each disclosure's digest is taken from
    its canonical bytes without canonical()'s walk over it (the parse refused what that walk
    refuses): the same digests `digest` gives, for about a quarter less CPU. Otherwise, or for a
    disclosure that cannot be encoded, the digests are None (`reveal` computes them, and says
    what is wrong).
    Raises ValueError if `data` is not JSON.
    """
    disclosures = exact_json(data)
    if not isinstance(disclosures, list):
        return json.loads(data), None
    try:
        return disclosures, [sha256_hex(canonical_exact(item)) for item in disclosures]
    except NotCanonicalisable:
        return disclosures, None


def reveal_stored(payload: dict, data: bytes, *, complete: bool = False) -> dict:
    """`reveal` with the disclosures as stored (`stored_disclosures`)."""
    disclosures, digests = stored_disclosures(data)
    return reveal(payload, disclosures, complete=complete, digests=digests)
