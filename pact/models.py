"""PACT v3: clients and their tokens, the ProductFootprints remelt publishes, the events it
sends and receives, and the suppliers' footprints it imports."""

import hashlib
import hmac
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PactClient(models.Model):
    """A data recipient's OAuth2 client (client credentials, RFC 6749 §4.4) of one organisation.

    It sees exactly the footprints its organisation may see as passports. It may register its
    own PACT host (`events_base_url`) with the credentials remelt uses to call it, to receive
    the answers to its requests and the PublishedEvents of new footprint versions.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="pact_clients",
        verbose_name=_("organisation"),
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    client_id = models.CharField(max_length=40, unique=True, verbose_name=_("client ID"))
    # The secret is 32 random bytes, so a plain SHA-256 is enough (as for API keys).
    secret_sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 of the secret"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    events_base_url = models.URLField(
        blank=True,
        help_text=_("the client's own PACT host: remelt POSTs events to <this>/3/events"),
        verbose_name=_("events base URL"),
    )
    events_auth_base_url = models.URLField(
        blank=True,
        help_text=_("where that host's token endpoint is found, if not at the base URL"),
        verbose_name=_("events auth base URL"),
    )
    events_client_id = models.CharField(max_length=200, blank=True, verbose_name=_("events client ID"))
    events_client_secret = models.TextField(
        blank=True, help_text=_("encrypted (Fernet)"), verbose_name=_("events client secret")
    )

    class Meta:
        verbose_name = _("PACT client")
        verbose_name_plural = _("PACT clients")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation.slug}/{self.name} ({self.client_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def receives_events(self) -> bool:
        return bool(self.events_base_url)

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_sha256, sha256_hex(secret))


class AccessToken(models.Model):
    """A bearer token issued to a client; only its SHA-256 is stored, and it expires."""

    client = models.ForeignKey(
        PactClient, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("client")
    )
    token_sha256 = models.CharField(max_length=64, unique=True, verbose_name=_("SHA-256 of the token"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return _("token of %(client)s until %(until)s") % {
            "client": self.client.client_id,
            "until": f"{self.expires_at:%Y-%m-%d %H:%M}",
        }


class FootprintStatus(models.TextChoices):
    ACTIVE = "Active", _("Active")
    DEPRECATED = "Deprecated", _("Deprecated")


class ProductFootprint(models.Model):
    """One ProductFootprint remelt publishes: a footprint version of a production run's parts
    that left the maker the same way (the same transport per kg to their holders), or of an
    ingot lot. Immutable once created, except that its status turns Deprecated."""

    number = models.BigAutoField(
        primary_key=True, verbose_name=_("number")
    )  # creation order: the list's cursor
    id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False, verbose_name=_("ID"))
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    subject = models.CharField(
        max_length=8,
        choices=[("run", _("Production run")), ("ingot", _("Ingot lot"))],
        verbose_name=_("subject"),
    )
    run_seq = models.BigIntegerField(
        null=True, blank=True, help_text=_("the parts.produced entry"), verbose_name=_("run seq")
    )
    lot = models.ForeignKey(
        "ledger.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lot")
    )
    outbound = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("kg CO2e per kg of transport to the holder; empty: at the gate"),
        verbose_name=_("outbound transport"),
    )
    content_digest = models.CharField(
        max_length=64, help_text=_("SHA-256 of what the numbers depend on"), verbose_name=_("content digest")
    )
    document = models.JSONField(verbose_name=_("document"))
    status = models.CharField(
        max_length=10,
        choices=FootprintStatus.choices,
        default=FootprintStatus.ACTIVE,
        verbose_name=_("status"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    deprecated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deprecated at"))
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    valid_to = models.DateTimeField(verbose_name=_("valid to"))

    class Meta:
        verbose_name = _("product footprint")
        verbose_name_plural = _("product footprints")
        ordering = ["number"]
        indexes = [models.Index(fields=["subject", "run_seq", "status"]), models.Index(fields=["valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject="run", run_seq__isnull=False, lot__isnull=True)
                | models.Q(subject="ingot", run_seq__isnull=True, lot__isnull=False),
                name="pact_footprint_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class FootprintKey(models.Model):
    """A value the list filters match, lower-cased: a product id, company id, classification
    or geography of a footprint (the match is case-insensitive, as PACT says)."""

    footprint = models.ForeignKey(
        ProductFootprint, on_delete=models.CASCADE, related_name="keys", verbose_name=_("footprint")
    )
    kind = models.CharField(max_length=16, verbose_name=_("kind"))
    value = models.CharField(max_length=500, verbose_name=_("value"))

    class Meta:
        verbose_name = _("footprint key")
        verbose_name_plural = _("footprint keys")
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class FootprintLot(models.Model):
    """A lot a footprint describes (an ingot lot, or a part of the run's group): who may see the
    lot as a passport may see the footprint."""

    footprint = models.ForeignKey(
        ProductFootprint, on_delete=models.CASCADE, related_name="lots", verbose_name=_("footprint")
    )
    lot = models.ForeignKey("ledger.Lot", on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))

    class Meta:
        verbose_name = _("footprint lot")
        verbose_name_plural = _("footprint lots")
        constraints = [models.UniqueConstraint(fields=["footprint", "lot"], name="pact_one_row_per_lot")]

    def __str__(self) -> str:
        return _("%(footprint)s describes lot %(lot)s") % {"footprint": self.footprint_id, "lot": self.lot_id}


class SyncPending(models.Model):
    """A ledger entry (a roll-up's anchor, or a void) whose footprints are not published yet;
    written in the entry's own transaction, so none is ever missed."""

    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, primary_key=True, related_name="+", verbose_name=_("entry")
    )
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))

    class Meta:
        verbose_name = _("pending sync")
        verbose_name_plural = _("pending syncs")
        ordering = ["entry"]

    def __str__(self) -> str:
        return _("PACT sync pending for #%(seq)s") % {"seq": self.entry_id}


