"""Organisations, users and per-organisation API keys."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SCRAP_SUPPLIER = "scrap_supplier", _("Scrap supplier")
    RECYCLER = "recycler", _("Recycler")
    WHEEL_MAKER = "wheel_maker", _("Wheel maker")
    OEM = "oem", _("Automaker (OEM)")
    AUDITOR = "auditor", _("Auditor")
    OPERATOR = "operator", _("Platform operator")


class Organisation(models.Model):
    """A party in the closed loop; it owns lots, posts events and holds API keys."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    roles = models.JSONField(default=list, help_text="Roles among " + ", ".join(Role.values))
    gs1_company_prefix = models.CharField(
        "GS1 company prefix",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{6,12}$", "A GS1 company prefix is 6 to 12 digits.")],
        help_text="6 to 12 digits, as GS1 allocated them; EPCIS capture accepts LGTINs and SGTINs of "
        "this prefix for the lots and serials the organisation makes.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["gs1_company_prefix"],
                condition=~models.Q(gs1_company_prefix=""),
                name="one_organisation_per_gs1_company_prefix",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def sees_everything(self) -> bool:
        """Auditors and the operator may read every lot and every payload."""
        return self.has_role(Role.AUDITOR) or self.has_role(Role.OPERATOR)


class User(AbstractUser):
    """A person who signs in; belongs to one organisation (superusers may belong to none)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    language = models.CharField(
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The pages' language for this user; empty follows the browser.",
    )


class ApiKey(models.Model):
    """A partner system's key: the prefix finds it, only a SHA-256 of the secret is stored."""

    PREFIX_LENGTH = 8

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    # The secret is 32 random bytes, so a plain SHA-256 is enough: a slow password hash
    # only matters for secrets a person chose and an attacker could guess.
    secret_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation.slug}/{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_sha256, self.digest(secret))


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an `Idempotency-Key`, replayed to its retries.

    Keys are scoped per organisation; the row is written in the same transaction as what the
    request wrote, so a retry either finds the finished response or nothing at all.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_content_type = models.CharField(max_length=100)
    response_body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="one_idempotency_record_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.key} → {self.response_status}"
