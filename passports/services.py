"""Roll-ups: compute the carbon of what each entry made, and footprint versions, anchored in the ledger.

A roll-up works per making entry, not per part: every wheel of a part run has the carbon of
its run at the maker's gate, so a run's state is computed once, whatever its size, and per
part only what differs is kept (its custody transports; its mass is the lot's). Reads and
writes are set-based: a fixed number of queries per chunk of lots.
"""

import hashlib
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import FilteredRelation, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from remelt_verify import carbon
from remelt_verify.chain import canonical
from remelt_verify.steps import state_leaf, state_member

from ledger.errors import DomainError, quoted
from ledger.events import CUSTODY_TRANSFERRED, ENTRY_VOIDED, FOOTPRINT_IMPORTED, LOT_AMENDED, MAKING_TYPES
from ledger.models import Consumption, Entry, LedgerHead, Lot, Process, Transfer, TransferItem
from ledger.quantities import parse_amount
from ledger.rows import rows_insert
from ledger.services import SYSTEM_ACTOR, entry_append, head_lock
from passports import anchor
from passports.models import (
    METHOD_VERSION,
    AnchorNode,
    CarbonState,
    EmissionFactorSet,
    Footprint,
    PendingRollup,
    RollupRun,
    footprint_document,
)

log = logging.getLogger(__name__)

FOOTPRINT_KINDS = ("part", "ingot")
FOOTPRINT_COMPUTED = "footprint.computed"
LOT_CHUNK = 5000  # lots read per query (and footprint rows written per INSERT off PostgreSQL)
TRANSPORT_NONE = str(carbon.ZERO)


def factors_of(factor_set: EmissionFactorSet) -> carbon.Factors:
    return factor_set.carbon_factors()


# ---------------------------------------------------------------------------------------------
# Scope: which processes to recompute and which footprints to look at


def rollup_scope(pending: list[int]) -> tuple[set[int], set[int]]:
    """Making processes to recompute, and lots whose footprints may have changed."""
    dirty: set[int] = set()
    lots: set[int] = set()
    transfers: set[int] = set()
    for seq, entry_type, payload in Entry.objects.filter(seq__in=pending).values_list(
        "seq", "type", "payload"
    ):
        if entry_type in MAKING_TYPES:
            dirty.add(seq)
        elif entry_type == CUSTODY_TRANSFERRED:
            transfers.add(seq)
        elif entry_type == LOT_AMENDED:
            code = Entry(payload=payload).data["lot"]
            dirty.add(Lot.objects.values_list("made_by_id", flat=True).get(code=code))
        elif entry_type == ENTRY_VOIDED:
            target = Entry(payload=payload).data["seq"]
            lots |= set(Lot.objects.filter(made_by_id=target).values_list("pk", flat=True))
            transfers.add(target)
    lots |= set(TransferItem.objects.filter(transfer_id__in=transfers).values_list("lot_id", flat=True))
    return dirty, lots


def _downstream(dirty: set[int]) -> set[int]:
    """Every live process that (transitively) consumed an output of a dirty one."""
    frontier = set(dirty)
    while frontier:
        consumers = set(
            Consumption.objects.filter(lot__made_by_id__in=frontier, process__voided=False).values_list(
                "process_id", flat=True
            )
        )
        frontier = consumers - dirty
        dirty |= frontier
    return dirty


