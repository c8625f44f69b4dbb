from django.core.management.base import BaseCommand

from config.progress import CommandProgress
from passports.services import rollup_run


class Command(BaseCommand):
    help = (
        "Roll up carbon: what is pending, or with --all everything from scratch "
        "(a new footprint version only where the numbers change). One transaction: an "
        "interrupted run leaves nothing and can be run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="full", help="recompute every lot from the ledger"
        )

    def handle(self, *args, full, **options):
        progress = CommandProgress(self.stderr)
        run = rollup_run(full=full, progress=progress)
        progress.end()
        seconds = progress.elapsed
        if run is None:
            self.stdout.write("nothing pending")
            return
        anchor = f", anchored in entry #{run.entry_id}" if run.entry_id else ""
        self.stdout.write(
            f"roll-up {run.pk} at seq {run.ledger_seq}: {run.processes_computed} making entries computed, "
            f"{run.versions_created} new footprint versions{anchor} ({seconds:.1f} s)"
        )
