"""Traces up to the scrap and down to the parts: every path, exact edge masses, exact shares of
metal by the mix rule, a query count that does not grow with depth, and visibility.

The branching loop (kg; alurec melts and casts, wheelworks makes wheels and remelts its chips):

    S1 post 10 000, S2 pre 6 000, S3 post 4 000                      (received by alurec)
    M1 = S1 6 000 + S2 3 000 + silicon 100         (charge 9 100)  -> 9 000
    M2 = S1 3 000 + S3 2 000                       (charge 5 000)  -> 4 900
    C1 = M1 8 000 + M2 2 000                       (charge 10 000) -> ING-1 5 000, ING-2 4 900
    C2 = M2 2 800                                                  -> ING-3 2 700
    (ING-1..3 go to wheelworks)
    R1 = ING-1 1 000                                               -> W-1, W-2 20 each, INT-1 900
    M3 = INT-1 900 + ING-3 1 000 + silicon 100     (charge 2 000)  -> 1 950   (chips remelted)
    R2 = M3 1 000 + ING-2 1 000                    (charge 2 000)  -> W-3, W-4 20 each, INT-2 900

So S1 reaches W-3 along four paths (through M1 and M2, each through ING-2 directly and through
ING-1 → INT-1 → M3, or ING-3 → M3), and M1 lies at distances 2 and 4 from it.
"""

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

import pytest
from django.db import connection
from django.utils import timezone

from ledger import trace as trace_module
from ledger import visibility
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from ledger.trace import DOWN, MAX_DEPTH, UP, TraceTooLarge, lot_trace, walk_params, walk_sql
from ledger.visibility import (
    Viewer,
    disclosures_for,
    lot_visible,
    visible_among,
    visible_lots,
    visible_parts,
    visible_payloads,
)

TRUCK = {"distance_km": "120", "mode": "truck"}
AUDITOR = Viewer(organisation_id=None, sees_everything=True)
F = Fraction


class History:
    """Posts events through the services as partners would, a minute apart."""

    def __init__(self) -> None:
        self.clock = timezone.now() - timedelta(days=2)

    def record(self, org, entry_type: str, data: dict) -> int:
        self.clock += timedelta(minutes=1)
        recorded = events_record(
            organisation=org, actor="user:test", events=[EventInput(entry_type, self.clock, data)]
        )
        return recorded[0].entry.seq

    def receive(self, org, code: str, mass: str, category: str = "post_consumer") -> int:
        data = {"code": code, "supplier": "scrapco", "grade": "wheels", "category": category}
        return self.record(org, "scrap.received", {**data, "mass_kg": mass, "transport": TRUCK})

    def melt(self, org, code: str, inputs: dict, output: str, additions: dict | None = None) -> int:
        data = {
            "code": code,
            "furnace": "TC-65",
            "inputs": [{"lot": lot, "mass_kg": mass} for lot, mass in inputs.items()],
            "additions": [{"material": m, "mass_kg": mass} for m, mass in (additions or {}).items()],
            "output_mass_kg": output,
        }
        return self.record(org, "melt.recorded", data)

    def cast(self, org, inputs: dict, outputs: dict) -> int:
        data = {
            "inputs": [{"lot": lot, "mass_kg": mass} for lot, mass in inputs.items()],
            "outputs": [{"code": code, "mass_kg": mass, "alloy": "A356.2"} for code, mass in outputs.items()],
        }
        return self.record(org, "ingots.cast", data)

    def run(self, org, inputs: dict, parts: dict, internal: tuple[str, str]) -> int:
        data = {
            "inputs": [{"lot": lot, "mass_kg": mass} for lot, mass in inputs.items()],
            "parts": [
                {"serial": code, "mass_kg": mass, "part_number": "AF-18"} for code, mass in parts.items()
            ],
            "internal_scrap": {"code": internal[0], "mass_kg": internal[1]},
        }
        return self.record(org, "parts.produced", data)

    def transfer(self, org, lots: list[str], to: str) -> int:
        return self.record(org, "custody.transferred", {"lots": lots, "to": to, "transport": TRUCK})


@dataclass(frozen=True)
class Seqs:
    m1: int
    m2: int
    m3: int
    c1: int
    c2: int
    r1: int
    r2: int


