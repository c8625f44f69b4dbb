"""The auditor pages: find a lot, trace it both ways, list the parts a recall affects (also as CSV).

Server-rendered, printable and readable without JavaScript. Every page shows only what the
signed-in person's organisation may see (`ledger.visibility`): auditors and the operator see
everything, a partner sees its own lots and the upstream of its parts, and any other lot is a
404, exactly as if it did not exist.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header

from accounts.models import Organisation
from ledger.models import Lot, LotKind
from ledger.quantities import format_kg, format_percent
from ledger.selectors import SEARCH_LIMIT, Recall, grams_of, lot_holders, lot_search, recall_list
from ledger.trace import DOWN, MAX_DEPTH, UP, Trace, TraceAddition, TraceEdge, TraceLot, lot_trace
from ledger.visibility import Viewer, viewer_of_user, visible_lots

# A trace down from a big scrap lot reaches thousands of parts; the lot page lists the first
# ones and points to the recall list, which is made for that many.
DISPLAY_ROWS = 300

# Lots that a recall can start from: a part is itself the whole answer.
RECALL_KINDS = (LotKind.SCRAP, LotKind.MELT, LotKind.INGOT)
# Lots that have a passport page.
PASSPORT_KINDS = (LotKind.PART, LotKind.INGOT)

RECALL_CSV_HEADER = [
    "serial",
    "part_number",
    "holder",
    "holder_name",
    "held_by",
    "metal_g",
    "share",
    "part_mass_g",
    "made_at",
]


@dataclass(frozen=True)
class TraceRow:
    """A lot of a trace: how far from the root, and how much metal it shares with the root."""

    lot: TraceLot
    distance: int
    share: Fraction
    metal_g: int  # up: grams of the root's metal that came from this lot; down: root's metal in it


@dataclass(frozen=True)
class TraceTables:
    """A trace laid out for a page: lots, steps and additions, each cut at DISPLAY_ROWS."""

    direction: str
    rows: list[TraceRow]
    row_count: int
    part_count: int
    steps: list[TraceEdge]
    step_count: int
    additions: list[TraceAddition]
    truncated: bool

    @property
    def rows_cut(self) -> bool:
        return self.row_count > len(self.rows)

    @property
    def steps_cut(self) -> bool:
        return self.step_count > len(self.steps)


def _trace_tables(trace: Trace, root: Lot) -> TraceTables:
    rows = []
    for lot, distance in trace.nodes:
        if distance == 0:
            continue
        share = trace.shares[lot.code]
        # Up, the share is of the root's metal; down, of the lot's own metal.
        metal_g = grams_of(share, root.mass_g if trace.direction == UP else lot.mass_g)
        rows.append(TraceRow(lot=lot, distance=distance, share=share, metal_g=metal_g))
    return TraceTables(
        direction=trace.direction,
        rows=rows[:DISPLAY_ROWS],
        row_count=len(rows),
        part_count=sum(1 for row in rows if row.lot.kind == LotKind.PART),
        steps=trace.edges[:DISPLAY_ROWS],
        step_count=len(trace.edges),
        additions=trace.additions,
        truncated=trace.truncated,
    )


def _visible_lot_or_404(viewer: Viewer, code: str) -> Lot:
    lots = Lot.objects.select_related("owner", "made_by__entry", "made_by__organisation")
    return get_object_or_404(visible_lots(viewer, lots), code=code)


def _flatten(facts, prefix: str = "") -> list[tuple[str, str]]:
    """A process's facts (nested JSON of decimal strings) as `(path, value)` lines to print."""
    if isinstance(facts, dict):
        lines = []
        for key, value in facts.items():
            lines += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return lines
    if isinstance(facts, list):
        lines = []
        for index, value in enumerate(facts):
            lines += _flatten(value, f"{prefix}[{index}]")
        return lines or [(prefix, "—")]
    return [(prefix, str(facts))]


def _supplier_organisation(lot: Lot) -> Organisation | None:
    if lot.kind != LotKind.SCRAP or not lot.supplier:
        return None
    return Organisation.objects.filter(slug=lot.supplier).first()


