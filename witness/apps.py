from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WitnessConfig(AppConfig):
    """Asking witnesses (C2SP tlog-witness) to cosign our checkpoints, and what they answered."""

    name = "witness"
    verbose_name = _("Witnesses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config.health import health_check_register
        from ledger.signals import checkpoint_signed
        from witness.selectors import witness_health
        from witness.services import checkpoint_signed_receiver

        checkpoint_signed.connect(checkpoint_signed_receiver, dispatch_uid="witness.submit")
        health_check_register("witnesses", witness_health)
