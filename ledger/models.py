"""The ledger: one global hash chain of entries, and the head row that serialises appends."""

import json

from django.db import models

from ledger.chain import GENESIS_HASH


class Entry(models.Model):
    """One append-only entry of the chain; the database refuses UPDATE, DELETE and TRUNCATE.

    `header` and `payload` are the exact canonical bytes that were hashed; the other columns
    repeat header fields for querying, and verification checks that they agree.
    """

    seq = models.BigIntegerField(primary_key=True)
    type = models.CharField(max_length=64, db_index=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="ledger_entries"
    )
    actor = models.CharField(max_length=200)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    payload_sha256 = models.CharField(max_length=64)
    header = models.BinaryField()
    payload = models.BinaryField()

    class Meta:
        db_table = "ledger_entry"
        ordering = ["seq"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="ledger_entry_seq_positive")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"

    @property
    def data(self) -> dict:
        """The event payload, parsed from the hashed bytes."""
        return json.loads(bytes(self.payload))


class LedgerHead(models.Model):
    """The single row holding the last seq and hash; appenders lock it to take their turn."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "ledger_head"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"
