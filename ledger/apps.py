from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """The append-only, hash-chained ledger and the material record projected from it."""

    name = "ledger"
    verbose_name = _("Ledger")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import models

        from config.health import health_check_register
        from ledger.checkpoints import signer_health
        from ledger.rows import AnyOf

        models.Field.register_lookup(AnyOf)
        models.ForeignObject.register_lookup(AnyOf)  # foreign keys take their lookups from here only

        health_check_register("checkpoints", signer_health)
