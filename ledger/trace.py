"""Traces through the material graph: back to the scrap (up) or forward to the parts (down).

A trace is one query, however deep or wide the graph: a recursive CTE finds every consumption
within `depth` steps of the lot, with what each step consumed in all, and the same statement
returns the lots at either end of them that the viewer may see, with their holders and, for
melts, the facts that list their alloying additions. The lots come back as `TraceLot` rows, not
model instances: a trace of hundreds of lots is read to be shown, never to be saved.

The walk only passes through lots the viewer may see: a lot it may not see is left out
together with what lies beyond it, so a trace never reveals more than the lot endpoints would.

Each edge and each lot carries a share of metal, as exact fractions, by the mix rule of the
carbon method (CARBON.md rules 2 and 3): what a step makes has the composition of its whole
charge (the consumed lots plus, for a melt, its alloying additions); losses such as dross or
lost chips leave the composition alone, and every output of a step (each ingot lot of a cast,
each wheel and the internal scrap of a run) has the same composition. Up, a share is the
fraction of the root's metal that came through a lot or an edge (the received scrap and the
additions at the leaves add up to exactly 1 when nothing is hidden or cut off); down, it is the
fraction of a lot's metal that came from the root. Shares count the paths the viewer may see
within `depth`: a lot's share is the sum of the shares of its edges on the root's side. A trace
is never cut short: one that would reach more than MAX_NODES lots is refused (TraceTooLarge).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from math import gcd
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model

from accounts.models import Organisation
from ledger.errors import DomainError
from ledger.models import Consumption, Lot, LotHolder, LotKind, Process, ScrapCategory
from ledger.quantities import parse_mass
from ledger.visibility import Viewer, visible_lot_ids_sql

UP = "up"
DOWN = "down"
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
# A trace is complete within its depth, or refused: never cut short. A down trace from a scrap
# lot can reach a whole plant's later output through internal scrap, so the walk stops once it
# has read more than MAX_NODES (lot, distance) rows (lots the viewer may not see count too), and
# the answer is a TraceTooLarge naming the depth; the recall (ledger.recall) lists every part of
# any size.
MAX_NODES = 100_000
MAX_TRACE_PAGE = 1000  # nodes and edges per page of the API

ONE = Fraction(1)
ZERO = Fraction(0)


class TraceOwner(NamedTuple):
    """The organisation that holds a lot of a trace now."""

    slug: str
    name: str


class TraceLot(NamedTuple):
    """A lot as a trace shows it: the columns of `Lot`, under the same names, and its holder.

    Read by the trace's query rather than made into a `Lot`: building hundreds of model
    instances cost more than the walk itself. `owner.slug`, `owner.name`, `made_by_id` and the
    rest read as on a `Lot`, so the API's lot serializer and the pages show either alike.
    """

    pk: int
    code: str
    kind: str
    owner: TraceOwner
    mass_g: int
    remaining_g: int
    category: str
    grade: str
    alloy: str
    chemistry: dict
    part_number: str
    supplier: str
    supplier_name: str
    origin: str
    made_by_id: int
    occurred_at: datetime
    voided: bool

    @property
    def supplier_or_name(self) -> str:
        """Who supplied the scrap, to show: the organisation's slug or the free-text name."""
        return self.supplier or self.supplier_name

    @property
    def kind_label(self) -> str:
        return str(LotKind(self.kind).label)

    @property
    def category_label(self) -> str:
        """The scrap category's label; empty for a lot that is not scrap."""
        return str(ScrapCategory(self.category).label) if self.category else ""


# Named tuples, like the lots: a big trace makes a thousand edges, and a frozen dataclass takes
# three times as long to make.
class TraceEdge(NamedTuple):
    """`source` gave `mass_g` grams to the step (entry `seq`) that made `target`.

    A step with several outputs (a cast, a part run) shows the same input mass on the edge
    to each of them: it is what went into the step, not a share of it. `share` is, up, the
    fraction of the root's metal that flowed along this edge; down, the fraction of the
    target's metal that came from the root along it.
    """

    source: str
    target: str
    seq: int
    mass_g: int
    share: Fraction


