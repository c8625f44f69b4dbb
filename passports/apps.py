from django.apps import AppConfig


class PassportsConfig(AppConfig):
    """Emission factors, footprints and the passports built from them."""

    name = "passports"
    default_auto_field = "django.db.models.BigAutoField"
