from django.core.management.base import BaseCommand, CommandError

from pact.models import PactClient
from pact.services import pact_client_revoke


class Command(BaseCommand):
    help = "Revoke a PACT client: its tokens stop working at once and no more events go to it."

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, client_id, **options):
        client = PactClient.objects.filter(client_id=client_id).first()
        if client is None:
            raise CommandError(f"no PACT client {client_id!r}")
        pact_client_revoke(client=client)
        self.stdout.write(f"revoked {client.client_id} ({client.organisation.slug}/{client.name})")
