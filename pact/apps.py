from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PactConfig(AppConfig):
    """PACT v3: remelt as host (automakers pull footprints) and as recipient (suppliers' footprints)."""

    name = "pact"
    verbose_name = _("PACT")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ledger.signals import entries_appended
        from pact.models import ImportedFootprint
        from pact.queue import entries_appended_receiver
        from passports.evidence import supplier_documents_register

        # New footprint versions (and voids that withdraw some) become ProductFootprints.
        entries_appended.connect(entries_appended_receiver, dispatch_uid="pact.sync")
        # Evidence bundles carry the supplier footprints that melts cite, as received.
        supplier_documents_register(
            lambda seqs: dict(
                ImportedFootprint.objects.filter(entry_id__in=seqs).values_list("entry_id", "raw")
            )
        )
