from django.apps import AppConfig


class CbamConfig(AppConfig):
    """CBAM: installations, their embedded-emissions reports and what importers file (method cbam-1)."""

    name = "cbam"
    default_auto_field = "django.db.models.BigAutoField"
