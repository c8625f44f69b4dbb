from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What the operator's staff work with: the admin site."""

    name = "operations"
    verbose_name = "Operations"
