"""Recalls: every part that holds metal of a lot, however many, listed or streamed in order.

A recall is never cut short. It rests on one fact of the material graph: a part is never
consumed, so parts are its leaves, and every part of a run has the composition of the run's
whole charge (CARBON.md rule 3). The walk therefore goes through the lots that are not parts
(scrap, melts, ingots, internal scrap: thousands of them at most, whatever the number of wheels),
to every part run the lot's metal reached, with the exact share of the lot's metal in each
run's output. The parts themselves are then read from the database in serial order, a chunk
at a time, with their holders: a page of them, or all of them in constant memory (the CSV and
the API stream them), and their count, total metal and holders come from aggregate queries.

As everywhere, the walk passes only through lots the viewer may see, and only parts the viewer
may see are listed.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from itertools import islice
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Collate

from accounts.models import Organisation
from ledger.events import MELT_RECORDED, PARTS_PRODUCED
from ledger.models import Consumption, Lot, LotKind, Process
from ledger.quantities import parse_mass
from ledger.selectors import grams_of, holders_in_custody_order
from ledger.visibility import Viewer, visible_lots, visible_parts

CHUNK = 2000  # parts read (with their holders) per query when streaming

# The lots downstream of the root that are not parts, through live steps, and each consumption
# by a step of a lot so reached: (consumed lot, step, grams). UNION on the lot alone visits each
# lot once, however many paths lead to it.
_WALK = """
WITH RECURSIVE reached(lot_id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION
    SELECT made.id
      FROM reached
      JOIN {consumption} consumption ON consumption.lot_id = reached.lot_id
      JOIN {lot} made ON made.made_by_id = consumption.process_id
     WHERE made.voided = %s AND made.kind <> %s
)
SELECT consumption.lot_id, consumption.process_id, consumption.mass_g
  FROM reached
  JOIN {consumption} consumption ON consumption.lot_id = reached.lot_id
  JOIN {process} process ON process.entry_id = consumption.process_id
 WHERE process.voided = %s
"""


class RecallPartRow(NamedTuple):
    """A recalled part as the recall reads it: the columns it shows, under the names of `Lot`
    (`code`, `owner.slug`, `occurred_at` …), read as plain values rather than model instances,
    which cost more than the rest of a recall's CSV together."""

    pk: int
    code: str
    part_number: str
    mass_g: int
    occurred_at: datetime
    made_by_id: int
    supplier: str
    maker_id: int  # the organisation that made it
    owner: Organisation


_ROW_COLUMNS = (
    "pk",
    "code",
    "part_number",
    "mass_g",
    "occurred_at",
    "made_by_id",
    "supplier",
    "made_by__organisation_id",
    "owner_id",
)


@dataclass(frozen=True)
class RecalledPart:
    """A part that contains metal of the recalled lot: how much, and who has or had it."""

    part: RecallPartRow
    share: Fraction  # of the part's metal that came from the recalled lot
    metal_g: int  # share × the part's mass, to the gram (half up)
    holders: list[Organisation]


@dataclass(frozen=True)
class HolderSummary:
    """How many of the recalled parts one organisation holds now, and how much of the metal."""

    organisation: Organisation
    parts: int
    metal_g: int


