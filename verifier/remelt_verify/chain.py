"""The hash chain: canonical bytes, entry hashes and a streaming verifier.

This module is the reference for the byte layout written down in the README. It imports
only the standard library and `rfc8785`, so the offline verifier (`remelt-verify`) runs on a
machine with neither Django nor our database.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from remelt_verify import disclosure
from remelt_verify.canonical import NotCanonicalisable, canonical, sha256_hex

GENESIS_HASH = "0" * 64
HEADER_FIELDS = frozenset(
    {"seq", "prev_hash", "type", "org", "actor", "occurred_at", "recorded_at", "payload_sha256"}
)


def entry_hash(header_bytes: bytes) -> str:
    """The entry's hash, which is also its RFC 6962 Merkle leaf hash: SHA-256(0x00 || header)."""
    return hashlib.sha256(b"\x00" + header_bytes).hexdigest()


def format_time(moment: datetime) -> str:
    """Timestamps in headers: UTC, microseconds, `Z`, e.g. 2026-11-23T08:36:08.123456Z."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Sealed:
    """An entry's exact bytes and hash, ready to store."""

    header: dict
    header_bytes: bytes
    payload_bytes: bytes
    hash: str


def seal(
    *,
    seq: int,
    prev_hash: str,
    type: str,
    org: str | None,
    actor: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: dict,
) -> Sealed:
    """Build the canonical header and payload bytes of entry `seq` and hash them."""
    return seal_header(
        seq=seq,
        prev_hash=prev_hash,
        type=type,
        org=org,
        actor=actor,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        payload_bytes=canonical(payload),
    )


def seal_header(
    *,
    seq: int,
    prev_hash: str,
    type: str,
    org: str | None,
    actor: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload_bytes: bytes,
) -> Sealed:
    """`seal` for a payload already in canonical bytes: what is left once seq and prev_hash are known.

    Appenders canonicalise payloads before they take the head lock and call this under it.
    """
    header = {
        "seq": seq,
        "prev_hash": prev_hash,
        "type": type,
        "org": org,
        "actor": actor,
        "occurred_at": format_time(occurred_at),
        "recorded_at": format_time(recorded_at),
        "payload_sha256": sha256_hex(payload_bytes),
    }
    header_bytes = canonical(header)
    return Sealed(
        header=header, header_bytes=header_bytes, payload_bytes=payload_bytes, hash=entry_hash(header_bytes)
    )


@dataclass(frozen=True)
class Problem:
    """The first place where the chain does not verify, and why."""

    seq: int
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason}: {self.detail}"


