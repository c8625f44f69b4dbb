"""The CBAM embedded-emissions method `cbam-1` of CBAM.md, as pure computation.

This is the installation-level figure an EU importer declares, not the product footprint of
`remelt_verify.carbon`: only direct emissions are embedded (electricity is reported for
information), scrap of any category carries nothing, purchased unwrought aluminium carries its
supplier's or a default specific embedded emission, and the result is one `SEE_direct` per
good (CN code) of an installation and period, in t CO2e per t. Its factors come from a CBAM
factor set of their own (`CbamFactors`), never from a footprint factor set.

No database and no Django: the report task hands it the processes of the ledger, and the
offline verifier the processes of a bundle's entries. Arithmetic is Decimal with 50
significant digits; figures are rounded only in `figures()`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal

from remelt_verify.canonical import canonical, sha256_hex

METHOD_VERSION = "cbam-1"
FORMAT = "remelt-cbam-1"
MELT = "melt.recorded"
CAST = "ingots.cast"
SCRAP_RECEIVED = "scrap.received"
PARTS_PRODUCED = "parts.produced"
LOT_AMENDED = "lot.amended"
ENTRY_VOIDED = "entry.voided"
INSTALLATION_REGISTERED = "installation.registered"
INSTALLATION_AMENDED = "installation.amended"
REPORT_COMPUTED = "cbam.report.computed"
SCRAP_CATEGORIES = ("post_consumer", "pre_consumer", "internal")
# A melt's input that is a melt or ingot lot is aluminium already unwrought: a CBAM good
# (CN 7601) whose producer's figure the ledger does not hold, so it carries the default of
# the factor set like a purchased ingot (it is never counted as scrap).
REMELTED_METAL = "unwrought_aluminium"

CONTEXT = Context(prec=50)
ZERO = Decimal(0)
KG = Decimal(1000)  # grams per kg, kg per tonne, kWh per MWh
SEE_STEP = Decimal("0.0001")  # t CO2e/t, MWh/t and t/t to 4 decimals
GRAM = Decimal("0.001")  # emissions in kg, to the gram
PERCENT_STEP = Decimal("0.01")


def _div(a: Decimal, b: Decimal) -> Decimal:
    return CONTEXT.divide(a, b)


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return CONTEXT.multiply(a, b)


def _q(value: Decimal, step: Decimal) -> str:
    return str(value.quantize(step, rounding=ROUND_HALF_EVEN, context=CONTEXT))


@dataclass(frozen=True)
class CbamFactors:
    """A CBAM factor set (e.g. `cbam-2026.1`), read from its document.

    `values`: `natural_gas_combustion_m3` (kg CO2 per m3 burnt, direct),
    `electricity_grid_kwh` (kg CO2 per kWh, for SEE_indirect) and the default specific
    embedded emissions of precursors (t CO2e per t); `precursors` maps an addition's material
    (and `unwrought_aluminium`) to the key of its default; `cn_by_alloy` maps an ingot's alloy
    to its CN code, `cn_default` is the code of an alloy not listed.
    """

    version: str
    values: Mapping[str, Decimal]
    precursors: Mapping[str, str]
    cn_by_alloy: Mapping[str, str]
    cn_default: str

    @classmethod
    def from_document(cls, document: Mapping) -> "CbamFactors":
        cn = document["cn_codes"]
        return cls(
            version=document["version"],
            values={key: Decimal(factor["value"]) for key, factor in document["factors"].items()},
            precursors={material: p["default"] for material, p in document["precursors"].items()},
            cn_by_alloy=dict(cn["by_alloy"]),
            cn_default=cn["default"],
        )

    def cn_code(self, alloy: str) -> tuple[str, bool]:
        """The alloy's CN code, and whether it is the default for alloys the set does not list."""
        if alloy in self.cn_by_alloy:
            return self.cn_by_alloy[alloy], False
        return self.cn_default, True


@dataclass(frozen=True)
class Ingot:
    """An ingot lot a cast made: code, grams, alloy and chemistry (mass % by element)."""

    code: str
    mass_g: int
    alloy: str
    chemistry: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CbamProcess:
    """A melt or a cast as the method sees it, with the installation it happened at (or None).

    A melt gives its scrap inputs by category (grams), its inputs of melt or ingot lots
    (`metal_g`), its additions as recorded (`{material, mass_kg}`, with `see_direct` in
    t CO2e/t when the supplier declared one) and its energy; a cast its energy and ingots.
    """

    seq: int
    type: str
    occurred_at: datetime
    installation: str | None
    energy: Mapping[str, str]
    scrap_g: Mapping[str, int] = field(default_factory=dict)
    metal_g: int = 0
    additions: tuple[Mapping, ...] = ()
    ingots: tuple[Ingot, ...] = ()


