"""The material record's tables as projections of the ledger: written with each entry, and
rebuilt from the entries alone to check that nobody changed them behind the ledger's back."""

import gc
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.models import Q
from remelt_verify.chain import Problem
from remelt_verify.disclosure import DisclosureError

from accounts.models import Organisation
from ledger.errors import DomainError
from ledger.events import (
    FOOTPRINT_IMPORTED,
    HANDLERS,
    Context,
    ImportedFootprint,
    LotState,
    MaterialState,
    OrgInfo,
    ProcessState,
    TransferState,
    supplied_by,
)
from ledger.models import (
    Consumption,
    Entry,
    Lot,
    LotHolder,
    Process,
    Transfer,
    TransferItem,
    payload_data,
)
from ledger.rows import insert_prepare, rows_insert, rows_update
from ledger.vocabulary import current_keys, historic_keys, installation_types, installations

LOT_FACTS = (
    "category",
    "grade",
    "alloy",
    "chemistry",
    "part_number",
    "supplier",
    "supplier_name",
    "supplier_confirmed",
    "origin",
)
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U
CODE_RANDOM_LENGTH = 10  # 50 bits


def generated_code(prefix: str) -> str:
    """The code of a new lot whose poster gave none: `prefix` (kind and year, `SCR-2026`) and 10
    random characters, `SCR-2026-7K3QX9MD2A`. Nothing in it counts anything, so a code tells no
    one how many lots its maker or anyone else made, and no code can be guessed from another
    (a public ingot passport is found only by those told its code)."""
    return f"{prefix}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))}"


class _Organisations:
    """All organisations by slug and by id (a small table, read once per state)."""

    def __init__(self) -> None:
        self.by_slug = {org.slug: org for org in Organisation.objects.all()}
        self.by_id = {org.pk: org for org in self.by_slug.values()}

    def info(self, slug: str) -> OrgInfo | None:
        org = self.by_slug.get(slug)
        return OrgInfo(org.slug, org.sees_everything) if org else None


def _footprint_imports(org: Organisation | None) -> list[ImportedFootprint]:
    """The footprint imports of an organisation (a few per supplier), in seq order."""
    if org is None:
        return []
    rows = Entry.objects.filter(type=FOOTPRINT_IMPORTED, organisation=org).order_by("seq")
    found = []
    for seq, payload in rows.values_list("seq", "payload"):
        data = payload_data(payload, None)
        found.append(ImportedFootprint(seq=seq, pf_id=data["pf_id"], per_kg_co2e=data["per_kg_co2e"]))
    return found


class MemoryState(MaterialState):
    """The whole material record in memory, built by replaying the ledger."""

    replaying = True

    def __init__(self) -> None:
        self.lots: dict[str, LotState] = {}
        self.processes: dict[int, ProcessState] = {}
        self.transfers: dict[int, TransferState] = {}
        self.types: dict[int, str] = {}
        self.imports: dict[str, list[ImportedFootprint]] = {}
        self.orgs = _Organisations()
        # A replay checks history against every factor set there was, not only today's.
        self.factors = historic_keys()
        self._sites = installations(replay=True)

    def lot(self, code):
        return self.lots.get(code)

    def process(self, seq):
        return self.processes.get(seq)

    def transfer(self, seq):
        return self.transfers.get(seq)

    def entry_type(self, seq):
        return self.types.get(seq)

    def code_taken(self, code):
        return code in self.lots

    def next_code(self, prefix):
        # Replayed payloads carry their codes; this only serves state built from scratch.
        while (code := generated_code(prefix)) in self.lots:
            pass
        return code

    def organisation(self, slug):
        return self.orgs.info(slug)

    def factor_keys(self):
        return self.factors

    def footprint_imports(self, org):
        # Read once per organisation; the handlers take only the imports before their entry.
        if org not in self.imports:
            self.imports[org] = _footprint_imports(self.orgs.by_slug.get(org))
        return self.imports[org]

    def sites(self):
        return self._sites

    def add_lot(self, lot):
        self.lots[lot.code] = lot

    def add_process(self, process):
        self.processes[process.seq] = process

    def add_transfer(self, transfer):
        self.transfers[transfer.seq] = transfer

    def touch(self, thing):
        pass


