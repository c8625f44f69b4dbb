"""Organisations, users and per-organisation API keys."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
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

    slug = models.SlugField(max_length=64, unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    roles = models.JSONField(
        default=list,
        help_text=format_lazy(_("Roles among {roles}"), roles=", ".join(Role.values)),
        verbose_name=_("roles"),
    )
    gs1_company_prefix = models.CharField(
        _("GS1 company prefix"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{6,12}$", _("A GS1 company prefix is 6 to 12 digits."))],
        help_text=_(
            "6 to 12 digits, as GS1 allocated them; EPCIS capture accepts LGTINs and SGTINs of "
            "this prefix for the lots and serials the organisation makes."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
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
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    language = models.CharField(
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The pages' language for this user; empty follows the browser."),
        verbose_name=_("language"),
    )


class ApiKey(models.Model):
    """A partner system's key: the prefix finds it, only a SHA-256 of the secret is stored."""

    PREFIX_LENGTH = 8

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("organisation")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, verbose_name=_("prefix"))
    # The secret is 32 random bytes, so a plain SHA-256 is enough: a slow password hash
    # only matters for secrets a person chose and an attacker could guess.
    secret_sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 of the secret"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
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

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    key = models.CharField(max_length=255, verbose_name=_("idempotency key"))
    request_sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 of the request"))
    response_status = models.PositiveSmallIntegerField(verbose_name=_("response status"))
    response_content_type = models.CharField(max_length=100, verbose_name=_("response content type"))
    response_body = models.BinaryField(verbose_name=_("response body"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="one_idempotency_record_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.key} → {self.response_status}"