class Recall:
    """The parts affected by a lot, in serial order, as far as the viewer may see them.

    `runs` maps each part run the lot's metal reached (its entry's seq) to the share of the
    lot's metal in the run's output. Nothing is read until asked: `count`, `metal_g` and
    `by_holder()` are aggregate queries, `page()` reads one page, `parts()` streams them all.
    """

    def __init__(self, *, lot: Lot, viewer: Viewer, runs: dict[int, Fraction]) -> None:
        self.lot = lot
        self.viewer = viewer
        self.runs = runs
        self._organisations: dict[int, Organisation] = {}
        self._metal_g: dict[tuple[int, int], int] = {}  # (run, part's grams) -> grams of the lot's metal

    def _parts(self) -> QuerySet[Lot]:
        parts = Lot.objects.filter(made_by_id__in=list(self.runs), kind=LotKind.PART, voided=False)
        return visible_parts(self.viewer, parts)

    def _groups(self, *by: str) -> list[dict]:
        """Parts counted by run and mass (and `by`): all parts of one group hold the same grams."""
        if not self.runs:
            return []
        return list(self._parts().order_by().values("made_by_id", "mass_g", *by).annotate(parts=Count("pk")))

    @property
    def count(self) -> int:
        if not hasattr(self, "_count"):
            self._count = sum(group["parts"] for group in self._groups())
        return self._count

    @property
    def metal_g(self) -> int:
        """Grams of the lot's metal in all the parts (each part's rounded to the gram)."""
        return sum(
            group["parts"] * grams_of(self.runs[group["made_by_id"]], group["mass_g"])
            for group in self._groups()
        )

    def by_holder(self) -> list[HolderSummary]:
        """Parts and metal by current holder, by slug."""
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for group in self._groups("owner_id"):
            total = totals[group["owner_id"]]
            total[0] += group["parts"]
            total[1] += group["parts"] * grams_of(self.runs[group["made_by_id"]], group["mass_g"])
        organisations = Organisation.objects.in_bulk(list(totals))
        summaries = [HolderSummary(organisations[pk], parts, metal) for pk, (parts, metal) in totals.items()]
        return sorted(summaries, key=lambda summary: summary.organisation.slug)

    def page(self, *, offset: int, limit: int) -> list[RecalledPart]:
        """Parts `offset` to `offset + limit` in serial order."""
        if not self.runs:
            return []
        return self._recalled(list(self._ordered()[offset : offset + limit]))

    def parts(self, chunk: int | None = None) -> Iterator[RecalledPart]:
        """Every part in serial order: one query read `chunk` (CHUNK) rows at a time (a
        server-side cursor on PostgreSQL), each chunk with its holders; memory stays that of
        one chunk."""
        if not self.runs:
            return
        chunk = chunk or CHUNK
        rows = self._ordered().iterator(chunk_size=chunk)
        while found := list(islice(rows, chunk)):
            yield from self._recalled(found)

    def _ordered(self) -> QuerySet:
        # Serials in byte order (PostgreSQL's "C" collation, SQLite's default), the same on every
        # database whatever its collation.
        order = Collate("code", "C") if connection.vendor == "postgresql" else "code"
        return self._parts().order_by(order).values_list(*_ROW_COLUMNS)

    def _recalled(self, rows: list[tuple]) -> list[RecalledPart]:
        organisations = self._organisations
        missing = {row[-1] for row in rows} - set(organisations)
        if missing:
            organisations.update(Organisation.objects.in_bulk(list(missing)))
        parts = [RecallPartRow(*row[:-1], organisations[row[-1]]) for row in rows]
        holders = holders_in_custody_order(
            [(part.pk, part.supplier, part.maker_id) for part in parts], organisations=organisations
        )
        # Every part of a run of one part number holds the same grams of the lot's metal.
        metal = self._metal_g
        recalled = []
        for part in parts:
            share = self.runs[part.made_by_id]
            key = (part.made_by_id, part.mass_g)
            grams = metal.get(key)
            if grams is None:
                grams = metal[key] = grams_of(share, part.mass_g)
            recalled.append(RecalledPart(part=part, share=share, metal_g=grams, holders=holders[part.pk]))
        return recalled


def lot_recall(*, lot: Lot, viewer: Viewer) -> Recall:
    """The recall of `lot` (which the viewer may see): the part runs its metal reached, with shares.

    Three queries whatever the number of parts: the walk, the lots the viewer may see among
    those it reached, and the charge of each step (what it consumed from all its inputs, plus a
    melt's additions).
    """
    sql = _WALK.format(
        lot=Lot._meta.db_table, consumption=Consumption._meta.db_table, process=Process._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lot.pk, False, LotKind.PART.value, False])
        links = cursor.fetchall()  # (consumed lot, step, grams)
    steps = {step for _lot, step, _grams in links}
    outputs: dict[int, list[int]] = defaultdict(list)
    for lot_id, made_by in (
        Lot.objects.filter(made_by_id__in=steps, voided=False)
        .exclude(kind=LotKind.PART)
        .values_list("pk", "made_by_id")
    ):
        outputs[made_by].append(lot_id)
    reached = {lot.pk} | {lot_id for lots in outputs.values() for lot_id in lots}
    seen = _seen(viewer, reached) | {lot.pk}
    charges = _charges(steps)
    types = dict(Process.objects.filter(pk__in=steps).values_list("pk", "type"))

    # Oldest step first: a step consumes only earlier lots, so its inputs' shares are known.
    inputs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for consumed, step, grams in links:
        inputs[step].append((consumed, grams))
    shares: dict[int, Fraction] = {lot.pk: Fraction(1)}
    runs: dict[int, Fraction] = {}
    for step in sorted(steps):
        share = sum(
            (shares[consumed] * grams for consumed, grams in inputs[step] if consumed in shares),
            Fraction(0),
        )
        if not share:
            continue  # reached only through lots the viewer may not see
        share /= charges[step]
        for output in outputs[step]:
            if output in seen:
                shares[output] = share
        if types[step] == PARTS_PRODUCED:
            runs[step] = share
    return Recall(lot=lot, viewer=viewer, runs=runs)


def _seen(viewer: Viewer, lot_ids: set[int]) -> set[int]:
    if viewer.sees_everything:
        return lot_ids
    return set(visible_lots(viewer, Lot.objects.filter(pk__in=lot_ids)).values_list("pk", flat=True))


def _charges(steps: set[int]) -> dict[int, int]:
    """Grams each step was charged with: all it consumed, and a melt's alloying additions."""
    charges = dict(
        Consumption.objects.filter(process_id__in=steps)
        .values("process_id")
        .annotate(grams=Sum("mass_g"))
        .values_list("process_id", "grams")
    )
    for step, facts in Process.objects.filter(pk__in=steps, type=MELT_RECORDED).values_list("pk", "facts"):
        charges[step] += sum(
            parse_mass(addition["mass_kg"], "additions") for addition in facts.get("additions", [])
        )
    return {step: int(grams) for step, grams in charges.items()}
