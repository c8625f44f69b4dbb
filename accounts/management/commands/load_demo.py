from django.core.management.base import BaseCommand

from accounts.models import Organisation, Role, User
from accounts.services import organisation_create, user_create

DEMO_PASSWORD = "remelt-demo"  # noqa: S105 - the demo's published login
DEMO_ORGANISATIONS = [
    ("remelt-ops", "remelt operations", [Role.OPERATOR]),
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent: what exists already is kept)."

    def handle(self, *args, **options):
        for slug, name, roles in DEMO_ORGANISATIONS:
            if not Organisation.objects.filter(slug=slug).exists():
                organisation_create(slug=slug, name=name, roles=roles)
        if not User.objects.filter(username="staff").exists():
            user = user_create(
                username="staff",
                organisation=Organisation.objects.get(slug="remelt-ops"),
                password=DEMO_PASSWORD,
                is_staff=True,
            )
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        self.stdout.write("demo data loaded")