class DbState(MaterialState):
    """The lots an event touches, loaded (and locked) from the tables; `flush` writes changes.

    The lots are locked in code order, before the ledger head, so writers naming the same lots
    queue on them. With a `viewer` (the poster), only the lots it holds or held are ever loaded,
    and only their codes count as taken before the insert: a lot of someone else's is to the rules
    exactly what a lot that does not exist is (the same statements, the same answer), and a code
    it has is refused by the insert, after every rule, as a code another request took meanwhile.
    """

    def __init__(self, viewer: OrgInfo | None = None) -> None:
        self.orgs = _Organisations()
        self._viewer_id = (
            None if viewer is None or viewer.sees_everything else self.orgs.by_slug[viewer.slug].pk
        )
        self._lots: dict[str, LotState] = {}
        self._rows: dict[str, Lot] = {}  # the loaded lots' rows
        self._ids: dict[str, int] = {}  # every lot's id by code, loaded or new
        self._processes: dict[int, ProcessState] = {}
        self._transfers: dict[int, TransferState] = {}
        self.new_lots: list[LotState] = []
        self._new_processes: list[ProcessState] = []
        self._new_transfers: list[TransferState] = []
        self._touched: dict[int, LotState | ProcessState | TransferState] = {}
        self._factors: tuple[set[str], set[str]] | None = None
        self._imports: dict[str, list[ImportedFootprint]] = {}
        self._new_codes: set[str] = set()
        self._checked_codes: set[str] = set()  # looked up by check_codes
        self._existing_codes: set[str] = set()  # of those, the ones a lot already has
        self._inserts: list = []  # built by flush_prepare, run by flush
        self._org_id: dict[str, int] = {}
        self._sites = installations(replay=False)

    # -- reading ---------------------------------------------------------------------------

    def lock(
        self,
        *,
        lots: Iterable[str],
        entries: Iterable[int] = (),
        amended: Iterable[str] = (),
        supplied: Iterable[str] = (),
    ) -> None:
        """Load and lock, before the head lock, every lot the events will read or change.

        `lots` are the codes they name, `entries` the seqs they void (whose made, consumed and
        transferred lots change), `amended` the lots whose making process they amend (its row is
        locked too, after the lots: two amendments of lots of one run change the same facts),
        `supplied` the lots whose receipt the poster confirms as their supplier (loaded if they
        name it, although it does not hold them yet).
        """
        wanted = set(lots)
        seqs = list(entries)
        if seqs:
            wanted |= set(Lot.objects.filter(made_by_id__any_of=seqs).values_list("code", flat=True))
            wanted |= set(
                Consumption.objects.filter(process_id__any_of=seqs).values_list("lot__code", flat=True)
            )
            wanted |= set(
                TransferItem.objects.filter(transfer_id__any_of=seqs).values_list("lot__code", flat=True)
            )
        self.load_lots(wanted, supplied=supplied)
        made_by = sorted({self._lots[code].made_by for code in amended if code in self._lots})
        if made_by:
            list(
                Process.objects.select_for_update()
                .filter(pk__any_of=made_by)
                .order_by("pk")
                .values_list("pk")
            )
            # Their facts as of now, under the lock, not as loaded with the lots.
            for seq in made_by:
                self._processes.pop(seq, None)
            self.load_processes(made_by)

    def load_lots(self, codes: Iterable[str], *, supplied: Iterable[str] = ()) -> None:
        """Load and lock the named lots (those not loaded yet), in code order; of `supplied`,
        also those that name the viewer as their supplier."""
        wanted = sorted(set(codes) - self._lots.keys() - self._new_codes)
        if not wanted:
            return
        rows = list(
            self._visible(Lot.objects.select_for_update(of=("self",)), supplied=set(supplied) & set(wanted))
            .filter(code__any_of=wanted)
            .order_by("code")
        )
        ids = [row.pk for row in rows]
        consumed: dict[int, list[int]] = {}
        for lot_id, seq in (
            Consumption.objects.filter(lot_id__any_of=ids, process__voided=False)
            .order_by("process_id")
            .values_list("lot_id", "process_id")
        ):
            consumed.setdefault(lot_id, []).append(seq)
        transferred: dict[int, list[int]] = {}
        for lot_id, seq in (
            TransferItem.objects.filter(lot_id__any_of=ids, transfer__voided=False)
            .order_by("transfer_id")
            .values_list("lot_id", "transfer_id")
        ):
            transferred.setdefault(lot_id, []).append(seq)
        self.load_processes({row.made_by_id for row in rows})
        self.load_transfers({seq for seqs in transferred.values() for seq in seqs})
        for row in rows:
            self._rows[row.code] = row
            self._ids[row.code] = row.pk
            self._lots[row.code] = LotState(
                code=row.code,
                kind=row.kind,
                owner=self.orgs.by_id[row.owner_id].slug,
                mass_g=row.mass_g,
                remaining_g=row.remaining_g,
                made_by=row.made_by_id,
                occurred_at=row.occurred_at,
                voided=row.voided,
                transfers=transferred.get(row.pk, []),
                consumed_by=consumed.get(row.pk, []),
                **{name: getattr(row, name) for name in LOT_FACTS},
            )

    def _visible(self, lots, *, supplied: set[str] = frozenset()):
        """The lots the viewer holds or held (its LotHolder rows), or all without a viewer; and of
        the codes `supplied`, the lots that name the viewer as their supplier."""
        if self._viewer_id is None:
            return lots
        if not supplied:
            return lots.filter(holders__organisation_id=self._viewer_id)
        held = LotHolder.objects.filter(organisation_id=self._viewer_id).values("lot_id")
        slug = self.orgs.by_id[self._viewer_id].slug
        return lots.filter(Q(pk__in=held) | Q(code__in=sorted(supplied), supplier=slug))

    def lot(self, code):
        if code not in self._lots:
            self.load_lots([code])
        return self._lots.get(code)

    def load_processes(self, seqs: Iterable[int]) -> None:
        """Load the processes (not loaded yet) with their inputs and outputs, in three queries."""
        wanted = set(seqs) - self._processes.keys()
        if not wanted:
            return
        inputs: dict[int, dict[str, int]] = {seq: {} for seq in wanted}
        consumed = Consumption.objects.filter(process_id__any_of=wanted).order_by("pk")
        for seq, code, grams in consumed.values_list("process_id", "lot__code", "mass_g"):
            inputs[seq][code] = grams
        outputs: dict[int, list[str]] = {seq: [] for seq in wanted}
        made = Lot.objects.filter(made_by_id__any_of=wanted).order_by("pk")
        for seq, code in made.values_list("made_by_id", "code"):
            outputs[seq].append(code)
        for row in Process.objects.filter(pk__any_of=wanted):
            self._processes[row.pk] = ProcessState(
                seq=row.pk,
                type=row.type,
                org=self.orgs.by_id[row.organisation_id].slug,
                occurred_at=row.occurred_at,
                facts=row.facts,
                inputs=inputs[row.pk],
                outputs=outputs[row.pk],
                voided=row.voided,
            )

    def process(self, seq):
        if seq not in self._processes:
            self.load_processes([seq])
        return self._processes.get(seq)

    def load_transfers(self, seqs: Iterable[int]) -> None:
        """Load the transfers (not loaded yet) with their items, in two queries."""
        wanted = set(seqs) - self._transfers.keys()
        if not wanted:
            return
        items: dict[int, dict[str, int]] = {seq: {} for seq in wanted}
        moved = TransferItem.objects.filter(transfer_id__any_of=wanted).order_by("pk")
        for seq, code, grams in moved.values_list("transfer_id", "lot__code", "mass_g"):
            items[seq][code] = grams
        for row in Transfer.objects.filter(pk__any_of=wanted):
            self._transfers[row.pk] = TransferState(
                seq=row.pk,
                from_org=self.orgs.by_id[row.from_organisation_id].slug,
                to_org=self.orgs.by_id[row.to_organisation_id].slug,
                occurred_at=row.occurred_at,
                transport=row.transport,
                items=items[row.pk],
                voided=row.voided,
            )

    def transfer(self, seq):
        if seq not in self._transfers:
            self.load_transfers([seq])
        return self._transfers.get(seq)

    def entry_type(self, seq):
        return Entry.objects.filter(pk=seq).values_list("type", flat=True).first()

    def check_codes(self, codes: Iterable[str]) -> None:
        """Look up in one query whether lots the viewer may know of have these codes (a batch names
        hundreds); a code of anyone else's lot is left to the insert (see the class)."""
        wanted = set(codes) - self._checked_codes
        if wanted:
            found = self._visible(Lot.objects.filter(code__any_of=wanted)).values_list("code", flat=True)
            self._existing_codes |= set(found)
            self._checked_codes |= wanted

    def code_taken(self, code):
        if code in self._new_codes or code in self._lots or code in self._existing_codes:
            return True
        if code not in self._checked_codes:
            self.check_codes([code])
        return code in self._existing_codes

    def next_code(self, prefix):
        # Random, so made before the head lock with no counter to lock. One that a lot already has
        # (1 in 2**50 each) is refused by the insert under the head lock as taken meanwhile.
        while (code := generated_code(prefix)) in self._new_codes:
            pass
        return code

    def organisation(self, slug):
        return self.orgs.info(slug)

    def factor_keys(self):
        if self._factors is None:
            self._factors = current_keys()
        return self._factors

    def footprint_imports(self, org):
        if org not in self._imports:
            self._imports[org] = _footprint_imports(self.orgs.by_slug.get(org))
        return self._imports[org]

    def sites(self):
        return self._sites

    # -- changing --------------------------------------------------------------------------

    def add_lot(self, lot):
        self._lots[lot.code] = lot
        self._new_codes.add(lot.code)
        self.new_lots.append(lot)

    def add_process(self, process):
        self._processes[process.seq] = process
        self._new_processes.append(process)

    def add_transfer(self, transfer):
        self._transfers[transfer.seq] = transfer
        self._new_transfers.append(transfer)

    def touch(self, thing):
        self._touched[id(thing)] = thing

    def flush_prepare(self) -> None:
        """Before the head lock, once the handlers ran: write what changed in existing rows (the
        lots, processes and transfers `lock` locked, and those lots' holders) and build the
        inserts of the new rows, which `flush` runs under the head lock."""
        org_id = {slug: org.pk for slug, org in self.orgs.by_slug.items()}
        self._org_id = org_id
        affected = [code for code in self._holders_affected() if code not in self._new_codes]
        self._update_existing(org_id)
        self._write_holders(org_id, affected)
        lots = self.new_lots
        self._inserts = [
            insert_prepare(
                Process,
                ("entry", "type", "organisation", "occurred_at", "facts", "voided"),
                [
                    (p.seq, p.type, org_id[p.org], p.occurred_at, p.facts, p.voided)
                    for p in self._new_processes
                ],
                seqs=("entry",),
            ),
            *self._lots_insert(lots),
            insert_prepare(
                Consumption,
                ("process", "lot", "mass_g"),
                [(p.seq, code, grams) for p in self._new_processes for code, grams in p.inputs.items()],
                seqs=("process",),
                codes=("lot",),
            ),
            insert_prepare(
                Transfer,
                ("entry", "from_organisation", "to_organisation", "occurred_at", "transport", "voided"),
                [
                    (t.seq, org_id[t.from_org], org_id[t.to_org], t.occurred_at, t.transport, t.voided)
                    for t in self._new_transfers
                ],
                seqs=("entry",),
            ),
            insert_prepare(
                TransferItem,
                ("transfer", "lot", "mass_g"),
                [(t.seq, code, grams) for t in self._new_transfers for code, grams in t.items.items()],
                seqs=("transfer",),
                codes=("lot",),
            ),
        ]

    def _lots_insert(self, lots: list[LotState]) -> list:
        """The inserts of new lots and their holders (in that order)."""
        org_id = self._org_id
        lot_fields = ("code", "kind", "owner", "mass_g", "remaining_g", "made_by", "occurred_at", "voided")
        rows = [
            (
                lot.code,
                lot.kind,
                org_id[lot.owner],
                lot.mass_g,
                lot.remaining_g,
                lot.made_by,
                lot.occurred_at,
                lot.voided,
                *(getattr(lot, name) for name in LOT_FACTS),
            )
            for lot in lots
        ]
        holders = sorted(
            (lot.code, org_id[slug]) for lot in lots for slug in holders_of(self, lot) if slug in org_id
        )
        # Lots go in first, with conflicts skipped (a code taken meanwhile is counted by flush).
        return [
            insert_prepare(Lot, (*lot_fields, *LOT_FACTS), rows, seqs=("made_by",), ignore_conflicts=True),
            insert_prepare(LotHolder, ("lot", "organisation"), holders, codes=("lot",)),
        ]

    def flush(self, head_seq: int) -> list[str]:
        """Under the head lock, once the entries exist (`head_seq` being the head's seq before
        them): insert the new rows that flush_prepare built. Returns the new lots' codes."""
        self._sites.flush()
        processes, lots, holders, *others = self._inserts
        if processes:
            processes.run(head_seq)
        made = lots.run(head_seq) if lots else 0
        if made != len(self.new_lots):
            # A code of a lot the poster may not know of, or one another request took since the
            # rules ran: both are this one answer, after every rule of the request has passed.
            taken = Lot.objects.filter(code__any_of=self._new_codes, made_by__lte=head_seq)
            raise DomainError(
                "duplicate_code",
                "not available: " + ", ".join(sorted(taken.values_list("code", flat=True))[:10]),
                status=409,
            )
        for insert in (holders, *others):
            if insert:
                insert.run(head_seq)
        return [lot.code for lot in self.new_lots]

    def _update_existing(self, org_id: dict[str, int]) -> None:
        new_ids = {id(thing) for thing in (*self.new_lots, *self._new_processes, *self._new_transfers)}
        changed_lots, changed_processes, changed_transfers = [], [], []
        for thing in self._touched.values():
            if id(thing) in new_ids:
                continue
            if isinstance(thing, LotState):
                row = self._rows[thing.code]
                row.owner_id = org_id[thing.owner]
                row.remaining_g = thing.remaining_g
                row.voided = thing.voided
                for name in LOT_FACTS:
                    setattr(row, name, getattr(thing, name))
                changed_lots.append(row)
            elif isinstance(thing, ProcessState):
                changed_processes.append(Process(entry_id=thing.seq, facts=thing.facts, voided=thing.voided))
            else:
                changed_transfers.append(Transfer(entry_id=thing.seq, voided=thing.voided))
        # Set-based updates (one statement per table), not a CASE per row and column.
        lot_columns = ("owner", "remaining_g", "voided", *LOT_FACTS)
        rows_update(
            Lot,
            "id",
            lot_columns,
            [(row.pk, *(getattr(row, name) for name in _attnames(Lot, lot_columns))) for row in changed_lots],
        )
        rows_update(
            Process,
            "entry",
            ("facts", "voided"),
            [(p.entry_id, p.facts, p.voided) for p in changed_processes],
        )
        rows_update(Transfer, "entry", ("voided",), [(t.entry_id, t.voided) for t in changed_transfers])

    def _holders_affected(self) -> set[str]:
        """The lots whose holders may change: new ones, those moved or given back, and those whose
        supplier confirmed (read before the rows take the lots' new state)."""
        affected = {lot.code for lot in self.new_lots}
        affected |= {
            thing.code
            for thing in self._touched.values()
            if isinstance(thing, LotState)
            and thing.code in self._rows
            and thing.supplier_confirmed != self._rows[thing.code].supplier_confirmed
        }
        affected |= {code for t in self._new_transfers for code in t.items}
        affected |= {
            code
            for thing in self._touched.values()
            if isinstance(thing, TransferState)
            for code in thing.items
        }
        return affected

    def _write_holders(self, org_id: dict[str, int], codes: list[str]) -> None:
        """Bring the holder rows of existing lots (locked) in line with who holds or held them."""
        if not codes:
            return
        wanted = {
            (self._ids[code], org_id[slug])
            for code in codes
            for slug in holders_of(self, self._lots[code])
            if slug in org_id
        }
        lot_ids = {self._ids[code] for code in codes}
        existing = set(
            LotHolder.objects.filter(lot_id__any_of=lot_ids).values_list("lot_id", "organisation_id")
        )
        stale = existing - wanted
        if stale:
            rows = LotHolder.objects.filter(lot_id__in={lot_id for lot_id, _org in stale})
            LotHolder.objects.filter(
                pk__in=[
                    pk
                    for pk, *holder in rows.values_list("pk", "lot_id", "organisation_id")
                    if tuple(holder) in stale
                ]
            ).delete()
        rows_insert(LotHolder, ("lot", "organisation"), sorted(wanted - existing))