def _load_processes(dirty: set[int]) -> list[carbon.ProcessFacts]:
    """The live processes among `dirty` with their inputs and outputs; a run's parts as one total."""
    rows = (
        Process.objects.filter(pk__in=dirty, voided=False).order_by("pk").values_list("pk", "type", "facts")
    )
    inputs: dict[int, list[tuple[int, int]]] = {}
    for process_id, lot_id, grams in (
        Consumption.objects.filter(process_id__in=dirty)
        .order_by("pk")
        .values_list("process_id", "lot_id", "mass_g")
    ):
        inputs.setdefault(process_id, []).append((lot_id, grams))
    outputs: dict[int, list[tuple[int, int, str]]] = {}
    categories: dict[int, str] = {}
    for lot_id, process_id, grams, kind, category in (
        Lot.objects.filter(made_by_id__in=dirty)
        .exclude(kind="part")
        .order_by("pk")
        .values_list("pk", "made_by_id", "mass_g", "kind", "category")
    ):
        outputs.setdefault(process_id, []).append((lot_id, grams, kind))
        categories[process_id] = category
    parts = dict(
        Lot.objects.filter(made_by_id__in=dirty, kind="part")
        .values("made_by_id")
        .annotate(grams=Sum("mass_g"))
        .values_list("made_by_id", "grams")
    )
    rows = list(rows)
    cited = _cited_per_kg(facts for _seq, _type, facts in rows)
    return [
        carbon.ProcessFacts(
            seq=seq,
            type=entry_type,
            facts=facts,
            inputs=inputs.get(seq, []),
            outputs=outputs.get(seq, []),
            category=categories.get(seq, ""),
            parts_g=int(parts.get(seq) or 0),
            cited=cited,
        )
        for seq, entry_type, facts in rows
    ]


def _cited_per_kg(facts: Iterable[dict]) -> dict[int, Decimal]:
    """kg CO2e per kg of the supplier footprints the melts' additions cite (method remelt-2),
    by the seq of the `pact.footprint.imported` entry each names, read from those entries."""
    seqs = {
        addition["footprint_entry"]
        for process in facts
        for addition in process.get("additions", ())
        if "footprint" in addition
    }
    if not seqs:
        return {}
    entries = Entry.objects.filter(seq__in=seqs, type=FOOTPRINT_IMPORTED)
    return {
        entry.seq: Decimal(entry.data["per_kg_co2e"])
        for entry in entries.only("seq", "payload", "disclosures")
    }


def _transfer_log(lot_ids: Iterable[int], factors: carbon.Factors) -> carbon.TransferLog:
    log_ = carbon.TransferLog()
    per_kg = _PerKg(factors)
    items = TransferItem.objects.filter(transfer__voided=False, lot_id__in=list(lot_ids))
    rows = list(items.order_by("transfer_id").values_list("lot_id", "transfer_id"))
    per_kg.load({seq for _lot, seq in rows})
    for lot_id, seq in rows:
        log_.add(lot_id, seq, per_kg[seq])
    return log_


class _PerKg(dict):
    """Transfers' intensity increments (kg CO2e per kg moved), by seq, read as needed."""

    def __init__(self, factors: carbon.Factors) -> None:
        super().__init__()
        self.factors = factors

    def load(self, seqs: set[int]) -> None:
        missing = seqs - self.keys()
        for chunk in anchor.chunked(sorted(missing), LOT_CHUNK):
            for seq, transport in Transfer.objects.filter(pk__in=chunk).values_list("pk", "transport"):
                self[seq] = self.factors.transport_per_kg(transport)


def _stored_states(process_ids: Iterable[int]) -> dict[int, CarbonState]:
    """The current carbon state of each of these making processes that has one."""
    found = {}
    for chunk in anchor.chunked(sorted(set(process_ids)), LOT_CHUNK):
        for row in CarbonState.objects.filter(process_id__in=chunk, superseded_at__isnull=True):
            found[row.process_id] = row
    return found


# ---------------------------------------------------------------------------------------------
# The roll-up


# The session advisory lock that keeps roll-ups from interleaving on PostgreSQL ("roll").
ROLLUP_LOCK_KEY = 0x726F6C6C


