"""Appending to the ledger: the only code that writes entries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from ledger.chain import NotCanonicalisable, seal
from ledger.errors import DomainError
from ledger.events import HANDLERS, Context, OrgInfo, referenced_lots
from ledger.models import Entry, LedgerHead
from ledger.projection import DbState
from ledger.tree import tree_extend
from passports.queue import rollup_enqueue

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Draft:
    """An entry before it gets its seq and hash."""

    type: str
    organisation: Organisation | None
    actor: str
    occurred_at: datetime
    data: dict


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    """Business time must have a time zone and not run ahead of ours beyond the allowed skew."""
    if timezone.is_naive(occurred_at):
        raise DomainError("invalid", "occurred_at needs a time zone", field="occurred_at")
    limit = now + timedelta(seconds=settings.LEDGER_CLOCK_SKEW_SECONDS)
    if occurred_at > limit:
        raise DomainError(
            "future",
            f"occurred_at {occurred_at.isoformat()} is in the future (allowed skew "
            f"{settings.LEDGER_CLOCK_SKEW_SECONDS} s)",
            field="occurred_at",
        )


def entries_append(*, drafts: Sequence[Draft]) -> list[Entry]:
    """Append drafts to the chain, in order, inside the caller's transaction.

    The head row is locked with SELECT … FOR UPDATE until the caller's transaction ends,
    so concurrent writers queue here and can neither fork the chain nor leave a gap. Callers
    lock the lots they touch *before* calling this, so every writer takes locks in the same
    order (lots, then head) and none can deadlock.
    """
    if not drafts:
        return []
    now = timezone.now()
    for draft in drafts:
        check_occurred_at(draft.occurred_at, now)
    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().get(pk=1)
        recorded_at = timezone.now()
        seq, prev_hash = head.seq, head.hash
        entries = []
        for draft in drafts:
            seq += 1
            try:
                sealed = seal(
                    seq=seq,
                    prev_hash=prev_hash,
                    type=draft.type,
                    org=draft.organisation.slug if draft.organisation else None,
                    actor=draft.actor,
                    occurred_at=draft.occurred_at,
                    recorded_at=recorded_at,
                    payload=draft.data,
                )
            except NotCanonicalisable as exc:
                field = f"data.{exc.path}" if exc.path else "data"
                raise DomainError("invalid", str(exc), field=field) from None
            entries.append(
                Entry(
                    seq=seq,
                    type=draft.type,
                    organisation=draft.organisation,
                    actor=draft.actor,
                    occurred_at=draft.occurred_at,
                    recorded_at=recorded_at,
                    prev_hash=prev_hash,
                    hash=sealed.hash,
                    payload_sha256=sealed.header["payload_sha256"],
                    header=sealed.header_bytes,
                    payload=sealed.payload_bytes,
                )
            )
            prev_hash = sealed.hash
        Entry.objects.bulk_create(entries)
        # The Merkle tree grows in the same transaction, still under the head's lock.
        tree_extend(start=head.seq, last_hash=head.hash, hashes=[entry.hash for entry in entries])
        LedgerHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
    return entries


def entry_append(
    *, type: str, organisation: Organisation | None, actor: str, occurred_at: datetime, data: dict
) -> Entry:
    """Append one entry; see entries_append."""
    draft = Draft(type=type, organisation=organisation, actor=actor, occurred_at=occurred_at, data=data)
    return entries_append(drafts=[draft])[0]


@dataclass(frozen=True)
class EventInput:
    """An event as a client sends it: type, business time and data."""

    type: str
    occurred_at: datetime
    data: dict


@dataclass(frozen=True)
class Recorded:
    """What recording one event wrote: its entry and the codes of the lots it made."""

    entry: Entry
    lots: list[str]


def events_record(*, organisation: Organisation, actor: str, events: Sequence[EventInput]) -> list[Recorded]:
    """Record material-flow events, all or none, each as a ledger entry with its projections.

    The ledger head is locked first, so event transactions run one at a time: two partners
    posting at once cannot both take the last kilograms of a lot. A rule broken by any event
    raises DomainError (field paths prefixed `[i].` in a batch of several) and writes nothing.
    """
    batch = len(events) > 1
    org = OrgInfo(organisation.slug, organisation.sees_everything)
    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().get(pk=1)
        state = DbState()
        now = timezone.now()
        drafts, made = [], []
        for index, event in enumerate(events):
            try:
                handler = HANDLERS.get(event.type)
                if handler is None:
                    raise DomainError("unknown_type", f"unknown event type {event.type!r}", field="type")
                check_occurred_at(event.occurred_at, now)
                state.load_lots(referenced_lots(event.type, event.data))
                before = len(state.new_lots)
                ctx = Context(org=org, occurred_at=event.occurred_at, seq=head.seq + index + 1)
                payload = handler(state, ctx, event.data)
            except DomainError as exc:
                raise (exc.for_item(index) if batch else exc) from None
            drafts.append(Draft(event.type, organisation, actor, event.occurred_at, payload))
            made.append([lot.code for lot in state.new_lots[before:]])
        entries = entries_append(drafts=drafts)
        state.flush()
        rollup_enqueue(seqs=[entry.seq for entry in entries])
    return [Recorded(entry=entry, lots=lots) for entry, lots in zip(entries, made, strict=True)]
