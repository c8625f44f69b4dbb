"""Anchor format 2: the trees over footprint versions and carbon states, built and proven."""

import hashlib

import pytest
from remelt_verify import merkle
from remelt_verify.chain import canonical

from passports import anchor


def _leaves(count: int) -> list[bytes]:
    return [
        anchor.footprint_leaf(f"W{i:07d}", 1 + i % 3, hashlib.sha256(str(i).encode()).hexdigest())
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1000, 2049])
def test_the_builder_gives_the_rfc_6962_root_and_every_stored_node(count):
    leaves = _leaves(count)
    builder = anchor.TreeBuilder()
    for index, leaf in enumerate(leaves):
        assert builder.add(leaf) == index
    reference = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in leaves])
    assert builder.count == count
    assert builder.root() == merkle.root_from_leaves([merkle.leaf_hash(leaf) for leaf in leaves])
    expected = {
        (level, index, node)
        for level, nodes in enumerate(reference.levels)
        if level >= anchor.CHUNK_LEVEL
        for index, node in enumerate(nodes)
    }
    assert set(builder.nodes) == expected
    assert all(level >= anchor.CHUNK_LEVEL for level, _index, _node in builder.nodes)


@pytest.mark.parametrize("count", [1, 5, 256, 257, 700, 1025])
def test_a_path_from_stored_nodes_and_one_chunk_is_the_rfc_6962_path(count):
    leaves = _leaves(count)
    builder = anchor.TreeBuilder()
    for leaf in leaves:
        builder.add(leaf)
    stored = {(level, index): node for level, index, node in builder.nodes}
    reference = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in leaves])
    reads = []

    def read_leaves(start, end):
        reads.append((start, end))
        return leaves[start:end]

    def read_nodes(keys):
        return {key: stored[key] for key in keys}

    for index in sorted({0, min(1, count - 1), count // 2, count - 1, min(count - 1, 300)}):
        reads.clear()
        path = anchor.inclusion_path(index, count, read_leaves, read_nodes)
        assert path == reference.inclusion_proof(index)
        assert merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, count, path, builder.root())
        assert len(reads) <= 2 and all(end - start <= anchor.CHUNK for start, end in reads)


@pytest.mark.parametrize(
    "code", ["ZY261101000042", "SCR-2026-000001", 'quote"d', "back\\slash", "Größe", "tab\there"]
)
def test_a_footprint_leaf_is_the_rfc_8785_array(code):
    digest = "ab" * 32
    assert anchor.footprint_leaf(code, 7, digest) == canonical([code, 7, digest])


def test_the_payload_names_no_lot_and_grows_only_by_the_digits_of_its_numbers():
    small = anchor.anchor_payload(
        run=3,
        method="remelt-1",
        factor_set="cn-2026.1",
        ledger_seq=40,
        trees={"footprints": (10, bytes(32)), "states": (2, bytes(32))},
    )
    assert set(small) == {"anchor", "run", "method", "factor_set", "ledger_seq", "footprints", "states"}
    assert small["footprints"] == {"count": 10, "root": "00" * 32}


def _masked(value):
    """The payload with every number replaced by 0: what is left is its shape."""
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return 0 if isinstance(value, int) else value


def test_an_anchor_has_the_same_size_for_a_run_of_10_and_of_100000_footprints(alurec, settings):
    from django.utils import timezone

    from ledger.models import Entry
    from ledger.services import EventInput, events_record
    from passports.models import Footprint
    from passports.selectors import footprint_proof

    settings.LEDGER_MAX_BATCH_ITEMS = 20_000  # a run of 5,000 wheels in one request, as the README allows
    from passports.services import rollup_run
    from tests.ledger.test_events import TRUCK_200, record

    record(
        alurec,
        "scrap.received",
        {
            "code": "S",
            "supplier_name": "x",
            "grade": "wheels",
            "category": "post_consumer",
            "mass_kg": "60000",
            "transport": TRUCK_200,
        },
    )
    record(
        alurec,
        "melt.recorded",
        {
            "code": "M",
            "furnace": "F",
            "inputs": [{"lot": "S", "mass_kg": "60000"}],
            "output_mass_kg": "58000",
            "energy": {"electricity_kwh": "4000"},
        },
    )

    def runs(prefix, count, per_run):
        return [
            EventInput(
                "parts.produced",
                timezone.now(),
                {
                    "inputs": [{"lot": "M", "mass_kg": f"{per_run * 0.5:.3f}"}],
                    "parts": [
                        {"serial": f"{prefix}{run}-{i}", "mass_kg": "0.500", "part_number": "AW"}
                        for i in range(per_run)
                    ],
                    "energy": {"electricity_kwh": "30"},
                },
            )
            for run in range(count)
        ]

    events_record(organisation=alurec, actor="user:test", events=runs("A", 1, 10))
    small = rollup_run()
    for run in runs("B", 20, 5000):  # one run per request: LEDGER_MAX_BATCH_ITEMS (6,000 items)
        events_record(organisation=alurec, actor="user:test", events=[run])
    large = rollup_run()
    assert (small.versions_created, large.versions_created) == (10, 100_000)

    payloads = [bytes(Entry.objects.get(seq=run.entry_id).payload) for run in (small, large)]
    shapes = [canonical(_masked(Entry(payload=payload).data)) for payload in payloads]
    assert len(shapes[0]) == len(shapes[1])  # the same members, hashes of the same length
    # Only the digits of the counts, seqs and run ids differ, and no serial is in it.
    assert abs(len(payloads[1]) - len(payloads[0])) <= 12 and len(payloads[1]) < 400
    assert b"B1-" not in payloads[1]
    # Any one of the 100,000 versions is proven by the root in that small payload.
    for serial in ("B0-0", "B13-4321", "B19-4999"):
        proof = footprint_proof(Footprint.objects.select_related("lot", "run__entry").get(lot__code=serial))
        assert proof.verifies() and proof.count == 100_000
