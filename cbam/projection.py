"""The installations' tables as projections of their ledger entries, written with each entry."""

from decimal import Decimal

from accounts.models import Organisation
from cbam.models import Installation, InstallationUnit
from cbam.rules import InstallationState, Register, Unit


def _load() -> tuple[dict[str, InstallationState], dict[str, Unit]]:
    installations = {
        row.code: InstallationState(
            code=row.code,
            org=row.organisation.slug,
            facts=installation_facts(row),
            seq=row.registered_by_id,
            amended_seq=row.amended_by_id,
        )
        for row in Installation.objects.select_related("organisation")
    }
    units = {}
    for row in InstallationUnit.objects.select_related("installation").order_by("registered_by_id", "code"):
        code = row.installation.code
        units[row.code] = Unit(row.code, row.kind, row.name, code, row.registered_by_id)
        installations[code].units.append(row.code)
    return installations, units


def installation_facts(row: Installation) -> dict:
    """A row's facts as the entries give them (coordinates as decimal strings)."""
    facts = {"name": row.name, "address": row.address, "country": row.country}
    if row.unlocode:
        facts["unlocode"] = row.unlocode
    if row.latitude is not None:
        facts["coordinates"] = {"latitude": _degrees(row.latitude), "longitude": _degrees(row.longitude)}
    if row.registry_id:
        facts["registry_id"] = row.registry_id
    return facts


def _degrees(value: Decimal) -> str:
    return f"{value:.6f}"


class PostedRegister(Register):
    """The register read from the tables (once the head lock is held) and written by `flush`."""

    def __init__(self) -> None:
        super().__init__(load=_load)

    def flush(self) -> None:
        if not self.changed:
            return
        org_ids = dict(
            Organisation.objects.filter(slug__in={i.org for i in self.changed.values()}).values_list(
                "slug", "pk"
            )
        )
        for state in self.changed.values():
            facts = state.facts
            coordinates = facts.get("coordinates") or {}
            Installation.objects.update_or_create(
                code=state.code,
                defaults={
                    "organisation_id": org_ids[state.org],
                    "name": facts["name"],
                    "address": facts["address"],
                    "country": facts["country"],
                    "unlocode": facts.get("unlocode", ""),
                    "latitude": Decimal(coordinates["latitude"]) if coordinates else None,
                    "longitude": Decimal(coordinates["longitude"]) if coordinates else None,
                    "registry_id": facts.get("registry_id", ""),
                    "registered_by_id": state.seq,
                    "amended_by_id": state.amended_seq,
                },
            )
        ids = dict(
            Installation.objects.filter(code__in={u.installation for u in self.new_units}).values_list(
                "code", "pk"
            )
        )
        InstallationUnit.objects.bulk_create(
            InstallationUnit(
                code=unit.code,
                installation_id=ids[unit.installation],
                kind=unit.kind,
                name=unit.name,
                registered_by_id=unit.seq,
            )
            for unit in self.new_units
        )
        self.changed.clear()
        self.new_units.clear()
