from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from ledger.errors import DomainError
from pact.management.commands._secrets import read_secret
from pact.models import PactClient
from pact.services import supplier_host_create


class Command(BaseCommand):
    help = "Keep a supplier's PACT host and the client credentials it issued to an organisation (encrypted)."

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organisation that imports (e.g. the recycler)")
        parser.add_argument("name", help="a name for the supplier's host, e.g. the smelter")
        parser.add_argument("base_url", help="the supplier's PACT base URL")
        parser.add_argument("--client-id", required=True, help="the client id the supplier issued")
        parser.add_argument("--client-secret-file", help="a file holding its secret")
        parser.add_argument("--client-secret", help="the secret itself (visible in process lists)")
        parser.add_argument("--auth-base-url", default="", help="where its token endpoint is, if elsewhere")
        parser.add_argument(
            "--inbound-client",
            help="the remelt PACT client the supplier's host sends its PublishedEvents with",
        )

    def handle(self, *args, org, name, base_url, client_id, auth_base_url, inbound_client, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        inbound = None
        if inbound_client:
            inbound = PactClient.objects.filter(client_id=inbound_client).first()
            if inbound is None:
                raise CommandError(f"no PACT client {inbound_client!r}")
        try:
            host = supplier_host_create(
                organisation=organisation,
                name=name,
                base_url=base_url,
                client_id=client_id,
                client_secret=read_secret(options["client_secret_file"], options["client_secret"]),
                auth_base_url=auth_base_url,
                inbound_client=inbound,
            )
        except DomainError as exc:
            raise CommandError(f"{next(iter(exc.errors), '')}: {exc.message}") from None
        self.stdout.write(f"supplier host {host.name} of {organisation.slug}: {host.base_url}")
