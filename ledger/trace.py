"""Traces through the material graph: back to the scrap (up) or forward to the parts (down).

One recursive CTE finds every consumption within `depth` steps of the lot, with what each step
consumed in all, however deep or wide the graph; one more query loads the lots the viewer may
see with the alloying additions of the melts that made them, and one their owners. So a trace
costs three queries whatever its shape.

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
within `depth`: a lot's share is the sum of the shares of its edges on the root's side. The
node limit drops lots and their edges from the answer without changing the shares of the lots
kept.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from django.db import connection
from django.db.models import F

from ledger.models import Consumption, Lot
from ledger.quantities import parse_mass
from ledger.visibility import Viewer, visible_lots

UP = "up"
DOWN = "down"
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
MAX_NODES = 5000
# The CTE stops after this many (lot, distance) rows per MAX_NODES: a down trace from a scrap lot
# can reach a whole plant's later output through internal scrap, and the database should not
# walk all of it to show MAX_NODES lots. Rows also count lots the viewer may not see.
ROWS_PER_NODE = 10

ONE = Fraction(1)
ZERO = Fraction(0)


# Slots: a big trace makes a thousand of these, and each __dict__ is more for the collector.
@dataclass(frozen=True, slots=True)
class TraceEdge:
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


@dataclass(frozen=True, slots=True)
class TraceAddition:
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
    nodes: list[tuple[Lot, int]] = field(default_factory=list)  # (lot, distance from the root)
    edges: list[TraceEdge] = field(default_factory=list)
    truncated: bool = False
    shares: dict[str, Fraction] = field(default_factory=dict)
    additions: list[TraceAddition] = field(default_factory=list)


class _Link(NamedTuple):
    """A consumption seen from the walk: `near` is on the root's side, `far` one step beyond."""

    near: int
    far: int
    seq: int
    mass_g: int


# The walk visits (lot, distance) pairs, not paths: UNION drops a pair already found, so a lot
# reached along many paths of a diamond-rich graph is expanded once per distinct distance (at
# most `depth` times), never once per path. It goes no farther than `depth - 1`: the lots it
# reaches (`walked`) are those whose steps' consumptions are returned, once each.
# `capped` stops the recursion early on huge graphs (PostgreSQL produces a recursive CTE's rows
# level by level, and only as many as are read); its row count tells the caller it did.
# A step's outputs are voided exactly when the step is (`entry.voided` withdraws both in one
# entry), so the lots' own flag skips voided steps without joining the process table.
# Each row also carries what the step consumed from all its inputs, seen or not, for its charge
# (cast: PostgreSQL sums bigints as numeric).
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
walked AS (SELECT DISTINCT lot_id FROM capped)
SELECT walked.lot_id, consumption.lot_id, made.made_by_id, consumption.mass_g,
       CAST(SUM(consumption.mass_g) OVER (PARTITION BY walked.lot_id) AS BIGINT),
       (SELECT COUNT(*) FROM capped)
  FROM walked
  JOIN {lot} made ON made.id = walked.lot_id
  JOIN {consumption} consumption ON consumption.process_id = made.made_by_id
 WHERE made.voided = %s
"""

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
)
SELECT taken.lot_id, made.id, taken.process_id, taken.mass_g, charged.mass_g,
       (SELECT COUNT(*) FROM capped)
  FROM taken
  JOIN charged ON charged.process_id = taken.process_id
  JOIN {lot} made ON made.made_by_id = taken.process_id
 WHERE made.voided = %s
"""


def walk_sql(direction: str) -> str:
    """The recursive CTE of a walk; parameters: root lot id, depth, False, row limit, False.

    Each row is (near lot id, far lot id, seq of the step, grams, grams the step consumed from
    all its inputs, rows the walk read): up, near is the lot the step made and far a lot it
    consumed; down, near is the consumed lot and far an output of the step.
    """
    template = _WALK_UP if direction == UP else _WALK_DOWN
    return template.format(lot=Lot._meta.db_table, consumption=Consumption._meta.db_table)


def walk_params(*, lot_id: int, depth: int, row_limit: int) -> list:
    """The parameters of `walk_sql`, in order."""
    return [lot_id, depth, False, row_limit, False]


