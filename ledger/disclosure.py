"""Per-item commitments of entries that name lots of several holders (SPEC §9).

A part run's wheels, a cast's ingot lots and the lots of a transfer may end with different
holders. Their entries commit to those items one by one (`remelt_verify.disclosure`): the
hashed payload holds, for each such member, its count and the Merkle root of its items' salted
digests (format 2; entries written before 2026-12-03 hold a digest per item, format 1), the
items themselves are kept beside it in `Entry.disclosures`, and each reader is given the
disclosures of the lots it may see (`ledger.visibility.disclosures_for`), never those of the
others, each with its inclusion path where it does not get them all (`reader_disclosures`).
"""

import json
from dataclasses import dataclass

from remelt_verify import disclosure
from remelt_verify.chain import canonical

from ledger.events import CUSTODY_TRANSFERRED, INGOTS_CAST, PARTS_PRODUCED

# The members of a payload whose items are committed one by one, by event type.
PER_ITEM = {
    PARTS_PRODUCED: ("parts", "internal_scrap"),
    INGOTS_CAST: ("outputs",),
    CUSTODY_TRANSFERRED: ("lots",),
}


@dataclass(frozen=True)
class Commitment:
    """A payload's bytes to hash and store, and its disclosures' bytes (None if it has none)."""

    payload: bytes
    disclosures: bytes | None


def payload_commit(entry_type: str, data: dict) -> Commitment:
    """The payload's commitment. Raises NotCanonicalisable for a value that cannot be hashed exactly."""
    members = PER_ITEM.get(entry_type)
    if members is None:
        return Commitment(canonical(data), None)
    committed = disclosure.commit(data, members)
    return Commitment(canonical(committed.payload), committed.disclosures_bytes)


def reader_disclosures(payload: dict, stored: bytes, selected: list) -> list:
    """What a reader is given of an entry's disclosures: `selected`, some of those `stored`
    (`Entry.disclosures`), as they are where they are all of them or the entry is of format 1,
    else each with its member, leaf index and inclusion path (`remelt_verify.disclosure.proven`).
    `payload` is the entry's payload, parsed."""
    marker = payload[disclosure.MARKER]
    if marker["format"] == 1 or not selected:
        return selected
    if len(selected) == sum(payload[member].get("count", 1) for member in marker["salted"]):
        return json.loads(stored)  # every item, in order (the reader recomputes each root)
    every, digests = disclosure.stored_disclosures(stored)
    # Salts are 128 random bits, one per disclosure: a salt names its item in the entry.
    position = {salt: number for number, (salt, _item) in enumerate(every)}
    return disclosure.proven(payload, every, [position[salt] for salt, _item in selected], digests)


def item_lot(item: object) -> str | None:
    """The code of the lot a disclosed item is about: a part's serial, a lot's code, a code itself."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        code = item.get("serial", item.get("code"))
        return code if isinstance(code, str) else None
    return None