@dataclass
class _NewVersions:
    """The footprint versions a run makes, in leaf order, column by column (a plant's month of
    wheels is close to a million of them: a few dozen bytes each, not Python objects)."""

    lot_ids: array = field(default_factory=lambda: array("q"))
    versions: array = field(default_factory=lambda: array("l"))
    states: array = field(default_factory=lambda: array("q"))  # CarbonState pk, or -(1 + new index)
    transports: array = field(default_factory=lambda: array("l"))  # index into `transport_values`
    digests: bytearray = field(default_factory=bytearray)
    transport_values: list[str] = field(default_factory=list)
    _transport_index: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lot_ids)

    def add(self, lot_id: int, version: int, state: int, transport: str, digest: bytes) -> None:
        index = self._transport_index.get(transport)
        if index is None:
            index = self._transport_index[transport] = len(self.transport_values)
            self.transport_values.append(transport)
        self.lot_ids.append(lot_id)
        self.versions.append(version)
        self.states.append(state)
        self.transports.append(index)
        self.digests += digest

    def rows(self, run_id: int, state_pks: list[int]) -> Iterator[tuple]:
        """(lot, version, run, state, transport_per_kg, leaf_index, digest) of every version."""
        for leaf in range(len(self.lot_ids)):
            state = self.states[leaf]
            yield (
                self.lot_ids[leaf],
                self.versions[leaf],
                run_id,
                state if state > 0 else state_pks[-state - 1],
                self.transport_values[self.transports[leaf]],
                leaf,
                self.digests[32 * leaf : 32 * leaf + 32].hex(),
            )


@dataclass
class _Plan:
    """What a run computed from its snapshot of the ledger, ready to be written."""

    ledger_seq: int
    factor_set: EmissionFactorSet
    full: bool
    processes: int = 0  # making entries computed
    states: list[tuple[int, int, dict]] = field(default_factory=list)  # (process, version, member)
    superseded_states: list[int] = field(default_factory=list)  # CarbonState pks
    versions: _NewVersions = field(default_factory=_NewVersions)
    superseded: list[int] = field(default_factory=list)  # Footprint pks
    footprint_tree: anchor.TreeBuilder = field(default_factory=anchor.TreeBuilder)
    state_tree: anchor.TreeBuilder = field(default_factory=anchor.TreeBuilder)


def rollup_run(*, full: bool = False, progress: Callable[[str], None] | None = None) -> RollupRun | None:
    """Roll up every pending entry (or, with `full`, everything) and anchor the new versions.

    Two steps. The run first computes from one snapshot of the ledger at its head seq S
    (a read-only REPEATABLE READ transaction on PostgreSQL) without the head lock, so events
    are recorded meanwhile; then, in a short transaction, it stores the new carbon states and
    footprint versions, appends the anchor entry (the only moment it holds the head lock) and
    clears what was pending up to S. Entries committed after S stay pending for the next run.
    A session advisory lock keeps two runs from interleaving. Called inside a transaction (the
    demo loader, tests), both steps run in the caller's transaction with the head locked
    first. Running it again with nothing pending does nothing; an interrupted run writes
    nothing, so it can simply be run again. `progress` hears of each phase.
    """
    progress = progress or (lambda _message: None)
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            head_lock()
            plan = _plan(full=full, progress=progress)
            return _write(plan, progress) if plan else None
    with _runs_one_at_a_time():
        with transaction.atomic():
            _snapshot_read_only()
            plan = _plan(full=full, progress=progress)
        if plan is None:
            return None
        with transaction.atomic():
            return _write(plan, progress)


