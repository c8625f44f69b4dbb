from django.core.management.base import BaseCommand

from ledger.append_only import app_role_grants


class Command(BaseCommand):
    help = "Print the GRANTs for a least-privilege application role (run them as the table owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the PostgreSQL role the web and worker processes log in as")

    def handle(self, *args, role, **options):
        for statement in app_role_grants(role):
            self.stdout.write(statement + ";")
