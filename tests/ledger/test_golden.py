"""Golden hashes: a fixed list of entries must always give these exact bytes and hashes.

If this test fails, the encoding changed, and every ledger in the field would stop
verifying. Change the frozen values only together with a new, documented format version.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from remelt_verify.chain import GENESIS_HASH, seal

T0 = datetime(2026, 1, 5, 6, 0, 0, 123456, tzinfo=UTC)
ENTRIES = [
    (
        "scrap.received",
        "scrapco",
        "apikey:0a1b2c3d",
        {
            "code": "SCR-2026-000001",
            "mass_kg": "10000.000",
            "category": "post_consumer",
            "grade": "wheels",
            "transport": {"distance_km": "200", "mode": "truck"},
        },
    ),
    (
        "scrap.received",
        "scrapco",
        "apikey:0a1b2c3d",
        {
            "code": "SCR-2026-000002",
            "mass_kg": "5000.000",
            "category": "pre_consumer",
            "grade": "ISRI Tense",
            "note": 'Grüße, 铝 \u2014 "quoted"\n',
        },
    ),
    (
        "melt.recorded",
        "alurec",
        "user:alice",
        {
            "furnace": "F1",
            "inputs": [{"lot": "SCR-2026-000001", "mass_kg": "8000.000"}],
            "additions": [],
            "output_mass_kg": "7600.000",
            "dross_kg": "400.000",
        },
    ),
    (
        "footprint.computed",
        None,
        "system",
        {"seq": 3, "digests": [], "empty": {}, "flag": True, "none": None},
    ),
]
GOLDEN = [
    "bd569fdc0f9a4023fda4f129fb0b9adc5163ec3c07c74f6e8206fcc074f10a51",
    "09b227daca73840f58cfbb9a073cb0d081c59d5bfe6fe1b916f8453d4389e187",
    "8012dde51b4164c6334a377378a96efcdd34add58ce9a103c1853759d3226eb5",
    "62cbb7ad67a20aa7fbc918887231ccdbb6b10add71494b8a5d640db047274ed9",
]
GOLDEN_FIRST_HEADER = (
    b'{"actor":"apikey:0a1b2c3d","occurred_at":"2026-01-05T06:01:00.123456Z","org":"scrapco",'
    b'"payload_sha256":"a696129706acc9001393f10022aa167b891d592d044cf4c14bd1810d9e442601",'
    b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"recorded_at":"2026-01-05T06:01:01.123456Z","seq":1,"type":"scrap.received"}'
)


def _chain():
    prev = GENESIS_HASH
    sealed = []
    for seq, (entry_type, org, actor, payload) in enumerate(ENTRIES, start=1):
        entry = seal(
            seq=seq,
            prev_hash=prev,
            type=entry_type,
            org=org,
            actor=actor,
            occurred_at=T0 + timedelta(minutes=seq),
            recorded_at=T0 + timedelta(minutes=seq, seconds=1),
            payload=payload,
        )
        sealed.append(entry)
        prev = entry.hash
    return sealed


def test_fixed_entries_give_frozen_hashes():
    assert [entry.hash for entry in _chain()] == GOLDEN


def test_first_header_bytes_are_frozen():
    assert _chain()[0].header_bytes == GOLDEN_FIRST_HEADER


def test_the_readme_shows_the_third_entry_as_it_is_hashed():
    # The third entry, a melt the recycler recorded, is one its role may post (ledger.shapes).
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    melt = _chain()[2]
    assert f"```\n{melt.header_bytes.decode()}\n```" in readme
    assert f"whose hash is `{melt.hash}`." in readme
