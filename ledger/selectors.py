"""Reads of the ledger: streaming verification and export."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from ledger.chain import ChainVerifier, Problem, export_line
from ledger.models import Entry, LedgerHead

STREAM_CHUNK = 5000


def _stream(up_to: int | None = None) -> Iterator[tuple]:
    """Entries in seq order as plain tuples, fetched in chunks (server-side cursor on PostgreSQL)."""
    rows = Entry.objects.order_by("seq")
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    rows = rows.values_list("seq", "type", "prev_hash", "hash", "header", "payload")
    return rows.iterator(chunk_size=STREAM_CHUNK)


@dataclass(frozen=True)
class ChainReport:
    """What verification found: the count and head, or the first problem."""

    count: int
    head_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def chain_verify(*, expected_head: str | None = None, progress=None) -> ChainReport:
    """Re-hash every entry in constant memory and check links, seqs and the head row.

    The head is read first and the chain is checked up to it, so appends that commit while a
    long verification runs are neither missed as a tail nor mistaken for a head mismatch.
    """
    verifier = ChainVerifier(expected_head=expected_head)
    head = LedgerHead.objects.get(pk=1)
    for seq, entry_type, prev_hash, entry_hash, header, payload in _stream(up_to=head.seq):
        problem = verifier.check(
            seq=seq,
            header_bytes=bytes(header),
            hash=entry_hash,
            payload_bytes=bytes(payload),
            columns={"type": entry_type, "prev_hash": prev_hash},
        )
        if problem:
            return ChainReport(verifier.count, verifier.last_hash, problem)
        if progress and seq % 10000 == 0:
            progress(seq)
    problem = verifier.finish()
    if problem is None and (head.seq, head.hash) != (verifier.last_seq, verifier.last_hash):
        problem = Problem(
            min(head.seq, verifier.last_seq) + 1,
            "head",
            f"the head row says seq {head.seq} {head.hash}, the chain ends at seq "
            f"{verifier.last_seq} {verifier.last_hash}",
        )
    return ChainReport(verifier.count, verifier.last_hash, problem)


def chain_export(*, out, visible=None) -> int:
    """Write the chain as JSON Lines to binary `out`; `visible(header)` False withholds a payload."""
    count = 0
    for _seq, _type, _prev, entry_hash, header, payload in _stream():
        header_obj = json.loads(bytes(header))
        payload_obj = json.loads(bytes(payload)) if visible is None or visible(header_obj) else None
        out.write(export_line(header=header_obj, hash=entry_hash, payload=payload_obj))
        count += 1
    return count
