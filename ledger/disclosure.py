"""Per-item commitments of entries that name lots of several holders (SPEC §9).

A part run's wheels, a cast's ingot lots and the lots of a transfer may end with different
holders. Their entries commit to those items one by one (`remelt_verify.disclosure`): the
hashed payload holds a salted digest per item, the items themselves are kept beside it in
`Entry.disclosures`, and each reader is given the disclosures of the lots it may see
(`ledger.visibility.disclosures_for`), never those of the others.
"""

import secrets
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
    committed: disclosure.Committed | None = None  # kept to commit again after a few items change
    members: dict[str, tuple[object, bytes]] | None = None  # salted member: (placeholders, bytes)


def payload_commit(entry_type: str, data: dict, *, keep: Commitment | None = None) -> Commitment:
    """The payload's commitment; with `keep` (an earlier one of this data before a few items were
    replaced), the items it shares keep their salts and bytes and are not encoded again, nor are
    the salted members whose placeholders stay the same.

    Raises NotCanonicalisable for a value that cannot be hashed exactly.
    """
    members = PER_ITEM.get(entry_type)
    if members is None:
        return Commitment(canonical(data), None)
    committed = disclosure.commit(data, members, keep=keep.committed if keep else None)
    known = keep.members if keep else {}
    encoded = {}
    for member in committed.payload[disclosure.MARKER]["salted"]:
        value = committed.payload[member]
        old = known.get(member)
        encoded[member] = (value, old[1] if old and old[0] == value else canonical(value))
    payload = _spliced(committed.payload, {member: bytes_ for member, (_value, bytes_) in encoded.items()})
    return Commitment(payload, committed.disclosures_bytes, committed, encoded)


def _spliced(payload: dict, known: dict[str, bytes]) -> bytes:
    """canonical(payload), the members in `known` given by their canonical bytes: each is encoded
    as a stand-in string, then its bytes put in the stand-in's place. RFC 8785 encodes an object
    member by member, in an order that depends on the keys only, so the bytes are the same."""
    stand_ins = {member: f"remelt-stand-in-{secrets.token_hex(16)}" for member in known}
    text = canonical({**payload, **stand_ins})
    for member, stand_in in stand_ins.items():
        text = text.replace(canonical(stand_in), known[member], 1)
    return text


def item_lot(item: object) -> str | None:
    """The code of the lot a disclosed item is about: a part's serial, a lot's code, a code itself."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        code = item.get("serial", item.get("code"))
        return code if isinstance(code, str) else None
    return None
