"""The carbon and recycled-content method of CARBON.md, as pure computation: `remelt-2`, which
is `remelt-1` except that an alloying addition citing a supplier's footprint (a PACT
ProductFootprint imported into the ledger) is priced with that footprint's value per kg
instead of the factor set's generic factor.

No database and no Django here: the roll-up service loads processes, lots and transfers in
bulk and hands them to `compute`, which walks the processes once in ledger order (a
topological order of the lot graph); the offline verifier (`remelt-verify
bundle.json`) feeds it the entries of an evidence bundle instead. Arithmetic is Decimal with
50 significant digits, so results can be recomputed by anyone to far better than the gram
of CO2e.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal

METHOD_VERSION = "remelt-2"
METHODS = ("remelt-1", "remelt-2")  # remelt-1: no addition cites a footprint
STAGES = ("scrap_transport", "alloying", "melting", "casting", "part_production", "transport")
LotKey = Hashable  # a lot's database id in the roll-up, its code in the offline verifier

CONTEXT = Context(prec=50)
# Each lot's carbon is settled to 30 significant digits, the precision it is stored with, so
# a roll-up from stored values and one from scratch give the very same digits.
SETTLED = Context(prec=30)
ZERO = Decimal(0)
ONE = Decimal(1)
KG = Decimal(1000)  # grams per kg, and kg per tonne
MICRO = Decimal("0.000001")
NANO = Decimal("0.000000001")


def format_kg(grams: int) -> str:
    """Grams → the kg string with exactly 3 decimals that footprints and the API use: 1250500 → "1250.500"."""
    return f"{grams // 1000}.{grams % 1000:03d}"


def vector(**stages: Decimal) -> dict[str, Decimal]:
    return {stage: stages.get(stage, ZERO) for stage in STAGES}


def add(a: Mapping[str, Decimal], b: Mapping[str, Decimal], scale: Decimal = ONE) -> dict[str, Decimal]:
    return {stage: CONTEXT.add(a[stage], CONTEXT.multiply(b[stage], scale)) for stage in STAGES}


def scaled(a: Mapping[str, Decimal], factor: Decimal) -> dict[str, Decimal]:
    return {stage: CONTEXT.multiply(a[stage], factor) for stage in STAGES}


def total(a: Mapping[str, Decimal]) -> Decimal:
    result = ZERO
    for stage in STAGES:
        result = CONTEXT.add(result, a[stage])
    return result


def div(a: Decimal, b: Decimal) -> Decimal:
    return CONTEXT.divide(a, b)


@dataclass(frozen=True)
class Factors:
    """A factor set's values by key (e.g. `electricity_kwh`, `transport_truck`, `silicon`)."""

    version: str
    values: Mapping[str, Decimal]

    def transport_per_kg(self, transport: Mapping[str, str]) -> Decimal:
        """Emissions per kg moved: distance × EF(mode) per t·km, per 1000 kg."""
        ef = self.values[f"transport_{transport['mode']}"]
        return div(CONTEXT.multiply(Decimal(transport["distance_km"]), ef), KG)

    def energy(self, energy: Mapping[str, str]) -> Decimal:
        gas = CONTEXT.multiply(Decimal(energy["natural_gas_m3"]), self.values["natural_gas_m3"])
        power = CONTEXT.multiply(Decimal(energy["electricity_kwh"]), self.values["electricity_kwh"])
        return CONTEXT.add(gas, power)


@dataclass(frozen=True)
class Carbon:
    """A lot's intensity at its making (kg CO2e per kg, by stage) and recycled shares.

    `supplier` is the part of its `alloying` intensity priced by suppliers' own footprints
    (remelt-2) rather than generic factors; it follows the metal like every stage does.
    """

    intensity: Mapping[str, Decimal]
    post: Decimal
    pre: Decimal
    supplier: Decimal = ZERO


def settle(value: Carbon) -> Carbon:
    return Carbon(
        {stage: SETTLED.plus(value.intensity[stage]) for stage in STAGES},
        SETTLED.plus(value.post),
        SETTLED.plus(value.pre),
        SETTLED.plus(value.supplier),
    )


