import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import user_create
from ledger.errors import DomainError


class Command(BaseCommand):
    help = "Add a person to an organisation (password from --password or a prompt)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--password")
        parser.add_argument("--staff", action="store_true", help="may sign in to the admin")

    def handle(self, *args, username, org, password, staff, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        if password is None:
            password = getpass.getpass(f"Password for {username}: ")
        try:
            user = user_create(
                username=username, organisation=organisation, password=password, is_staff=staff
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"created user {user.username} in {organisation.slug}")
