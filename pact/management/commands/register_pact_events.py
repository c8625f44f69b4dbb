from django.core.management.base import BaseCommand, CommandError

from ledger.errors import DomainError
from pact.management.commands._secrets import read_secret
from pact.models import PactClient
from pact.services import pact_client_register_events


class Command(BaseCommand):
    help = (
        "Register a PACT client's own host, to which remelt sends the answers to its requests and "
        "PublishedEvents, with the credentials that host issued to remelt (stored encrypted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id", help="the remelt PACT client")
        parser.add_argument("base_url", help="the client's PACT base URL; events go to <base_url>/3/events")
        parser.add_argument("--auth-base-url", default="", help="where its token endpoint is, if elsewhere")
        parser.add_argument("--peer-client-id", required=True, help="the client id that host gave remelt")
        parser.add_argument("--client-secret-file", help="a file holding that client's secret")
        parser.add_argument("--client-secret", help="the secret itself (visible in process lists)")

    def handle(self, *args, client_id, base_url, auth_base_url, peer_client_id, **options):
        client = PactClient.objects.filter(client_id=client_id, revoked_at__isnull=True).first()
        if client is None:
            raise CommandError(f"no active PACT client {client_id!r}")
        secret = read_secret(options["client_secret_file"], options["client_secret"])
        try:
            pact_client_register_events(
                client=client,
                base_url=base_url,
                auth_base_url=auth_base_url,
                client_id=peer_client_id,
                client_secret=secret,
            )
        except DomainError as exc:
            raise CommandError(f"{next(iter(exc.errors), '')}: {exc.message}") from None
        self.stdout.write(f"events for {client.client_id} go to {client.events_base_url}/3/events")