def lot_trace(*, lot: Lot, direction: str, depth: int, viewer: Viewer) -> Trace:
    """Walk `depth` steps from `lot` (which the viewer may see) up or down the graph."""
    if direction not in (UP, DOWN):
        raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
    trace = Trace(root=lot, direction=direction, depth=depth, nodes=[(lot, 0)], shares={lot.code: ONE})
    row_limit = ROWS_PER_NODE * MAX_NODES
    with connection.cursor() as cursor:
        cursor.execute(walk_sql(direction), walk_params(lot_id=lot.pk, depth=depth, row_limit=row_limit + 1))
        rows = cursor.fetchall()
    if not rows:  # nothing consumed into or out of it (a received scrap lot traced up)
        return trace
    trace.truncated = rows[0][5] > row_limit
    links = [_Link(near, far, seq, mass_g) for near, far, seq, mass_g, _consumed, _read in rows]
    lots, additions = _visible_lots(
        viewer, {lot.pk} | {link.far for link in links} | {link.near for link in links}
    )
    lots[lot.pk] = lot  # the caller's instance
    # A step's charge: what it consumed from all its inputs plus, for a melt, its additions.
    charges = {seq: consumed_g for _near, _far, seq, _mass, consumed_g, _read in rows}
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
    if len(reached) > MAX_NODES:
        reached = reached[:MAX_NODES]
        trace.truncated = True
    kept = set(reached)
    trace.nodes = [(lots[pk], distances[pk]) for pk in reached]
    trace.shares = {lots[pk].code: shares[pk] for pk in reached}
    edges = []
    for link, share in zip(shown, edge_shares, strict=True):
        if link.near in kept and link.far in kept:
            source, target = (link.far, link.near) if direction == UP else (link.near, link.far)
            edges.append(TraceEdge(lots[source].code, lots[target].code, link.seq, link.mass_g, share))
    trace.edges = sorted(edges, key=lambda edge: (edge.seq, edge.source, edge.target))
    # By seq, and within a melt in the order its entry lists them (the sort is stable).
    trace.additions = sorted(
        (addition for addition in melt_additions if addition.target in trace.shares),
        key=lambda addition: addition.seq,
    )
    return trace


def _visible_lots(
    viewer: Viewer, ids: set[int]
) -> tuple[dict[int, Lot], dict[int, tuple[tuple[str, int], ...]]]:
    """The lots among `ids` that the viewer may see, with their owners (two queries); and the
    alloying additions (material, grams) of the melts that made them, by seq."""
    rows = visible_lots(
        viewer,
        Lot.objects.filter(pk__in=ids)
        # Sorted in Python: the default ordering (by made_by) would join and sort the entries.
        .order_by()
        # The few owners in one more query, rather than one Organisation per lot by a join.
        .prefetch_related("owner")
        # Read with the lot rather than by a query of its own; only melts have additions.
        .annotate(made_by_additions=F("made_by__facts__additions")),
    )
    lots, additions = {}, {}
    for lot in rows:
        lots[lot.pk] = lot
        if lot.made_by_additions:
            additions[lot.made_by_id] = tuple(
                (addition["material"], parse_mass(addition["mass_kg"], "additions"))
                for addition in lot.made_by_additions
            )
    return lots, additions


def _walk(
    root: int, links: list[_Link], lots: dict[int, Lot], depth: int
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
    lots: dict[int, Lot],
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
    order.
    """
    inputs: dict[int, list[int]] = defaultdict(list)  # lot -> indexes of its links in `shown`
    for index, link in enumerate(shown):
        inputs[link.near].append(index)
    passed_on: dict[int, Fraction] = {}
    shares: dict[int, Fraction] = {}
    link_shares: list[Fraction] = [ZERO] * len(shown)
    melt_additions: list[TraceAddition] = []
    for pk in sorted(distances, key=lambda pk: lots[pk].made_by_id, reverse=True):
        share = shares[pk] = ONE if pk == root else passed_on.get(pk, ZERO)
        seq = lots[pk].made_by_id
        if distances[pk] >= depth or not charges.get(seq):
            continue  # a leaf: received scrap, or where the walk stopped
        per_gram = share / charges[seq]
        for index in inputs[pk]:
            far, mass_g = shown[index].far, shown[index].mass_g
            link_shares[index] = flowed = per_gram * mass_g
            passed_on[far] = passed_on[far] + flowed if far in passed_on else flowed
        for material, grams in additions.get(seq, ()):
            melt_additions.append(TraceAddition(seq, lots[pk].code, material, grams, per_gram * grams))
    return shares, link_shares, melt_additions


def _shares_down(
    root: int, shown: list[_Link], lots: dict[int, Lot], charges: dict[int, int]
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
