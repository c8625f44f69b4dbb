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