def _attnames(model, names) -> list[str]:
    """The attribute names of fields (`owner_id` for the foreign key `owner`)."""
    return [model._meta.get_field(name).attname for name in names]


def holders_of(state: MaterialState, lot: LotState) -> set[str]:
    """Who holds or held a lot: its maker, its supplier (on the platform, once it confirmed the
    receipt), and every receiver."""
    slugs = {state.process(lot.made_by).org, lot.owner}
    if supplied_by(state, lot, lot.supplier):
        slugs.add(lot.supplier)
    slugs |= {state.transfer(seq).to_org for seq in lot.transfers}
    return slugs


# ---------------------------------------------------------------------------------------------
# Replay


def handler_for(entry_type: str):
    """The rules of an entry type: a material-flow event's, or the installations' app's."""
    handler = HANDLERS.get(entry_type)
    if handler is not None:
        return handler
    if entry_type in installation_types():
        return lambda state, ctx, data: state.sites().handle(entry_type, ctx, data)
    raise DomainError("unknown_type", f"unknown event type {entry_type!r}", field="type")


def replay() -> MemoryState:
    """Rebuild the material record from the entries alone, re-checking every rule on the way."""
    state = MemoryState()
    entries = (
        Entry.objects.order_by("seq")
        .filter(type__in=[*HANDLERS, *installation_types()])
        .values_list("seq", "type", "organisation_id", "occurred_at", "payload", "disclosures")
        .iterator(chunk_size=2000)
    )
    for seq, entry_type, organisation_id, occurred_at, payload, disclosures in entries:
        state.types[seq] = entry_type
        org = state.orgs.by_id[organisation_id]
        ctx = Context(org=OrgInfo(org.slug, org.sees_everything), occurred_at=occurred_at, seq=seq)
        try:
            data = payload_data(payload, disclosures)
        except DisclosureError as exc:
            raise ReplayError(Problem(seq, "disclosure", str(exc))) from None
        try:
            handler_for(entry_type)(state, ctx, data)
        except DomainError as exc:
            raise ReplayError(Problem(seq, "replay", f"the entry breaks a rule on replay: {exc}")) from None
    return state


