"""What EPCIS keeps beside the ledger: GS1 identifiers of captured lots, capture jobs, and the
index of the events the ledger's entries show (by eventID, time and bizStep)."""

import uuid

from django.db import models
from django.utils import timezone


class LotIdentifier(models.Model):
    """The GS1 EPC URI a lot or serial was made with through EPCIS capture; it keeps it for good."""

    code = models.CharField(max_length=64, unique=True)
    uri = models.CharField(max_length=200, unique=True)
    digital_link = models.CharField(max_length=200, unique=True, help_text="its canonical GS1 Digital Link")

    def __str__(self) -> str:
        return f"{self.code} = {self.uri}"


class CaptureJob(models.Model):
    """One EPCIS document posted to capture: what it wrote to the ledger, or why it wrote nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveIntegerField()
    success = models.BooleanField()
    entries = models.JSONField(default=list, help_text="[{index, seq, hash}] of the entries written")
    errors = models.JSONField(default=list, help_text="problem documents, when nothing was written")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"capture {self.id} ({'ok' if self.success else 'refused'})"


class IndexedEvent(models.Model):
    """An EPCIS event that ledger entry `seq` shows, at `position` among that entry's events.

    Filled by `epcis.selectors.index_catch_up` in seq order; `target_seq` is the entry an
    amendment or void corrects (the entry's own seq otherwise)."""

    seq = models.BigIntegerField()
    position = models.PositiveSmallIntegerField()
    entry_type = models.CharField(max_length=64)
    event_id = models.CharField(max_length=120, db_index=True)
    content_hash = models.CharField(
        max_length=120, db_index=True, help_text="the event hash without its remelt:ledger anchor"
    )
    event_type = models.CharField(max_length=40)
    event_time = models.DateTimeField(db_index=True)
    biz_step = models.CharField(max_length=200, db_index=True)
    target_seq = models.BigIntegerField(db_index=True)

    class Meta:
        ordering = ["seq", "position"]
        constraints = [
            models.UniqueConstraint(fields=["seq", "position"], name="one_indexed_event_per_position")
        ]

    def __str__(self) -> str:
        return f"#{self.seq}.{self.position} {self.event_id}"


class IndexCursor(models.Model):
    """The last ledger seq whose events are indexed; its row is locked while the index catches up."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"indexed to #{self.seq}"
