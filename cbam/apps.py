from django.apps import AppConfig


class CbamConfig(AppConfig):
    """CBAM: installations, their embedded-emissions reports and what importers file (method cbam-1)."""

    name = "cbam"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cbam.projection import PostedRegister
        from cbam.rules import INSTALLATION_TYPES, Register
        from ledger.vocabulary import installations_register

        # Melts name a furnace of their poster's installations; the ledger asks this register.
        installations_register(entry_types=INSTALLATION_TYPES, posting=PostedRegister, replaying=Register)
