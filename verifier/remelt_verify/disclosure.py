"""Per-item commitments in entry payloads: salted digests, disclosed one item at a time.

An entry that names lots of several holders (a part run's wheels, a cast's ingot lots, the
lots of a transfer) commits to those items one by one, as selective-disclosure formats such as
SD-JWT (RFC 9901) do. In the hashed payload each item of a salted member is replaced by a
placeholder `{"...": <digest>}` (a list keeps one placeholder per item, in order; a single
object becomes one placeholder), where

    disclosure = [salt, item]            salt: 128 random bits, base64url without padding
    digest     = SHA-256(RFC 8785 bytes of the disclosure), lowercase hex

and the payload gains the member

    "disclosure": {"format": 1, "salted": [member, …], "mass_kg": {member: total, …}}

`mass_kg` gives, for each salted member whose items have a `mass_kg`, the sum of those masses,
so a reader who sees only its own items can still check a mass balance and recompute a step's
carbon (which shares a process's burden over all its outputs by mass). The entry's hash covers
the placeholders, hence every item; a reader gets the disclosures of its own items beside the
payload, checks each against its placeholder, and sees only digests of the others. A payload
without the `disclosure` member (every entry written before this format) is read as it is.
"""

import base64
import copy
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from remelt_verify.canonical import NotCanonicalisable, canonical, canonical_exact, exact_json, sha256_hex
from remelt_verify.carbon import format_kg

MARKER = "disclosure"
FORMAT = 1
PLACEHOLDER = "..."


class DisclosureError(ValueError):
    """A disclosure or a committed payload that does not check out; says which and why."""


def new_salt() -> str:
    """128 random bits, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def digest(disclosure: Sequence) -> str:
    """SHA-256 of the RFC 8785 bytes of `[salt, item]`, lowercase hex."""
    return sha256_hex(canonical(list(disclosure)))


def hidden(value: object) -> str | None:
    """The digest if `value` is a placeholder `{"...": digest}`, else None."""
    if isinstance(value, dict) and value.keys() == {PLACEHOLDER} and isinstance(value[PLACEHOLDER], str):
        return value[PLACEHOLDER]
    return None


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
) -> Committed:
    """The payload to hash, with every item of `members` salted and digested, and the disclosures.

    `data` is the normalised event payload; members it does not have are skipped. The
    disclosures come in the order of the placeholders (member by member, item by item).
    """
    payload = dict(data)
    disclosures: list[list] = []
    encoded: list[bytes] = []
    salted: list[str] = []
    masses: dict[str, str] = {}
    for member in members:
        if member not in data:
            continue
        value = data[member]
        items = value if isinstance(value, list) else [value]
        placeholders = []
        for item in items:
            disclosure = [salt(), item]
            item_bytes = canonical(disclosure)
            disclosures.append(disclosure)
            encoded.append(item_bytes)
            placeholders.append({PLACEHOLDER: sha256_hex(item_bytes)})
        payload[member] = placeholders if isinstance(value, list) else placeholders[0]
        salted.append(member)
        if items and all(isinstance(item, dict) and "mass_kg" in item for item in items):
            masses[member] = format_kg(sum(_grams(item["mass_kg"], member) for item in items))
    payload[MARKER] = {"format": FORMAT, "salted": salted, "mass_kg": masses}
    # A canonical array is its canonical elements joined: each item is encoded once.
    return Committed(payload, disclosures, b"[" + b",".join(encoded) + b"]")


def _marker(payload: dict) -> dict:
    marker = payload.get(MARKER)
    if not isinstance(marker, dict) or marker.keys() != {"format", "salted", "mass_kg"}:
        raise DisclosureError(f"{MARKER}: must be an object with exactly format, salted and mass_kg")
    if marker["format"] != FORMAT:
        raise DisclosureError(f"{MARKER}.format: {marker['format']!r} is not a format this verifier knows")
    salted = marker["salted"]
    if not isinstance(salted, list) or not all(isinstance(m, str) and m in payload for m in salted):
        raise DisclosureError(f"{MARKER}.salted: must list members of the payload")
    if not isinstance(marker["mass_kg"], dict) or not set(marker["mass_kg"]) <= set(salted):
        raise DisclosureError(f"{MARKER}.mass_kg: must give totals of salted members only")
    return marker


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


def reveal(
    payload: dict, disclosures: Sequence, *, complete: bool = False, digests: Sequence[str] | None = None
) -> dict:
    """The payload with each disclosed item put in its place; the others stay placeholders.

    Every disclosure must be `[salt, item]` and match a placeholder of the payload, once; the
    disclosed masses may not exceed the totals (and equal them once everything is disclosed).
    With `complete`, every item must be disclosed and the result is the event's own data, without
    the `disclosure` member. Raises DisclosureError naming the disclosure or item at fault.
    `digests`, if given, are the disclosures' digests already taken from their canonical bytes
    (`stored_disclosures`).
    """
    if not is_committed(payload):
        if disclosures:
            raise DisclosureError("disclosures given for a payload that commits to no item")
        return payload
    marker = _marker(payload)
    slots = _slots(payload, marker["salted"])
    if not isinstance(disclosures, list | tuple):
        raise DisclosureError("disclosures must be a list")
    revealed = {key: copy.copy(value) for key, value in payload.items()}
    for number, disclosure in enumerate(disclosures):
        where = f"disclosures[{number}]"
        if (
            not isinstance(disclosure, list | tuple)
            or len(disclosure) != 2
            or not isinstance(disclosure[0], str)
        ):
            raise DisclosureError(f"{where}: a disclosure is [salt, item]")
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
    for member, total in marker["mass_kg"].items():
        value = revealed[member]
        items = value if isinstance(value, list) else [value]
        shown = [item for item in items if hidden(item) is None]
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
        if slots:
            member, index = next(iter(slots.values()))
            raise DisclosureError(f"{member}{'' if index is None else f'[{index}]'}: not disclosed")
        del revealed[MARKER]
    return revealed


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
