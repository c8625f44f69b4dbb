from django.apps import AppConfig


class PactConfig(AppConfig):
    """PACT v3: remelt as host (automakers pull footprints) and as recipient (suppliers' footprints)."""

    name = "pact"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "PACT"

    def ready(self) -> None:
        from ledger.signals import entries_appended
        from pact.queue import entries_appended_receiver

        # New footprint versions (and voids that withdraw some) become ProductFootprints.
        entries_appended.connect(entries_appended_receiver, dispatch_uid="pact.sync")
