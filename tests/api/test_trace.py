"""GET /api/v1/lots/{code}/trace/: back to the scrap (up), forward to the parts (down, for a
recall), with masses, through the lots the caller may see."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.api.support import assert_problem


def _trace(client, code, query=""):
    response = client.get(f"/api/v1/lots/{code}/trace/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _edges(trace) -> set[tuple[str, str, str]]:
    return {(edge["source"], edge["target"], edge["mass_kg"]) for edge in trace["edges"]}


def test_up_from_a_part_walks_back_to_the_scrap_with_masses(loop, client_for):
    trace = _trace(client_for("autofab"), "W-0001", "?direction=up")
    assert (trace["root"], trace["direction"], trace["depth"]) == ("W-0001", "up", 10)
    assert (trace["node_count"], trace["page"], trace["pages"]) == (len(trace["nodes"]), 1, 1)
    assert trace["edge_count"] == len(trace["edges"])
    assert [(node["code"], node["distance"]) for node in trace["nodes"]] == [
        ("W-0001", 0),
        ("ING-1", 1),
        ("MLT-1", 2),
        ("SCR-A", 3),
        ("SCR-B", 3),
    ]
    assert _edges(trace) == {
        ("ING-1", "W-0001", "600.000"),
        ("MLT-1", "ING-1", "12400.000"),
        ("SCR-A", "MLT-1", "8000.000"),
        ("SCR-B", "MLT-1", "5000.000"),
    }
    by_target = {edge["target"]: edge["entry"] for edge in trace["edges"]}
    assert by_target == {"W-0001": loop.parts_made, "ING-1": loop.cast, "MLT-1": loop.melted}
    scrap = trace["nodes"][3]
    assert (scrap["kind"], scrap["category"], scrap["supplier"], scrap["mass_kg"]) == (
        "scrap",
        "post_consumer",
        "scrapco",
        "10000.000",
    )
    # MLT-1's charge is 13 100 kg: 8 000 of SCR-A, 5 000 of SCR-B and 100 of silicon; all of the
    # wheel's metal came through ING-1 and MLT-1.
    assert {node["code"]: node["share"] for node in trace["nodes"]} == {
        "W-0001": "1.000000000",
        "ING-1": "1.000000000",
        "MLT-1": "1.000000000",
        "SCR-A": "0.610687023",
        "SCR-B": "0.381679389",
    }
    assert {(edge["source"], edge["share"]) for edge in trace["edges"]} == {
        ("ING-1", "1.000000000"),
        ("MLT-1", "1.000000000"),
        ("SCR-A", "0.610687023"),
        ("SCR-B", "0.381679389"),
    }
    assert trace["additions"] == [
        {
            "entry": loop.melted,
            "target": "MLT-1",
            "material": "silicon",
            "mass_kg": "100.000",
            "share": "0.007633588",
        }
    ]


def test_down_from_scrap_finds_the_parts_that_contain_it(loop, client_for):
    trace = _trace(client_for("certa"), "SCR-A", "?direction=down")
    codes = {node["code"] for node in trace["nodes"]}
    assert codes == {"SCR-A", "MLT-1", "ING-1", "ING-2", "W-0001", "W-0002", "W-0003", "W-0004", "INT-1"}
    assert ("SCR-A", "MLT-1", "8000.000") in _edges(trace)
    assert ("ING-1", "W-0003", "600.000") in _edges(trace)
    assert {node["code"] for node in trace["nodes"] if node["kind"] == "part"} == {
        "W-0001",
        "W-0002",
        "W-0003",
        "W-0004",
    }
    # 8 000 of MLT-1's 13 100 kg charge; casting and the part run keep the mix.
    shares = {node["code"]: node["share"] for node in trace["nodes"]}
    assert shares["SCR-A"] == "1.000000000"
    assert {shares[code] for code in codes - {"SCR-A"}} == {"0.610687023"}
    assert trace["additions"] == []


@pytest.mark.parametrize(
    ("slug", "reached"),
    [
        # autofab sees its own parts and their upstream, not wheelworks' other parts or ING-2
        ("autofab", {"SCR-A", "MLT-1", "ING-1", "W-0001", "W-0002"}),
        # alurec never held the parts: the walk stops at its ingots
        ("alurec", {"SCR-A", "MLT-1", "ING-1", "ING-2"}),
    ],
)
def test_down_passes_only_through_lots_the_caller_may_see(loop, client_for, slug, reached):
    trace = _trace(client_for(slug), "SCR-A", "?direction=down")
    assert {node["code"] for node in trace["nodes"]} == reached
    assert all(edge["source"] in reached and edge["target"] in reached for edge in trace["edges"])


def test_the_supplier_traces_its_lot_once_it_confirmed_the_receipt(loop, client_for):
    scrapco = client_for("scrapco")
    assert scrapco.get("/api/v1/lots/SCR-A/trace/?direction=down").status_code == 404
    assert scrapco.post("/api/v1/lots/SCR-A/confirm-supply/").status_code == 201
    trace = _trace(scrapco, "SCR-A", "?direction=down")
    assert {node["code"] for node in trace["nodes"]} == {"SCR-A"}  # the walk passes only lots it sees


def test_depth_limits_the_walk(loop, client_for):
    trace = _trace(client_for("certa"), "W-0001", "?depth=1")
    assert [node["code"] for node in trace["nodes"]] == ["W-0001", "ING-1"]
    assert _edges(trace) == {("ING-1", "W-0001", "600.000")}


def test_pages_hold_every_node_and_edge_once(loop, client_for):
    client = client_for("certa")
    whole = _trace(client, "SCR-A", "?direction=down")
    assert whole["node_count"] == len(whole["nodes"]) > 3 and whole["pages"] == 1
    pages = [_trace(client, "SCR-A", "?direction=down&page_size=2")]
    while pages[-1]["page"] < pages[-1]["pages"]:
        pages.append(_trace(client, "SCR-A", f"?direction=down&page_size=2&page={pages[-1]['page'] + 1}"))
    assert len(pages) == -(-max(whole["node_count"], whole["edge_count"]) // 2)
    assert [node for page in pages for node in page["nodes"]] == whole["nodes"]
    assert [edge for page in pages for edge in page["edges"]] == whole["edges"]
    assert {(page["node_count"], page["edge_count"]) for page in pages} == {
        (whole["node_count"], whole["edge_count"])
    }


def test_a_trace_too_large_is_refused_naming_the_depth_never_cut(loop, client_for, monkeypatch):
    monkeypatch.setattr("ledger.trace.MAX_NODES", 3)
    response = client_for("certa").get("/api/v1/lots/SCR-A/trace/?direction=down")
    assert "depth" in assert_problem(response, 400, "trace_too_large")["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?direction=sideways", "direction"),
        ("?depth=0", "depth"),
        ("?depth=51", "depth"),
        ("?page=0", "page"),
        ("?page_size=1001", "page_size"),
    ],
)
def test_bad_parameters_are_400(loop, client_for, query, field):
    body = assert_problem(client_for("certa").get(f"/api/v1/lots/W-0001/trace/{query}"), 400, "invalid")
    assert list(body["errors"]) == [field]


def test_the_trace_writes_nodes_edges_and_additions_as_their_serializers_document_them(loop, client_for):
    """The trace writes its items by hand for speed: exactly what the documented serializers give."""
    from ledger.api.serializers import (
        TraceAdditionSerializer,
        TraceEdgeSerializer,
        TraceNodeSerializer,
        format_share,
    )
    from ledger.models import Lot
    from ledger.trace import UP, TracePage, lot_trace
    from ledger.visibility import Viewer

    trace = lot_trace(
        lot=Lot.objects.get(code="W-0001"), direction=UP, depth=10, viewer=Viewer(None, sees_everything=True)
    )
    page = TracePage(trace, 1, 50)
    shown = _trace(client_for("certa"), "W-0001", "?direction=up")
    assert trace.additions and trace.edges
    assert shown["edges"] == TraceEdgeSerializer(page.edges, many=True).data
    assert shown["additions"] == TraceAdditionSerializer(page.additions, many=True).data
    nodes = [
        {**lot._asdict(), "owner": lot.owner, "distance": distance, "share": trace.shares[lot.code]}
        for lot, distance in page.nodes
    ]
    expected = TraceNodeSerializer(nodes, many=True).data
    assert shown["nodes"] == expected
    assert shown["nodes"][0]["share"] == format_share(1)


@given(st.integers(min_value=1, max_value=10**30).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))))
def test_a_share_is_written_as_its_exact_value_rounded_half_to_even(fraction):
    from ledger.api.serializers import format_share

    share = Fraction(*fraction)
    units = round(share * 10**9)  # Python rounds a Fraction half to even
    assert format_share(share) == f"{units // 10**9}.{units % 10**9:09d}"


def test_a_share_half_way_rounds_to_even():
    from ledger.api.serializers import format_share

    assert format_share(Fraction(1, 2 * 10**9)) == "0.000000000"
    assert format_share(Fraction(3, 2 * 10**9)) == "0.000000002"
    assert format_share(Fraction(2, 3)) == "0.666666667"
    assert format_share(1) == "1.000000000"
