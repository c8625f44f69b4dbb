from django.apps import AppConfig


class WeighbridgeConfig(AppConfig):
    """Weighbridge exports (CSV or XLSX) imported as scrap receipts, all or none."""

    name = "weighbridge"
    verbose_name = "Weighbridge"
    default_auto_field = "django.db.models.BigAutoField"
