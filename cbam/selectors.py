"""CBAM reads, narrowed to what a viewer may see."""

from django.db.models import QuerySet

from cbam.models import CbamReport, Installation, UnitKind
from cbam.rules import INSTALLATION_TYPES
from ledger.events import ENTRY_VOIDED, INGOTS_CAST, LOT_AMENDED, MELT_RECORDED
from ledger.models import Consumption, Entry, Lot, Process
from ledger.visibility import Viewer


def visible_installations(viewer: Viewer, installations: QuerySet[Installation] | None = None) -> QuerySet:
    """Installations of the viewer's organisation; auditors and the operator see all."""
    installations = Installation.objects.all() if installations is None else installations
    if viewer.sees_everything:
        return installations
    return installations.filter(organisation_id=viewer.organisation_id)


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
    """Report versions of the installations the viewer may see."""
    reports = CbamReport.objects.all() if reports is None else reports
    if viewer.sees_everything:
        return reports
    return reports.filter(period__installation__organisation_id=viewer.organisation_id)