@contextmanager
def _runs_one_at_a_time():
    """Hold the roll-up's session advisory lock (PostgreSQL; SQLite has a single writer)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ROLLUP_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ROLLUP_LOCK_KEY])


def _snapshot_read_only() -> None:
    """Make the transaction just begun read one snapshot and write nothing (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _plan(*, full: bool, progress: Callable[[str], None]) -> _Plan | None:
    """Compute the carbon states and the new footprint versions at the ledger's head; no writes."""
    seq = LedgerHead.objects.values_list("seq", flat=True).get(pk=1)
    pending = list(PendingRollup.objects.values_list("entry_id", flat=True))
    if not pending and not full:
        return None
    factor_set = EmissionFactorSet.current()
    factors = factor_set.carbon_factors()
    plan = _Plan(seq, factor_set, full)
    candidates: set[int] | None = None  # None: every part and ingot lot
    if full:
        dirty = set(Process.objects.filter(voided=False).values_list("pk", flat=True))
    else:
        dirty, candidates = rollup_scope(pending)
        dirty = _downstream(dirty)
        # A lot whose making entry has no state yet (its roll-up is pending too) brings it in.
        makers = set(Lot.objects.filter(pk__in=candidates, voided=False).values_list("made_by_id", flat=True))
        dirty |= makers - set(_stored_states(makers - dirty))
    progress(f"loading {len(dirty):,} making entries up to seq {seq:,}")
    processes, known = _processes_with_inputs(dirty, full)
    inputs = {lot_id for p in processes for lot_id, _g in p.inputs}
    transfers = _transfer_log(inputs, factors)
    progress(f"computing their carbon with {factor_set.version}")
    computed = carbon.compute_states(processes, known, transfers, factors)
    plan.processes = len(computed)
    refs, values = _new_states(plan, computed, factor_set)
    changed = [process_id for process_id, ref in refs.items() if ref < 0]
    if candidates is not None:
        candidates |= set(
            Lot.objects.filter(made_by_id__in=changed, kind__in=FOOTPRINT_KINDS).values_list("pk", flat=True)
        )
    progress(
        f"{len(plan.states):,} new carbon states; comparing the footprints of "
        + ("every part and ingot lot" if candidates is None else f"{len(candidates):,} parts and ingot lots")
    )
    _versions(plan, candidates, refs, values, factor_set)
    return plan


def _processes_with_inputs(
    dirty: set[int], full: bool
) -> tuple[list[carbon.ProcessFacts], dict[int, carbon.Carbon]]:
    """The dirty processes, plus the stored carbon of their inputs made elsewhere.

    An input whose carbon was never stored (its own roll-up is pending too) brings its
    making process into the run, so the run never depends on a missing value.
    """
    while True:
        processes = _load_processes(dirty)
        made_here = {lot_id for p in processes for lot_id, _g, _k in p.outputs}
        outside = {lot_id for p in processes for lot_id, _g in p.inputs} - made_here
        makers = dict(Lot.objects.filter(pk__in=outside).values_list("pk", "made_by_id"))
        kinds = dict(Lot.objects.filter(pk__in=outside).values_list("pk", "kind"))
        states = _stored_states(makers.values())
        known = {
            lot_id: states[maker].value.of(kinds[lot_id])
            for lot_id, maker in makers.items()
            if maker in states
        }
        missing = outside - known.keys()
        if not missing:
            return processes, known
        dirty |= {makers[lot_id] for lot_id in missing}
        if not full:
            dirty = _downstream(dirty)


def _new_states(
    plan: _Plan, computed: dict[int, carbon.State], factor_set: EmissionFactorSet
) -> tuple[dict[int, int], dict[int, carbon.State]]:
    """Which computed states are new (a leaf each) and which equal the stored one.

    Returns each process's state reference (a CarbonState pk, or -(1 + index) of a new one) and
    the values behind every reference. Voided entries lose their current state.
    """
    stored = _stored_states(computed)
    refs: dict[int, int] = {}
    values: dict[int, carbon.State] = {}
    for process_id, state in computed.items():
        member = state_member(state)
        previous = stored.get(process_id)
        if previous is not None and previous.factor_set_id == factor_set.pk and _member(previous) == member:
            refs[process_id] = previous.pk
            values[previous.pk] = state
            continue
        if previous is not None:
            plan.superseded_states.append(previous.pk)
        ref = -(1 + len(plan.states))
        plan.states.append((process_id, previous.version + 1 if previous else 1, member))
        plan.state_tree.add(state_leaf(process_id, member))
        refs[process_id] = ref
        values[ref] = state
    plan.superseded_states += CarbonState.objects.filter(
        superseded_at__isnull=True, process__voided=True
    ).values_list("pk", flat=True)
    return refs, values


def _member(row: CarbonState) -> dict:
    member = {"intensity": row.intensity, "post_consumer": row.post_share, "pre_consumer": row.pre_share}
    if row.internal_scrap is not None:
        member["internal_scrap"] = row.internal_scrap
    if row.supplier is not None:
        member["supplier"] = row.supplier
    return member


_SENTINEL = "@@remelt-lot@@"


class _Documents:
    """Footprint numbers and digests, computed once per group of lots that share them.

    The lots of a group (same state, kind, mass, transports, factor set and version) have
    documents that differ only in their code, so a document's canonical bytes are made from
    two halves around the code and only hashed per lot.
    """

    def __init__(self, values: dict[int, carbon.State], ledger_seq: int) -> None:
        self.values = values
        self.ledger_seq = ledger_seq
        self._numbers: dict[tuple, dict] = {}
        self._halves: dict[tuple, tuple[bytes, bytes]] = {}
        self._factors: dict[int, carbon.Factors] = {}

    def state(self, ref: int) -> carbon.State:
        if ref not in self.values:
            self.values[ref] = CarbonState.objects.get(pk=ref).value
        return self.values[ref]

    def factors(self, factor_set_id: int) -> carbon.Factors:
        if factor_set_id not in self._factors:
            self._factors[factor_set_id] = EmissionFactorSet.objects.get(pk=factor_set_id).carbon_factors()
        return self._factors[factor_set_id]

    def numbers(self, ref: int, kind: str, mass_g: int, transport: str, factor_set_id: int) -> dict:
        """The document's numbers (everything but lot, version and ledger_seq)."""
        key = (ref, kind, mass_g, transport, factor_set_id)
        found = self._numbers.get(key)
        if found is None:
            document = footprint_document(
                code=_SENTINEL,
                kind=kind,
                mass_g=mass_g,
                base=self.state(ref).of(kind),
                transport_per_kg=Decimal(transport),
                factors=self.factors(factor_set_id),
                version=0,
                ledger_seq=0,
            )
            found = self._numbers[key] = _numbers_of(document)
        return found

    def digest(
        self, code: str, ref: int, kind: str, mass_g: int, transport: str, factor_set_id: int, version: int
    ) -> bytes:
        key = (ref, kind, mass_g, transport, factor_set_id, version)
        halves = self._halves.get(key)
        if halves is None:
            document = {
                **self.numbers(ref, kind, mass_g, transport, factor_set_id),
                "lot": _SENTINEL,
                "version": version,
                "ledger_seq": self.ledger_seq,
            }
            before, after = canonical(document).split(anchor.json_string(_SENTINEL))
            halves = self._halves[key] = (before, after)
        return hashlib.sha256(halves[0] + anchor.json_string(code) + halves[1]).digest()


def _numbers_of(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in ("lot", "version", "ledger_seq")}


def _without_method(numbers: dict) -> dict:
    return {key: value for key, value in numbers.items() if key != "method"}


def _candidate_chunks(candidates: set[int] | None) -> Iterator[list[tuple]]:
    """The candidate lots in id order, LOT_CHUNK at a time, each with its current footprint:
    (id, code, kind, mass_g, made_by, voided, footprint id, version, state, transport, factor
    set, document).

    Each chunk is read between its first and last id, on the lots and on the footprints alike,
    so a chunk costs the same however many lots and footprints there are (an open-ended read
    joined the whole footprint table for every chunk: quadratic in a plant-month). Every lot
    (None) is read as consecutive id ranges of LOT_CHUNK ids.
    """
    if candidates is None:
        bounds = Lot.objects.aggregate(first=Min("pk"), last=Max("pk"))
        if bounds["first"] is None:
            return
        for first in range(bounds["first"], bounds["last"] + 1, LOT_CHUNK):
            if rows := _chunk_rows(first, first + LOT_CHUNK - 1):
                yield rows
        return
    for chunk in anchor.chunked(sorted(candidates), LOT_CHUNK):
        if _dense(chunk):  # a day's parts: an id range, not thousands of ids, read and sifted
            wanted = set(chunk)
            yield [row for row in _chunk_rows(chunk[0], chunk[-1]) if row[0] in wanted]
        else:
            yield _chunk_rows(chunk[0], chunk[-1], chunk)


def _chunk_rows(first: int, last: int, ids: Sequence[int] | None = None) -> list[tuple]:
    """The part and ingot lots with ids from `first` to `last` (only `ids`, if given).

    The lots are selected by id alone and their kind is checked here: a condition on the kind
    let a planner without statistics on ledger_lot (a freshly loaded table, before autovacuum
    analyzes it) combine the primary key's range with the (kind, owner) index, which reads
    every part and ingot lot of the ledger for each chunk.
    """
    between = Q(footprints__superseded_at__isnull=True, footprints__lot_id__gte=first)
    between &= Q(footprints__lot_id__lte=last)
    lots = Lot.objects.annotate(current=FilteredRelation("footprints", condition=between))
    lots = lots.filter(pk__gte=first, pk__lte=last).order_by("pk")
    if ids is not None:
        lots = lots.filter(pk__in=ids)
    columns = ("pk", "code", "kind", "mass_g", "made_by_id", "voided")
    columns += ("current__pk", "current__version", "current__state_id", "current__transport_per_kg")
    columns += ("current__run__factor_set_id", "current__stored_document")
    return [row for row in lots.values_list(*columns) if row[2] in FOOTPRINT_KINDS]


def _dense(ids: list[int]) -> bool:
    """Do these ascending ids fill at least half of their range?"""
    return bool(ids) and ids[-1] - ids[0] < 2 * len(ids)


def _transports(lot_ids: list[int], per_kg: _PerKg) -> dict[int, str]:
    """What each lot's custody transports (live transfers) add to its intensity, kg CO2e per kg.

    `lot_ids` ascend (a chunk of candidates). A dense chunk, as a full run's and a day's parts
    are, is read as an id range: a list of thousands of ids costs more to send than the rows.
    """
    items = TransferItem.objects.filter(transfer__voided=False)
    if _dense(lot_ids):
        items = items.filter(lot_id__gte=lot_ids[0], lot_id__lte=lot_ids[-1])
    else:
        items = items.filter(lot_id__in=lot_ids)
    wanted = set(lot_ids)
    rows = [
        (lot_id, seq)
        for lot_id, seq in items.order_by("lot_id", "transfer_id").values_list("lot_id", "transfer_id")
        if lot_id in wanted
    ]
    per_kg.load({seq for _lot, seq in rows})
    raised: dict[int, Decimal] = {}
    for lot_id, seq in rows:  # in transfer order, as carbon.TransferLog adds them
        raised[lot_id] = carbon.CONTEXT.add(raised.get(lot_id, carbon.ZERO), per_kg[seq])
    return {lot_id: str(value) for lot_id, value in raised.items()}


def _versions(
    plan: _Plan,
    candidates: set[int] | None,
    refs: dict[int, int],
    values: dict[int, carbon.State],
    factor_set: EmissionFactorSet,
) -> None:
    """Add to the plan a new version for every candidate whose numbers changed; voided lots
    lose their current one. A lot whose state and transports are those of its current version
    is skipped without computing anything."""
    documents = _Documents(values, plan.ledger_seq)
    per_kg = _PerKg(factor_set.carbon_factors())
    current = factor_set.pk
    for rows in _candidate_chunks(candidates):
        transports = _transports([row[0] for row in rows], per_kg)
        makers = {row[4] for row in rows} - refs.keys()
        if makers:
            refs.update((process_id, row.pk) for process_id, row in _stored_states(makers).items())
        for row in rows:
            lot_id, code, kind, mass_g, maker, voided = row[:6]
            fp_id, fp_version, fp_state, fp_transport, fp_factor_set, stored = row[6:]
            if voided:
                if fp_id is not None:
                    plan.superseded.append(fp_id)
                continue
            ref = refs.get(maker)
            if ref is None:  # never happens: every live maker was computed or has a state
                raise RuntimeError(f"lot {code} has no carbon state")
            transport = transports.get(lot_id, TRANSPORT_NONE)
            if fp_id is not None and (fp_state, fp_transport, fp_factor_set) == (ref, transport, current):
                continue
            numbers = documents.numbers(ref, kind, mass_g, transport, current)
            if fp_id is not None:
                previous = (
                    _numbers_of(stored)
                    if stored is not None
                    else documents.numbers(fp_state, kind, mass_g, fp_transport, fp_factor_set)
                )
                if _without_method(previous) == _without_method(numbers):
                    continue  # remelt-2 gives remelt-1's numbers unless an addition cites a footprint
                plan.superseded.append(fp_id)
            version = fp_version + 1 if fp_id is not None else 1
            digest = documents.digest(code, ref, kind, mass_g, transport, current, version)
            plan.versions.add(lot_id, version, ref, transport, digest)
            plan.footprint_tree.add(anchor.footprint_leaf(code, version, digest.hex()))


def _write(plan: _Plan, progress: Callable[[str], None]) -> RollupRun:
    """Store a plan: the run, its carbon states, footprint versions, tree nodes and anchor entry."""
    progress(f"storing {len(plan.states):,} carbon states and {len(plan.versions):,} footprint versions")
    now = timezone.now()
    trees = {
        "footprints": (plan.footprint_tree.count, plan.footprint_tree.root()),
        "states": (plan.state_tree.count, plan.state_tree.root()),
    }
    run = RollupRun.objects.create(
        ledger_seq=plan.ledger_seq,
        factor_set=plan.factor_set,
        method=METHOD_VERSION,
        full=plan.full,
        processes_computed=plan.processes,
        anchor_format=anchor.ANCHOR_FORMAT,
        footprints_count=trees["footprints"][0],
        footprints_root=trees["footprints"][1],
        states_count=trees["states"][0],
        states_root=trees["states"][1],
    )
    _supersede(CarbonState, plan.superseded_states, now)
    state_pks = rows_insert(
        CarbonState,
        ("process", "version", "run", "leaf_index", "factor_set", "intensity", "internal_scrap")
        + ("post_share", "pre_share", "supplier"),
        [
            (
                process_id,
                version,
                run.pk,
                leaf,
                plan.factor_set.pk,
                member["intensity"],
                member.get("internal_scrap"),
                member["post_consumer"],
                member["pre_consumer"],
                member.get("supplier"),
            )
            for leaf, (process_id, version, member) in enumerate(plan.states)
        ],
        returning="id",
    )
    _supersede(Footprint, plan.superseded, now)
    _footprints_insert(plan.versions.rows(run.pk, state_pks))
    nodes = [(run.pk, AnchorNode.Tree.FOOTPRINTS, *node) for node in plan.footprint_tree.nodes]
    nodes += [(run.pk, AnchorNode.Tree.STATES, *node) for node in plan.state_tree.nodes]
    rows_insert(AnchorNode, ("run", "tree", "level", "index", "hash"), nodes)
    if plan.versions or plan.states:
        run.entry = entry_append(
            type=FOOTPRINT_COMPUTED,
            organisation=None,
            actor=SYSTEM_ACTOR,
            occurred_at=timezone.now(),
            data=anchor.anchor_payload(
                run=run.pk,
                method=METHOD_VERSION,
                factor_set=plan.factor_set.version,
                ledger_seq=plan.ledger_seq,
                trees=trees,
            ),
        )
    run.versions_created = len(plan.versions)
    run.finished_at = timezone.now()
    run.save(update_fields=["entry", "versions_created", "finished_at"])
    PendingRollup.objects.filter(entry_id__lte=plan.ledger_seq).delete()
    return run


FOOTPRINT_COLUMNS = ("lot", "version", "run", "state", "transport_per_kg", "leaf_index", "digest")


def _footprints_insert(rows: Iterator[tuple]) -> None:
    """Write the new footprint versions: on PostgreSQL one COPY (a month's wheels are close to a
    million rows, and COPY takes them at a fraction of an INSERT's cost), elsewhere INSERTs of
    LOT_CHUNK rows."""
    if connection.vendor != "postgresql":
        while chunk := [row for _, row in zip(range(LOT_CHUNK), rows, strict=False)]:
            rows_insert(Footprint, FOOTPRINT_COLUMNS, chunk)
        return
    quote = connection.ops.quote_name
    meta = Footprint._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in FOOTPRINT_COLUMNS)
    statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _supersede(model, pks: list[int], now) -> None:
    for chunk in anchor.chunked(pks, LOT_CHUNK):
        model.objects.filter(pk__in=chunk).update(superseded_at=now)


