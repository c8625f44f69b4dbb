import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import ApiKey
from ledger.models import Lot
from passports.demo import PASSWORD, demo_load, ensure_cast, issue_keys
from passports.services import rollup_run


class Command(BaseCommand):
    help = "Load the demo month (idempotent: an existing ledger is kept) and print its logins and API keys."

    def handle(self, *args, **options):
        started = time.perf_counter()
        orgs = ensure_cast()
        credentials = Path(settings.VAR_DIR) / "demo-credentials.txt"
        if not credentials.exists():
            # Tokens are stored hashed: without the file they cannot be shown again, so the old
            # demo keys are revoked and new ones issued.
            ApiKey.objects.filter(name="demo", revoked_at__isnull=True).update(revoked_at=timezone.now())
            keys = issue_keys(orgs)
            credentials.parent.mkdir(parents=True, exist_ok=True)
            credentials.write_text("".join(f"{slug} {token}\n" for slug, token in keys.items()))

        def progress(message):
            if sys.stderr.isatty():
                self.stderr.write(f"\r{message}   ", ending="")

        loaded = demo_load(progress=progress)
        rollup_run()
        seconds = time.perf_counter() - started
        self.stderr.write("")
        self.stdout.write(
            ("demo month loaded" if loaded else "demo data already there") + f" ({seconds:.0f} s)"
        )
        self.stdout.write(
            f"logins (password {PASSWORD}): staff (admin), " + ", ".join(slug.split("-")[0] for slug in orgs)
        )
        wheel = Lot.objects.filter(kind="part", owner__slug="northstar-motors").order_by("code").first()
        if wheel is not None:
            self.stdout.write(
                f"a wheel at the automaker: {wheel.code} (passport: /api/v1/parts/{wheel.code}/passport/)"
            )
        self.stdout.write(f"API keys ({credentials}):")
        self.stdout.write(credentials.read_text().rstrip())
