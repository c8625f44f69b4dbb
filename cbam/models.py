"""CBAM factor sets: versioned, sourced, apart from the footprint's emission factors."""

from django.db import models
from django.utils import timezone
from remelt_verify.cbam import CbamFactors


class CbamFactorSet(models.Model):
    """A versioned set of CBAM factors (e.g. `cbam-2026.1`) as one document; one set is active.

    The document holds each factor with value, unit, source and estimate flag, the precursors
    with the key of their default, and the CN codes by alloy. It is what a report names and
    what a CBAM bundle carries, so it is never changed once stored: a new set is a new version.
    """

    version = models.CharField(max_length=40, unique=True)
    document = models.JSONField()
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_cbam_set"
            )
        ]

    def __str__(self) -> str:
        return self.version

    @classmethod
    def current(cls) -> "CbamFactorSet":
        return cls.objects.get(active=True)

    def factors(self) -> CbamFactors:
        return CbamFactors.from_document(self.document)


class Installation(models.Model):
    """A site of an organisation (CBAM's installation), as its ledger entries registered it."""

    code = models.CharField(max_length=32, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="installations"
    )
    name = models.CharField(max_length=200)
    address = models.TextField()
    country = models.CharField(max_length=2)
    unlocode = models.CharField(max_length=5, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    registry_id = models.CharField(max_length=64, blank=True)
    registered_by = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    amended_by = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UnitKind(models.TextChoices):
    FURNACE = "furnace", "Furnace"
    CASTING_LINE = "casting_line", "Casting line"


class InstallationUnit(models.Model):
    """A furnace or casting line of an installation; its code is unique across all installations."""

    code = models.CharField(max_length=64, unique=True)
    installation = models.ForeignKey(Installation, on_delete=models.PROTECT, related_name="units")
    kind = models.CharField(max_length=12, choices=UnitKind.choices)
    name = models.CharField(max_length=200, blank=True)
    registered_by = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["installation", "kind", "code"]

    def __str__(self) -> str:
        return self.code


class ReportPeriod(models.Model):
    """An installation's reporting period [start, end) whose report is kept current.

    `pending` is set in the transaction of any entry that may change it (and when it is
    requested); the report task clears it with a conditional update before computing.
    """

    installation = models.ForeignKey(Installation, on_delete=models.PROTECT, related_name="periods")
    start = models.DateTimeField()
    end = models.DateTimeField()
    pending = models.BooleanField(default=True)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["installation", "start", "end"]
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "start", "end"], name="one_period_per_installation"
            ),
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="period_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.installation.code} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


class CbamReport(models.Model):
    """One version of a period's communication (`remelt-cbam-1`), anchored by its ledger entry.

    A new version is made only when the figures change (an amendment or a new melt in the
    period, a new factor set); old versions stay readable, marked superseded.
    """

    period = models.ForeignKey(ReportPeriod, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    document = models.JSONField()
    digest = models.CharField(max_length=64)
    factor_set = models.ForeignKey(CbamFactorSet, on_delete=models.PROTECT, related_name="reports")
    ledger_seq = models.BigIntegerField(help_text="the ledger head the report was computed at")
    entries_first = models.BigIntegerField(null=True)
    entries_last = models.BigIntegerField(null=True)
    entries_count = models.PositiveIntegerField()
    entries_digest = models.CharField(max_length=64)
    anchor = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["period", "-version"]
        constraints = [models.UniqueConstraint(fields=["period", "version"], name="one_report_version")]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"