@login_required
def audit_search(request):
    """Find lots by serial, lot code or supplier; one exact hit goes straight to its page."""
    query = request.GET.get("q", "")
    search = lot_search(viewer=viewer_of_user(request.user), query=query, limit=SEARCH_LIMIT)
    if search.exact is not None and len(search.lots) == 1:
        return redirect("audit-lot", code=search.exact.code)
    rows = [(lot, format_kg(lot.mass_g)) for lot in search.lots]
    return render(
        request, "ledger/audit_search.html", {"search": search, "query": search.query, "rows": rows}
    )


@login_required
def audit_lot(request, code: str):
    """One lot: identity, holders, facts, and its trace up to the scrap and down to the parts."""
    viewer = viewer_of_user(request.user)
    lot = _visible_lot_or_404(viewer, code)
    up = lot_trace(lot=lot, direction=UP, depth=MAX_DEPTH, viewer=viewer)
    down = lot_trace(lot=lot, direction=DOWN, depth=MAX_DEPTH, viewer=viewer)
    context = {
        "lot": lot,
        "mass_kg": format_kg(lot.mass_g),
        "remaining_kg": format_kg(lot.remaining_g),
        "holders": lot_holders(lots=[lot])[lot.pk],
        "supplier": _supplier_organisation(lot),
        "process_facts": _flatten(lot.made_by.facts),
        "up": _trace_tables(up, lot),
        "down": _trace_tables(down, lot),
        "has_passport": lot.kind in PASSPORT_KINDS,
        "can_recall": lot.kind in RECALL_KINDS,
        "display_rows": DISPLAY_ROWS,
    }
    return render(request, "ledger/audit_lot.html", context)


def _recall_of(request, code: str) -> Recall:
    viewer = viewer_of_user(request.user)
    lot = _visible_lot_or_404(viewer, code)
    if lot.kind not in RECALL_KINDS:
        raise Http404("a recall starts from a scrap, melt or ingot lot")
    return recall_list(lot=lot, viewer=viewer)


@dataclass(frozen=True)
class HolderSummary:
    """How many of the recalled parts one organisation holds now, and how much of the metal."""

    organisation: Organisation
    parts: int
    metal_g: int

    @property
    def metal_kg(self) -> str:
        return format_kg(self.metal_g)


def _by_current_holder(recall: Recall) -> list[HolderSummary]:
    by_holder: dict[int, list] = {}
    for item in recall.parts:
        by_holder.setdefault(item.part.owner_id, []).append(item)
    summaries = [
        HolderSummary(items[0].part.owner, len(items), sum(item.metal_g for item in items))
        for items in by_holder.values()
    ]
    return sorted(summaries, key=lambda summary: summary.organisation.slug)


@login_required
def audit_recall(request, code: str):
    """The parts that contain metal of a lot, with their holders: whom a recall must reach."""
    recall = _recall_of(request, code)
    context = {
        "lot": recall.lot,
        "recall": recall,
        "rows": [(item, format_kg(item.metal_g), format_percent(item.share)) for item in recall.parts],
        "holders": _by_current_holder(recall),
        "metal_kg": format_kg(recall.metal_g),
    }
    return render(request, "ledger/audit_recall.html", context)


def _cell(text: str) -> str:
    # Codes, serials and names are free text from partners; a cell starting with = + - @ would
    # run as a formula when the auditor opens the file in a spreadsheet (CSV injection).
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _share_text(share: Fraction) -> str:
    value = Decimal(share.numerator) / Decimal(share.denominator)
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def recall_csv_rows(recall: Recall) -> Iterable[list]:
    """The recall as CSV rows: the header, then one row per part, sorted by serial."""
    yield RECALL_CSV_HEADER
    for item in recall.parts:
        part = item.part
        yield [
            _cell(part.code),
            _cell(part.part_number),
            _cell(part.owner.slug),
            _cell(part.owner.name),
            _cell(";".join(holder.slug for holder in item.holders)),
            item.metal_g,
            _share_text(item.share),
            part.mass_g,
            part.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        ]


@login_required
def audit_recall_csv(request, code: str):
    """The recall list as a CSV download (header row, one line per part, by serial)."""
    recall = _recall_of(request, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"recall-{recall.lot.code}.csv")
    if recall.truncated:
        # The file itself stays plain CSV; the page says the same in words.
        response["X-Remelt-Truncated"] = "true"
    csv.writer(response).writerows(recall_csv_rows(recall))
    return response