@dataclass(frozen=True)
class Precursor:
    """Purchased CBAM goods consumed in the period: mass (t) and SEE (t CO2e/t) by its source."""

    material: str
    mass_t: Decimal
    see: Decimal
    actual: bool  # the supplier's declared value; otherwise the factor set's default

    @property
    def emissions_t(self) -> Decimal:
        return _mul(self.mass_t, self.see)


@dataclass(frozen=True)
class Good:
    """One good (CN code) of the period: its mass and its share of the installation's figures."""

    cn_code: str
    mass_t: Decimal
    alloys: tuple[str, ...]
    cn_default: bool  # some alloy was not in the factor set's list
    chemistry: Mapping[str, Decimal]  # mass-weighted mass % of the ingots that give one


@dataclass(frozen=True)
class CbamResult:
    """Exact totals of installation `installation` over [t0, t1) and the figures derived from them."""

    installation: str
    t0: datetime
    t1: datetime
    factor_set: str
    seqs: tuple[int, ...]  # the processes used, in ledger order
    direct_kg: Decimal  # D: fuel burnt in the period's melts and casts
    electricity_kwh: Decimal
    indirect_kg: Decimal  # electricity × grid factor, for information
    precursors: tuple[Precursor, ...]
    scrap_t: Mapping[str, Decimal]  # by category, all melts of the period
    alloying_kg: Mapping[str, Decimal]  # additions that are not CBAM goods, by material
    goods: tuple[Good, ...]

    @property
    def activity_t(self) -> Decimal:
        total = ZERO
        for good in self.goods:
            total = CONTEXT.add(total, good.mass_t)
        return total

    @property
    def precursor_t(self) -> Decimal:
        total = ZERO
        for precursor in self.precursors:
            total = CONTEXT.add(total, precursor.emissions_t)
        return total

    @property
    def embedded_t(self) -> Decimal:
        """Direct embedded emissions of everything made: D plus the precursors, in t CO2e."""
        return CONTEXT.add(_div(self.direct_kg, KG), self.precursor_t)

    @property
    def see_direct(self) -> Decimal | None:
        """t CO2e per t of good; the same for every good, since all is shared by mass."""
        activity = self.activity_t
        return _div(self.embedded_t, activity) if activity else None

    @property
    def see_indirect(self) -> Decimal | None:
        activity = self.activity_t
        return _div(_div(self.indirect_kg, KG), activity) if activity else None

    @property
    def electricity_mwh_per_t(self) -> Decimal | None:
        activity = self.activity_t
        return _div(_div(self.electricity_kwh, KG), activity) if activity else None


def _in_period(process: CbamProcess, installation: str, t0: datetime, t1: datetime) -> bool:
    return process.installation == installation and t0 <= process.occurred_at < t1