class ChainVerifier:
    """Checks entries one at a time, in order, keeping only the last seq and hash.

    Feed it every entry from seq 1 on; `check` returns the first Problem and the verifier
    stops there. Payloads may be withheld (None): the header still commits to their digest.
    """

    def __init__(self, expected_head: str | None = None) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.expected_head = expected_head
        self.head_seen = expected_head is None

    def check(
        self,
        *,
        seq: int,
        header_bytes: bytes,
        hash: str,
        payload_bytes: bytes | None,
        columns: dict | None = None,
        disclosures: list | None = None,
        complete: bool = False,
        disclosure_digests: list[str] | None = None,
    ) -> Problem | None:
        """The first problem of entry `seq`, or None.

        `disclosures` are the ones given beside a payload that commits to its items one by one
        (`remelt_verify.disclosure`); each must match one of its items. With `complete` they are
        all the entry has (the operator's copy), so every item must be disclosed.
        `disclosure_digests` are their digests if already known (`disclosure.stored_disclosures`).
        """
        expected = self.last_seq + 1
        if seq != expected:
            if seq > expected:
                return Problem(expected, "gap", f"seq {expected} is missing; the next entry is seq {seq}")
            return Problem(expected, "order", f"found seq {seq} where seq {expected} belongs")
        try:
            # Decoding first is faster: json.loads detects the encoding of bytes in Python.
            header = json.loads(header_bytes.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError included
            return Problem(seq, "malformed", f"header is not JSON: {exc}")
        if not isinstance(header, dict) or header.keys() != HEADER_FIELDS:
            return Problem(
                seq,
                "malformed",
                "header does not have exactly the fields " + ", ".join(sorted(HEADER_FIELDS)),
            )
        if header["seq"] != seq:
            return Problem(seq, "header", f"header says seq {header['seq']!r}")
        if columns:
            for name, value in columns.items():
                if header[name] != value:
                    return Problem(
                        seq,
                        "header",
                        f"stored {name} {value!r} differs from the hashed header's {header[name]!r}",
                    )
        if payload_bytes is not None:
            digest = sha256_hex(payload_bytes)
            if digest != header["payload_sha256"]:
                return Problem(
                    seq,
                    "payload digest",
                    f"payload hashes to {digest}, header says {header['payload_sha256']}",
                )
        if payload_bytes is not None and (disclosures is not None or complete):
            problem = _disclosure_problem(seq, payload_bytes, disclosures or [], complete, disclosure_digests)
            if problem:
                return problem
        computed = entry_hash(header_bytes)
        if computed != hash:
            return Problem(seq, "header hash", f"header hashes to {computed}, stored hash is {hash}")
        if header["prev_hash"] != self.last_hash:
            return Problem(
                seq,
                "link",
                f"prev_hash {header['prev_hash']} is not the hash of seq {seq - 1} ({self.last_hash})",
            )
        self.count += 1
        self.last_seq = seq
        self.last_hash = hash
        if hash == self.expected_head:
            self.head_seen = True
        return None

    def finish(self) -> Problem | None:
        """After the last entry: was the head the caller holds reached (else the tail is gone)?"""
        if not self.head_seen:
            return Problem(
                self.last_seq + 1,
                "truncated",
                f"the chain ends at seq {self.last_seq} without reaching the expected head "
                f"{self.expected_head}",
            )
        return None


def _disclosure_problem(
    seq: int, payload_bytes: bytes, disclosures: list, complete: bool, digests: list[str] | None = None
) -> Problem | None:
    # Only a payload with the member can commit to items; most entries skip the parse.
    if not disclosures and b'"disclosure":{' not in payload_bytes:
        return None
    try:
        payload = json.loads(payload_bytes.decode("utf-8"))
    except ValueError as exc:
        return Problem(seq, "malformed", f"payload is not JSON: {exc}")
    try:
        disclosure.reveal(payload, disclosures, complete=complete, digests=digests)
    except disclosure.DisclosureError as exc:
        return Problem(seq, "disclosure", str(exc))
    return None


def export_line(*, header: dict, hash: str, payload: Any | None, disclosures: list | None = None) -> bytes:
    """One line of a JSON Lines export: the canonical encoding of {hash, header, payload}.

    An entry whose payload commits to its items one by one also carries `disclosures`: those
    of its items the reader may see (all of them in the operator's export).
    """
    record = {"hash": hash, "header": header, "payload": payload}
    if disclosures is not None:
        record["disclosures"] = disclosures
    return canonical(record) + b"\n"


def verify_export_lines(lines: Iterator[bytes], verifier: ChainVerifier) -> Problem | None:
    """Verify an export line by line; every line must be exactly its canonical encoding."""
    for raw in lines:
        expected = verifier.last_seq + 1
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return Problem(expected, "malformed", f"line is not JSON: {exc}")
        if not isinstance(record, dict) or not (
            record.keys() == {"hash", "header", "payload"}
            or record.keys() == {"hash", "header", "payload", "disclosures"}
        ):
            return Problem(
                expected, "malformed", "a line must have exactly hash, header, payload (and disclosures)"
            )
        header, payload, disclosures = record["header"], record["payload"], record.get("disclosures")
        if disclosures is not None and not isinstance(disclosures, list):
            return Problem(expected, "malformed", "disclosures must be a list")
        try:
            line = export_line(header=header, hash=record["hash"], payload=payload, disclosures=disclosures)
            header_bytes = canonical(header)
            payload_bytes = None if payload is None else canonical(payload)
        except NotCanonicalisable as exc:
            return Problem(expected, "malformed", str(exc))
        if line != raw:
            return Problem(expected, "malformed", "line is not in canonical form (changed after export?)")
        seq = header.get("seq") if isinstance(header, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            return Problem(expected, "malformed", "header has no integer seq")
        problem = verifier.check(
            seq=seq,
            header_bytes=header_bytes,
            hash=record["hash"],
            payload_bytes=payload_bytes,
            disclosures=disclosures,
        )
        if problem:
            return problem
    return verifier.finish()
