from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportsConfig(AppConfig):
    """Emission factors, footprints and the passports built from them."""

    name = "passports"
    verbose_name = _("Passports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config.health import health_check_register
        from ledger.signals import entries_appended
        from ledger.vocabulary import vocabulary_register
        from passports.models import EmissionFactorSet
        from passports.queue import entries_appended_receiver, rollup_health

        # The factor sets name the materials and transport modes that events may use.
        vocabulary_register(current=EmissionFactorSet.current_keys, historic=EmissionFactorSet.historic_keys)
        entries_appended.connect(entries_appended_receiver, dispatch_uid="passports.rollup")
        health_check_register("rollups", rollup_health)
