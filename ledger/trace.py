"""Traces through the material graph: back to the scrap (up) or forward to the parts (down).

A simple breadth-first walk, one query per level, kept behind `lot_trace` so that a
recursive-CTE implementation with mass shares can replace it. The walk only passes through
lots the viewer may see: a lot it may not see is left out together with what lies beyond it,
so a trace never reveals more than the lot endpoints would.
"""

from dataclasses import dataclass, field

from ledger.models import Consumption, Lot
from ledger.visibility import Viewer, visible_lots

UP = "up"
DOWN = "down"
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
MAX_NODES = 5000


@dataclass(frozen=True)
class TraceEdge:
    """`source` gave `mass_g` grams to the step (entry `seq`) that made `target`.

    A step with several outputs (a cast, a part run) shows the same input mass on the edge
    to each of them: it is what went into the step, not a share of it.
    """

    source: str
    target: str
    seq: int
    mass_g: int


@dataclass
class Trace:
    """The lots reached (root first, then by distance) and the edges between them."""

    root: Lot
    direction: str
    depth: int
    nodes: list[tuple[Lot, int]] = field(default_factory=list)  # (lot, distance from the root)
    edges: list[TraceEdge] = field(default_factory=list)
    truncated: bool = False


def lot_trace(*, lot: Lot, direction: str, depth: int, viewer: Viewer) -> Trace:
    """Walk `depth` steps from `lot` (which the viewer may see) up or down the graph."""
    if direction not in (UP, DOWN):
        raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
    trace = Trace(root=lot, direction=direction, depth=depth, nodes=[(lot, 0)])
    reached: dict[int, Lot] = {lot.pk: lot}
    frontier = [lot]
    for distance in range(1, depth + 1):
        if not frontier:
            break
        links = _links_up(frontier) if direction == UP else _links_down(frontier)
        new_ids = {other for _lot, other, _seq, _mass in links if other not in reached}
        found = _lots(viewer, new_ids)
        if len(reached) + len(found) > MAX_NODES:
            found = dict(sorted(found.items())[: max(MAX_NODES - len(reached), 0)])
            trace.truncated = True
        for lot_id in sorted(found, key=lambda pk: found[pk].code):
            trace.nodes.append((found[lot_id], distance))
        reached.update(found)
        for near, far, seq, mass in links:
            if far not in reached:
                continue
            source, target = (
                (reached[far], reached[near]) if direction == UP else (reached[near], reached[far])
            )
            trace.edges.append(TraceEdge(source.code, target.code, seq, mass))
        frontier = list(found.values())
        if trace.truncated:
            break
    trace.edges = sorted(set(trace.edges), key=lambda edge: (edge.seq, edge.source, edge.target))
    return trace


def _links_up(lots: list[Lot]) -> list[tuple[int, int, int, int]]:
    """(lot, its input, seq of the step, mass the input gave) for the steps that made `lots`."""
    made_by: dict[int, list[int]] = {}
    for lot in lots:
        made_by.setdefault(lot.made_by_id, []).append(lot.pk)
    rows = Consumption.objects.filter(process_id__in=made_by, process__voided=False).values_list(
        "process_id", "lot_id", "mass_g"
    )
    return [(out, lot_id, seq, mass) for seq, lot_id, mass in rows for out in made_by[seq]]


def _links_down(lots: list[Lot]) -> list[tuple[int, int, int, int]]:
    """(lot, an output, seq of the step, mass the lot gave) for the steps that consumed `lots`."""
    rows = list(
        Consumption.objects.filter(lot__in=[lot.pk for lot in lots], process__voided=False).values_list(
            "lot_id", "process_id", "mass_g"
        )
    )
    outputs: dict[int, list[int]] = {}
    for lot_id, seq in Lot.objects.filter(made_by_id__in={seq for _l, seq, _m in rows}).values_list(
        "pk", "made_by_id"
    ):
        outputs.setdefault(seq, []).append(lot_id)
    return [(lot_id, out, seq, mass) for lot_id, seq, mass in rows for out in outputs.get(seq, [])]


def _lots(viewer: Viewer, ids: set[int]) -> dict[int, Lot]:
    if not ids:
        return {}
    lots = visible_lots(viewer, Lot.objects.filter(pk__in=ids).select_related("owner"))
    return {lot.pk: lot for lot in lots}