@pytest.fixture
def branching(cast) -> Seqs:
    alurec, wheelworks = cast["alurec"], cast["wheelworks"]
    history = History()
    history.receive(alurec, "S1", "10000")
    history.receive(alurec, "S2", "6000", category="pre_consumer")
    history.receive(alurec, "S3", "4000")
    m1 = history.melt(alurec, "M1", {"S1": "6000", "S2": "3000"}, "9000", {"silicon": "100"})
    m2 = history.melt(alurec, "M2", {"S1": "3000", "S3": "2000"}, "4900")
    c1 = history.cast(alurec, {"M1": "8000", "M2": "2000"}, {"ING-1": "5000", "ING-2": "4900"})
    c2 = history.cast(alurec, {"M2": "2800"}, {"ING-3": "2700"})
    history.transfer(alurec, ["ING-1", "ING-2", "ING-3"], "wheelworks")
    r1 = history.run(wheelworks, {"ING-1": "1000"}, {"W-1": "20", "W-2": "20"}, ("INT-1", "900"))
    m3 = history.melt(wheelworks, "M3", {"INT-1": "900", "ING-3": "1000"}, "1950", {"silicon": "100"})
    r2 = history.run(
        wheelworks, {"M3": "1000", "ING-2": "1000"}, {"W-3": "20", "W-4": "20"}, ("INT-2", "900")
    )
    return Seqs(m1=m1, m2=m2, m3=m3, c1=c1, c2=c2, r1=r1, r2=r2)


def trace_of(code: str, direction: str, viewer: Viewer = AUDITOR, depth: int = MAX_DEPTH):
    return lot_trace(lot=Lot.objects.get(code=code), direction=direction, depth=depth, viewer=viewer)


def viewer_of(org) -> Viewer:
    return Viewer(organisation_id=org.pk, sees_everything=False)


def edges_of(trace) -> set[tuple[str, str, int, int]]:
    return {(edge.source, edge.target, edge.seq, edge.mass_g) for edge in trace.edges}


def leaves_of(trace) -> Fraction:
    """What the received scrap lots and the additions gave: all of the root's metal, up."""
    scrap = sum(
        (
            trace.shares[lot.code]
            for lot, _distance in trace.nodes
            if lot.category in ("post_consumer", "pre_consumer")
        ),
        F(0),
    )
    return scrap + sum((addition.share for addition in trace.additions), F(0))


# -- up: back to the scrap -------------------------------------------------------------------


def test_up_finds_every_path_with_exact_masses(branching):
    s = branching
    trace = trace_of("W-3", UP)
    assert edges_of(trace) == {
        ("M3", "W-3", s.r2, 1_000_000),
        ("ING-2", "W-3", s.r2, 1_000_000),
        ("INT-1", "M3", s.m3, 900_000),
        ("ING-3", "M3", s.m3, 1_000_000),
        ("ING-1", "INT-1", s.r1, 1_000_000),
        ("M1", "ING-1", s.c1, 8_000_000),
        ("M2", "ING-1", s.c1, 2_000_000),
        ("M1", "ING-2", s.c1, 8_000_000),
        ("M2", "ING-2", s.c1, 2_000_000),
        ("M2", "ING-3", s.c2, 2_800_000),
        ("S1", "M1", s.m1, 6_000_000),
        ("S2", "M1", s.m1, 3_000_000),
        ("S1", "M2", s.m2, 3_000_000),
        ("S3", "M2", s.m2, 2_000_000),
    }
    assert len(trace.edges) == 14  # each once, though M1 and M2 are reached along several paths
    assert [(lot.code, distance) for lot, distance in trace.nodes] == [
        ("W-3", 0),
        ("ING-2", 1),
        ("M3", 1),
        ("ING-3", 2),
        ("INT-1", 2),
        ("M1", 2),
        ("M2", 2),
        ("ING-1", 3),
        ("S1", 3),
        ("S2", 3),
        ("S3", 3),
    ]


