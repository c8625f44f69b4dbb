import sys
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
        else:
            with output.open("wb") as out:
                count = chain_export(out=out)
            self.stderr.write(f"exported {count} entries to {output}")
