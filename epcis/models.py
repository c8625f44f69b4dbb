"""What EPCIS keeps beside the ledger: GS1 identifiers of captured lots, capture jobs, and the
index of the events the ledger's entries show (by eventID, time and bizStep)."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LotIdentifier(models.Model):
    """The GS1 EPC URI a lot or serial was made with through EPCIS capture; it keeps it for good."""

    code = models.CharField(max_length=64, unique=True, verbose_name=_("code"))
    uri = models.CharField(max_length=200, unique=True, verbose_name=_("EPC URI"))
    digital_link = models.CharField(
        max_length=200,
        unique=True,
        help_text=_("its canonical GS1 Digital Link"),
        verbose_name=_("digital link"),
    )

    class Meta:
        verbose_name = _("lot identifier")
        verbose_name_plural = _("lot identifiers")

    def __str__(self) -> str:
        return f"{self.code} = {self.uri}"


class CaptureJob(models.Model):
    """One EPCIS document posted to capture: what it wrote to the ledger, or why it wrote nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID"))
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    actor = models.CharField(max_length=200, verbose_name=_("actor"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    event_count = models.PositiveIntegerField(verbose_name=_("events"))
    success = models.BooleanField(verbose_name=_("success"))
    entries = models.JSONField(
        default=list,
        help_text=_("[{index, seq, hash}] of the entries written"),
        verbose_name=_("entries written"),
    )
    errors = models.JSONField(
        default=list, help_text=_("problem documents, when nothing was written"), verbose_name=_("errors")
    )

    class Meta:
        verbose_name = _("capture job")
        verbose_name_plural = _("capture jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (_("capture %(id)s (ok)") if self.success else _("capture %(id)s (refused)")) % {"id": self.id}


class IndexedEvent(models.Model):
    """An EPCIS event that ledger entry `seq` shows, at `position` among that entry's events.

    Filled by `epcis.selectors.index_catch_up` in seq order; `target_seq` is the entry an
    amendment or void corrects (the entry's own seq otherwise)."""

    seq = models.BigIntegerField(verbose_name=_("seq"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    entry_type = models.CharField(max_length=64, verbose_name=_("entry type"))
    event_id = models.CharField(max_length=120, db_index=True, verbose_name=_("event ID"))
    content_hash = models.CharField(
        max_length=120,
        db_index=True,
        help_text=_("the event hash without its remelt:ledger anchor"),
        verbose_name=_("content hash"),
    )
    event_type = models.CharField(max_length=40, verbose_name=_("event type"))
    event_time = models.DateTimeField(db_index=True, verbose_name=_("event time"))
    biz_step = models.CharField(max_length=200, db_index=True, verbose_name=_("business step"))
    target_seq = models.BigIntegerField(db_index=True, verbose_name=_("target seq"))

    class Meta:
        verbose_name = _("indexed event")
        verbose_name_plural = _("indexed events")
        ordering = ["seq", "position"]
        constraints = [
            models.UniqueConstraint(fields=["seq", "position"], name="one_indexed_event_per_position")
        ]

    def __str__(self) -> str:
        return f"#{self.seq}.{self.position} {self.event_id}"


class IndexCursor(models.Model):
    """The last ledger seq whose events are indexed; its row is locked while the index catches up."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, verbose_name=_("ID"))
    seq = models.BigIntegerField(default=0, verbose_name=_("seq"))

    class Meta:
        verbose_name = _("index cursor")
        verbose_name_plural = _("index cursors")

    def __str__(self) -> str:
        return _("indexed to #%(seq)s") % {"seq": self.seq}