def test_up_shares_follow_the_mix_rule(branching):
    s = branching
    trace = trace_of("W-3", UP)
    # R2: half of W-3 is M3, half ING-2. M3's charge is 2 000 kg: INT-1 900, ING-3 1 000,
    # silicon 100. ING-1 and ING-2 are 80 % M1, 20 % M2 (cast C1); ING-3 is all M2.
    assert trace.shares == {
        "W-3": F(1),
        "M3": F(1, 2),
        "ING-2": F(1, 2),
        "INT-1": F(9, 40),  # ½ × 900 / 2 000
        "ING-3": F(1, 4),  # ½ × 1 000 / 2 000
        "ING-1": F(9, 40),  # all of INT-1 came from ING-1 (R1)
        "M1": F(29, 50),  # (½ + 9/40) × 0.8
        "M2": F(79, 200),  # (½ + 9/40) × 0.2 + ¼
        "S1": F(174, 455) + F(237, 1000),  # M1 × 6 000 / 9 100 + M2 × 3 000 / 5 000
        "S2": F(87, 455),  # M1 × 3 000 / 9 100
        "S3": F(79, 500),  # M2 × 2 000 / 5 000
    }
    by_edge = {(edge.source, edge.target): edge.share for edge in trace.edges}
    assert by_edge[("M1", "ING-1")] == F(9, 50)
    assert by_edge[("M1", "ING-2")] == F(2, 5)
    assert by_edge[("M2", "ING-3")] == F(1, 4)
    assert by_edge[("S1", "M1")] == F(174, 455)
    assert [(a.seq, a.target, a.material, a.mass_g, a.share) for a in trace.additions] == [
        (s.m1, "M1", "silicon", 100_000, F(29, 4550)),  # M1 × 100 / 9 100
        (s.m3, "M3", "silicon", 100_000, F(1, 40)),  # ½ × 100 / 2 000
    ]
    assert leaves_of(trace) == 1


def test_a_lots_share_is_the_sum_of_its_edges(branching):
    trace = trace_of("W-3", UP)
    for lot, _distance in trace.nodes[1:]:
        assert trace.shares[lot.code] == sum(e.share for e in trace.edges if e.source == lot.code)
    for lot, _distance in trace.nodes:
        inputs = [e.share for e in trace.edges if e.target == lot.code]
        inputs += [a.share for a in trace.additions if a.target == lot.code]
        if inputs:  # what came into a lot is all of it: losses do not change the mix
            assert sum(inputs) == trace.shares[lot.code]


@pytest.mark.parametrize("part", ["W-1", "W-2", "W-3", "W-4", "INT-2"])
def test_every_up_trace_adds_up_to_the_whole_part(branching, part):
    assert leaves_of(trace_of(part, UP)) == 1


def test_internal_scrap_is_traced_through_to_the_scrap_it_came_from(branching):
    trace = trace_of("M3", UP)
    assert {lot.code for lot, _distance in trace.nodes} >= {"INT-1", "ING-1", "S1", "S2", "S3"}
    assert trace.shares["INT-1"] == F(9, 20)
    assert leaves_of(trace) == 1


def test_depth_cuts_the_walk_and_the_additions_beyond_it(branching):
    s = branching
    trace = trace_of("W-3", UP, depth=2)
    assert {lot.code for lot, _distance in trace.nodes} == {
        "W-3",
        "M3",
        "ING-2",
        "INT-1",
        "ING-3",
        "M1",
        "M2",
    }
    assert {(e.source, e.target) for e in trace.edges} == {
        ("M3", "W-3"),
        ("ING-2", "W-3"),
        ("INT-1", "M3"),
        ("ING-3", "M3"),
        ("M1", "ING-2"),
        ("M2", "ING-2"),
    }
    # ING-3, M1 and M2 at distance 2 are not walked through: M1's silicon is not shown, M3's is.
    assert [(a.seq, a.share) for a in trace.additions] == [(s.m3, F(1, 40))]
    # Shares count the edges shown: M1 and M2 only through ING-2 here.
    assert (trace.shares["M1"], trace.shares["M2"], trace.shares["ING-3"]) == (F(2, 5), F(1, 10), F(1, 4))


def test_a_received_scrap_lot_traced_up_is_only_itself(branching):
    trace = trace_of("S1", UP)
    assert ([lot.code for lot, _d in trace.nodes], trace.edges, trace.additions) == (["S1"], [], [])
    assert trace.shares == {"S1": 1}


# -- down: forward to the parts, for a recall ------------------------------------------------


