from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from ledger.errors import DomainError
from pact.models import SupplierHost
from pact.peers import PeerError
from pact.services import footprint_fetch, footprint_import


class Command(BaseCommand):
    help = (
        "Import a supplier's ProductFootprint, by id from its PACT host or from a file; it is "
        "checked against PACT's data model, kept as received with its SHA-256, and anchored in the ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="the importing organisation")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--id", help="the footprint's id at the supplier's host (with --host)")
        source.add_argument("--file", help="a ProductFootprint JSON file (or a GetFootprint answer)")
        parser.add_argument("--host", help="the supplier host's name (see add_pact_supplier)")

    def handle(self, *args, org, id, file, host, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        actor = "system:import_pact_footprint"
        try:
            if id:
                supplier = SupplierHost.objects.filter(organisation=organisation, name=host or "").first()
                if supplier is None:
                    raise CommandError(f"{org} has no supplier host {host!r}")
                imported = footprint_fetch(host=supplier, pf_id=id, actor=actor)
            else:
                imported = footprint_import(
                    organisation=organisation, raw=Path(file).read_bytes(), actor=actor
                )
        except DomainError as exc:
            details = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in exc.errors.items())
            raise CommandError(details or exc.message) from None
        except PeerError as exc:
            raise CommandError(exc.reason) from None
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        self.stdout.write(
            f"imported {imported.pf_id} (sha256 {imported.sha256}, "
            f"{imported.per_kg_co2e or 'no'} kg CO2e/kg), anchored in ledger entry {imported.entry_id}"
        )
