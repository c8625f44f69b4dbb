"""Imports of weighbridge exports, and the tickets they recorded as scrap receipts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReceiptImport(models.Model):
    """One weighbridge export recorded as scrap receipts (scrap.received entries), all or none."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="receipt_imports",
        verbose_name=_("organisation"),
    )
    file_name = models.CharField(max_length=255, verbose_name=_("file name"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    actor = models.CharField(
        max_length=100, verbose_name=_("actor")
    )  # who imported it, as the entries name them
    imported_at = models.DateTimeField(auto_now_add=True, verbose_name=_("imported at"))
    recorded = models.PositiveIntegerField(_("receipts recorded"))
    skipped = models.PositiveIntegerField(_("tickets skipped (recorded before, unchanged)"))
    first_seq = models.BigIntegerField(
        null=True, verbose_name=_("first seq")
    )  # the entries it appended, in order
    last_seq = models.BigIntegerField(null=True, verbose_name=_("last seq"))

    class Meta:
        verbose_name = _("weighbridge import")
        verbose_name_plural = _("weighbridge imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return _("%(file)s (%(organisation)s, %(count)s receipts)") % {
            "file": self.file_name,
            "organisation": self.organisation.slug,
            "count": self.recorded,
        }


class ImportedTicket(models.Model):
    """A weighbridge ticket recorded as a scrap receipt: an export that overlaps an earlier one
    skips it, and one that says otherwise about it is refused."""

    receipt_import = models.ForeignKey(
        ReceiptImport, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("import")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    ticket = models.CharField(max_length=100, verbose_name=_("ticket"))
    row = models.PositiveIntegerField(verbose_name=_("row"))  # in the file it came from
    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", verbose_name=_("entry")
    )
    lot_code = models.CharField(max_length=64, verbose_name=_("lot code"))
    digest = models.CharField(
        max_length=64, verbose_name=_("digest")
    )  # SHA-256 of what the row said (weighbridge.services)

    class Meta:
        verbose_name = _("imported ticket")
        verbose_name_plural = _("imported tickets")
        ordering = ["receipt_import", "row"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ticket"], name="one_receipt_per_ticket")
        ]

    def __str__(self) -> str:
        return _("ticket %(ticket)s → %(lot)s") % {"ticket": self.ticket, "lot": self.lot_code}
