"""Emission-factor sets: versioned, sourced, and immutable once used."""

from django.db import models
from django.utils import timezone


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

    def keys(self, kind: str) -> set[str]:
        return {factor.key for factor in self.factors.all() if factor.kind == kind}

    @property
    def materials(self) -> set[str]:
        return self.keys(FactorKind.MATERIAL)

    @property
    def transport_modes(self) -> set[str]:
        return {key.removeprefix("transport_") for key in self.keys(FactorKind.TRANSPORT)}


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
