from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpcisConfig(AppConfig):
    """GS1 EPCIS 2.0: the material record as EPCIS events, both ways."""

    name = "epcis"
    verbose_name = _("EPCIS")
    default_auto_field = "django.db.models.BigAutoField"
