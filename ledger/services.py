"""Appending to the ledger: the only code that writes entries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from remelt_verify.chain import NotCanonicalisable, seal_header

from accounts.models import Organisation
from ledger.disclosure import Commitment, payload_commit
from ledger.errors import DomainError, fields_summary
from ledger.events import ENTRY_VOIDED, HANDLERS, LOT_AMENDED, SUPPLY_CONFIRMED, Context, OrgInfo
from ledger.models import Entry, LedgerHead, TreeNode
from ledger.projection import DbState, handler_for
from ledger.rows import STAND_IN_SEQ, insert_statements, prequote, sql_literal
from ledger.shapes import claimed_codes, declaration, payload_errors, posted_by, referenced_lots
from ledger.signals import entries_appended
from ledger.tree import NODE_FIELDS, tree_completed
from ledger.vocabulary import installation_types

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Draft:
    """An entry before it gets its seq and hash."""

    type: str
    organisation: Organisation | None
    actor: str
    occurred_at: datetime
    data: dict


FIRST_YEAR, LAST_YEAR = 2000, 9999  # business times, in UTC: four-digit years in every header
NAIVE_TIME = "Give a time zone, e.g. 2026-11-02T07:30:00Z or +01:00."
TIME_RANGE = f"Business times are in the years {FIRST_YEAR} to {LAST_YEAR} (in UTC)."


def time_text(moment: datetime) -> str:
    """A time as the API writes it: UTC with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def occurred_at_error(occurred_at: datetime) -> str | None:
    """What is wrong with a business time as such (no zone, outside the years remelt records)."""
    if timezone.is_naive(occurred_at):
        return NAIVE_TIME
    try:
        year = occurred_at.astimezone(UTC).year
    except OverflowError:
        year = LAST_YEAR + 1
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return TIME_RANGE
    return None


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    """Business time must be one remelt records and not run ahead of ours beyond the allowed skew."""
    error = occurred_at_error(occurred_at)
    if error:
        raise DomainError("invalid", error, field="occurred_at")
    limit = now + timedelta(seconds=settings.LEDGER_CLOCK_SKEW_SECONDS)
    if occurred_at > limit:
        raise DomainError(
            "future",
            f"occurred_at {time_text(occurred_at)} is in the future (allowed skew "
            f"{settings.LEDGER_CLOCK_SKEW_SECONDS} s)",
            field="occurred_at",
        )


def unknown_type_message(entry_type: object) -> str:
    return f'"{entry_type}" is not an event type; one of: {", ".join((*HANDLERS, *installation_types()))}.'


def event_errors(entry_type: object, occurred_at: datetime | None, data: object) -> dict[str, list[str]]:
    """Every field error of one event as posted: its type, its business time (when given) and
    its payload against the declaration of its type (ledger.shapes)."""
    errors: dict[str, list[str]] = {}
    # Installation events are declared and checked by the app that keeps installations.
    if entry_type not in HANDLERS and entry_type not in installation_types():
        errors["type"] = [unknown_type_message(entry_type)]
    if occurred_at is not None and (error := occurred_at_error(occurred_at)):
        errors["occurred_at"] = [error]
    if declaration(entry_type) is not None:
        errors.update(payload_errors(entry_type, data))
    return errors


def role_error(organisation: Organisation, entry_type: object) -> str | None:
    """Why `organisation` may not post `entry_type` (none of its roles is among those the type's
    declaration names), or None if it may or the type is not one (its shape check says so)."""
    allowed = posted_by(entry_type) if isinstance(entry_type, str) else None
    if allowed is None or any(organisation.has_role(role) for role in allowed):
        return None
    return _("%(organisation)s (role: %(roles)s) may not post %(type)s; the roles that may: %(allowed)s") % {
        "organisation": organisation.slug,
        "roles": ", ".join(organisation.roles) or "-",
        "type": entry_type,
        "allowed": ", ".join(allowed),
    }


def roles_check(organisation: Organisation, types: Sequence[object]) -> None:
    """Refuse (403 `role_not_allowed`, about `type`) events of a type none of the poster's roles
    may post, before their shape is looked at; in a batch, the first such item."""
    for index, entry_type in enumerate(types):
        message = role_error(organisation, entry_type)
        if message:
            field = f"[{index}].type" if len(types) > 1 else "type"
            raise DomainError("role_not_allowed", message, field=field, status=403)


def events_check(events: Sequence["EventInput"]) -> None:
    """Refuse (400 `invalid`) events of the wrong shape with every field error of every event
    at once, before any lock is taken; in a batch, paths start with the item's index."""
    errors: dict[str, list[str]] = {}
    for index, event in enumerate(events):
        found = event_errors(event.type, event.occurred_at, event.data)
        prefix = f"[{index}]." if len(events) > 1 else ""
        errors.update({prefix + path: messages for path, messages in found.items()})
    if errors:
        raise DomainError("invalid", fields_summary(errors), errors=errors)


