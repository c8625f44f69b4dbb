from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """The append-only, hash-chained ledger and the material record projected from it."""

    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"