class ReplayError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while (back on after, if it was on).

    A replay only adds to what it holds (a lot, a process, a transfer per item of a plant's
    month: millions of objects), and each full collection walks all of it while finding nothing
    to free: a quarter of verify_ledger's CPU time at 270,000 wheels. What a replay lets go of
    (the parsed entries) has no cycles and is freed as it goes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def projection_drift() -> Problem | None:
    """Replay the ledger and compare with the tables; the first difference, or None."""
    with _collector_paused():
        return _drift()


def _drift() -> Problem | None:
    try:
        state = replay()
    except ReplayError as exc:
        return exc.problem
    slugs = {org.pk: org.slug for org in state.orgs.by_slug.values()}
    fields = ("code", "kind", "owner_id", "mass_g", "remaining_g", "made_by_id", "voided", *LOT_FACTS)
    # The whole table against the replay first, as one comparison of two dicts of rows by code
    # (made in C); only when they differ is the first difference looked for row by row, to name it.
    if _lot_rows(fields, slugs) == _replayed_lot_rows(state):
        return _process_drift(state) or _transfer_drift(state)
    seen = set()
    for row in Lot.objects.order_by("made_by_id", "code").values_list(*fields).iterator(chunk_size=5000):
        table = dict(zip(fields, row, strict=True))
        code = table["code"]
        seen.add(code)
        lot = state.lots.get(code)
        if lot is None:
            return Problem(
                table["made_by_id"], "projection drift", f"lot {code} is in the table but not in the ledger"
            )
        replayed = {
            "code": lot.code,
            "kind": lot.kind,
            "owner_id": lot.owner,
            "mass_g": lot.mass_g,
            "remaining_g": lot.remaining_g,
            "made_by_id": lot.made_by,
            "voided": lot.voided,
            **{name: getattr(lot, name) for name in LOT_FACTS},
        }
        table["owner_id"] = slugs.get(table["owner_id"])
        for name in fields:
            if table[name] != replayed[name]:
                return Problem(
                    lot.made_by,
                    "projection drift",
                    f"lot {code} {name.removesuffix('_id')} is {table[name]!r} in the table, "
                    f"{replayed[name]!r} by the ledger",
                )
    missing = sorted(set(state.lots) - seen, key=lambda code: state.lots[code].made_by)
    if missing:
        lot = state.lots[missing[0]]
        return Problem(
            lot.made_by, "projection drift", f"lot {lot.code} is in the ledger but not in the table"
        )
    return _process_drift(state) or _transfer_drift(state)


