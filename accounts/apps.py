from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Organisations in the closed loop, their people and their API keys."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
