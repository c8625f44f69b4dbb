from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CbamConfig(AppConfig):
    """CBAM: installations, their embedded-emissions reports and what importers file (method cbam-1)."""

    name = "cbam"
    verbose_name = _("CBAM")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cbam.projection import PostedRegister
        from cbam.queue import entries_appended_receiver
        from cbam.rules import INSTALLATION_TYPES, Register
        from cbam.selectors import audit_lot_links, registered_furnaces
        from cbam.shapes import EVENTS
        from ledger.shapes import events_declared_register
        from ledger.signals import entries_appended
        from ledger.vocabulary import installations_register, lot_links_register, registered_furnaces_register

        # Melts name a furnace of their poster's installations; the ledger asks this register.
        installations_register(entry_types=INSTALLATION_TYPES, posting=PostedRegister, replaying=Register)
        entries_appended.connect(entries_appended_receiver, dispatch_uid="cbam.reports")
        lot_links_register(audit_lot_links)
        # The admin's melt form offers the furnaces of the organisation's installations.
        registered_furnaces_register(registered_furnaces)
        # The installation events are checked and documented with the ledger's own.
        events_declared_register(*EVENTS)
