from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeighbridgeConfig(AppConfig):
    """Weighbridge exports (CSV or XLSX) imported as scrap receipts, all or none."""

    name = "weighbridge"
    verbose_name = _("Weighbridge")
    default_auto_field = "django.db.models.BigAutoField"
