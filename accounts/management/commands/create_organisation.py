from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import organisation_create
from ledger.errors import DomainError


class Command(BaseCommand):
    help = "Register an organisation of the closed loop."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--role", action="append", dest="roles", required=True, choices=Role.values)
        parser.add_argument("--gs1-prefix", default="", help="the organisation's GS1 company prefix")

    def handle(self, *args, slug, name, roles, gs1_prefix, **options):
        try:
            organisation = organisation_create(
                slug=slug, name=name, roles=roles, gs1_company_prefix=gs1_prefix
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"created organisation {organisation.slug} ({', '.join(organisation.roles)})")
