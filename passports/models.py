"""Emission-factor sets: versioned, sourced, and immutable once used."""

from django.db import models
from django.utils import timezone
from remelt_verify.carbon import METHOD_VERSION, STAGES  # noqa: F401 - re-exported for the roll-up


class FactorKind(models.TextChoices):
    MATERIAL = "material", "Alloying material (kg CO2e/kg)"
    ENERGY = "energy", "Energy carrier"
    TRANSPORT = "transport", "Transport mode (kg CO2e/t·km)"


class EmissionFactorSet(models.Model):
    """A named, versioned set of emission factors (e.g. `cn-2026.1`); one set is active."""

    version = models.CharField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_factor_set"
            )
        ]

    def __str__(self) -> str:
        return self.version

    @classmethod
    def current(cls) -> "EmissionFactorSet":
        return cls.objects.prefetch_related("factors").get(active=True)

    @classmethod
    def current_keys(cls) -> tuple[set[str], set[str]]:
        """The active set's material keys and transport modes, in one query (events check them)."""
        return cls._keys(EmissionFactor.objects.filter(factor_set__active=True))

    @classmethod
    def historic_keys(cls) -> tuple[set[str], set[str]]:
        """The material keys and transport modes of every set there was (a replay checks history)."""
        return cls._keys(EmissionFactor.objects.all())

    @staticmethod
    def _keys(factors) -> tuple[set[str], set[str]]:
        materials, modes = set(), set()
        for kind, key in factors.filter(kind__in=(FactorKind.MATERIAL, FactorKind.TRANSPORT)).values_list(
            "kind", "key"
        ):
            if kind == FactorKind.MATERIAL:
                materials.add(key)
            else:
                modes.add(transport_mode(key))
        return materials, modes

    def keys(self, kind: str) -> set[str]:
        return {factor.key for factor in self.factors.all() if factor.kind == kind}

    @property
    def materials(self) -> set[str]:
        return self.keys(FactorKind.MATERIAL)

    @property
    def transport_modes(self) -> set[str]:
        return {transport_mode(key) for key in self.keys(FactorKind.TRANSPORT)}


def transport_mode(key: str) -> str:
    """The mode a transport factor is for: `transport_truck` is for `truck`."""
    return key.removeprefix("transport_")


class EmissionFactor(models.Model):
    """One factor: its value, unit and source, and whether it is an estimate."""

    factor_set = models.ForeignKey(EmissionFactorSet, on_delete=models.PROTECT, related_name="factors")
    key = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=FactorKind.choices)
    value = models.DecimalField(max_digits=14, decimal_places=6)
    unit = models.CharField(max_length=40)
    source = models.TextField()
    is_estimate = models.BooleanField(default=False)

    class Meta:
        ordering = ["factor_set", "key"]
        constraints = [models.UniqueConstraint(fields=["factor_set", "key"], name="one_factor_per_key")]

    def __str__(self) -> str:
        return f"{self.factor_set.version}:{self.key}={self.value} {self.unit}"


class PendingRollup(models.Model):
    """A committed ledger entry whose effect on footprints is not rolled up yet.

    Written in the same transaction as the entry, so an entry can never be left without its
    roll-up: if the broker is down when it commits, the beat job still finds it here.
    """

    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, primary_key=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entry"]

    def __str__(self) -> str:
        return f"roll-up pending for #{self.entry_id}"


class RollupRun(models.Model):
    """One roll-up: what it covered, and the footprint.computed entry that anchors its results."""

    ledger_seq = models.BigIntegerField(help_text="the last ledger seq the run saw")
    factor_set = models.ForeignKey(EmissionFactorSet, on_delete=models.PROTECT, related_name="runs")
    full = models.BooleanField(default=False)
    lots_computed = models.PositiveIntegerField(default=0)
    versions_created = models.PositiveIntegerField(default=0)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, null=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"roll-up {self.pk} at seq {self.ledger_seq}"


class LotCarbon(models.Model):
    """A lot's carbon at its making: intensity by stage (kg CO2e/kg) and recycled shares.

    Custody transfers later raise the intensity of what remains (CARBON.md rule 4); that is
    added on reading, from the transfers, so this row only changes when the lot is recomputed.
    Values are decimal strings with 30 significant digits.
    """

    lot = models.OneToOneField(
        "ledger.Lot", on_delete=models.CASCADE, primary_key=True, related_name="carbon"
    )
    intensity = models.JSONField(help_text="kg CO2e per kg by stage, at the lot's making")
    post_share = models.CharField(max_length=40)
    pre_share = models.CharField(max_length=40)
    factor_set = models.ForeignKey(EmissionFactorSet, on_delete=models.PROTECT, related_name="+")
    ledger_seq = models.BigIntegerField()

    def __str__(self) -> str:
        return f"carbon of lot {self.lot_id}"


class Footprint(models.Model):
    """One version of a part's (or ingot lot's) footprint; corrections add versions."""

    lot = models.ForeignKey("ledger.Lot", on_delete=models.PROTECT, related_name="footprints")
    version = models.PositiveIntegerField()
    run = models.ForeignKey(RollupRun, on_delete=models.PROTECT, related_name="footprints")
    method = models.CharField(max_length=20, default=METHOD_VERSION)
    factor_set = models.ForeignKey(EmissionFactorSet, on_delete=models.PROTECT, related_name="footprints")
    ledger_seq = models.BigIntegerField()
    document = models.JSONField(help_text="the footprint as hashed: decimal strings, RFC 8785")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lot", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "version"], name="one_footprint_per_version"),
            models.UniqueConstraint(
                fields=["lot"], condition=models.Q(superseded_at__isnull=True), name="one_current_footprint"
            ),
        ]

    def __str__(self) -> str:
        return f"footprint v{self.version} of lot {self.lot_id}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None