# ---------------------------------------------------------------------------------------------
# Factor sets

REQUIRED_FACTORS = {"electricity_kwh": "energy", "natural_gas_m3": "energy", "primary_aluminium": "material"}


def factor_set_publish(
    *, version: str, description: str, factors: list[dict], activate: bool
) -> EmissionFactorSet:
    """Publish a new factor set (sets are never edited once used); optionally make it the active one.

    Each factor is {key, kind, value, unit, source, is_estimate}; transport keys are
    `transport_<mode>`. The next roll-up with `--all` recomputes everything with it.
    """
    from passports.models import EmissionFactor, FactorKind

    if EmissionFactorSet.objects.filter(version=version).exists():
        raise DomainError(
            "duplicate",
            _("factor set %(version)s exists already") % {"version": quoted(version)},
            field="version",
            status=409,
        )
    keys = {}
    for index, factor in enumerate(factors):
        where = f"factors[{index}]"
        key, kind = factor.get("key"), factor.get("kind")
        if not isinstance(key, str) or not key or key in keys:
            raise DomainError("invalid", _("each factor needs a distinct key"), field=f"{where}.key")
        if kind not in FactorKind.values or (kind == FactorKind.TRANSPORT) != key.startswith("transport_"):
            raise DomainError(
                "invalid", _("transport factors are keyed transport_<mode>"), field=f"{where}.kind"
            )
        value = parse_amount(factor.get("value"), f"{where}.value", places=6, what="factor value")
        keys[key] = (kind, value)
    for key, kind in REQUIRED_FACTORS.items():
        if keys.get(key, (None,))[0] != kind:
            raise DomainError(
                "invalid",
                _("a factor set needs %(key)s (%(kind)s)") % {"key": key, "kind": kind},
                field="factors",
            )
    if not any(kind == FactorKind.TRANSPORT for kind, _ in keys.values()):
        raise DomainError("invalid", _("a factor set needs at least one transport mode"), field="factors")
    with transaction.atomic():
        factor_set = EmissionFactorSet.objects.create(version=version, description=description)
        EmissionFactor.objects.bulk_create(
            EmissionFactor(
                factor_set=factor_set,
                key=factor["key"],
                kind=factor["kind"],
                value=keys[factor["key"]][1],
                unit=factor.get("unit", ""),
                source=factor.get("source", ""),
                is_estimate=bool(factor.get("is_estimate", False)),
            )
            for factor in factors
        )
        if activate:
            EmissionFactorSet.objects.filter(active=True).update(active=False)
            EmissionFactorSet.objects.filter(pk=factor_set.pk).update(active=True)
            factor_set.active = True
    return factor_set
