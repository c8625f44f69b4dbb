from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import organisation_gs1_prefix_set
from ledger.errors import DomainError


class Command(BaseCommand):
    help = "Register an organisation's GS1 company prefix (or clear it with --clear)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("prefix", nargs="?", default="")
        parser.add_argument("--clear", action="store_true")

    def handle(self, *args, slug, prefix, clear, **options):
        if bool(prefix) == clear:
            raise CommandError("give a prefix, or --clear")
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"no organisation {slug!r}")
        try:
            organisation_gs1_prefix_set(organisation=organisation, prefix=prefix)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        shown = organisation.gs1_company_prefix or "none"
        self.stdout.write(f"{organisation.slug}: GS1 company prefix {shown}")