def compute(
    *,
    installation: str,
    t0: datetime,
    t1: datetime,
    processes: Iterable[CbamProcess],
    factors: CbamFactors,
) -> CbamResult:
    """The method's totals for `installation` over [t0, t1) from any processes (others are left out)."""
    if not t0 < t1:
        raise ValueError("a reporting period needs t0 < t1")
    gas_ef = factors.values["natural_gas_combustion_m3"]
    grid_ef = factors.values["electricity_grid_kwh"]
    direct = electricity = ZERO
    precursor_mass: dict[tuple[str, Decimal, bool], Decimal] = {}
    scrap = dict.fromkeys(SCRAP_CATEGORIES, ZERO)
    alloying: dict[str, Decimal] = {}
    by_cn: dict[str, dict] = {}
    seqs = []
    for process in sorted(processes, key=lambda p: p.seq):
        if not _in_period(process, installation, t0, t1):
            continue
        seqs.append(process.seq)
        direct = CONTEXT.add(direct, _mul(Decimal(process.energy["natural_gas_m3"]), gas_ef))
        electricity = CONTEXT.add(electricity, Decimal(process.energy["electricity_kwh"]))
        if process.type == MELT:
            for category, grams in process.scrap_g.items():
                scrap[category] = CONTEXT.add(scrap[category], _div(Decimal(grams), KG * KG))
            if process.metal_g:
                see = factors.values[factors.precursors[REMELTED_METAL]]
                key = (REMELTED_METAL, see, False)
                precursor_mass[key] = CONTEXT.add(
                    precursor_mass.get(key, ZERO), _div(Decimal(process.metal_g), KG * KG)
                )
            for addition in process.additions:
                material = addition["material"]
                kg = Decimal(addition["mass_kg"])
                if material not in factors.precursors:
                    alloying[material] = CONTEXT.add(alloying.get(material, ZERO), kg)
                    continue
                declared = addition.get("see_direct")
                see = (
                    Decimal(declared)
                    if declared is not None
                    else factors.values[factors.precursors[material]]
                )
                key = (material, see, declared is not None)
                precursor_mass[key] = CONTEXT.add(precursor_mass.get(key, ZERO), _div(kg, KG))
        elif process.type == CAST:
            for ingot in process.ingots:
                cn, defaulted = factors.cn_code(ingot.alloy)
                good = by_cn.setdefault(
                    cn, {"g": 0, "alloys": set(), "default": False, "chem": {}, "chem_g": 0}
                )
                good["g"] += ingot.mass_g
                good["alloys"].add(ingot.alloy)
                good["default"] = good["default"] or defaulted
                if ingot.chemistry:
                    good["chem_g"] += ingot.mass_g
                    for element, share in ingot.chemistry.items():
                        weighted = _mul(Decimal(share), Decimal(ingot.mass_g))
                        good["chem"][element] = CONTEXT.add(good["chem"].get(element, ZERO), weighted)
        else:
            raise ValueError(f"{process.type} is not a process of the CBAM method")
    goods = tuple(
        Good(
            cn_code=cn,
            mass_t=_div(Decimal(good["g"]), KG * KG),
            alloys=tuple(sorted(good["alloys"])),
            cn_default=good["default"],
            chemistry={
                element: _div(weighted, Decimal(good["chem_g"]))
                for element, weighted in sorted(good["chem"].items())
            },
        )
        for cn, good in sorted(by_cn.items())
    )
    precursors = tuple(
        Precursor(material, mass, see, actual)
        for (material, see, actual), mass in sorted(
            precursor_mass.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])
        )
    )
    return CbamResult(
        installation=installation,
        t0=t0,
        t1=t1,
        factor_set=factors.version,
        seqs=tuple(seqs),
        direct_kg=direct,
        electricity_kwh=electricity,
        indirect_kg=_mul(electricity, grid_ef),
        precursors=precursors,
        scrap_t=scrap,
        alloying_kg=dict(sorted(alloying.items())),
        goods=goods,
    )


def figures(result: CbamResult) -> dict:
    """The report's numbers as published: the installation's totals and, per good, its figures.

    SEE and the per-tonne parameters to 4 decimals, emissions in kg to the gram, masses in t
    to the kg, shares in % to 2 decimals. A period without ingots has totals and no goods.
    """
    activity = result.activity_t
    scrap_total = ZERO
    for category in SCRAP_CATEGORIES:
        scrap_total = CONTEXT.add(scrap_total, result.scrap_t[category])
    any_default = any(not p.actual for p in result.precursors)
    any_actual = any(p.actual for p in result.precursors)
    totals = {
        "direct_emissions_kg_co2e": _q(result.direct_kg, GRAM),
        "precursor_emissions_kg_co2e": _q(_mul(result.precursor_t, KG), GRAM),
        "embedded_emissions_kg_co2e": _q(_mul(result.embedded_t, KG), GRAM),
        "electricity_mwh": _q(_div(result.electricity_kwh, KG), GRAM),
        "indirect_emissions_kg_co2e": _q(result.indirect_kg, GRAM),
        "production_t": _q(activity, GRAM),
    }
    goods = []
    for good in result.goods:
        share = _div(good.mass_t, activity)
        parameters = {
            "scrap_t_per_t": _q(_div(scrap_total, activity), SEE_STEP),
            "scrap_t": {category: _q(result.scrap_t[category], GRAM) for category in SCRAP_CATEGORIES},
            # Internal home scrap is named apart (above) and is not pre-consumer scrap here.
            "pre_consumer_scrap_percent": _q(
                _mul(_div(result.scrap_t["pre_consumer"], scrap_total), 100), PERCENT_STEP
            )
            if scrap_total
            else None,
            "alloying_additions_kg_per_t": {
                material: _q(_div(kg, activity), SEE_STEP) for material, kg in result.alloying_kg.items()
            },
            "chemistry_percent": {element: _q(value, SEE_STEP) for element, value in good.chemistry.items()},
        }
        goods.append(
            {
                "cn_code": good.cn_code,
                "cn_code_default": good.cn_default,
                "alloys": list(good.alloys),
                "route": "secondary (remelting)",
                "production_t": _q(good.mass_t, GRAM),
                "allocated_direct_emissions_kg_co2e": _q(_mul(_mul(result.embedded_t, share), KG), GRAM),
                "see_direct_t_co2e_per_t": _q(result.see_direct, SEE_STEP),
                "see_indirect_t_co2e_per_t": _q(result.see_indirect, SEE_STEP),
                "electricity_mwh_per_t": _q(result.electricity_mwh_per_t, SEE_STEP),
                "qualifying_parameters": parameters,
                "data_quality": {
                    "direct_emissions": "actual",
                    "precursors": "none"
                    if not result.precursors
                    else (
                        "mixed" if any_default and any_actual else ("default" if any_default else "actual")
                    ),
                },
            }
        )
    precursors = [
        {
            "material": p.material,
            "mass_t": _q(p.mass_t, GRAM),
            "see_direct_t_co2e_per_t": str(p.see),
            "source": "actual" if p.actual else "default",
            "emissions_kg_co2e": _q(_mul(p.emissions_t, KG), GRAM),
        }
        for p in result.precursors
    ]
    return {"totals": totals, "precursors": precursors, "goods": goods}


