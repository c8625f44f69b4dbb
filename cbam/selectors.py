"""CBAM reads, narrowed to what a viewer may see."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cbam.models import CbamFactorSet, CbamReport, Installation, InstallationUnit, ReportPeriod, UnitKind
from cbam.rules import INSTALLATION_TYPES
from ledger.events import ENTRY_VOIDED, INGOTS_CAST, LOT_AMENDED, MELT_RECORDED
from ledger.models import Consumption, Entry, Lot, Process, Transfer
from ledger.visibility import Viewer


def visible_installations(viewer: Viewer, installations: QuerySet[Installation] | None = None) -> QuerySet:
    """Installations of the viewer's organisation; auditors and the operator see all."""
    installations = Installation.objects.all() if installations is None else installations
    if viewer.sees_everything:
        return installations
    return installations.filter(organisation_id=viewer.organisation_id)


def registered_furnaces(organisation_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """For each of the organisations that has installations, its furnaces as (code, label), the
    label naming the furnace and its installation: what the admin's melt form offers."""
    furnaces: dict[int, list[tuple[str, str]]] = {
        organisation_id: []
        for organisation_id in Installation.objects.filter(organisation_id__in=organisation_ids)
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    }
    units = InstallationUnit.objects.filter(
        kind=UnitKind.FURNACE, installation__organisation_id__in=organisation_ids
    ).select_related("installation")
    for unit in units.order_by("code"):
        site = unit.installation
        named = f"{unit.code} — {unit.name}" if unit.name else unit.code
        furnaces[site.organisation_id].append((unit.code, f"{named} ({site.code} {site.name})"))
    return furnaces


def report_entries(installation: Installation, start, end, *, upto: int) -> list[Entry]:
    """The entries (seq ≤ `upto`) that the report of `installation` over [start, end) uses.

    The installation's own entries; its melts and casts in the period; the entries that made
    what they took (so the scrap's category and the melts a cast poured are known, wherever
    and whenever those were made); and the amendments and voids of any of these.
    """
    org = installation.organisation_id
    furnaces = {
        unit.code: unit.registered_by_id for unit in installation.units.all() if unit.kind == UnitKind.FURNACE
    }
    own = [
        entry
        for entry in Entry.objects.filter(type__in=INSTALLATION_TYPES, organisation_id=org, seq__lte=upto)
        if installation.code in (entry.data.get("code"), entry.data.get("installation"))
    ]
    melts = Process.objects.filter(
        type=MELT_RECORDED, organisation_id=org, entry_id__lte=upto, facts__furnace__in=list(furnaces)
    )
    at_site = {
        seq for seq, furnace in melts.values_list("entry_id", "facts__furnace") if furnaces[furnace] < seq
    }
    melted = set(
        Process.objects.filter(entry_id__in=at_site, occurred_at__gte=start, occurred_at__lt=end).values_list(
            "entry_id", flat=True
        )
    )
    cast = set(
        Process.objects.filter(
            type=INGOTS_CAST,
            organisation_id=org,
            entry_id__lte=upto,
            occurred_at__gte=start,
            occurred_at__lt=end,
            inputs__lot__made_by_id__in=at_site,
        ).values_list("entry_id", flat=True)
    )
    makings = melted | cast
    makings |= set(
        Consumption.objects.filter(process_id__in=makings)
        .values_list("lot__made_by_id", flat=True)
        .distinct()
    )
    codes = set(Lot.objects.filter(made_by_id__in=makings).values_list("code", flat=True))
    makers = set(Process.objects.filter(entry_id__in=makings).values_list("organisation_id", flat=True))
    later = Entry.objects.filter(seq__lte=upto, seq__gt=min(makings, default=upto))
    corrections = [
        entry
        for entry in later.filter(type=LOT_AMENDED, organisation_id__in=makers)
        if entry.data.get("lot") in codes
    ]
    corrections += [entry for entry in later.filter(type=ENTRY_VOIDED) if entry.data.get("seq") in makings]
    made = list(Entry.objects.filter(seq__in=makings))
    return sorted([*own, *made, *corrections], key=lambda entry: entry.seq)


def visible_reports(viewer: Viewer, reports: QuerySet[CbamReport] | None = None) -> QuerySet:
    """Report versions of the viewer's installations, and those of the periods in which the ingot
    lots it holds or held were cast (a buyer sees what it bought); auditors and the operator: all."""
    reports = CbamReport.objects.all() if reports is None else reports
    if viewer.sees_everything:
        return reports
    own = Q(period__installation__organisation_id=viewer.organisation_id)
    return reports.filter(own | Q(period_id__in=_bought_periods(viewer.organisation_id)))


def _bought_periods(organisation_id: int | None) -> set[int]:
    """Periods holding the cast of an ingot lot the organisation holds or held but did not make."""
    if organisation_id is None:
        return set()
    lots = Lot.objects.filter(kind="ingot", holders__organisation_id=organisation_id).exclude(
        made_by__organisation_id=organisation_id
    )
    casts = {cast.pk: cast for cast in Process.objects.filter(entry_id__in=lots.values("made_by_id"))}
    melt_of_cast = dict(
        Consumption.objects.filter(process_id__in=casts).values_list("process_id", "lot__made_by_id")
    )
    sites = melt_sites(Process.objects.filter(entry_id__in=set(melt_of_cast.values())))
    found: set[int] = set()
    for cast_id, cast in casts.items():
        site = sites.get(melt_of_cast.get(cast_id))
        if site is not None:
            found |= set(
                ReportPeriod.objects.filter(
                    installation=site, start__lte=cast.occurred_at, end__gt=cast.occurred_at
                ).values_list("pk", flat=True)
            )
    return found


def melt_sites(melts: Iterable[Process]) -> dict[int, Installation | None]:
    """The installation each melt happened at: the one whose furnace it names, registered before it."""
    melts = list(melts)
    furnaces = {melt.facts.get("furnace") for melt in melts}
    units = {
        unit.code: unit
        for unit in InstallationUnit.objects.filter(code__in=furnaces, kind=UnitKind.FURNACE).select_related(
            "installation__organisation"
        )
    }
    sites: dict[int, Installation | None] = {}
    for melt in melts:
        unit = units.get(melt.facts.get("furnace"))
        at = unit is not None and unit.registered_by_id < melt.pk
        sites[melt.pk] = (
            unit.installation if at and unit.installation.organisation_id == melt.organisation_id else None
        )
    return sites


@dataclass(frozen=True)
class ShipmentLine:
    """One lot of a shipment as the importer declares it."""

    lot: Lot
    mass_g: int
    cn_code: str
    installation: Installation | None
    report: CbamReport | None  # the current report of the period the lot was cast in, if one is kept
    see_direct: str | None


@dataclass(frozen=True)
class Shipment:
    transfer: Transfer
    lines: list[ShipmentLine]


def visible_shipments(viewer: Viewer, transfers: QuerySet[Transfer] | None = None) -> QuerySet[Transfer]:
    """Custody transfers the viewer sent or received (auditors and the operator: all)."""
    transfers = Transfer.objects.all() if transfers is None else transfers
    if viewer.sees_everything:
        return transfers
    return transfers.filter(
        Q(from_organisation_id=viewer.organisation_id) | Q(to_organisation_id=viewer.organisation_id)
    )


def shipment(transfer: Transfer) -> Shipment:
    """Each ingot lot of a custody transfer with its CN code, net mass, installation, period and SEE_direct.

    A lot is at the installation of the melts its cast poured; its report is the current version
    of the widest period kept for that installation that holds the cast's time (the operator's
    reporting period). A lot cast at no installation, or in a period without a report, says so.
    """
    items = transfer.items.filter(lot__kind="ingot").select_related("lot__made_by").order_by("lot__code")
    return Shipment(transfer, _lines([(item.lot, item.mass_g) for item in items]))


def _lines(lots: list[tuple[Lot, int]]) -> list[ShipmentLine]:
    """Ingot lots (with the mass that counts) with their CN code, installation, report and SEE_direct."""
    casts = {lot.made_by_id: lot.made_by for lot, _grams in lots}
    melt_of_cast = dict(
        Consumption.objects.filter(process_id__in=casts).values_list("process_id", "lot__made_by_id")
    )
    sites = melt_sites(Process.objects.filter(entry_id__in=set(melt_of_cast.values())))
    factors = CbamFactorSet.current().factors()
    lines = []
    for lot, grams in lots:
        cast = lot.made_by
        site = sites.get(melt_of_cast.get(cast.pk))
        cn_code, _default = factors.cn_code(lot.alloy)
        report = None
        if site is not None:
            period = (
                ReportPeriod.objects.filter(
                    installation=site, start__lte=cast.occurred_at, end__gt=cast.occurred_at
                )
                .order_by("start", "-end")
                .first()
            )
            report = period.reports.filter(superseded_at=None).first() if period else None
        see = None
        if report is not None:
            see = next(
                (
                    good["see_direct_t_co2e_per_t"]
                    for good in report.document["goods"]
                    if good["cn_code"] == cn_code
                ),
                None,
            )
        lines.append(ShipmentLine(lot, grams, cn_code, site, report, see))
    return lines


def lot_cbam(lot: Lot) -> ShipmentLine | None:
    """The CBAM figures of an ingot lot (as a shipment line of its whole mass); None for other lots."""
    if lot.kind != "ingot":
        return None
    [line] = _lines([(lot, lot.mass_g)])
    return line


def audit_lot_links(lot: Lot, viewer: Viewer) -> list[tuple[str, str]]:
    """For the auditor's lot page: an ingot lot's CBAM report, and the shipments that moved it."""
    from django.urls import reverse

    links = []
    line = lot_cbam(lot)
    if (
        line is not None
        and line.report is not None
        and visible_reports(viewer).filter(pk=line.report.pk).exists()
    ):
        links.append(
            (
                f"CBAM report {line.installation.code} v{line.report.version}",
                reverse("cbam-report", args=[line.report.pk]),
            )
        )
    if lot.kind == "ingot":
        for seq in (
            visible_shipments(viewer).filter(items__lot=lot, voided=False).values_list("pk", flat=True)
        ):
            links.append((f"CBAM shipment #{seq}", reverse("cbam-shipment", args=[seq])))
    return links
