import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from config.progress import CommandProgress
from ledger.selectors import chain_export


class Command(BaseCommand):
    help = "Write the chain as JSON Lines (one canonical {hash, header, payload} per line)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, output, **options):
        progress = CommandProgress(self.stderr)

        def exported(count):
            progress(f"exported {count:,} entries")

        if output is None:
            count = chain_export(out=sys.stdout.buffer, progress=exported)
            progress.end(f"exported {count:,} entries")
            return
        # Written beside the target and renamed at the end: an interrupted export never
        # leaves a truncated file that looks like a shorter chain.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                count = chain_export(out=out, progress=exported)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        progress.end(f"exported {count:,} entries to {output} ({progress.elapsed:.1f} s)")