def entries_append(*, drafts: Sequence[Draft]) -> list[Entry]:
    """Append drafts to the chain, in order, inside the caller's transaction.

    The head row is locked with SELECT … FOR UPDATE until the caller's transaction ends,
    so concurrent writers queue here and can neither fork the chain nor leave a gap. It is for
    entries that change no lot (the roll-up's anchor); material-flow events go through
    `events_record`, which takes the same lock once it has locked its lots and checked its rules.
    Everything that does not depend on the head (the checks, the payloads' canonical bytes) is
    done before the lock.
    """
    if not drafts:
        return []
    now = timezone.now()
    for draft in drafts:
        check_occurred_at(draft.occurred_at, now)
    payloads = _payloads(drafts)
    quoted = [_quoted(commitment) for commitment in payloads]
    # No savepoint: an append that fails must take the caller's transaction down with it.
    with transaction.atomic(savepoint=False):
        seq, head_hash = head_lock()
        entries = _chain(seq=seq, head_hash=head_hash, drafts=drafts, payloads=payloads, quoted=quoted)
        entries_appended.send(sender=Entry, entries=entries)
        return entries


def head_lock() -> tuple[int, str]:
    """Lock the ledger head until the transaction ends; its seq and hash."""
    return LedgerHead.objects.select_for_update().values_list("seq", "hash").get(pk=1)


def _payloads(drafts: Sequence[Draft]) -> list[Commitment]:
    """The drafts' payloads as canonical bytes (RFC 8785), each with its disclosures' bytes or None."""
    return [_payload(draft) for draft in drafts]


def _quoted(commitment: Commitment) -> tuple:
    """The entry's payload and disclosures quoted for its insert (ledger.rows.prequote)."""
    return (
        prequote(Entry, "payload", commitment.payload),
        prequote(Entry, "disclosures", commitment.disclosures),
    )


def _payload(draft: Draft) -> Commitment:
    try:
        return payload_commit(draft.type, draft.data)
    except NotCanonicalisable as exc:
        field = f"data.{exc.path}" if exc.path else "data"
        raise DomainError("invalid", str(exc), field=field) from None


_ENTRY_COLUMNS = (  # attribute names: insert_statements takes the foreign key's id
    "seq",
    "type",
    "organisation_id",
    "actor",
    "occurred_at",
    "recorded_at",
    "prev_hash",
    "hash",
    "payload_sha256",
    "header",
    "payload",
    "disclosures",
)


def _chain(
    *,
    seq: int,
    head_hash: str,
    drafts: Sequence[Draft],
    payloads: Sequence[Commitment],
    quoted: Sequence[tuple] | None = None,
) -> list[Entry]:
    """Seal the drafts onto the locked head (`seq`, `head_hash`), store them and move the head.

    `quoted` are the payloads' and disclosures' column values as `_quoted` gives them, made
    before the lock (they are the bulk of what is sent).
    """
    recorded_at = timezone.now()
    start, prev_hash = seq, head_hash
    entries = []
    for draft, commitment in zip(drafts, payloads, strict=True):
        payload_bytes = commitment.payload
        seq += 1
        org = draft.organisation
        sealed = seal_header(
            seq=seq,
            prev_hash=prev_hash,
            type=draft.type,
            org=org.slug if org else None,
            actor=draft.actor,
            occurred_at=draft.occurred_at,
            recorded_at=recorded_at,
            payload_bytes=payload_bytes,
        )
        entry = Entry(
            seq=seq,
            type=draft.type,
            organisation=org,
            actor=draft.actor,
            occurred_at=draft.occurred_at,
            recorded_at=recorded_at,
            prev_hash=prev_hash,
            hash=sealed.hash,
            payload_sha256=sealed.header["payload_sha256"],
            header=sealed.header_bytes,
            payload=payload_bytes,
            disclosures=commitment.disclosures,
        )
        entry._state.adding = False  # it is stored below, by plain SQL
        entry._state.db = connection.alias
        entries.append(entry)
        prev_hash = sealed.hash
    rows = [[getattr(entry, name) for name in _ENTRY_COLUMNS] for entry in entries]
    for row, (payload, disclosures) in zip(rows, quoted or [_quoted(c) for c in payloads], strict=True):
        row[-2:] = [payload, disclosures]
    nodes = tree_completed(start=start, last_hash=head_hash, hashes=[entry.hash for entry in entries])
    # The entries, the Merkle tree's new nodes and the head move together, still under the lock.
    writes = [
        *insert_statements(Entry, _ENTRY_COLUMNS, rows),
        *insert_statements(TreeNode, NODE_FIELDS, nodes),
    ]
    head = ("UPDATE ledger_head SET seq = %s, hash = %s WHERE id = 1", [seq, prev_hash])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement (data-modifying CTEs): one round trip while every writer waits. Its
            # rows are quoted into the text (insert_statements), so it takes no parameters.
            ctes = ", ".join(f"write_{index} AS ({sql})" for index, (sql, _params) in enumerate(writes))
            moved = f"UPDATE ledger_head SET seq = {int(seq)}, hash = {sql_literal(prev_hash)} WHERE id = 1"
            cursor.execute(f"WITH {ctes} {moved}")
        else:
            for sql, params in [*writes, head]:
                cursor.execute(sql, params)
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