@dataclass(frozen=True)
class ProcessFacts:
    """One making process: its type, facts, inputs (lot, grams) and outputs (lot, grams, kind).

    Lots are named by any hashable key: database ids in the roll-up, codes in the verifier.
    `parts_g` is the mass of further parts the process made that `outputs` does not list: a
    part is never consumed, so the roll-up passes a part run's wheels as one total.
    """

    seq: int
    type: str
    facts: Mapping
    inputs: list[tuple[LotKey, int]]
    outputs: list[tuple[LotKey, int, str]]
    category: str = ""  # received scrap only
    parts_g: int = 0
    # kg CO2e per kg of the supplier footprints its additions cite, by import entry seq
    cited: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """The carbon at making of everything one process made.

    Every output shares `main`, except a part run's internal scrap, which takes none of the
    run's process energy (CARBON.md rule 3) and so has its own intensity.
    """

    main: Carbon
    internal_scrap: Carbon | None = None

    def of(self, kind: str) -> Carbon:
        """The carbon of an output of this kind (`scrap` out of a part run is internal scrap)."""
        if kind == "scrap" and self.internal_scrap is not None:
            return self.internal_scrap
        return self.main


@dataclass
class TransferLog:
    """Per lot, the custody transfers' intensity increments (seq, kg CO2e per kg), in order."""

    by_lot: dict[LotKey, list[tuple[int, Decimal]]] = field(default_factory=dict)

    def add(self, lot_id: LotKey, seq: int, per_kg: Decimal) -> None:
        self.by_lot.setdefault(lot_id, []).append((seq, per_kg))

    def raised_before(self, lot_id: LotKey, seq: int | None) -> Decimal:
        """How much transfers before `seq` (all, if None) raised the lot's intensity."""
        result = ZERO
        for transfer_seq, per_kg in self.by_lot.get(lot_id, ()):
            if seq is None or transfer_seq < seq:
                result = CONTEXT.add(result, per_kg)
        return result


def intensity_at(
    carbon: Carbon, lot_id: LotKey, transfers: TransferLog, seq: int | None
) -> dict[str, Decimal]:
    """Intensity of what remains of a lot just before entry `seq` (rule 4: transfers raise it)."""
    intensity = dict(carbon.intensity)
    intensity["transport"] = CONTEXT.add(intensity["transport"], transfers.raised_before(lot_id, seq))
    return intensity


def compute(
    processes: Iterable[ProcessFacts],
    known: Mapping[LotKey, Carbon],
    transfers: TransferLog,
    factors: Factors,
) -> dict[LotKey, Carbon]:
    """Carbon of every listed output of `processes` (in seq order), lot by lot."""
    processes = list(processes)
    states = compute_states(processes, known, transfers, factors)
    return {lot_id: states[p.seq].of(kind) for p in processes for lot_id, _grams, kind in p.outputs}


def compute_states(
    processes: Iterable[ProcessFacts],
    known: Mapping[LotKey, Carbon],
    transfers: TransferLog,
    factors: Factors,
) -> dict[int, State]:
    """The state of every process (in seq order), by seq; inputs come from `known` or earlier outputs.

    One pass, whatever the number of parts: a process's outputs share one or two values.
    """
    made: dict[LotKey, Carbon] = {}
    states: dict[int, State] = {}

    def of(lot_id: LotKey) -> Carbon:
        return made[lot_id] if lot_id in made else known[lot_id]

    for process in processes:
        state = states[process.seq] = _state(process, of, transfers, factors)
        for lot_id, _grams, kind in process.outputs:
            made[lot_id] = state.of(kind)
    return states


