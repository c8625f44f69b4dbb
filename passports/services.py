"""Roll-ups: compute lot carbon and footprint versions, anchored in the ledger."""

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from remelt_verify import carbon
from remelt_verify.chain import canonical, sha256_hex

from ledger.errors import DomainError
from ledger.models import Consumption, Entry, LedgerHead, Lot, Process, TransferItem
from ledger.quantities import parse_amount
from ledger.services import SYSTEM_ACTOR, entry_append, head_lock
from passports.models import (
    METHOD_VERSION,
    STAGES,
    EmissionFactorSet,
    Footprint,
    LotCarbon,
    PendingRollup,
    RollupRun,
)

log = logging.getLogger(__name__)

FOOTPRINT_KINDS = ("part", "ingot")
FOOTPRINT_COMPUTED = "footprint.computed"


def factors_of(factor_set: EmissionFactorSet) -> carbon.Factors:
    return carbon.Factors(factor_set.version, {f.key: f.value for f in factor_set.factors.all()})


def _stored(value: Decimal) -> str:
    """A settled Decimal (30 significant digits) as stored in LotCarbon rows; exact both ways."""
    return str(value)


def lot_carbon_of(row: LotCarbon) -> carbon.Carbon:
    return carbon.Carbon(
        {stage: Decimal(row.intensity[stage]) for stage in STAGES},
        Decimal(row.post_share),
        Decimal(row.pre_share),
    )


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
        if entry_type in ("scrap.received", "melt.recorded", "ingots.cast", "parts.produced"):
            dirty.add(seq)
        elif entry_type == "custody.transferred":
            transfers.add(seq)
        elif entry_type == "lot.amended":
            code = Entry(payload=payload).data["lot"]
            dirty.add(Lot.objects.values_list("made_by_id", flat=True).get(code=code))
        elif entry_type == "entry.voided":
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
        .order_by("pk")
        .values_list("pk", "made_by_id", "mass_g", "kind", "category")
    ):
        outputs.setdefault(process_id, []).append((lot_id, grams, kind))
        categories[process_id] = category
    return [
        carbon.ProcessFacts(
            seq=seq,
            type=entry_type,
            facts=facts,
            inputs=inputs.get(seq, []),
            outputs=outputs.get(seq, []),
            category=categories.get(seq, ""),
        )
        for seq, entry_type, facts in rows
    ]


def _transfer_log(lot_ids: Iterable[int] | None, factors: carbon.Factors) -> carbon.TransferLog:
    log_ = carbon.TransferLog()
    items = TransferItem.objects.filter(transfer__voided=False)
    if lot_ids is not None:
        items = items.filter(lot_id__in=lot_ids)
    per_kg: dict[int, Decimal] = {}
    for lot_id, seq, transport in items.order_by("transfer_id").values_list(
        "lot_id", "transfer_id", "transfer__transport"
    ):
        if seq not in per_kg:
            per_kg[seq] = factors.transport_per_kg(transport)
        log_.add(lot_id, seq, per_kg[seq])
    return log_


# ---------------------------------------------------------------------------------------------
# The roll-up


# The session advisory lock that keeps roll-ups from interleaving on PostgreSQL ("roll").
ROLLUP_LOCK_KEY = 0x726F6C6C


@dataclass
class _Plan:
    """What a run computed from its snapshot of the ledger, ready to be written."""

    ledger_seq: int
    factor_set: EmissionFactorSet
    full: bool
    computed: dict[int, carbon.Carbon]  # lot carbon to store, by lot id
    superseded: list[int]  # footprints (pk) that new versions or voids replace
    documents: list[tuple[int, dict]]  # (lot id, document) of every new version


def rollup_run(*, full: bool = False, progress: Callable[[str], None] | None = None) -> RollupRun | None:
    """Roll up every pending entry (or, with `full`, everything) and anchor the new versions.

    Two steps. The run first computes from one snapshot of the ledger at its head seq S
    (a read-only REPEATABLE READ transaction on PostgreSQL) without the head lock, so events
    are recorded meanwhile; then, in a short transaction, it stores the lot carbon and the new
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
    """Compute the lot carbon and the new footprint versions at the ledger's head; no writes."""
    seq = LedgerHead.objects.values_list("seq", flat=True).get(pk=1)
    pending = list(PendingRollup.objects.values_list("entry_id", flat=True))
    if not pending and not full:
        return None
    factor_set = EmissionFactorSet.current()
    factors = factors_of(factor_set)
    if full:
        dirty = set(Process.objects.filter(voided=False).values_list("pk", flat=True))
        candidates = set(Lot.objects.filter(kind__in=FOOTPRINT_KINDS).values_list("pk", flat=True))
    else:
        dirty, candidates = rollup_scope(pending)
        dirty = _downstream(dirty)
    progress(f"loading {len(dirty):,} making entries up to seq {seq:,}")
    processes, known = _processes_with_inputs(dirty, full)
    transfers = _transfer_log(None if full else _lots_of_interest(processes, known, candidates), factors)
    progress(f"computing the carbon of their lots with {factor_set.version}")
    computed = carbon.compute(processes, known, transfers, factors)
    candidates |= {lot_id for p in processes for lot_id, _g, kind in p.outputs if kind in FOOTPRINT_KINDS}
    progress(f"comparing the footprints of {len(candidates):,} parts and ingot lots")
    superseded, documents = _versions(candidates, {**known, **computed}, transfers, factors, seq)
    return _Plan(seq, factor_set, full, computed, superseded, documents)


