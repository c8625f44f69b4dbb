"""The auditor pages: find a lot, trace it both ways, list the parts a recall affects (also as CSV).

Server-rendered, printable and readable without JavaScript. Every page shows only what the
signed-in person's organisation may see (`ledger.visibility`): auditors and the operator see
everything, a partner sees its own lots and the upstream of its parts, and any other lot is a
404, exactly as if it did not exist.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from ledger.display import display_decimal_text
from ledger.models import Lot, LotKind
from ledger.quantities import format_kg
from ledger.recall import Recall, lot_recall
from ledger.selectors import (
    SEARCH_LIMIT,
    Amendment,
    grams_of,
    lot_amendments,
    lot_holders,
    lot_search,
    search_examples,
)
from ledger.trace import (
    DOWN,
    MAX_DEPTH,
    UP,
    Trace,
    TraceAddition,
    TraceEdge,
    TraceLot,
    TraceTooLarge,
    lot_trace,
)
from ledger.visibility import Viewer, lot_visible, viewer_of_user
from ledger.vocabulary import lot_links

# A trace down from a big scrap lot reaches thousands of parts; the lot page shows its lots and
# steps a page at a time (the recall list has every part on one page, and as CSV).
PAGE_ROWS = 100

# Lots that a recall can start from: a part is itself the whole answer.
RECALL_KINDS = (LotKind.SCRAP, LotKind.MELT, LotKind.INGOT)
# Lots that have a passport page.
PASSPORT_KINDS = (LotKind.PART, LotKind.INGOT)

# The recall CSV's columns (the README documents each): masses in kg with 3 decimals and
# shares in % with 4, as the page shows them, but without digit grouping, for spreadsheets.
RECALL_CSV_HEADER = [
    "serial",
    "part_number",
    "holder",
    "holder_name",
    "held_by",
    "metal_kg",
    "share_percent",
    "part_mass_kg",
    "made_at",
]
# The same columns named for a person, a second header row of the CSV in a language other than
# English (the first row's names are for programs and never change).
RECALL_CSV_LABELS = [
    _("Serial"),
    _("Part number"),
    _("Current holder"),
    _("Current holder's name"),
    _("Held by, in order"),
    _("kg of the recalled lot"),
    _("Share of the part's metal (%)"),
    _("Part mass (kg)"),
    _("Made at (UTC)"),
]
# A lot's own facts, which an amendment corrects on that lot alone (see ledger.selectors).
LOT_FACTS = ("category", "grade", "origin", "alloy", "chemistry", "part_number")


@dataclass(frozen=True)
class TraceRow:
    """A lot of a trace: how far from the root, and how much metal it shares with the root."""

    lot: TraceLot
    distance: int
    share: Fraction
    metal_g: int  # up: grams of the root's metal that came from this lot; down: root's metal in it


@dataclass(frozen=True)
class TraceStep:
    """An edge of a trace: metal of `source` went into `target` in the step of entry `seq`.

    `mass_g` is what the source gave to the whole step (as the API's edge says); `metal_g` is
    the part of it that is in this target: the target's mass times what the source gave over
    the step's whole charge (a part run's wheels each hold their own grams of it, not the run's
    input). `share` is the edge's share of metal (see `ledger.trace.TraceEdge`).
    """

    seq: int
    source: str
    target: str
    mass_g: int
    metal_g: int
    share: Fraction


@dataclass(frozen=True)
class TraceTables:
    """A trace laid out for a page: its lots and steps (each shown a page at a time) and the
    melts' additions."""

    direction: str
    rows: list[TraceRow]
    steps: list[TraceStep]
    additions: list[TraceAddition]
    refused: str  # why there is no trace (too large), or ""
    rows_page: Page
    steps_page: Page
    rows_links: dict
    steps_links: dict

    @property
    def part_count(self) -> int:
        return sum(1 for row in self.rows if row.lot.kind == LotKind.PART)


def _step(edge: TraceEdge, trace: Trace, lots: dict[str, TraceLot]) -> TraceStep:
    # The edge's share over the share of the lot on the root's side is what the source gave
    # over the step's charge (ledger.trace: up, share(target) x given / charge; down,
    # share(source) x given / charge), exact as fractions.
    near = edge.target if trace.direction == UP else edge.source
    part_of_charge = edge.share / trace.shares[near]
    metal_g = grams_of(part_of_charge, lots[edge.target].mass_g)
    return TraceStep(edge.seq, edge.source, edge.target, edge.mass_g, metal_g, edge.share)


def _page(request, items: list, parameter: str, anchor: str) -> tuple[Page, dict]:
    """Page `parameter` of `items` (a bad number is the first or last page), and the links to
    the previous and next pages, which keep the other tables' pages."""
    page = Paginator(items, PAGE_ROWS).get_page(request.GET.get(parameter))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[parameter] = number
        return f"?{query.urlencode()}#{anchor}"

    links = {
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
    }
    return page, links


