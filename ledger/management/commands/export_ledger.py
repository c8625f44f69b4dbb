import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from ledger.selectors import chain_export


class Command(BaseCommand):
    help = "Write the chain as JSON Lines (one canonical {hash, header, payload} per line)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, output, **options):
        if output is None:
            count = chain_export(out=sys.stdout.buffer)
            return
        # Written beside the target and renamed at the end: an interrupted export never
        # leaves a truncated file that looks like a shorter chain.
        partial = output.with_name(output.name + ".partial")
        started = time.perf_counter()

        def progress(seq):
            if sys.stderr.isatty():
                self.stderr.write(f"\rexported {seq:,} entries", ending="")

        try:
            with partial.open("wb") as out:
                count = chain_export(out=out, progress=progress)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        if sys.stderr.isatty():
            self.stderr.write("")
        self.stderr.write(f"exported {count:,} entries to {output} ({time.perf_counter() - started:.1f} s)")
