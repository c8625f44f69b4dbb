"""Importing a weighbridge export: every ticket a scrap receipt, all or none."""

import hashlib
from collections.abc import Callable
from zoneinfo import ZoneInfo

import rfc8785
from django.conf import settings
from django.db import transaction

from accounts.models import Organisation
from ledger.errors import DomainError
from ledger.services import EventInput, Recorded, batch_cost, events_record
from weighbridge.models import ImportedTicket, ReceiptImport
from weighbridge.rules import Receipt, RowErrors, ledger_column, receipt_read, table_read

UTC = ZoneInfo("UTC")


def _digest(event: EventInput) -> str:
    """What a ticket said, for telling an unchanged ticket of an overlapping export from a changed one."""
    said = {"occurred_at": event.occurred_at.isoformat(), "data": event.data}
    return hashlib.sha256(rfc8785.dumps(said)).hexdigest()


def receipts_import(
    *,
    organisation: Organisation,
    actor: str,
    file_name: str,
    content: bytes,
    zone: ZoneInfo = UTC,
    progress: Callable[[str], None] | None = None,
) -> ReceiptImport:
    """Record each ticket of a weighbridge export as a scrap receipt of `organisation`.

    All or none, in one transaction: if any row is wrong, DomainError (`import_refused`) lists
    every row's errors, keyed `rows[<row>].<column>` with the row as the spreadsheet numbers it,
    and nothing is written. A ticket an earlier import recorded with the same values is skipped
    (exports of overlapping periods); one recorded with other values is an error (amend that
    lot instead). Naive times in the file are read in `zone`.
    """
    progress = progress or (lambda _message: None)
    table = table_read(file_name, content)
    progress(
        f"read {len(table.rows):,} rows"
        + (f" (ignored columns: {', '.join(table.ignored)})" if table.ignored else "")
    )
    errors: dict[str, list[str]] = {}

    def refuse(row: int, column: str | None, messages: list[str]) -> None:
        errors.setdefault(f"rows[{row}]" + (f".{column}" if column else ""), []).extend(messages)

    receipts: list[Receipt] = []
    for number, cells in table.rows:
        try:
            receipts.append(receipt_read(number, cells, zone))
        except RowErrors as row_errors:
            for column, messages in row_errors.errors.items():
                refuse(number, column, messages)
    first_row: dict[str, int] = {}
    for receipt in receipts:
        if receipt.ticket in first_row:
            refuse(
                receipt.row, "ticket", [f"ticket {receipt.ticket} is also on row {first_row[receipt.ticket]}"]
            )
        first_row.setdefault(receipt.ticket, receipt.row)

    cells_of = dict(table.rows)
    with transaction.atomic():
        earlier = {
            ticket.ticket: ticket
            for ticket in ImportedTicket.objects.filter(
                organisation=organisation, ticket__in=[r.ticket for r in receipts]
            ).select_related("receipt_import")
        }
        new = []
        for receipt in receipts:
            if (before := earlier.get(receipt.ticket)) is None:
                new.append(receipt)
            elif before.digest != _digest(receipt.event):
                refuse(
                    receipt.row,
                    "ticket",
                    [
                        f"ticket {receipt.ticket} was recorded from {before.receipt_import.file_name} as "
                        f"{before.lot_code} (entry #{before.entry_id}) with other values; "
                        "amend that lot instead"
                    ],
                )
        refused: dict[int, DomainError] = {}
        if errors:  # the rows that were read may still break a rule of the ledger: say so now too
            refused = _refusals(organisation, actor, new)
        else:
            progress(
                f"recording {len(new):,} receipts ({len(receipts) - len(new):,} tickets recorded before)"
            )
            try:
                recorded = _record(organisation, actor, new)
            except RowsRefused as refusal:
                refused = refusal.rows
        for row, error in refused.items():
            for field, messages in error.errors.items():
                refuse(row, ledger_column(field, cells_of[row]), messages)
            if not error.errors:
                refuse(row, None, [error.message])
        if errors:
            rows = len({key.split(".")[0] for key in errors})
            raise DomainError(
                "import_refused",
                f"{rows:,} row{'s' if rows > 1 else ''} of {file_name} "
                f"{'have' if rows > 1 else 'has'} errors; nothing was imported",
                errors=errors,
            )
        done = ReceiptImport.objects.create(
            organisation=organisation,
            actor=actor,
            file_name=file_name,
            sha256=hashlib.sha256(content).hexdigest(),
            recorded=len(new),
            skipped=len(receipts) - len(new),
            first_seq=recorded[0][1].entry.seq if recorded else None,
            last_seq=recorded[-1][1].entry.seq if recorded else None,
        )
        ImportedTicket.objects.bulk_create(
            ImportedTicket(
                receipt_import=done,
                organisation=organisation,
                ticket=receipt.ticket,
                row=receipt.row,
                entry=entry.entry,
                lot_code=entry.lots[0],
                digest=_digest(receipt.event),
            )
            for receipt, entry in recorded
        )
    progress(
        f"recorded {done.recorded:,} receipts"
        + (f", entries #{done.first_seq}–#{done.last_seq}" if recorded else "")
    )
    return done


class RowsRefused(Exception):
    """Rows the ledger refused, by row number: each with its DomainError."""

    def __init__(self, rows: dict[int, DomainError]) -> None:
        super().__init__(f"{len(rows)} rows refused")
        self.rows = rows


class _Rehearsed(Exception):
    """Rolls back a row recorded only to learn whether the ledger accepts it."""


def _record(
    organisation: Organisation, actor: str, receipts: list[Receipt]
) -> list[tuple[Receipt, Recorded]]:
    """Record the receipts in as few batches as the ledger accepts, in the caller's transaction.

    If a rule refuses one, nothing is kept and each row is tried alone in a savepoint rolled
    back, so RowsRefused names every row the ledger refuses, not only the first."""
    batches: list[list[Receipt]] = [[]]
    for receipt in receipts:
        if (
            batches[-1]
            and batch_cost([r.event for r in [*batches[-1], receipt]]) > settings.LEDGER_MAX_BATCH_ITEMS
        ):
            batches.append([])
        batches[-1].append(receipt)
    try:
        with transaction.atomic():
            recorded = []
            for batch in filter(None, batches):
                events = events_record(
                    organisation=organisation, actor=actor, events=[r.event for r in batch]
                )
                recorded += zip(batch, events, strict=True)
            return recorded
    except DomainError as batch_error:
        refused = _refusals(organisation, actor, receipts)
        if not refused:  # the batch as a whole was refused, not a row of it
            raise batch_error from None
        raise RowsRefused(refused) from None


def _refusals(organisation: Organisation, actor: str, receipts: list[Receipt]) -> dict[int, DomainError]:
    """The rows the ledger's rules refuse, each tried alone in a savepoint that is rolled back."""
    refused = {}
    for receipt in receipts:
        try:
            with transaction.atomic():
                events_record(organisation=organisation, actor=actor, events=[receipt.event])
                raise _Rehearsed
        except _Rehearsed:
            pass
        except DomainError as error:
            refused[receipt.row] = error
    return refused