# -- from ledger entries -----------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """An entry as the method reads it: seq, type, posting organisation, business time, data."""

    seq: int
    type: str
    org: str | None
    occurred_at: datetime
    data: Mapping


@dataclass
class Site:
    """An installation as its entries registered and amended it."""

    code: str
    org: str
    facts: dict
    furnaces: dict[str, int] = field(default_factory=dict)  # code → seq of the entry that added it
    casting_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class _Making:
    seq: int
    type: str
    org: str
    occurred_at: datetime
    data: dict
    site: str | None = None
    voided: bool = False
    lots: list[str] = field(default_factory=list)


def _grams(kg: str) -> int:
    return int(Decimal(kg) * KG)


def _sites_register(sites: dict[str, Site], entry: LedgerEntry) -> None:
    data = entry.data
    if entry.type == INSTALLATION_REGISTERED:
        facts = {
            key: data[key]
            for key in ("name", "address", "country", "unlocode", "coordinates", "registry_id")
            if key in data
        }
        site = sites[data["code"]] = Site(data["code"], entry.org, facts)
    else:
        site = sites[data["installation"]]
        site.facts.update(
            {
                key: value
                for key, value in data.items()
                if key not in ("installation", "reason", "furnaces", "casting_lines")
            }
        )
    for unit in data.get("furnaces", ()):
        site.furnaces[unit["code"]] = entry.seq
    for unit in data.get("casting_lines", ()):
        site.casting_lines[unit["code"]] = entry.seq


def record_of(entries: Iterable[LedgerEntry]) -> tuple[dict[str, Site], list[CbamProcess]]:
    """Installations and the melts and casts (with their installation) of a list of entries.

    The list holds what the report used: the installation's entries, the melts and casts, the
    entries that made the lots they took (for the scrap's category and the kind of metal), and the
    amendments and voids of any of them. Amendments and voids apply as in the ledger; a melt is at
    the installation whose furnace it names only if that furnace was registered before it, and a
    cast at the installation of its melts.
    """
    sites: dict[str, Site] = {}
    furnace_of: dict[str, str] = {}
    makings: dict[int, _Making] = {}
    lots: dict[str, tuple[int, str, str]] = {}  # code → (making seq, kind, scrap category)
    alloys: dict[str, list] = {}  # ingot code → [alloy, chemistry]
    for entry in sorted(entries, key=lambda e: e.seq):
        data = entry.data
        if entry.type in (INSTALLATION_REGISTERED, INSTALLATION_AMENDED):
            _sites_register(sites, entry)
            for code, site in sites.items():
                for furnace in site.furnaces:
                    furnace_of[furnace] = code
            continue
        if entry.type in (SCRAP_RECEIVED, MELT, CAST, PARTS_PRODUCED):
            making = makings[entry.seq] = _Making(
                entry.seq, entry.type, entry.org, entry.occurred_at, dict(data)
            )
            if entry.type == SCRAP_RECEIVED:
                lots[data["code"]] = (entry.seq, "scrap", data["category"])
            elif entry.type == MELT:
                lots[data["code"]] = (entry.seq, "melt", "")
                code = furnace_of.get(data["furnace"])
                site = sites.get(code) if code else None
                if site is not None and site.org == entry.org and site.furnaces[data["furnace"]] < entry.seq:
                    making.site = code
            elif entry.type == CAST:
                for output in data["outputs"]:
                    lots[output["code"]] = (entry.seq, "ingot", "")
                    alloys[output["code"]] = [output["alloy"], output.get("chemistry", {})]
                melt_sites = {
                    makings[lots[item["lot"]][0]].site for item in data["inputs"] if item["lot"] in lots
                }
                making.site = melt_sites.pop() if len(melt_sites) == 1 else None
            elif "internal_scrap" in data:
                lots[data["internal_scrap"]["code"]] = (entry.seq, "scrap", "internal")
            continue
        if entry.type == LOT_AMENDED:
            seq, kind, category = lots[data["lot"]]
            making = makings[seq]
            for key in ("energy", "additions"):
                if key in data:
                    making.data[key] = data[key]
            if "category" in data:
                lots[data["lot"]] = (seq, kind, data["category"])
            if "alloy" in data:
                alloys[data["lot"]][0] = data["alloy"]
            if "chemistry" in data:
                alloys[data["lot"]][1] = data["chemistry"]
        elif entry.type == ENTRY_VOIDED and data["seq"] in makings:
            makings[data["seq"]].voided = True
    processes = []
    for making in makings.values():
        if making.voided or making.type not in (MELT, CAST):
            continue
        data = making.data
        if making.type == MELT:
            scrap: dict[str, int] = {}
            metal = 0
            for item in data["inputs"]:
                _seq, kind, category = lots[item["lot"]]
                if kind == "scrap":
                    scrap[category] = scrap.get(category, 0) + _grams(item["mass_kg"])
                else:
                    metal += _grams(item["mass_kg"])
            processes.append(
                CbamProcess(
                    making.seq,
                    MELT,
                    making.occurred_at,
                    making.site,
                    data["energy"],
                    scrap,
                    metal,
                    tuple(data.get("additions", ())),
                )
            )
        else:
            ingots = tuple(
                Ingot(out["code"], _grams(out["mass_kg"]), alloys[out["code"]][0], alloys[out["code"]][1])
                for out in data["outputs"]
            )
            processes.append(
                CbamProcess(making.seq, CAST, making.occurred_at, making.site, data["energy"], ingots=ingots)
            )
    return sites, processes