def _write(plan: _Plan, progress: Callable[[str], None]) -> RollupRun:
    """Store a plan: lot carbon, the run, its footprint versions and their anchor entry."""
    progress(f"storing the carbon of {len(plan.computed):,} lots and {len(plan.documents):,} footprints")
    _save_lot_carbon(plan.computed, plan.factor_set, plan.ledger_seq)
    run = RollupRun.objects.create(
        ledger_seq=plan.ledger_seq,
        factor_set=plan.factor_set,
        full=plan.full,
        lots_computed=len(plan.computed),
    )
    Footprint.objects.filter(pk__in=plan.superseded).update(superseded_at=timezone.now())
    created = Footprint.objects.bulk_create(
        [
            Footprint(
                lot_id=lot_id,
                version=document["version"],
                run=run,
                factor_set=plan.factor_set,
                ledger_seq=plan.ledger_seq,
                document=document,
                digest=sha256_hex(canonical(document)),
            )
            for lot_id, document in plan.documents
        ],
        batch_size=2000,
    )
    if created:
        run.entry = entry_append(
            type=FOOTPRINT_COMPUTED,
            organisation=None,
            actor=SYSTEM_ACTOR,
            occurred_at=timezone.now(),
            data={
                "run": run.pk,
                "method": METHOD_VERSION,
                "factor_set": plan.factor_set.version,
                "ledger_seq": plan.ledger_seq,
                "footprints": [[f.document["lot"], f.version, f.digest] for f in created],
            },
        )
    run.versions_created = len(created)
    run.finished_at = timezone.now()
    run.save(update_fields=["entry", "versions_created", "finished_at"])
    PendingRollup.objects.filter(entry_id__lte=plan.ledger_seq).delete()
    return run


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
        known = {row.lot_id: lot_carbon_of(row) for row in LotCarbon.objects.filter(lot_id__in=outside)}
        missing = outside - known.keys()
        if not missing:
            return processes, known
        dirty |= set(Lot.objects.filter(pk__in=missing).values_list("made_by_id", flat=True))
        if not full:
            dirty = _downstream(dirty)


def _lots_of_interest(processes, known, candidates) -> set[int]:
    inputs = {lot_id for p in processes for lot_id, _g in p.inputs}
    outputs = {lot_id for p in processes for lot_id, _g, _k in p.outputs}
    return inputs | outputs | set(known) | set(candidates)


def _save_lot_carbon(computed: dict[int, carbon.Carbon], factor_set: EmissionFactorSet, seq: int) -> None:
    LotCarbon.objects.filter(lot_id__in=computed).delete()
    LotCarbon.objects.bulk_create(
        (
            LotCarbon(
                lot_id=lot_id,
                intensity={stage: _stored(value.intensity[stage]) for stage in STAGES},
                post_share=_stored(value.post),
                pre_share=_stored(value.pre),
                factor_set=factor_set,
                ledger_seq=seq,
            )
            for lot_id, value in computed.items()
        ),
        batch_size=2000,
    )


def _versions(
    candidates, carbons, transfers, factors, ledger_seq
) -> tuple[list[int], list[tuple[int, dict]]]:
    """Which current footprints go, and the documents of the new versions: one for every
    candidate whose numbers changed; voided lots lose theirs."""
    lots = Lot.objects.filter(pk__in=candidates).values_list("pk", "code", "kind", "mass_g", "voided")
    current = {
        f.lot_id: f for f in Footprint.objects.filter(lot_id__in=candidates, superseded_at__isnull=True)
    }
    missing = {lot_id for lot_id, *_ in lots} - carbons.keys()
    stored = {row.lot_id: lot_carbon_of(row) for row in LotCarbon.objects.filter(lot_id__in=missing)}
    superseded, documents = [], []
    for lot_id, code, kind, mass_g, voided in lots:
        previous = current.get(lot_id)
        base = carbons.get(lot_id) or stored.get(lot_id)
        if voided or base is None:
            if previous is not None and voided:
                superseded.append(previous.pk)
            continue
        intensity = carbon.intensity_at(base, lot_id, transfers, None)
        document = carbon.footprint_document(
            code=code, kind=kind, mass_g=mass_g, intensity=intensity, base=base, factors=factors
        )
        if previous is not None and _numbers(previous.document) == _numbers(document):
            continue
        if previous is not None:
            superseded.append(previous.pk)
        version = previous.version + 1 if previous else 1
        documents.append((lot_id, {**document, "version": version, "ledger_seq": ledger_seq}))
    return superseded, documents


def _numbers(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in ("version", "ledger_seq")}


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
        raise DomainError("duplicate", f"factor set {version!r} exists already", field="version", status=409)
    keys = {}
    for index, factor in enumerate(factors):
        where = f"factors[{index}]"
        key, kind = factor.get("key"), factor.get("kind")
        if not isinstance(key, str) or not key or key in keys:
            raise DomainError("invalid", "each factor needs a distinct key", field=f"{where}.key")
        if kind not in FactorKind.values or (kind == FactorKind.TRANSPORT) != key.startswith("transport_"):
            raise DomainError(
                "invalid", "transport factors are keyed transport_<mode>", field=f"{where}.kind"
            )
        value = parse_amount(factor.get("value"), f"{where}.value", places=6, what="factor value")
        keys[key] = (kind, value)
    for key, kind in REQUIRED_FACTORS.items():
        if keys.get(key, (None,))[0] != kind:
            raise DomainError("invalid", f"a factor set needs {key} ({kind})", field="factors")
    if not any(kind == FactorKind.TRANSPORT for kind, _ in keys.values()):
        raise DomainError("invalid", "a factor set needs at least one transport mode", field="factors")
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