def batch_cost(events: Sequence["EventInput"]) -> int:
    """A batch's items: one per event and one per entry of each list in its data."""
    total = 0
    for event in events:
        total += 1
        data = event.data if isinstance(event.data, dict) else {}
        total += sum(len(value) for value in data.values() if isinstance(value, list))
    return total


def batch_cost_check(events: Sequence["EventInput"]) -> None:
    """Refuse (413) a batch whose items exceed LEDGER_MAX_BATCH_ITEMS, before any lock is taken."""
    limit = settings.LEDGER_MAX_BATCH_ITEMS
    cost = batch_cost(events)
    if cost > limit:
        raise DomainError(
            "batch_too_large",
            _(
                "the batch has %(cost)s items (events and the entries of their lists); "
                "at most %(limit)s: split it"
            )
            % {"cost": cost, "limit": limit},
            status=413,
        )


def events_record(*, organisation: Organisation, actor: str, events: Sequence[EventInput]) -> list[Recorded]:
    """Record material-flow events, all or none, each as a ledger entry with its projections.

    Every lot the events name that the poster holds or held is locked first (in code order, with
    the processes that voids and amendments change), then the rules run (generating the random
    codes of lots given none) and the payloads are committed, and only then is the ledger head
    locked, for what needs it: the seqs and hashes of the chain, and the writes. Two partners
    posting at once still cannot both take the last kilograms of a lot (they queue on its row),
    and a batch holds the head only for its writes, so other writers' events wait for those, not
    for its rules. A rule broken by any event
    raises DomainError (field paths prefixed `[i].` in a batch of several) and writes nothing.
    """
    batch = len(events) > 1
    roles_check(organisation, [event.type for event in events])
    events_check(events)
    batch_cost_check(events)
    org = OrgInfo(organisation.slug, organisation.sees_everything)
    state = DbState(viewer=org)
    state.factor_keys()
    claimed = [code for event in events for code in claimed_codes(event.type, event.data)]
    referenced = {code for event in events for code in referenced_lots(event.type, event.data)}
    voided = [
        seq
        for event in events
        if event.type == ENTRY_VOIDED
        and isinstance(event.data, dict)
        and isinstance(seq := event.data.get("seq"), int)
        and not isinstance(seq, bool)
    ]
    amended = [
        code
        for event in events
        if event.type == LOT_AMENDED
        for code in referenced_lots(event.type, event.data)
    ]
    supplied = [
        code
        for event in events
        if event.type == SUPPLY_CONFIRMED
        for code in referenced_lots(event.type, event.data)
    ]
    with transaction.atomic():
        # Locks are taken in one order by every writer: lots (by code), processes, the head.
        state.lock(lots=referenced, entries=voided, amended=amended, supplied=supplied)
        state.check_codes(claimed)
        # Installation entries store their own seq (their app's tables): such a batch takes the
        # head now, after its lots, and runs its rules with the real seqs.
        early = any(event.type in installation_types() for event in events)
        head = head_lock() if early else None
        now = timezone.now()
        drafts, made = [], []
        for index, event in enumerate(events):
            try:
                handler = handler_for(event.type)
                check_occurred_at(event.occurred_at, now)
                before = len(state.new_lots)
                # The entry's seq is known only under the head lock: a stand-in until then.
                seq = head[0] + index + 1 if head else STAND_IN_SEQ + index
                ctx = Context(org=org, occurred_at=event.occurred_at, seq=seq)
                payload = handler(state, ctx, event.data)
                drafts.append(Draft(event.type, organisation, actor, event.occurred_at, payload))
                made.append(state.new_lots[before:])
            except DomainError as exc:
                raise (exc.for_item(index) if batch else exc) from None
        payloads = _payloads(drafts)
        quoted = [_quoted(payload) for payload in payloads]
        state.flush_prepare()
        head_seq, head_hash = head or head_lock()
        entries = _chain(seq=head_seq, head_hash=head_hash, drafts=drafts, payloads=payloads, quoted=quoted)
        state.flush(head_seq)
        entries_appended.send(sender=Entry, entries=entries)
    return [
        Recorded(entry=entry, lots=[lot.code for lot in lots])
        for entry, lots in zip(entries, made, strict=True)
    ]