def test_down_shares_are_how_much_of_each_lot_came_from_the_scrap(branching):
    s = branching
    trace = trace_of("S1", DOWN)
    ingot_1 = F(60, 91) * F(8, 10) + F(3, 5) * F(2, 10)  # C1 mixes M1 (6 000 of 9 100 is S1) and M2
    m3 = ingot_1 * F(900, 2000) + F(3, 5) * F(1000, 2000)  # INT-1 is ING-1's metal; ING-3 is M2's
    run_2 = m3 / 2 + ingot_1 / 2
    assert trace.shares == {
        "S1": F(1),
        "M1": F(60, 91),
        "M2": F(3, 5),
        "ING-1": ingot_1,
        "ING-2": ingot_1,
        "ING-3": F(3, 5),
        "W-1": ingot_1,
        "W-2": ingot_1,
        "INT-1": ingot_1,
        "M3": m3,
        "W-3": run_2,
        "W-4": run_2,
        "INT-2": run_2,
    }
    assert run_2 == F(56367, 91000)
    assert trace.additions == []
    by_edge = {(edge.source, edge.target): (edge.seq, edge.mass_g, edge.share) for edge in trace.edges}
    assert by_edge[("S1", "M1")] == (s.m1, 6_000_000, F(60, 91))
    assert by_edge[("M1", "ING-2")] == (s.c1, 8_000_000, F(48, 91))
    assert by_edge[("M2", "ING-2")] == (s.c1, 2_000_000, F(3, 25))
    assert by_edge[("ING-3", "M3")] == (s.m3, 1_000_000, F(3, 10))
    assert by_edge[("ING-2", "W-4")] == (s.r2, 1_000_000, ingot_1 / 2)
    assert len(trace.edges) == 18  # 2 + 4 (C1) + 1 + 3 (R1) + 2 (M3) + 6 (R2: 2 inputs × 3 outputs)


def test_up_and_down_agree_on_every_scrap_lot_in_every_part(branching):
    for scrap in ("S1", "S2", "S3"):
        down = trace_of(scrap, DOWN)
        for part in ("W-1", "W-2", "W-3", "W-4", "INT-1", "INT-2"):
            assert trace_of(part, UP).shares[scrap] == down.shares[part], (scrap, part)


def test_voided_steps_are_left_out(branching, cast):
    history = History()
    voided = history.melt(cast["alurec"], "M-VOID", {"S3": "1000"}, "900")
    history.record(cast["alurec"], "entry.voided", {"seq": voided, "reason": "wrong furnace"})
    trace = trace_of("S3", DOWN)
    assert "M-VOID" not in trace.shares
    assert {e.target for e in trace.edges if e.source == "S3"} == {"M2"}
    withdrawn = trace_of("M-VOID", UP)
    assert ([lot.code for lot, _d in withdrawn.nodes], withdrawn.edges) == (["M-VOID"], [])


# -- visibility ------------------------------------------------------------------------------


def test_a_viewer_gets_nothing_beyond_a_lot_it_may_not_see(branching, cast):
    scrapco, alurec = cast["scrapco"], cast["alurec"]
    # scrapco buys back INT-2: a lot it may see, but only through lots it may not.
    History().transfer(cast["wheelworks"], ["INT-2"], "scrapco")
    assert visible_lots(viewer_of(scrapco), Lot.objects.filter(code="INT-2")).exists()

    trace = trace_of("S1", DOWN, viewer=viewer_of(scrapco))
    assert ([lot.code for lot, _d in trace.nodes], trace.edges, trace.shares) == (["S1"], [], {"S1": 1})
    up = trace_of("INT-2", UP, viewer=viewer_of(scrapco))
    assert ([lot.code for lot, _d in up.nodes], up.edges, up.additions) == (["INT-2"], [], [])

    # alurec held the scrap, the melts and the ingots, never the wheelworks lots made from them.
    trace = trace_of("S1", DOWN, viewer=viewer_of(alurec))
    assert set(trace.shares) == {"S1", "M1", "M2", "ING-1", "ING-2", "ING-3"}
    assert all({e.source, e.target} <= set(trace.shares) for e in trace.edges)
    assert trace.shares["ING-1"] == F(60, 91) * F(8, 10) + F(3, 5) * F(2, 10)


# -- cost and limits -------------------------------------------------------------------------


def chain(org, steps: int, prefix: str) -> str:
    """A line of `steps` steps, each fed by two lots, the newest first, scrap at the end:
    a part run from an ingot lot, a cast from a melt, a melt from the run's internal scrap and
    fresh scrap, and so on. Returns the code of the last lot made."""
    history = History()
    history.receive(org, f"{prefix}-S0", "1000")
    history.receive(org, f"{prefix}-S1", "1000")
    last = f"{prefix}-M0"
    history.melt(org, last, {f"{prefix}-S0": "1000", f"{prefix}-S1": "1000"}, "2000")
    for step in range(1, steps):
        made = f"{prefix}-L{step}"
        if step % 3 == 1:
            history.cast(org, {last: "2000"}, {made: "1000", f"{made}-B": "1000"})
        elif step % 3 == 2:
            history.run(org, {last: "1000"}, {f"{made}-P": "10"}, (made, "990"))
        else:
            history.receive(org, f"{made}-S", "1010")
            history.melt(org, made, {last: "990", f"{made}-S": "1010"}, "2000")
        last = made
    return last