class TraceAddition(NamedTuple):
    """An alloying addition charged to the melt `target` (entry `seq`), in an up trace.

    `share` is the fraction of the root's metal that is this addition.
    """

    seq: int
    target: str
    material: str
    mass_g: int
    share: Fraction


@dataclass
class Trace:
    """The lots reached (root first, then by distance) and the edges between them.

    `shares` maps each lot's code to its share of metal (see the module's docstring; the
    root's is 1). `additions` are the alloying additions of the melts walked through (up only).
    """

    root: Lot
    direction: str
    depth: int
    nodes: list[tuple[TraceLot, int]] = field(default_factory=list)  # (lot, distance from the root)
    edges: list[TraceEdge] = field(default_factory=list)
    shares: dict[str, Fraction] = field(default_factory=dict)
    additions: list[TraceAddition] = field(default_factory=list)


@dataclass(frozen=True)
class TracePage:
    """Page `page` (from 1) of a trace: `page_size` of its nodes and of its edges, and the counts."""

    trace: Trace
    page: int
    page_size: int

    @property
    def node_count(self) -> int:
        return len(self.trace.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.trace.edges)

    @property
    def pages(self) -> int:
        return max(1, -(-max(self.node_count, self.edge_count) // self.page_size))

    def _window(self, items: list) -> list:
        start = (self.page - 1) * self.page_size
        return items[start : start + self.page_size]

    @property
    def nodes(self) -> list[tuple[TraceLot, int]]:
        return self._window(self.trace.nodes)

    @property
    def edges(self) -> list[TraceEdge]:
        return self._window(self.trace.edges)

    @property
    def additions(self) -> list[TraceAddition]:
        return self.trace.additions


class TraceTooLarge(DomainError):
    """The walk would reach more than MAX_NODES lots within the depth asked: nothing is cut, the
    trace is refused (400, about `depth`)."""

    def __init__(self, lot: Lot, direction: str, depth: int) -> None:
        super().__init__(
            "trace_too_large",
            f"the trace {direction} from {lot.code} reaches more than {MAX_NODES:,} lots within "
            f"{depth} steps: ask for fewer steps"
            + (", or list every part that holds its metal with the recall" if direction == DOWN else ""),
            field="depth",
        )


class _Link(NamedTuple):
    """A consumption seen from the walk: `near` is on the root's side, `far` one step beyond."""

    near: int
    far: int
    seq: int
    mass_g: int


# The walk visits (lot, distance) pairs, not paths: UNION drops a pair already found, so a lot
# reached along many paths of a diamond-rich graph is expanded once per distinct distance (at
# most `depth` times), never once per path. It goes no farther than `depth - 1`: the lots it
# reaches (`walked`) are those whose steps' consumptions are returned (`link`), once each.
# `capped` stops the recursion early on huge graphs (PostgreSQL produces a recursive CTE's rows
# level by level, and only as many as are read); its row count tells the caller it did.
# A step's outputs are voided exactly when the step is (`entry.voided` withdraws both in one
# entry), so the lots' own flag skips voided steps without joining the process table.
# Each link also carries what the step consumed from all its inputs, seen or not, for its
# charge (cast: PostgreSQL sums bigints as numeric).
_WALK_UP = """
WITH RECURSIVE reached(lot_id, distance) AS (
    SELECT id, 0 FROM {lot} WHERE id = %s
    UNION
    SELECT consumption.lot_id, reached.distance + 1
      FROM reached
      JOIN {lot} made ON made.id = reached.lot_id
      JOIN {consumption} consumption ON consumption.process_id = made.made_by_id
     WHERE reached.distance + 1 < %s AND made.voided = %s
),
capped AS (SELECT lot_id, distance FROM reached LIMIT %s),
walked AS (SELECT DISTINCT lot_id FROM capped),
link(near, far, seq, mass_g, consumed_g) AS (
    SELECT walked.lot_id, consumption.lot_id, made.made_by_id, consumption.mass_g,
           CAST(SUM(consumption.mass_g) OVER (PARTITION BY walked.lot_id) AS BIGINT)
      FROM walked
      JOIN {lot} made ON made.id = walked.lot_id
      JOIN {consumption} consumption ON consumption.process_id = made.made_by_id
     WHERE made.voided = %s
)"""

_WALK_DOWN = """
WITH RECURSIVE reached(lot_id, distance) AS (
    SELECT id, 0 FROM {lot} WHERE id = %s
    UNION
    SELECT made.id, reached.distance + 1
      FROM reached
      JOIN {consumption} consumption ON consumption.lot_id = reached.lot_id
      JOIN {lot} made ON made.made_by_id = consumption.process_id
     WHERE reached.distance + 1 < %s AND made.voided = %s
),
capped AS (SELECT lot_id, distance FROM reached LIMIT %s),
walked AS (SELECT DISTINCT lot_id FROM capped),
taken AS (
    SELECT walked.lot_id, consumption.process_id, consumption.mass_g
      FROM walked
      JOIN {consumption} consumption ON consumption.lot_id = walked.lot_id
),
charged AS (
    SELECT consumption.process_id, CAST(SUM(consumption.mass_g) AS BIGINT) AS mass_g
      FROM {consumption} consumption
     WHERE consumption.process_id IN (SELECT process_id FROM taken)
     GROUP BY consumption.process_id
),
link(near, far, seq, mass_g, consumed_g) AS (
    SELECT taken.lot_id, made.id, taken.process_id, taken.mass_g, charged.mass_g
      FROM taken
      JOIN charged ON charged.process_id = taken.process_id
      JOIN {lot} made ON made.made_by_id = taken.process_id
     WHERE made.voided = %s
)"""

# The statement returns two kinds of rows, so that a trace is one round trip: a link (`near`
# set, then NULLs), or a lot at either end of one (NULLs, then the lot). A lot row holds the
# lot's columns, its holder, the facts of the step that made it if it is a melt (its additions
# count towards the step's charge), and how many (lot, distance) rows the walk read. The root
# is always returned; other lots only if the viewer may see them.
_LOT_COLUMNS = (
    "id",
    "code",
    "kind",
    "mass_g",
    "remaining_g",
    "category",
    "grade",
    "alloy",
    "chemistry",
    "part_number",
    "supplier",
    "supplier_name",
    "origin",
    "made_by_id",
    "occurred_at",
    "voided",
)
_ROWS = """,
shown AS (SELECT lot_id FROM walked UNION SELECT far FROM link)
SELECT near, far, seq, mass_g, consumed_g, {padding}
  FROM link
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, {columns}, holder.slug, holder.name, melt.facts,
       (SELECT COUNT(*) FROM capped)
  FROM shown
  JOIN {lot} lot ON lot.id = shown.lot_id
  JOIN {organisation} holder ON holder.id = lot.owner_id
  LEFT JOIN {process} melt ON melt.entry_id = lot.made_by_id AND lot.kind = '{melt}'
"""
# The root joins the visible ids in one set, which PostgreSQL semi-joins the lots to; written
# as `lot.id = root OR lot.id IN (...)` it tests every row of the lot table against a hashed
# subplan instead, twice as slow for the wheel maker of bench/trace.py.
_VISIBLE = " WHERE lot.id IN (SELECT lot_id FROM ({visible_ids}) visible UNION SELECT %s)\n"


def walk_sql(direction: str, viewer: Viewer) -> str:
    """The trace's one statement: the recursive walk, its links and the lots the viewer may see.

    Parameters: `walk_params`. A link row is (near lot id, far lot id, seq of the step, grams,
    grams the step consumed from all its inputs, then NULLs): up, near is the lot the step
    made and far a lot it consumed; down, near is the consumed lot and far an output of the
    step. A lot row is five NULLs, the `_LOT_COLUMNS` of the lot, its holder's slug and name,
    the facts of the step that made it (melts only, else NULL) and the (lot, distance) rows
    the walk read.
    """
    template = (_WALK_UP if direction == UP else _WALK_DOWN) + _ROWS
    sql = template.format(
        lot=Lot._meta.db_table,
        consumption=Consumption._meta.db_table,
        organisation=Organisation._meta.db_table,
        process=Process._meta.db_table,
        melt=LotKind.MELT.value,
        columns=", ".join(f"lot.{column}" for column in _LOT_COLUMNS),
        padding=", ".join(["NULL"] * (len(_LOT_COLUMNS) + 4)),
    )
    visible = visible_lot_ids_sql(viewer)
    if visible is not None:
        sql += _VISIBLE.format(visible_ids=visible[0])
    return sql


def walk_params(*, lot_id: int, depth: int, row_limit: int, viewer: Viewer) -> list:
    """The parameters of `walk_sql`, in order."""
    params = [lot_id, depth, False, row_limit, False]
    visible = visible_lot_ids_sql(viewer)
    if visible is not None:
        params += [*visible[1], lot_id]
    return params


def lot_trace(*, lot: Lot, direction: str, depth: int, viewer: Viewer) -> Trace:
    """Walk `depth` steps from `lot` (which the viewer may see) up or down the graph: every lot
    within them, or TraceTooLarge."""
    if direction not in (UP, DOWN):
        raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
    row_limit = MAX_NODES
    if direction == UP and _sees_all_upstream(viewer, lot):
        viewer = Viewer(organisation_id=viewer.organisation_id, sees_everything=True)
    with connection.cursor() as cursor:
        cursor.execute(
            walk_sql(direction, viewer),
            walk_params(lot_id=lot.pk, depth=depth, row_limit=row_limit + 1, viewer=viewer),
        )
        rows = cursor.fetchall()
    links, charges, lots, additions, read = _read(rows)
    if read > row_limit:
        raise TraceTooLarge(lot, direction, depth)
    trace = Trace(root=lot, direction=direction, depth=depth)
    # A step's charge: what it consumed from all its inputs plus, for a melt, its additions.
    for seq, added in additions.items():
        if seq in charges:
            charges[seq] += sum(grams for _material, grams in added)
    distances, shown = _walk(lot.pk, links, lots, depth)

    if direction == UP:
        shares, edge_shares, melt_additions = _shares_up(
            lot.pk, shown, lots, distances, depth, charges, additions
        )
    else:
        shares, edge_shares = _shares_down(lot.pk, shown, lots, charges)
        melt_additions = []

    reached = sorted(distances, key=lambda pk: (distances[pk], lots[pk].code))
    trace.nodes = [(lots[pk], distances[pk]) for pk in reached]
    trace.shares = {lots[pk].code: shares[pk] for pk in reached}
    edges = []
    for link, share in zip(shown, edge_shares, strict=True):
        source, target = (link.far, link.near) if direction == UP else (link.near, link.far)
        edges.append(TraceEdge(lots[source].code, lots[target].code, link.seq, link.mass_g, share))
    trace.edges = sorted(edges, key=lambda edge: (edge.seq, edge.source, edge.target))
    # By seq, and within a melt in the order its entry lists them (the sort is stable).
    trace.additions = sorted(
        (addition for addition in melt_additions if addition.target in trace.shares),
        key=lambda addition: addition.seq,
    )
    return trace


def _sees_all_upstream(viewer: Viewer, lot: Lot) -> bool:
    """Does the viewer see every lot upstream of `lot`? So it does of a part it holds or held
    (visibility reaches the whole upstream of such parts): its trace up then needs no
    visibility filter, which would walk up from every part the viewer ever held."""
    if viewer.sees_everything or viewer.organisation_id is None or lot.kind != LotKind.PART:
        return viewer.sees_everything
    return LotHolder.objects.filter(lot_id=lot.pk, organisation_id=viewer.organisation_id).exists()


def _read(
    rows: list[tuple],
) -> tuple[list[_Link], dict[int, int], dict[int, TraceLot], dict[int, tuple[tuple[str, int], ...]], int]:
    """The statement's rows as the links, each step's consumed grams by seq, the lots the
    viewer may see by id, the alloying additions (material, grams) of their melts by seq, and
    the (lot, distance) rows the walk read."""
    chemistry_of = _reader(Lot, "chemistry")
    occurred_at_of = _reader(Lot, "occurred_at")
    voided_of = _reader(Lot, "voided")
    facts_of = _reader(Process, "facts")
    links, charges, lots, additions, owners = [], {}, {}, {}, {}
    read = 0
    for row in rows:
        if row[0] is not None:  # a link
            near, far, seq, mass_g, consumed_g = row[:5]
            links.append(_Link(near, far, seq, mass_g))
            charges[seq] = consumed_g
            continue
        pk, code, kind, mass_g, remaining_g, category, grade, alloy, chemistry = row[5:14]
        part_number, supplier, supplier_name, origin, made_by_id, occurred_at, voided = row[14:21]
        owner_slug, owner_name, melt_facts, read = row[21:]
        owner = owners.get(owner_slug) or owners.setdefault(owner_slug, TraceOwner(owner_slug, owner_name))
        lots[pk] = TraceLot(
            pk,
            code,
            kind,
            owner,
            mass_g,
            remaining_g,
            category,
            grade,
            alloy,
            chemistry_of(chemistry),
            part_number,
            supplier,
            supplier_name,
            origin,
            made_by_id,
            occurred_at_of(occurred_at),
            voided_of(voided),
        )
        if melt_facts is not None and (added := facts_of(melt_facts).get("additions")):
            additions[made_by_id] = tuple(
                (addition["material"], parse_mass(addition["mass_kg"], "additions")) for addition in added
            )
    return links, charges, lots, additions, read


def _reader(model: type[Model], name: str) -> Callable[[Any], Any]:
    """What the ORM does to a raw value of the column on this database: parse JSON and, on
    SQLite, timestamps and booleans; on PostgreSQL, psycopg has made those already."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    converters = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]
    if not converters:
        return _as_is

    def convert(value):
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert


def _as_is(value):
    return value


def _walk(
    root: int, links: list[_Link], lots: dict[int, TraceLot], depth: int
) -> tuple[dict[int, int], list[_Link]]:
    """Breadth-first from the root over the links, through the visible `lots` only.

    Returns each lot's distance and the links walked. The CTE's distances ignore visibility;
    a lot can lie farther along the visible paths than along all paths, so they are counted
    again here (the CTE returned a superset: every lot nearer than `depth` along visible paths
    is nearer along all paths).
    """
    beyond: dict[int, list[_Link]] = defaultdict(list)
    for link in links:
        beyond[link.near].append(link)
    distances = {root: 0}
    shown: list[_Link] = []
    frontier = [root]
    for distance in range(1, depth + 1):
        following = []
        for near in frontier:
            for link in beyond[near]:
                if link.far not in lots:
                    continue  # hidden: left out, with whatever lies beyond it
                shown.append(link)
                if link.far not in distances:
                    distances[link.far] = distance
                    following.append(link.far)
        frontier = following
        if not frontier:
            break
    return distances, shown


def _shares_up(
    root: int,
    shown: list[_Link],
    lots: dict[int, TraceLot],
    distances: dict[int, int],
    depth: int,
    charges: dict[int, int],
    additions: dict[int, tuple[tuple[str, int], ...]],
) -> tuple[dict[int, Fraction], list[Fraction], list[TraceAddition]]:
    """Shares of the root's metal that came through each lot, each shown link and addition.

    A lot passes its share on to the inputs of the step that made it in proportion to what
    each gave to the step's charge. A lot's share is the sum over the edges to the lots made
    from it, so every lot that consumed it must be done first: a lot can only consume earlier
    lots, so going by the seq of the step that made each lot, newest first, is a topological
    order. The sums are exact, kept as (numerator, denominator) in lowest terms (`_Ratio`) and
    made Fractions once at the end: Fraction's own operators took a quarter of a wheel's trace.
    """
    inputs: dict[int, list[int]] = defaultdict(list)  # lot -> indexes of its links in `shown`
    for index, link in enumerate(shown):
        inputs[link.near].append(index)
    passed_on: dict[int, _Ratio] = {}
    shares: dict[int, Fraction] = {}
    link_shares: list[Fraction] = [ZERO] * len(shown)
    melt_additions: list[TraceAddition] = []
    for pk in sorted(distances, key=lambda pk: lots[pk].made_by_id, reverse=True):
        share = (1, 1) if pk == root else passed_on.get(pk, (0, 1))
        shares[pk] = Fraction(*share)
        seq = lots[pk].made_by_id
        if distances[pk] >= depth or not charges.get(seq):
            continue  # a leaf: received scrap, or where the walk stopped
        per_gram = _over(share, charges[seq])
        for index in inputs[pk]:
            far, mass_g = shown[index].far, shown[index].mass_g
            flowed = _times(per_gram, mass_g)
            link_shares[index] = Fraction(*flowed)
            passed_on[far] = _plus(passed_on[far], flowed) if far in passed_on else flowed
        for material, grams in additions.get(seq, ()):
            added = Fraction(*_times(per_gram, grams))
            melt_additions.append(TraceAddition(seq, lots[pk].code, material, grams, added))
    return shares, link_shares, melt_additions


_Ratio = tuple[int, int]  # an exact non-negative number: numerator, denominator > 0, coprime


def _over(ratio: _Ratio, divisor: int) -> _Ratio:
    numerator, denominator = ratio
    common = gcd(numerator, divisor)
    return numerator // common, denominator * (divisor // common)


def _times(ratio: _Ratio, factor: int) -> _Ratio:
    numerator, denominator = ratio
    common = gcd(factor, denominator)
    return numerator * (factor // common), denominator // common


def _plus(a: _Ratio, b: _Ratio) -> _Ratio:
    # As Fraction adds (Knuth, TAOCP 4.5.1): reduce by the denominators' gcd before multiplying.
    (n1, d1), (n2, d2) = a, b
    common = gcd(d1, d2)
    if common == 1:
        return n1 * d2 + n2 * d1, d1 * d2
    total = n1 * (d2 // common) + n2 * (d1 // common)
    again = gcd(total, common)
    return total // again, (d1 // common) * (d2 // again)


def _shares_down(
    root: int, shown: list[_Link], lots: dict[int, TraceLot], charges: dict[int, int]
) -> tuple[dict[int, Fraction], list[Fraction]]:
    """Shares of each lot's metal, and of each shown link, that came from the root.

    A step's outputs get, from each input, what it gave over the step's whole charge times
    the input's own share; going by the seq of the step that made each lot, oldest first,
    every input is done before the lots made from it.
    """
    inputs: dict[int, list[int]] = defaultdict(list)  # lot -> indexes of the links into it
    for index, link in enumerate(shown):
        inputs[link.far].append(index)
    shares: dict[int, Fraction] = {root: ONE}
    link_shares: list[Fraction] = [ZERO] * len(shown)
    for pk in sorted(inputs, key=lambda pk: lots[pk].made_by_id):
        charge_g = charges[lots[pk].made_by_id]
        share = ZERO
        for index in inputs[pk]:
            link_shares[index] = came = shares[shown[index].near] * shown[index].mass_g / charge_g
            share += came
        shares[pk] = share
    return shares, link_shares