def _traced(request, lot: Lot, direction: str, viewer: Viewer) -> TraceTables:
    """The trace tables of `lot` in one direction, or, for a trace too large, the reason."""
    try:
        trace = lot_trace(lot=lot, direction=direction, depth=MAX_DEPTH, viewer=viewer)
    except TraceTooLarge as refusal:
        rows_page, rows_links = _page(request, [], f"{direction}_lots", f"{direction}-lots")
        steps_page, steps_links = _page(request, [], f"{direction}_steps", f"{direction}-steps")
        return TraceTables(
            direction, [], [], [], refusal.message, rows_page, steps_page, rows_links, steps_links
        )
    return _trace_tables(request, trace, lot)


def _trace_tables(request, trace: Trace, root: Lot) -> TraceTables:
    rows = []
    lots = {lot.code: lot for lot, _distance in trace.nodes}
    for lot, distance in trace.nodes:
        if distance == 0:
            continue
        share = trace.shares[lot.code]
        # Up, the share is of the root's metal; down, of the lot's own metal.
        metal_g = grams_of(share, root.mass_g if trace.direction == UP else lot.mass_g)
        rows.append(TraceRow(lot=lot, distance=distance, share=share, metal_g=metal_g))
    steps = [_step(edge, trace, lots) for edge in trace.edges]
    direction = trace.direction
    rows_page, rows_links = _page(request, rows, f"{direction}_lots", f"{direction}-lots")
    steps_page, steps_links = _page(request, steps, f"{direction}_steps", f"{direction}-steps")
    return TraceTables(
        direction=direction,
        rows=rows,
        steps=steps,
        additions=trace.additions,
        refused="",
        rows_page=rows_page,
        steps_page=steps_page,
        rows_links=rows_links,
        steps_links=steps_links,
    )


def _visible_lot_or_404(viewer: Viewer, code: str) -> Lot:
    lots = Lot.objects.select_related("owner", "made_by__entry", "made_by__organisation")
    lot = get_object_or_404(lots, code=code)
    if not lot_visible(viewer, lot):
        raise Http404("no lot with this code")
    return lot


_DECIMAL_TEXT = re.compile(r"^[0-9]+\.([0-9]+)$")


def _shown(value: object) -> str:
    """A fact's value as the pages print numbers: a decimal string grouped, with its decimals."""
    text = str(value)
    match = _DECIMAL_TEXT.match(text)
    return display_decimal_text(text, len(match[1])) if match else text


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
    return [(prefix, _shown(facts))]


@dataclass(frozen=True)
class FactLine:
    """A fact as the page prints it; `recorded` is the value as first recorded when an
    amendment changed it since, `amended_in` the seqs of the amendments that did."""

    path: str
    value: str
    recorded: str | None = None
    amended_in: tuple[int, ...] = ()


def _first_values(amendments: list[Amendment]) -> tuple[dict[str, object], dict[str, tuple[int, ...]]]:
    """Each amended fact's value as first recorded, and the seqs of the amendments of it."""
    first: dict[str, object] = {}
    seqs: dict[str, tuple[int, ...]] = {}
    for amendment in amendments:
        for change in amendment.changes:
            first.setdefault(change.fact, change.was)
            seqs[change.fact] = (*seqs.get(change.fact, ()), amendment.entry.seq)
    return first, seqs


def _fact_lines(facts: dict, amendments: list[Amendment]) -> list[FactLine]:
    """The step's `facts` (current values, nested) line by line, each amended line with the
    value it was first recorded with."""
    first, seqs = _first_values(amendments)
    recorded = dict(_flatten({fact: value for fact, value in first.items() if value is not None}))
    lines = []
    for path, value in _flatten(facts):
        fact = path.split(".")[0].split("[")[0]
        was = recorded.get(path, "—") if fact in first else None
        if was is None or was == value:
            lines.append(FactLine(path, value))
        else:
            lines.append(FactLine(path, value, was, seqs[fact]))
    return lines


def _lot_fact_notes(amendments: list[Amendment]) -> dict[str, FactLine]:
    """The lot's own amended facts (grade, origin, …) by name, with their first values."""
    first, seqs = _first_values(amendments)
    return {
        fact: FactLine(fact, "", _fact_text(first[fact]), seqs[fact]) for fact in first if fact in LOT_FACTS
    }


@dataclass(frozen=True)
class AmendmentLines:
    """An amendment as the lot page lists it: the entry, its reason, and per fact the value
    before and after, each on one line."""

    amendment: Amendment
    changes: list[tuple[str, str, str]]


def _amendment_lines(amendment: Amendment) -> AmendmentLines:
    changes = [(change.fact, _fact_text(change.was), _fact_text(change.now)) for change in amendment.changes]
    return AmendmentLines(amendment, changes)


def _fact_text(value) -> str:
    """A fact's value (a string or nested object) on one line, e.g. `distance_km 408.000, mode truck`."""
    if value is None:
        return "—"
    return ", ".join(f"{path} {text}" if path else text for path, text in _flatten(value))


def _supplier_organisation(lot: Lot) -> Organisation | None:
    if lot.kind != LotKind.SCRAP or not lot.supplier:
        return None
    return Organisation.objects.filter(slug=lot.supplier).first()


