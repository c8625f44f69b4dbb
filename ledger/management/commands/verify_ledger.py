import sys

from django.core.management.base import BaseCommand

from ledger.projection import projection_drift
from ledger.selectors import chain_verify


class Command(BaseCommand):
    help = (
        "Re-verify the whole chain in constant memory, then replay it and compare the lot tables; "
        "exit 1 at the first bad seq."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", help="a head hash you kept earlier: fail if the chain no longer reaches it"
        )
        parser.add_argument(
            "--chain-only", action="store_true", help="skip the replay that checks the lot tables for drift"
        )

    def handle(self, *args, head, chain_only, **options):
        def progress(seq):
            if sys.stderr.isatty():
                self.stderr.write(f"\rverified {seq:,} entries", ending="")

        report = chain_verify(expected_head=head, progress=progress)
        problem = report.problem
        if problem is None and not chain_only:
            problem = projection_drift()
        if problem is None:
            self.stdout.write(f"OK {report.count} entries, head {report.head_hash}")
            return
        self.stdout.write(f"FAIL {problem}")
        sys.exit(1)