def _state(process: ProcessFacts, of, transfers: TransferLog, factors: Factors) -> State:
    if process.type == "scrap.received":
        per_kg = factors.transport_per_kg(process.facts["transport"])
        return State(
            settle(
                Carbon(
                    vector(scrap_transport=per_kg),
                    ONE if process.category == "post_consumer" else ZERO,
                    ONE if process.category == "pre_consumer" else ZERO,
                )
            )
        )
    metal = vector()
    post = pre = supplier = ZERO
    in_kg = ZERO
    for lot_id, grams in process.inputs:
        kg = div(Decimal(grams), KG)
        source = of(lot_id)
        metal = add(metal, intensity_at(source, lot_id, transfers, process.seq), kg)
        post = CONTEXT.add(post, CONTEXT.multiply(kg, source.post))
        pre = CONTEXT.add(pre, CONTEXT.multiply(kg, source.pre))
        supplier = CONTEXT.add(supplier, CONTEXT.multiply(kg, source.supplier))
        in_kg = CONTEXT.add(in_kg, kg)
    scrap_g = sum(grams for _id, grams, kind in process.outputs if kind == "scrap")
    main_g = sum(grams for _id, grams, kind in process.outputs if kind != "scrap") + process.parts_g
    out_kg = div(Decimal(main_g + scrap_g), KG)
    if process.type == "melt.recorded":
        alloying, added_kg = ZERO, ZERO
        for addition in process.facts["additions"]:
            kg = Decimal(addition["mass_kg"])
            emitted = CONTEXT.multiply(kg, addition_per_kg(process, addition, factors))
            alloying = CONTEXT.add(alloying, emitted)
            if "footprint" in addition:
                supplier = CONTEXT.add(supplier, emitted)
            added_kg = CONTEXT.add(added_kg, kg)
        burden = add(metal, vector(alloying=alloying, melting=factors.energy(process.facts["energy"])))
        charged = CONTEXT.add(in_kg, added_kg)
        per_out = div(ONE, out_kg)
        melted = Carbon(
            scaled(burden, per_out),
            div(post, charged),
            div(pre, charged),
            CONTEXT.multiply(supplier, per_out),
        )
        return State(settle(melted))
    # Casting and part runs (rule 3): the metal's burden goes to all outputs by mass,
    # the process energy to the main products only (not to internal scrap).
    stage = "casting" if process.type == "ingots.cast" else "part_production"
    main_kg = div(Decimal(main_g), KG)
    metal_per_kg = scaled(metal, div(ONE, out_kg))
    energy_per_kg = div(factors.energy(process.facts["energy"]), main_kg)
    shares = (div(post, in_kg), div(pre, in_kg), div(supplier, out_kg))
    main = settle(Carbon(add(metal_per_kg, vector(**{stage: energy_per_kg})), *shares))
    return State(main, settle(Carbon(metal_per_kg, *shares)) if scrap_g else None)


def addition_per_kg(process: ProcessFacts, addition: Mapping, factors: Factors) -> Decimal:
    """kg CO2e per kg of an alloying addition: the cited supplier footprint's value (remelt-2),
    else the factor set's EF(material)."""
    if "footprint" in addition:
        return process.cited[addition["footprint_entry"]]
    return factors.values[addition["material"]]


def cited_per_kg(document: Mapping) -> Decimal | None:
    """kg CO2e per kg of a supplier's product as delivered, from its PACT v3 ProductFootprint:
    `pcfExcludingBiogenicUptake` plus `outboundLogisticsGhgEmissions` (both per declared unit)
    over `productMassPerDeclaredUnit`, to 12 decimals; None if its declared unit has no mass
    (energy, services)."""
    pcf = document["pcf"]
    emitted = CONTEXT.add(
        Decimal(pcf["pcfExcludingBiogenicUptake"]), Decimal(pcf.get("outboundLogisticsGhgEmissions") or "0")
    )
    mass = Decimal(pcf["productMassPerDeclaredUnit"])
    if mass <= 0 and pcf["declaredUnitOfMeasurement"] == "kilogram":
        mass = Decimal(pcf["declaredUnitAmount"])
    if mass <= 0:
        return None
    return div(emitted, mass).quantize(Decimal("1E-12"), context=CONTEXT)


def _q(value: Decimal, step: Decimal = MICRO) -> str:
    return str(value.quantize(step, rounding=ROUND_HALF_EVEN, context=CONTEXT))


def footprint_document(
    *,
    code: str,
    kind: str,
    mass_g: int,
    intensity: Mapping[str, Decimal],
    base: Carbon,
    factors: Factors,
    method: str = METHOD_VERSION,
) -> dict:
    """A lot's footprint as published: whole-lot totals by stage, shares, baseline and saving.
    `method` is the one the roll-up that computed it named."""
    mass_kg = div(Decimal(mass_g), KG)
    by_stage = scaled(intensity, mass_kg)
    footprint = total(by_stage)
    own_stage = "part_production" if kind == "part" else "casting"
    baseline = CONTEXT.multiply(mass_kg, factors.values["primary_aluminium"])
    baseline = CONTEXT.add(baseline, CONTEXT.add(by_stage[own_stage], by_stage["transport"]))
    return {
        "lot": code,
        "kind": kind,
        "method": method,
        "factor_set": factors.version,
        "mass_kg": format_kg(mass_g),
        "total_kg_co2e": _q(footprint),
        "per_kg_co2e": _q(div(footprint, mass_kg), NANO),
        "by_stage": {stage: _q(by_stage[stage]) for stage in STAGES},
        "recycled_content": {"post_consumer": _q(base.post), "pre_consumer": _q(base.pre)},
        "baseline_kg_co2e": _q(baseline),
        "saving_kg_co2e": _q(CONTEXT.subtract(baseline, footprint)),
    }