def _lot_rows(fields: tuple[str, ...], slugs: dict[int, str]) -> dict[str, tuple]:
    """Every row of the lot table by code, as (code, kind, owner's slug, …) in `fields`' order."""
    owner = fields.index("owner_id")
    rows = {}
    for row in Lot.objects.values_list(*fields).iterator(chunk_size=5000):
        row = list(row)
        row[owner] = slugs.get(row[owner])
        rows[row[0]] = tuple(row)
    return rows


def _replayed_lot_rows(state: MemoryState) -> dict[str, tuple]:
    """The replayed lots as _lot_rows reads the table."""
    return {
        lot.code: (
            lot.code,
            lot.kind,
            lot.owner,
            lot.mass_g,
            lot.remaining_g,
            lot.made_by,
            lot.voided,
            *(getattr(lot, name) for name in LOT_FACTS),
        )
        for lot in state.lots.values()
    }


def _process_drift(state: MemoryState) -> Problem | None:
    tables = {
        seq: (facts, voided)
        for seq, facts, voided in Process.objects.values_list("entry_id", "facts", "voided").iterator(
            chunk_size=5000
        )
    }
    consumed: dict[int, dict[str, int]] = {}
    for seq, code, grams in Consumption.objects.values_list("process_id", "lot__code", "mass_g").iterator(
        chunk_size=5000
    ):
        consumed.setdefault(seq, {})[code] = grams
    for seq in sorted(tables.keys() | state.processes.keys()):
        process = state.processes.get(seq)
        if process is None or seq not in tables:
            return Problem(seq, "projection drift", "process is missing on one side (table or ledger)")
        if tables[seq] != (process.facts, process.voided):
            return Problem(seq, "projection drift", "process facts differ from the ledger")
        if consumed.get(seq, {}) != process.inputs:
            return Problem(seq, "projection drift", "consumptions differ from the ledger")
    return None


def _transfer_drift(state: MemoryState) -> Problem | None:
    tables = {
        seq: (voided, transport)
        for seq, voided, transport in Transfer.objects.values_list("entry_id", "voided", "transport")
    }
    items: dict[int, dict[str, int]] = {}
    for seq, code, grams in TransferItem.objects.values_list("transfer_id", "lot__code", "mass_g"):
        items.setdefault(seq, {})[code] = grams
    for seq in sorted(tables.keys() | state.transfers.keys()):
        transfer = state.transfers.get(seq)
        if transfer is None or seq not in tables:
            return Problem(seq, "projection drift", "transfer is missing on one side (table or ledger)")
        if tables[seq] != (transfer.voided, transfer.transport) or items.get(seq, {}) != transfer.items:
            return Problem(seq, "projection drift", "transfer differs from the ledger")
    return None
