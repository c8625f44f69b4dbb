from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from ledger.errors import DomainError
from pact.services import pact_client_create


class Command(BaseCommand):
    help = "Create a PACT (OAuth2) client of an organisation; prints client_id and client_secret (once)."

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organisation's slug")
        parser.add_argument(
            "--name", default="pact", help="what the client is for, e.g. the automaker's system"
        )

    def handle(self, *args, org, name, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        try:
            issued = pact_client_create(organisation=organisation, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(f"PACT client for {organisation.slug}; keep the secret, it is shown once:")
        self.stdout.write(f"client_id: {issued.client.client_id}")
        self.stdout.write(f"client_secret: {issued.client_secret}")
