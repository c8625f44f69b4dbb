"""Reads of the PACT app: the facts of a footprint (from the passports' footprint versions),
which ProductFootprints a viewer may see, and the list filters.

`footprint_facts` is the one place that maps remelt's footprints onto PACT's: every part of
a production run has the same per-kg footprint at the maker's gate, so a run's parts are
grouped by the transport that took them to their holders.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Min, QuerySet

from ledger.checkpoints import CheckpointRefused, checkpoint_sign
from ledger.events import ENTRY_VOIDED
from ledger.models import Entry, Lot, SignedCheckpoint
from ledger.visibility import Viewer, visible_lots
from pact import documents
from pact.documents import FootprintFacts
from pact.models import FootprintKey, FootprintLot, FootprintStatus, ProductFootprint
from pact.rules import Criteria
from passports.models import CarbonState, Footprint
from passports.selectors import lot_state, production_run_footprints, rollup_pending_for, upstream_lot_ids
from passports.services import FOOTPRINT_COMPUTED

log = logging.getLogger(__name__)

Subject = tuple[str, int]  # ("run", parts.produced seq) or ("ingot", lot id)


@dataclass(frozen=True)
class Group:
    """The facts of one ProductFootprint, and the lots it describes."""

    facts: FootprintFacts
    outbound: str  # the group's key: kg CO2e per kg of transport to the holder, "" at the gate
    lot_ids: list[int]


# ---------------------------------------------------------------------------------------------
# Which subjects an entry touches


def subjects_of_entry(entry: Entry) -> set[Subject]:
    """Runs and ingot lots whose footprints a roll-up anchor (or a void) may have changed."""
    if entry.type == FOOTPRINT_COMPUTED:
        lots = Lot.objects.filter(footprints__run__entry_id=entry.seq)
    elif entry.type == ENTRY_VOIDED:
        target = entry.data["seq"]
        lots = Lot.objects.filter(made_by_id=target) | Lot.objects.filter(transfers__transfer_id=target)
    else:
        return set()
    subjects: set[Subject] = set()
    for lot_id, kind, made_by in lots.filter(kind__in=("part", "ingot")).values_list(
        "pk", "kind", "made_by_id"
    ):
        subjects.add(("run", made_by) if kind == "part" else ("ingot", lot_id))
    return subjects


# ---------------------------------------------------------------------------------------------
# The facts of a subject's footprints


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _checkpoint_size(anchor_seq: int) -> int | None:
    """The smallest signed checkpoint holding the anchor; one is signed if none holds it yet."""
    size = (
        SignedCheckpoint.objects.filter(size__gte=anchor_seq)
        .order_by("size")
        .values_list("size", flat=True)
        .first()
    )
    if size is not None:
        return size
    try:
        signed = checkpoint_sign()
    except (ImproperlyConfigured, CheckpointRefused):  # no key here, or the tree is wrong: none to name
        log.warning(
            "cannot sign a checkpoint for anchor %s; publishing without its size", anchor_seq, exc_info=True
        )
        return None
    return signed.size if signed is not None and signed.size >= anchor_seq else None


@dataclass(frozen=True)
class _Gate:
    """A subject's footprint per kg at the maker's gate (the current state of its making entry)."""

    per_kg_by_stage: dict[str, Decimal]
    post: Decimal
    pre: Decimal
    method: str
    factor_set: str
    ledger_seq: int
    state_id: int
    supplier: Decimal  # of `alloying`, priced by suppliers' own footprints (remelt-2)


def _gate(kind: str, key: int, lot: Lot) -> _Gate | None:
    if kind == "run":
        current = next((v for v in production_run_footprints(key) if v.superseded_at is None), None)
        if current is None:
            return None
        state = CarbonState.objects.values_list("pk", flat=True).get(process_id=key, version=current.version)
        return _Gate(
            current.per_kg_by_stage,
            current.post_consumer,
            current.pre_consumer,
            current.method,
            current.factor_set,
            current.ledger_seq,
            state,
            current.supplier_per_kg,
        )
    state = lot_state(lot)
    if state is None:
        return None
    value = state.value.of(lot.kind)
    return _Gate(
        dict(value.intensity),
        value.post,
        value.pre,
        state.run.method,
        state.factor_set.version,
        state.run.ledger_seq,
        state.pk,
        value.supplier,
    )


def footprint_facts(subject: Subject) -> list[Group] | None:
    """The ProductFootprints a run (or ingot lot) has now, one per group of its lots that
    reached their holders the same way; None while a roll-up that may change them is pending.

    A run's figures per kg at the maker's gate are its current run-level footprint
    (`passports.selectors.production_run_footprints`, an ingot lot's the state of its cast);
    each part (or the lot) adds only what its own custody transports added per kg, which is the
    outbound. Published only when every lot's current footprint version is of that state.
    """
    kind, key = subject
    lots = Lot.objects.filter(kind="part", made_by_id=key) if kind == "run" else Lot.objects.filter(pk=key)
    lots = list(lots.filter(voided=False).select_related("made_by__organisation").order_by("code"))
    if not lots:
        return []
    if rollup_pending_for(lots[0]):  # a run's parts share their upstream: one check is enough
        return None
    gate = _gate(kind, key, lots[0])
    if gate is None:
        return None
    ids = [lot.pk for lot in lots]
    versions = {
        f.lot_id: f
        for f in Footprint.objects.filter(lot_id__in=ids, superseded_at__isnull=True).select_related(
            "lot", "state", "run__entry", "run__factor_set"
        )
    }
    if versions.keys() != set(ids) or any(v.state_id != gate.state_id for v in versions.values()):
        return None  # some footprints are still of another state: being recomputed
    groups: dict[str, list[Lot]] = defaultdict(list)
    for lot in lots:
        outbound = Decimal(versions[lot.pk].transport_per_kg or "0")
        groups[str(outbound) if outbound else ""].append(lot)
    factor_set = versions[ids[0]].factor_set
    maker = lots[0].made_by.organisation
    estimates = {
        kind: any(f.is_estimate for f in factor_set.factors.all() if f.kind == kind)
        for kind in ("material", "energy", "transport")
    }
    upstream = upstream_lot_ids(lots[0].pk)
    made = Lot.objects.filter(pk__in=upstream).aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    run_hash = Entry.objects.values_list("hash", flat=True).get(seq=key) if kind == "run" else None
    mean_g = Decimal(sum(lot.mass_g for lot in lots)) / len(lots)
    mass_per_unit = (mean_g / 1000).quantize(Decimal("0.001")) if kind == "run" else Decimal(1)
    result = []
    for outbound, members in sorted(groups.items()):
        sample = members[0]
        version = versions[sample.pk]
        anchor_seq = version.run.entry_id
        facts = FootprintFacts(
            subject=kind,
            owner_slug=maker.slug,
            owner_name=maker.name,
            run_seq=key if kind == "run" else None,
            run_hash=run_hash,
            lot_code=sample.code if kind == "ingot" else None,
            part_number=sample.part_number,
            alloy=sample.alloy,
            mass_per_unit_kg=mass_per_unit,
            gate_per_kg=gate.per_kg_by_stage,
            # Alloying additions priced with the factor set; those citing a supplier's own
            # footprint (remelt-2) are primary data.
            generic_per_kg=gate.per_kg_by_stage["alloying"] - gate.supplier,
            outbound_per_kg=Decimal(outbound) if outbound else None,
            post_share=gate.post,
            pre_share=gate.pre,
            method=gate.method,
            factor_set=gate.factor_set,
            factor_estimates=estimates,
            ledger_seq=gate.ledger_seq,
            # The making of the metal, from the first scrap receipt to just after the lot's own
            # making (the end is exclusive); outbound transports are reported apart, so more
            # parts shipped the same way leave the footprint as it is.
            reference_start=_second(made["first"]),
            reference_end=_second(made["last"]) + timedelta(seconds=1),
            country=settings.PACT_COUNTRY,
            anchor_lot=sample.code,
            anchor_kind=sample.kind,
            anchor_version=version.version,
            anchor_digest=version.digest,
            anchor_seq=anchor_seq,
            anchor_hash=version.run.entry.hash,
            checkpoint_size=_checkpoint_size(anchor_seq),
        )
        result.append(Group(facts, outbound, [lot.pk for lot in members]))
    return result


# ---------------------------------------------------------------------------------------------
# Visibility and the list


def visible_footprints(viewer: Viewer, footprints: QuerySet[ProductFootprint] | None = None) -> QuerySet:
    """The ProductFootprints a viewer may see: those describing a lot it may see as a passport."""
    footprints = ProductFootprint.objects.all() if footprints is None else footprints
    if viewer.sees_everything:
        return footprints
    described = FootprintLot.objects.filter(lot__in=visible_lots(viewer)).values("footprint_id")
    return footprints.filter(pk__in=described)


def matching(footprints: QuerySet[ProductFootprint], criteria: Criteria) -> QuerySet[ProductFootprint]:
    """PACT's filter: each criterion matches one of its values (OR), every criterion holds (AND).

    Validity: `validOn` within [start, end], `validAfter` before the start, `validBefore` after the end.
    """
    for kind, values in criteria.keys().items():
        if values:
            keyed = FootprintKey.objects.filter(kind=kind, value__in=values).values("footprint_id")
            footprints = footprints.filter(pk__in=keyed)
    if criteria.valid_on is not None:
        footprints = footprints.filter(valid_from__lte=criteria.valid_on, valid_to__gte=criteria.valid_on)
    if criteria.valid_after is not None:
        footprints = footprints.filter(valid_from__gt=criteria.valid_after)
    if criteria.valid_before is not None:
        footprints = footprints.filter(valid_to__lt=criteria.valid_before)
    if criteria.statuses:
        footprints = footprints.filter(status__in=criteria.statuses)
    return footprints


def footprint_page(*, viewer: Viewer, criteria: Criteria, after: int, limit: int) -> tuple[list, bool]:
    """Up to `limit` footprints after position `after`, in creation order, and whether more follow."""
    rows = list(
        matching(visible_footprints(viewer), criteria)
        .filter(number__gt=after)
        .order_by("number")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# ---------------------------------------------------------------------------------------------
# Catena-X


def footprint_of_lot(lot: Lot) -> ProductFootprint | None:
    """The active ProductFootprint that describes the lot now (the group it joined last)."""
    link = (
        FootprintLot.objects.filter(lot=lot, footprint__status=FootprintStatus.ACTIVE)
        .select_related("footprint")
        .order_by("-pk")
        .first()
    )
    return link.footprint if link else None


def version_number(footprint: ProductFootprint) -> int:
    """Its place in its line of versions: 1, or one more than the version it follows."""
    number, preceding = 1, footprint.document.get("precedingPfIds") or []
    while preceding:
        number += 1
        before = ProductFootprint.objects.filter(id=preceding[0]).values_list("document", flat=True).first()
        preceding = (before or {}).get("precedingPfIds") or []
    return number


def catenax_pcf_of(lot: Lot) -> dict | None:
    """The Catena-X PCF 9.0.0 aspect of the lot's footprint, or None before it is published."""
    footprint = footprint_of_lot(lot)
    if footprint is None:
        return None
    return documents.catenax_pcf(
        footprint.document, version=version_number(footprint), region=settings.PACT_REGION
    )


def catenax_secondary_of(lot: Lot) -> dict | None:
    """The Catena-X secondary material content of the lot (its passport's recycled content)."""
    version = Footprint.objects.filter(lot=lot, superseded_at__isnull=True).first()
    if version is None:
        return None
    shares = version.document["recycled_content"]
    alloy = lot.alloy
    if not alloy:  # a part: the alloy of the ingot lots it was made from, if they agree
        alloys = set(
            Lot.objects.filter(pk__in=upstream_lot_ids(lot.pk), kind="ingot").values_list("alloy", flat=True)
        )
        alloy = alloys.pop() if len(alloys) == 1 else ""
    return documents.catenax_secondary_material(
        order_number=lot.code,
        alloy=alloy,
        mass_kg=Decimal(lot.mass_g) / 1000,
        post_share=Decimal(shares["post_consumer"]),
        pre_share=Decimal(shares["pre_consumer"]),
    )
