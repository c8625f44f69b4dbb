import sys

from django.core.management.base import BaseCommand

from ledger.selectors import chain_verify


class Command(BaseCommand):
    help = "Re-verify the whole chain in constant memory; exit 1 at the first bad seq."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", help="a head hash you kept earlier: fail if the chain no longer reaches it"
        )

    def handle(self, *args, head, **options):
        def progress(seq):
            if sys.stderr.isatty():
                self.stderr.write(f"\rverified {seq:,} entries", ending="")

        report = chain_verify(expected_head=head, progress=progress)
        if report.ok:
            self.stdout.write(f"OK {report.count} entries, head {report.head_hash}")
            return
        self.stdout.write(f"FAIL {report.problem}")
        sys.exit(1)
