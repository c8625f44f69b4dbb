import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey
from cbam.models import CbamReport
from cbam.services import reports_compute
from config.progress import CommandProgress
from ledger.checkpoints import checkpoint_latest, checkpoint_sign
from ledger.models import Entry, Lot, Transfer
from passports.demo import PASSWORD, SMALL, demo_load, ensure_cast, issue_keys, recall_example
from passports.services import rollup_run


class Command(BaseCommand):
    help = (
        "Load the demo month (idempotent: an existing ledger is kept; an interrupted load leaves "
        "nothing and starts again), roll up the carbon, and print the URLs, logins and API keys."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the app is served, for the URLs printed",
        )
        parser.add_argument("--small", action="store_true", help="a tenth of the month (300 wheels)")

    def handle(self, *args, base_url, small, **options):
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

        progress = CommandProgress(self.stderr)
        loaded = demo_load(scale=SMALL if small else None, progress=progress)
        progress.end()
        self.stdout.write(
            ("demo month loaded" if loaded else "demo data already there") + ", rolling up the carbon …"
        )
        run = rollup_run(progress=progress)
        progress.end()
        reports_compute()  # the CBAM reports the month asked for (the task may have done it already)
        # Sign the month's checkpoint now (the witnesses configured cosign it once it commits).
        checkpoint = checkpoint_sign() or checkpoint_latest()
        seconds = time.perf_counter() - started
        rolled = f"{run.versions_created} new footprint versions" if run else "footprints up to date"
        self.stdout.write(
            f"{Lot.objects.filter(kind='part').count():,} wheels, {Entry.objects.count():,} ledger entries, "
            f"{rolled} ({seconds:.0f} s)"
        )
        base = base_url.rstrip("/")
        wheel = Lot.objects.filter(kind="part", owner__slug="northstar-motors").order_by("code").first()
        recall = recall_example(wheel)
        lines = [
            f"home:                 {base}{reverse('home')}",
            f"admin:                {base}{reverse('admin:index')}   (sign in as staff)",
            f"auditor view:         {base}{reverse('audit')}   (sign in as veritas)",
            f"API docs:             {base}{reverse('api-docs')}",
            f"health:               {base}{reverse('healthz')}",
            f"signed checkpoint:    {base}{reverse('ledger-checkpoint-latest')}   "
            f"(size {checkpoint.size}, with the witnesses' cosignatures)",
        ]
        if wheel is not None:
            lines += [
                f"a wheel's passport:   {base}{reverse('passport-page', args=[wheel.code])}",
                f"  in Chinese:         {base}{reverse('passport-page', args=[wheel.code])}?lang=zh-hans",
                f"  bilingual print:    {base}{reverse('passport-page', args=[wheel.code])}?lang=both"
                "   (Chinese and English side by side)",
                f"its evidence bundle:  {base}{reverse('passport-evidence', args=[wheel.code])}   "
                "(sign in as northstar, its holder, or veritas)",
                f"the operator's key:   {base}{reverse('ledger-verifier-key')}   (save it as ledger.key)",
                f"check it offline:     remelt-verify {wheel.code}-evidence.json --key ledger.key",
            ]
        if recall is not None:
            scrap, wheels = recall
            lines.append(
                f"a scrap lot's recall: {base}{reverse('audit-recall', args=[scrap.code])}   "
                f"(sign in as veritas; its metal is in {wheels:,} wheels)"
            )
        report = (
            CbamReport.objects.filter(superseded_at=None, period__installation__code="HN-1")
            .order_by("-period__start")
            .first()
        )
        if report is not None:
            lines.append(
                f"CBAM report (HN-1):   {base}{reverse('cbam-report', args=[report.pk])}   "
                "(sign in as huanan)"
            )
        shipment = Transfer.objects.filter(to_organisation__slug="elbe-radguss", voided=False).first()
        if shipment is not None:
            lines.append(
                f"CBAM shipment to EU:  {base}{reverse('cbam-shipment', args=[shipment.pk])}   "
                f"(PDF: {base}{reverse('cbam-shipment-pdf', args=[shipment.pk])}; sign in as elbe or huanan)"
            )
        self.stdout.write("\n".join(lines))
        self.stdout.write(
            f"logins (password {PASSWORD}): staff (admin), " + ", ".join(slug.split("-")[0] for slug in orgs)
        )
        self.stdout.write(f"API keys ({credentials}):")
        self.stdout.write(credentials.read_text().rstrip())