def entries_digest(entries: Iterable[tuple[int, str]]) -> str:
    """SHA-256 of the RFC 8785 list `[[seq, hash], …]` of the entries a report used, in seq order."""
    return sha256_hex(canonical([[seq, entry_hash] for seq, entry_hash in sorted(entries)]))


def report_digest(document: Mapping) -> str:
    """SHA-256 of a report document's RFC 8785 bytes: what its anchor entry commits to."""
    return sha256_hex(canonical(document))


def format_time(moment: datetime) -> str:
    """UTC, ISO 8601 with a Z, to the second or finer as given."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def report_document(
    *,
    site: Site,
    operator: Mapping,
    t0: datetime,
    t1: datetime,
    result: CbamResult,
    processes: Iterable[CbamProcess],
    factors: CbamFactors,
    factor_set_digest: str,
    entries: Mapping,
) -> dict:
    """The communication of installation `site` for [t0, t1) as published (`remelt-cbam-1`).

    `operator` is `{id, name}` of the organisation; `factor_set_digest` the SHA-256 of the
    factor set's document; `entries` is `{first, last, count, digest}` of the entries used.
    """
    gas_ef = factors.values["natural_gas_combustion_m3"]
    rows = []
    for process in sorted(processes, key=lambda p: p.seq):
        if process.seq not in result.seqs:
            continue
        gas = Decimal(process.energy["natural_gas_m3"])
        rows.append(
            {
                "seq": process.seq,
                "type": process.type,
                "occurred_at": format_time(process.occurred_at),
                "natural_gas_m3": process.energy["natural_gas_m3"],
                "electricity_kwh": process.energy["electricity_kwh"],
                "direct_emissions_kg_co2e": _q(_mul(gas, gas_ef), GRAM),
            }
        )
    published = figures(result)
    return {
        "format": FORMAT,
        "method": METHOD_VERSION,
        "installation": {
            "code": site.code,
            "operator": dict(operator),
            **site.facts,
            "furnaces": sorted(site.furnaces),
            "casting_lines": sorted(site.casting_lines),
        },
        "period": {"start": format_time(t0), "end": format_time(t1)},
        "factor_set": {"version": factors.version, "digest": factor_set_digest},
        "entries": dict(entries),
        "processes": rows,
        **published,
        "notes": [
            "Embedded emissions are direct only (CBAM, aluminium goods); electricity and its "
            "emissions are for information.",
            "Scrap of every category carries no emissions; internal home scrap is given apart and "
            "is not pre-consumer scrap.",
            "With several goods, direct emissions and precursors are shared by mass.",
            "This is not the product carbon footprint of the passports (method remelt-1).",
        ],
    }
