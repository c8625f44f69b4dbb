import time

from django.core.management.base import BaseCommand

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
        started = time.perf_counter()

        def progress(message):
            self.stderr.write(f"[{time.perf_counter() - started:5.1f} s] {message}")

        run = rollup_run(full=full, progress=progress)
        seconds = time.perf_counter() - started
        if run is None:
            self.stdout.write("nothing pending")
            return
        anchor = f", anchored in entry #{run.entry_id}" if run.entry_id else ""
        self.stdout.write(
            f"roll-up {run.pk} at seq {run.ledger_seq}: {run.processes_computed} making entries computed, "
            f"{run.versions_created} new footprint versions{anchor} ({seconds:.1f} s)"
        )
