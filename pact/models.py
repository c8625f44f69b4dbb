"""PACT v3: clients and their tokens, the ProductFootprints remelt publishes, the events it
sends and receives, and the suppliers' footprints it imports."""

import hashlib
import hmac
import uuid

from django.db import models
from django.utils import timezone


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PactClient(models.Model):
    """A data recipient's OAuth2 client (client credentials, RFC 6749 §4.4) of one organisation.

    It sees exactly the footprints its organisation may see as passports. It may register its
    own PACT host (`events_base_url`) with the credentials remelt uses to call it, to receive
    the answers to its requests and the PublishedEvents of new footprint versions.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="pact_clients"
    )
    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=40, unique=True)
    # The secret is 32 random bytes, so a plain SHA-256 is enough (as for API keys).
    secret_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    events_base_url = models.URLField(
        blank=True, help_text="the client's own PACT host: remelt POSTs events to <this>/3/events"
    )
    events_auth_base_url = models.URLField(
        blank=True, help_text="where that host's token endpoint is found, if not at the base URL"
    )
    events_client_id = models.CharField(max_length=200, blank=True)
    events_client_secret = models.TextField(blank=True, help_text="encrypted (Fernet)")

    class Meta:
        verbose_name = "PACT client"
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

    client = models.ForeignKey(PactClient, on_delete=models.CASCADE, related_name="tokens")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token of {self.client.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class FootprintStatus(models.TextChoices):
    ACTIVE = "Active"
    DEPRECATED = "Deprecated"


class ProductFootprint(models.Model):
    """One ProductFootprint remelt publishes: a footprint version of a production run's parts
    that left the maker the same way (the same transport per kg to their holders), or of an
    ingot lot. Immutable once created, except that its status turns Deprecated."""

    number = models.BigAutoField(primary_key=True)  # creation order: the list's cursor
    id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=8, choices=[("run", "Production run"), ("ingot", "Ingot lot")])
    run_seq = models.BigIntegerField(null=True, blank=True, help_text="the parts.produced entry")
    lot = models.ForeignKey("ledger.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outbound = models.CharField(
        max_length=60, blank=True, help_text="kg CO2e per kg of transport to the holder; empty: at the gate"
    )
    content_digest = models.CharField(max_length=64, help_text="SHA-256 of what the numbers depend on")
    document = models.JSONField()
    status = models.CharField(max_length=10, choices=FootprintStatus.choices, default=FootprintStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    deprecated_at = models.DateTimeField(null=True, blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()

    class Meta:
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

    footprint = models.ForeignKey(ProductFootprint, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class FootprintLot(models.Model):
    """A lot a footprint describes (an ingot lot, or a part of the run's group): who may see the
    lot as a passport may see the footprint."""

    footprint = models.ForeignKey(ProductFootprint, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey("ledger.Lot", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["footprint", "lot"], name="pact_one_row_per_lot")]

    def __str__(self) -> str:
        return f"{self.footprint_id} describes lot {self.lot_id}"


class SyncPending(models.Model):
    """A ledger entry (a roll-up's anchor, or a void) whose footprints are not published yet;
    written in the entry's own transaction, so none is ever missed."""

    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, primary_key=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entry"]

    def __str__(self) -> str:
        return f"PACT sync pending for #{self.entry_id}"


class EventDelivery(models.Model):
    """An event remelt sends to a client's host: kept until delivered or abandoned after the
    retry window (PACT: back off, stop after 72 hours)."""

    client = models.ForeignKey(PactClient, on_delete=models.PROTECT, related_name="deliveries")
    type = models.CharField(max_length=100)
    body = models.JSONField(help_text="the CloudEvent, as sent")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "event deliveries"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type.rsplit('.', 2)[-2]} to {self.client.client_id}"


class InboundEvent(models.Model):
    """A CloudEvent a client posted to /pact/3/events, accepted; a request is answered once."""

    client = models.ForeignKey(PactClient, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=500)
    source = models.CharField(max_length=2000)
    type = models.CharField(max_length=100)
    body = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "source", "event_id"], name="pact_one_event_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.type.rsplit('.', 2)[-2]} {self.event_id} from {self.client.client_id}"


class SupplierHost(models.Model):
    """A supplier's PACT host an organisation imports footprints from, with the client
    credentials the supplier issued to it (the secret kept encrypted)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    base_url = models.URLField(help_text="the supplier's PACT base URL (its /3/footprints is under it)")
    auth_base_url = models.URLField(blank=True, help_text="where its token endpoint is, if elsewhere")
    client_id = models.CharField(max_length=200)
    client_secret = models.TextField(help_text="encrypted (Fernet)")
    inbound_client = models.ForeignKey(
        PactClient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the remelt client this supplier's host uses to send us PublishedEvents",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="pact_one_host_per_name")
        ]

    def __str__(self) -> str:
        return f"{self.organisation.slug}: {self.name}"


class ImportedFootprint(models.Model):
    """A supplier's ProductFootprint as it was received (its exact bytes and their SHA-256),
    its per-kg value, and the ledger entry that anchors the import."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    host = models.ForeignKey(SupplierHost, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pf_id = models.UUIDField(help_text="the footprint's id at its data owner")
    raw = models.BinaryField(help_text="the document exactly as received")
    sha256 = models.CharField(max_length=64)
    per_kg_co2e = models.CharField(max_length=60, blank=True, help_text="empty if its unit has no mass")
    status = models.CharField(max_length=10)
    imported_at = models.DateTimeField(default=timezone.now)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "pf_id", "sha256"], name="pact_one_import_per_bytes"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pf_id} imported by {self.organisation_id}"


class PendingImport(models.Model):
    """A footprint a supplier's host announced (PublishedEvent), waiting to be imported;
    retried with back-off while the host cannot be reached, given up after the retry window."""

    host = models.ForeignKey(SupplierHost, on_delete=models.CASCADE, related_name="pending")
    pf_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    imported = models.ForeignKey(
        ImportedFootprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    abandoned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["host", "pf_id"], name="pact_one_pending_import")]

    def __str__(self) -> str:
        return f"import {self.pf_id} from {self.host}"