@login_required
def audit_search(request):
    """Find lots by serial, lot code or supplier; one exact hit goes straight to its page."""
    query = request.GET.get("q", "")
    viewer = viewer_of_user(request.user)
    search = lot_search(viewer=viewer, query=query, limit=SEARCH_LIMIT)
    if search.exact is not None and len(search.lots) == 1:
        return redirect("audit-lot", code=search.exact.code)
    context = {"search": search, "query": search.query, "examples": search_examples(viewer)}
    return render(request, "ledger/audit_search.html", context)


@login_required
def audit_lot(request, code: str):
    """One lot: identity, holders, facts, and its trace up to the scrap and down to the parts."""
    viewer = viewer_of_user(request.user)
    lot = _visible_lot_or_404(viewer, code)
    amendments = lot_amendments(lot)
    context = {
        "lot": lot,
        "holders": lot_holders(lots=[lot])[lot.pk],
        "supplier": _supplier_organisation(lot),
        # The lot's own facts and those of the step that made it, as they stand now; an amended
        # one also shows the value recorded first and the amending entries.
        "lot_notes": _lot_fact_notes(amendments),
        "process_facts": _fact_lines(lot.made_by.facts, amendments),
        "amendments": [_amendment_lines(amendment) for amendment in amendments],
        "up": _traced(request, lot, UP, viewer),
        "down": _traced(request, lot, DOWN, viewer),
        "has_passport": lot.kind in PASSPORT_KINDS,
        "can_recall": lot.kind in RECALL_KINDS,
        "links": lot_links(lot, viewer),
    }
    return render(request, "ledger/audit_lot.html", context)


def _recall_of(request, code: str) -> Recall:
    viewer = viewer_of_user(request.user)
    lot = _visible_lot_or_404(viewer, code)
    if lot.kind not in RECALL_KINDS:
        raise Http404("a recall starts from a scrap, melt or ingot lot")
    return lot_recall(lot=lot, viewer=viewer)


class _RecalledParts:
    """The recall's parts as the paginator reads them: a count, and one page per query."""

    def __init__(self, recall: Recall) -> None:
        self.recall = recall

    def count(self) -> int:
        return self.recall.count

    def __len__(self) -> int:
        return self.recall.count

    def __getitem__(self, window: slice) -> list:
        return self.recall.page(offset=window.start, limit=window.stop - window.start)


@login_required
def audit_recall(request, code: str):
    """The parts that contain metal of a lot, with their holders: whom a recall must reach.

    Every part, a page at a time; the figures above the table count all of them.
    """
    recall = _recall_of(request, code)
    page, links = _page(request, _RecalledParts(recall), "page", "parts")
    context = {
        "lot": recall.lot,
        "recall": recall,
        "holders": recall.by_holder(),
        "page": page,
        "links": links,
    }
    return render(request, "ledger/audit_recall.html", context)


def _cell(text: str) -> str:
    # Codes, serials and names are free text from partners; a cell starting with = + - @ would
    # run as a formula when the auditor opens the file in a spreadsheet (CSV injection).
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _percent_text(share: Fraction) -> str:
    """A share as a percentage with 4 decimals (half up), e.g. 61/131 → "61.0687"."""
    value = Decimal(share.numerator) * 100 / Decimal(share.denominator)
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def recall_csv_rows(recall: Recall) -> Iterator[list]:
    """The recall as CSV rows: the header (and in a language other than English, the columns'
    names in it), then one row per part, by serial, read a chunk at a time."""
    yield RECALL_CSV_HEADER
    if not translation.get_language().startswith("en"):
        yield [str(label) for label in RECALL_CSV_LABELS]
    percent: dict[int, str] = {}  # by run: every part of a run has its share
    for item in recall.parts():
        part = item.part
        share = percent.get(part.made_by_id)
        if share is None:
            share = percent[part.made_by_id] = _percent_text(item.share)
        yield [
            _cell(part.code),
            _cell(part.part_number),
            _cell(part.owner.slug),
            _cell(part.owner.name),
            _cell(";".join(holder.slug for holder in item.holders)),
            format_kg(item.metal_g),
            share,
            format_kg(part.mass_g),
            part.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        ]


class _Line:
    """A file-like object whose `write` returns what it was given, for csv.writer to format one row."""

    def write(self, text: str) -> str:
        return text


# Lines of CSV sent at a time: fewer, larger writes than one per line.
CSV_ROWS_PER_CHUNK = 500


def recall_csv_stream(recall: Recall) -> Iterator[str]:
    """The CSV text of the recall, CSV_ROWS_PER_CHUNK lines at a time, as it is read."""
    writer = csv.writer(_Line())
    lines: list[str] = []
    for row in recall_csv_rows(recall):
        lines.append(writer.writerow(row))
        if len(lines) == CSV_ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


@login_required
def audit_recall_csv(request, code: str):
    """The recall list as a CSV download (header row, one line per part, by serial), streamed:
    every part, however many, in constant memory."""
    recall = _recall_of(request, code)
    response = StreamingHttpResponse(recall_csv_stream(recall), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"recall-{recall.lot.code}.csv")
    return response
