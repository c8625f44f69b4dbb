from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import api_key_issue


class Command(BaseCommand):
    help = "Issue an API key for an organisation; the token is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organisation's slug")
        parser.add_argument("--name", default="default", help="what the key is for, e.g. weighbridge")

    def handle(self, *args, org, name, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        issued = api_key_issue(organisation=organisation, name=name)
        self.stderr.write(
            f"key {issued.api_key.prefix} for {organisation.slug}; keep the token, it is shown once:"
        )
        self.stdout.write(issued.token)
