from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """What the operator's staff work with: the admin site."""

    name = "operations"
    verbose_name = _("Operations")
