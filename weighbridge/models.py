"""Imports of weighbridge exports, and the tickets they recorded as scrap receipts."""

from django.db import models


class ReceiptImport(models.Model):
    """One weighbridge export recorded as scrap receipts (scrap.received entries), all or none."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="receipt_imports"
    )
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256 of the file", max_length=64)
    actor = models.CharField(max_length=100)  # who imported it, as the entries name them
    imported_at = models.DateTimeField(auto_now_add=True)
    recorded = models.PositiveIntegerField("receipts recorded")
    skipped = models.PositiveIntegerField("tickets skipped (recorded before, unchanged)")
    first_seq = models.BigIntegerField(null=True)  # the entries it appended, in order
    last_seq = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = "weighbridge import"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.organisation.slug}, {self.recorded} receipts)"


class ImportedTicket(models.Model):
    """A weighbridge ticket recorded as a scrap receipt: an export that overlaps an earlier one
    skips it, and one that says otherwise about it is refused."""

    receipt_import = models.ForeignKey(ReceiptImport, on_delete=models.PROTECT, related_name="tickets")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    ticket = models.CharField(max_length=100)
    row = models.PositiveIntegerField()  # in the file it came from
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    lot_code = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)  # SHA-256 of what the row said (weighbridge.services)

    class Meta:
        ordering = ["receipt_import", "row"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ticket"], name="one_receipt_per_ticket")
        ]

    def __str__(self) -> str:
        return f"ticket {self.ticket} → {self.lot_code}"