class EventDelivery(models.Model):
    """An event remelt sends to a client's host: kept until delivered or abandoned after the
    retry window (PACT: back off, stop after 72 hours)."""

    client = models.ForeignKey(
        PactClient, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("client")
    )
    type = models.CharField(max_length=100, verbose_name=_("type"))
    body = models.JSONField(help_text=_("the CloudEvent, as sent"), verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    next_attempt_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("next attempt at")
    )
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    abandoned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("abandoned at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("%(type)s to %(client)s") % {
            "type": self.type.rsplit(".", 2)[-2],
            "client": self.client.client_id,
        }


class InboundEvent(models.Model):
    """A CloudEvent a client posted to /pact/3/events, accepted; a request is answered once."""

    client = models.ForeignKey(
        PactClient, on_delete=models.PROTECT, related_name="events", verbose_name=_("client")
    )
    event_id = models.CharField(max_length=500, verbose_name=_("event ID"))
    source = models.CharField(max_length=2000, verbose_name=_("source"))
    type = models.CharField(max_length=100, verbose_name=_("type"))
    body = models.JSONField(verbose_name=_("body"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "source", "event_id"], name="pact_one_event_per_id")
        ]

    def __str__(self) -> str:
        return _("%(type)s %(event)s from %(client)s") % {
            "type": self.type.rsplit(".", 2)[-2],
            "event": self.event_id,
            "client": self.client.client_id,
        }


class SupplierHost(models.Model):
    """A supplier's PACT host an organisation imports footprints from, with the client
    credentials the supplier issued to it (the secret kept encrypted)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    base_url = models.URLField(
        help_text=_("the supplier's PACT base URL (its /3/footprints is under it)"),
        verbose_name=_("base URL"),
    )
    auth_base_url = models.URLField(
        blank=True, help_text=_("where its token endpoint is, if elsewhere"), verbose_name=_("auth base URL")
    )
    client_id = models.CharField(max_length=200, verbose_name=_("client ID"))
    client_secret = models.TextField(help_text=_("encrypted (Fernet)"), verbose_name=_("client secret"))
    inbound_client = models.ForeignKey(
        PactClient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("the remelt client this supplier's host uses to send us PublishedEvents"),
        verbose_name=_("inbound client"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("supplier host")
        verbose_name_plural = _("supplier hosts")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="pact_one_host_per_name")
        ]

    def __str__(self) -> str:
        return f"{self.organisation.slug}: {self.name}"


class ImportedFootprint(models.Model):
    """A supplier's ProductFootprint as it was received (its exact bytes and their SHA-256),
    its per-kg value, and the ledger entry that anchors the import."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    host = models.ForeignKey(
        SupplierHost,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("host"),
    )
    pf_id = models.UUIDField(
        help_text=_("the footprint's id at its data owner"), verbose_name=_("footprint ID")
    )
    raw = models.BinaryField(
        help_text=_("the document exactly as received"), verbose_name=_("document as received")
    )
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    per_kg_co2e = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("empty if its unit has no mass"),
        verbose_name=_("kg CO2e per kg"),
    )
    status = models.CharField(max_length=10, verbose_name=_("status"))
    imported_at = models.DateTimeField(default=timezone.now, verbose_name=_("imported at"))
    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", verbose_name=_("entry")
    )

    class Meta:
        verbose_name = _("imported footprint")
        verbose_name_plural = _("imported footprints")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "pf_id", "sha256"], name="pact_one_import_per_bytes"
            )
        ]

    def __str__(self) -> str:
        return _("%(id)s imported by %(organisation)s") % {
            "id": self.pf_id,
            "organisation": self.organisation_id,
        }


class PendingImport(models.Model):
    """A footprint a supplier's host announced (PublishedEvent), waiting to be imported;
    retried with back-off while the host cannot be reached, given up after the retry window."""

    host = models.ForeignKey(
        SupplierHost, on_delete=models.CASCADE, related_name="pending", verbose_name=_("host")
    )
    pf_id = models.UUIDField(verbose_name=_("footprint ID"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    next_attempt_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("next attempt at")
    )
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    imported = models.ForeignKey(
        ImportedFootprint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported"),
    )
    abandoned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("abandoned at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")
        constraints = [models.UniqueConstraint(fields=["host", "pf_id"], name="pact_one_pending_import")]

    def __str__(self) -> str:
        return _("import %(id)s from %(host)s") % {"id": self.pf_id, "host": self.host}
