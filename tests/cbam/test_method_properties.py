"""Invariants of the cbam-1 method on random melts and casts (no database)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from remelt_verify.cbam import CAST, CONTEXT, MELT, SCRAP_CATEGORIES, CbamFactors, CbamProcess, Ingot, compute

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2027, 1, 1, tzinfo=UTC)
FACTORS = CbamFactors(
    version="test",
    values={
        "natural_gas_combustion_m3": Decimal("2.1622"),
        "electricity_grid_kwh": Decimal("0.5306"),
        "see_default_primary_aluminium": Decimal("1.6"),
    },
    precursors={
        "primary_aluminium": "see_default_primary_aluminium",
        "unwrought_aluminium": "see_default_primary_aluminium",
    },
    cn_by_alloy={"A356.2": "7601 20", "P1020": "7601 10"},
    cn_default="7601 20",
)

amounts = st.integers(min_value=0, max_value=10_000_000).map(
    lambda grams: f"{grams // 1000}.{grams % 1000:03d}"
)
when = st.integers(min_value=0, max_value=364 * 24).map(lambda hours: T0 + timedelta(hours=hours))
energy = st.fixed_dictionaries({"natural_gas_m3": amounts, "electricity_kwh": amounts})
addition = st.fixed_dictionaries(
    {"material": st.sampled_from(["primary_aluminium", "silicon", "magnesium"]), "mass_kg": amounts},
    optional={"see_direct": st.sampled_from(["0.5", "2.25", "8.1"])},
)
melt = st.builds(
    lambda occurred_at, energy, scrap, metal, additions: (
        "melt",
        occurred_at,
        energy,
        scrap,
        metal,
        additions,
    ),
    when,
    energy,
    st.dictionaries(st.sampled_from(SCRAP_CATEGORIES), st.integers(1, 50_000_000)),
    st.integers(0, 5_000_000),
    st.lists(addition, max_size=3).map(tuple),
)
ingot = st.builds(Ingot, st.just("ING"), st.integers(1, 50_000_000), st.just("A356.2"))
cast = st.builds(
    lambda occurred_at, energy, ingots: ("cast", occurred_at, energy, ingots),
    when,
    energy,
    st.lists(ingot, min_size=1, max_size=3).map(tuple),
)


def processes(specs, installation="HN-1", first_seq=1) -> list[CbamProcess]:
    made = []
    for seq, spec in enumerate(specs, start=first_seq):
        if spec[0] == "melt":
            _kind, occurred_at, used, scrap, metal, additions = spec
            made.append(CbamProcess(seq, MELT, occurred_at, installation, used, scrap, metal, additions))
        else:
            _kind, occurred_at, used, ingots = spec
            made.append(CbamProcess(seq, CAST, occurred_at, installation, used, ingots=ingots))
    return made


period = st.lists(st.one_of(melt, cast), min_size=1, max_size=12).map(processes)


def run(procs, t0=T0, t1=T1):
    return compute(installation="HN-1", t0=t0, t1=t1, processes=procs, factors=FACTORS)


@given(period, when)
def test_a_period_is_the_sum_of_its_parts(procs, split):
    whole, first, second = (
        run(procs),
        run(procs, T0, split + timedelta(minutes=1)),
        run(procs, split + timedelta(minutes=1)),
    )
    for attribute in (
        "direct_kg",
        "electricity_kwh",
        "indirect_kg",
        "precursor_t",
        "activity_t",
        "embedded_t",
    ):
        assert getattr(whole, attribute) == getattr(first, attribute) + getattr(second, attribute), attribute
    for category in SCRAP_CATEGORIES:
        assert whole.scrap_t[category] == first.scrap_t[category] + second.scrap_t[category]
    assert whole.seqs == tuple(sorted(first.seqs + second.seqs))
    if whole.activity_t:
        # The parts' embedded emissions over their production give the whole's SEE_direct …
        pooled = CONTEXT.divide(first.embedded_t + second.embedded_t, first.activity_t + second.activity_t)
        assert abs(pooled - whole.see_direct) < Decimal("1e-40")
    if first.activity_t and second.activity_t:
        # … and so, where both parts produced ingots, do their SEE_direct recombined by mass.
        recombined = first.see_direct * first.activity_t + second.see_direct * second.activity_t
        assert abs(CONTEXT.divide(recombined, whole.activity_t) - whole.see_direct) < Decimal("1e-40")


@given(period, st.lists(st.one_of(melt, cast), min_size=1, max_size=6))
def test_a_melt_at_another_installation_changes_nothing(procs, elsewhere):
    others = processes(elsewhere, installation="OTHER-1", first_seq=1000)
    unplaced = processes(elsewhere, installation=None, first_seq=2000)
    assert run(procs + others + unplaced) == run(procs)


@given(period, st.data())
def test_scrap_of_any_category_never_adds_emissions(procs, data):
    melts = [index for index, p in enumerate(procs) if p.type == MELT]
    if not melts:
        return
    index = data.draw(st.sampled_from(melts))
    category = data.draw(st.sampled_from(SCRAP_CATEGORIES))
    extra = data.draw(st.integers(1, 80_000_000))
    more = dict(procs[index].scrap_g)
    more[category] = more.get(category, 0) + extra
    changed = [*procs[:index], replace(procs[index], scrap_g=more), *procs[index + 1 :]]
    before, after = run(procs), run(changed)
    assert after.direct_kg == before.direct_kg
    assert after.embedded_t == before.embedded_t
    assert after.see_direct == before.see_direct
    assert after.scrap_t[category] > before.scrap_t[category]