@pytest.mark.parametrize("steps", [4, 8])
def test_the_query_count_does_not_grow_with_depth(cast, django_assert_num_queries, steps):
    top = Lot.objects.get(code=chain(cast["alurec"], steps, f"C{steps}"))
    viewer = viewer_of(cast["alurec"])
    # One statement: the walk with the steps' charges, and the lots with holders and additions.
    with django_assert_num_queries(1):
        trace = lot_trace(lot=top, direction=UP, depth=MAX_DEPTH, viewer=viewer)
    assert max(distance for _lot, distance in trace.nodes) == steps
    assert leaves_of(trace) == 1
    bottom = Lot.objects.get(code=f"C{steps}-S0")
    with django_assert_num_queries(1):
        down = lot_trace(lot=bottom, direction=DOWN, depth=MAX_DEPTH, viewer=viewer)
    assert down.shares[top.code] == trace.shares[bottom.code]


def test_a_diamond_ladder_is_walked_once_per_lot_not_once_per_path(cast):
    """Eight levels of two melts, each fed by both melts of the level below: 2^7 paths from the
    top to each scrap lot, but the walk reads each lot once."""
    alurec = cast["alurec"]
    history = History()
    history.receive(alurec, "A0", "4000")
    history.receive(alurec, "B0", "4000")
    for level in range(1, 9):
        for side in "AB":
            below = {f"A{level - 1}": "2000", f"B{level - 1}": "2000"}
            history.melt(alurec, f"{side}{level}", below, "4000")
    top = Lot.objects.get(code="A8")
    params = walk_params(lot_id=top.pk, depth=MAX_DEPTH, row_limit=10_000, viewer=AUDITOR)
    with connection.cursor() as cursor:
        cursor.execute(walk_sql(UP, AUDITOR), params)
        rows = cursor.fetchall()
    links = [row for row in rows if row[0] is not None]  # the rest are the lots
    lots = [row for row in rows if row[0] is None]
    # Each lot row says how many (lot, distance) pairs the walk read: A8, two per level, A0, B0.
    assert {row[-1] for row in lots} == {1 + 2 * 7 + 2}
    assert len(links) == 2 + 2 * 2 * 7  # the consumptions of A8 and of the seven levels below
    assert len(lots) == 1 + 2 * 8  # each lot once
    trace = lot_trace(lot=top, direction=UP, depth=MAX_DEPTH, viewer=AUDITOR)
    assert trace.shares["A0"] == trace.shares["B0"] == F(1, 2)
    assert len(trace.nodes) == 17 and len(trace.edges) == 30


def test_a_trace_past_the_limit_is_refused_never_cut(branching, monkeypatch):
    whole = trace_of("S1", DOWN)
    assert len(whole.nodes) > 4
    monkeypatch.setattr(trace_module, "MAX_NODES", 4)
    with pytest.raises(TraceTooLarge) as refused:
        trace_of("S1", DOWN)
    assert refused.value.code == "trace_too_large" and "depth" in refused.value.errors
    assert "recall" in refused.value.message
    monkeypatch.setattr(trace_module, "MAX_NODES", len(whole.nodes) * 4)
    assert trace_of("S1", DOWN).shares == whole.shares  # within the limit: all of it


def test_one_lot_is_visible_exactly_when_visible_lots_has_it(branching, cast):
    """lot_visible (walked down from the lot) and visible_lots (walked up from the holdings) are
    the same rule, for every organisation and lot, also for lots seen only through a part."""
    history = History()
    history.transfer(cast["wheelworks"], ["W-1", "W-3"], "autofab")
    history.transfer(cast["wheelworks"], ["INT-2"], "scrapco")
    lots = list(Lot.objects.order_by("code"))
    nobody = Viewer(organisation_id=None, sees_everything=False)
    viewers = [viewer_of(org) for org in cast.values()] + [nobody]
    for viewer in viewers:
        expected = set(visible_lots(viewer).values_list("code", flat=True))
        assert {lot.code for lot in lots if lot_visible(viewer, lot)} == expected, viewer
    # autofab holds W-1 and W-3: it sees their upstream (M3, INT-1, the ingots, melts and scrap)
    # but not the run-mates it never held, nor INT-2 (made with W-3, not upstream of it).
    autofab = viewer_of(cast["autofab"])
    assert lot_visible(autofab, Lot.objects.get(code="S3"))
    assert not lot_visible(autofab, Lot.objects.get(code="W-2"))
    assert not lot_visible(autofab, Lot.objects.get(code="INT-2"))
    assert lot_visible(AUDITOR, Lot.objects.get(code="INT-2"))


