import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, User
from config.progress import CommandProgress
from ledger.errors import DomainError
from ledger.services import SYSTEM_ACTOR
from weighbridge.services import receipts_import


class Command(BaseCommand):
    help = (
        "Record each ticket of a weighbridge export (CSV or XLSX) as a scrap receipt of ORG, all or "
        "none: a file with a bad row writes nothing and every row's errors are printed (exit 1). "
        "Tickets an earlier import recorded unchanged are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="the receiving organisation's slug")
        parser.add_argument("file", type=Path, help="the export, .csv (UTF-8) or .xlsx")
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="the time zone of the file's times without one (default %(default)s)",
        )
        parser.add_argument(
            "--user", help="the staff user importing it (the entries' actor; default: system)"
        )

    def handle(self, *args, org, file, timezone, user, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}")
        actor = SYSTEM_ACTOR
        if user is not None:
            if not User.objects.filter(username=user).exists():
                raise CommandError(f"no user {user!r}")
            actor = f"user:{user}"
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"unknown time zone {timezone!r} (e.g. Asia/Shanghai)") from None
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None

        progress = CommandProgress(self.stderr)
        try:
            done = receipts_import(
                organisation=organisation,
                actor=actor,
                file_name=file.name,
                content=content,
                zone=zone,
                progress=progress,
            )
        except DomainError as error:
            self.stdout.write(f"FAIL {error.message}")
            for field, messages in error.errors.items():
                for message in messages:
                    self.stdout.write(f"  {field}: {message}")
            sys.exit(1)
        entries = f", entries #{done.first_seq}–#{done.last_seq}" if done.first_seq else ""
        self.stdout.write(
            f"OK {done.recorded} scrap receipts recorded for {organisation.slug}{entries}; "
            f"{done.skipped} tickets recorded before, skipped (import {done.pk})"
        )
