from django.apps import AppConfig


class EpcisConfig(AppConfig):
    """GS1 EPCIS 2.0: the material record as EPCIS events, both ways."""

    name = "epcis"
    default_auto_field = "django.db.models.BigAutoField"