@pytest.mark.parametrize("walks_down", [visibility.WALKS_DOWN, 0])
def test_visible_among_is_visible_lots_for_the_lots_asked(branching, cast, monkeypatch, walks_down):
    """visible_among (held lots by an index probe, parts never held hidden, the rest walked down
    from, or past WALKS_DOWN of them the walk up made once) is visible_lots' rule for any few."""
    monkeypatch.setattr(visibility, "WALKS_DOWN", walks_down)
    History().transfer(cast["wheelworks"], ["W-1", "W-3"], "autofab")
    lots = list(Lot.objects.values_list("pk", "kind"))
    nobody = Viewer(organisation_id=None, sees_everything=False)
    for viewer in [viewer_of(org) for org in cast.values()] + [nobody, AUDITOR]:
        expected = set(visible_lots(viewer).values_list("pk", flat=True))
        assert visible_among(viewer, lots) == expected, viewer
        assert visible_among(viewer, lots[::3]) == expected & {pk for pk, _kind in lots[::3]}, viewer
    autofab = visible_among(viewer_of(cast["autofab"]), lots)
    assert {lot.code for lot in Lot.objects.filter(pk__in=autofab, kind="part")} == {"W-1", "W-3"}


def test_payloads_and_disclosures_are_the_same_whichever_way_the_lots_are_decided(
    branching, cast, monkeypatch
):
    """Entries' payloads and disclosures shown to each organisation: the same when the lots of
    the entries are decided one by one (visible_among) as when every lot the viewer may see is
    selected and joined (past LOTS_BY_ID lots)."""
    History().transfer(cast["wheelworks"], ["W-1", "W-3"], "autofab")
    entries = list(Entry.objects.order_by("seq"))

    def shown(viewer):
        payloads = visible_payloads(viewer, entries)
        return payloads, disclosures_for(viewer, entries, payloads)

    viewers = [viewer_of(org) for org in cast.values()]
    by_lot = [shown(viewer) for viewer in viewers]
    monkeypatch.setattr(visibility, "LOTS_BY_ID", 0)
    assert [shown(viewer) for viewer in viewers] == by_lot
    assert any(payloads and payloads != {e.seq for e in entries} for payloads, _ in by_lot)


def test_a_part_is_visible_exactly_when_visible_lots_has_it(branching, cast):
    """visible_parts (its holders) is visible_lots' rule for parts: a part is upstream of no lot."""
    History().transfer(cast["wheelworks"], ["W-1", "W-3"], "autofab")
    parts = Lot.objects.filter(kind="part")
    for org in cast.values():
        viewer = viewer_of(org)
        assert set(visible_parts(viewer, parts)) == set(visible_lots(viewer, parts)), org.slug
    assert {lot.code for lot in visible_parts(viewer_of(cast["autofab"]), parts)} == {"W-1", "W-3"}
    assert not visible_parts(Viewer(organisation_id=None, sees_everything=False), parts).exists()


def test_a_holders_trace_up_from_its_part_skips_the_filter_and_shows_the_same(branching, cast, monkeypatch):
    """A part's holder sees its whole upstream: its trace up is read without the visibility
    filter, and is the trace the filter gives."""
    History().transfer(cast["wheelworks"], ["W-3"], "autofab")
    holder_traces = []
    for code, slug in (("W-3", "autofab"), ("W-3", "wheelworks"), ("W-1", "wheelworks"), ("W-2", "alurec")):
        lot, viewer = Lot.objects.get(code=code), viewer_of(cast[slug])
        holder_traces.append(trace_module._sees_all_upstream(viewer, lot))
        fast = trace_of(code, UP, viewer=viewer)
        with monkeypatch.context() as patched:
            patched.setattr(trace_module, "_sees_all_upstream", lambda viewer, lot: False)
            filtered = trace_of(code, UP, viewer=viewer)
        assert (fast.nodes, fast.edges, fast.shares, fast.additions) == (
            filtered.nodes,
            filtered.edges,
            filtered.shares,
            filtered.additions,
        )
    assert holder_traces == [True, True, True, False]  # alurec never held W-2
