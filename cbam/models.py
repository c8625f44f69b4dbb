"""CBAM factor sets: versioned, sourced, apart from the footprint's emission factors."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from remelt_verify.cbam import CbamFactors


class CbamFactorSet(models.Model):
    """A versioned set of CBAM factors (e.g. `cbam-2026.1`) as one document; one set is active.

    The document holds each factor with value, unit, source and estimate flag, the precursors
    with the key of their default, and the CN codes by alloy. It is what a report names and
    what a CBAM bundle carries, so it is never changed once stored: a new set is a new version.
    """

    version = models.CharField(max_length=40, unique=True, verbose_name=_("version"))
    document = models.JSONField(verbose_name=_("document"))
    active = models.BooleanField(default=False, verbose_name=_("active"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("CBAM factor set")
        verbose_name_plural = _("CBAM factor sets")
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

    code = models.CharField(max_length=32, unique=True, verbose_name=_("code"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="installations",
        verbose_name=_("organisation"),
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    address = models.TextField(verbose_name=_("address"))
    country = models.CharField(max_length=2, verbose_name=_("country"))
    unlocode = models.CharField(max_length=5, blank=True, verbose_name=_("UN/LOCODE"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, verbose_name=_("latitude"))
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, verbose_name=_("longitude"))
    registry_id = models.CharField(max_length=64, blank=True, verbose_name=_("registry ID"))
    registered_by = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by entry")
    )
    amended_by = models.ForeignKey(
        "ledger.Entry",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("amended by entry"),
    )

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UnitKind(models.TextChoices):
    FURNACE = "furnace", _("Furnace")
    CASTING_LINE = "casting_line", _("Casting line")


class InstallationUnit(models.Model):
    """A furnace or casting line of an installation; its code is unique across all installations."""

    code = models.CharField(max_length=64, unique=True, verbose_name=_("code"))
    installation = models.ForeignKey(
        Installation, on_delete=models.PROTECT, related_name="units", verbose_name=_("installation")
    )
    kind = models.CharField(max_length=12, choices=UnitKind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    registered_by = models.ForeignKey(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by entry")
    )

    class Meta:
        verbose_name = _("installation unit")
        verbose_name_plural = _("installation units")
        ordering = ["installation", "kind", "code"]

    def __str__(self) -> str:
        return self.code


class ReportPeriod(models.Model):
    """An installation's reporting period [start, end) whose report is kept current.

    `pending` is set in the transaction of any entry that may change it (and when it is
    requested); the report task clears it with a conditional update before computing.
    """

    installation = models.ForeignKey(
        Installation, on_delete=models.PROTECT, related_name="periods", verbose_name=_("installation")
    )
    start = models.DateTimeField(verbose_name=_("start"))
    end = models.DateTimeField(verbose_name=_("end"))
    pending = models.BooleanField(default=True, verbose_name=_("pending"))
    requested_at = models.DateTimeField(default=timezone.now, verbose_name=_("requested at"))

    class Meta:
        verbose_name = _("report period")
        verbose_name_plural = _("report periods")
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

    period = models.ForeignKey(
        ReportPeriod, on_delete=models.PROTECT, related_name="reports", verbose_name=_("period")
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    document = models.JSONField(verbose_name=_("document"))
    digest = models.CharField(max_length=64, verbose_name=_("digest"))
    factor_set = models.ForeignKey(
        CbamFactorSet, on_delete=models.PROTECT, related_name="reports", verbose_name=_("factor set")
    )
    ledger_seq = models.BigIntegerField(
        help_text=_("the ledger head the report was computed at"), verbose_name=_("ledger seq")
    )
    entries_first = models.BigIntegerField(null=True, verbose_name=_("first entry"))
    entries_last = models.BigIntegerField(null=True, verbose_name=_("last entry"))
    entries_count = models.PositiveIntegerField(verbose_name=_("number of entries"))
    entries_digest = models.CharField(max_length=64, verbose_name=_("digest of the entries"))
    anchor = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", verbose_name=_("anchor entry")
    )
    computed_at = models.DateTimeField(default=timezone.now, verbose_name=_("computed at"))
    superseded_at = models.DateTimeField(null=True, verbose_name=_("superseded at"))

    class Meta:
        verbose_name = _("CBAM report")
        verbose_name_plural = _("CBAM reports")
        ordering = ["period", "-version"]
        constraints = [models.UniqueConstraint(fields=["period", "version"], name="one_report_version")]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"
