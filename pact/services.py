"""Writes of the PACT app: clients and tokens, publishing footprints, events in and out."""

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from remelt_verify.canonical import canonical, sha256_hex
from remelt_verify.carbon import cited_per_kg

from accounts.models import Organisation, User
from ledger.errors import DomainError
from ledger.events import FOOTPRINT_IMPORTED
from ledger.models import Entry
from ledger.services import entry_append
from ledger.visibility import Viewer
from pact import documents
from pact.credentials import credential_open, credential_seal
from pact.models import (
    AccessToken,
    EventDelivery,
    FootprintKey,
    FootprintLot,
    FootprintStatus,
    ImportedFootprint,
    InboundEvent,
    PactClient,
    PendingImport,
    ProductFootprint,
    SupplierHost,
    SyncPending,
)
from pact.models import sha256_hex as text_sha256
from pact.peers import MAX_DOCUMENT_BYTES, Peer, PeerError, peer_get_footprint, peer_send_event, url_check
from pact.queue import answers_on_commit, deliveries_on_commit, imports_on_commit, sync_on_commit
from pact.rules import (
    PUBLISHED,
    REQUEST_CREATED,
    REQUEST_FULFILLED,
    REQUEST_REJECTED,
    format_time,
    product_footprint_check,
    request_criteria,
)
from pact.selectors import Group, Subject, footprint_facts, matching, subjects_of_entry, visible_footprints

log = logging.getLogger(__name__)

CLIENT_ID_PREFIX = "pc_"
TOKEN_PREFIX = "pat_"  # noqa: S105 - a marker on issued tokens, not a secret
SCOPES = ("footprint:list", "footprint:read")
SAMPLE_FIELDS = ("anchor", "passportUrl", "evidenceUrl")


# ---------------------------------------------------------------------------------------------
# Clients and tokens


@dataclass(frozen=True)
class IssuedClient:
    """A client as created: `client_secret` is shown once and never stored."""

    client: PactClient
    client_secret: str


def pact_client_create(
    *, organisation: Organisation, name: str, created_by: User | None = None
) -> IssuedClient:
    """A new OAuth2 client of the organisation, with its secret (shown to the caller only now)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("invalid", "a client needs a name of 1 to 100 characters", field="name")
    secret = secrets.token_urlsafe(32)
    client = PactClient.objects.create(
        organisation=organisation,
        name=name,
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(12),
        secret_sha256=text_sha256(secret),
        created_by=created_by,
    )
    return IssuedClient(client, secret)


def pact_client_revoke(*, client: PactClient) -> PactClient:
    """Revoke a client for good: its tokens stop working and no more events go to it."""
    with transaction.atomic():
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
        AccessToken.objects.filter(client=client).delete()
    return client


def pact_client_register_events(
    *, client: PactClient, base_url: str, client_id: str, client_secret: str, auth_base_url: str = ""
) -> PactClient:
    """Register the client's own PACT host, and the credentials remelt uses to call it; with
    an empty `base_url`, stop sending it events."""
    if not base_url:
        client.events_base_url = client.events_auth_base_url = client.events_client_id = ""
        client.events_client_secret = ""
    else:
        client.events_base_url = url_check(base_url, "events_base_url")
        client.events_auth_base_url = (
            url_check(auth_base_url, "events_auth_base_url") if auth_base_url else ""
        )
        if not client_id or not client_secret:
            raise DomainError(
                "invalid", "the credentials to call that host are needed", field="events_client_id"
            )
        client.events_client_id = client_id
        client.events_client_secret = credential_seal(client_secret)
    client.save(
        update_fields=["events_base_url", "events_auth_base_url", "events_client_id", "events_client_secret"]
    )
    return client


def client_peer(client: PactClient) -> Peer:
    """The client's own host, to send it events."""
    return Peer(
        base_url=client.events_base_url,
        auth_base_url=client.events_auth_base_url,
        client_id=client.events_client_id,
        client_secret=credential_open(client.events_client_secret),
    )


def client_viewer(client: PactClient) -> Viewer:
    """What a client may see: exactly what its organisation may see as passports."""
    organisation = client.organisation
    return Viewer(organisation_id=organisation.pk, sees_everything=organisation.sees_everything)


def pact_client_authenticate(client_id: str, client_secret: str) -> PactClient | None:
    """The active client with these credentials, or None."""
    client = PactClient.objects.select_related("organisation").filter(client_id=client_id).first()
    if client is None or not client.is_active or not client.matches(client_secret):
        return None
    return client


def access_token_issue(*, client: PactClient) -> tuple[str, int]:
    """A new bearer token for the client and its lifetime in seconds (PACT_TOKEN_SECONDS)."""
    lifetime = settings.PACT_TOKEN_SECONDS
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        AccessToken.objects.create(
            client=client,
            token_sha256=text_sha256(token),
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
        # Expired tokens are of no use to anyone: each issue clears the client's.
        AccessToken.objects.filter(client=client, expires_at__lt=now).delete()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            PactClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return token, lifetime


def access_token_authenticate(token: str) -> PactClient:
    """The client a bearer token belongs to; DomainError TokenExpired or BadRequest (401) if none."""
    found = (
        AccessToken.objects.select_related("client__organisation")
        .filter(token_sha256=text_sha256(token))
        .first()
    )
    if found is None or not found.client.is_active:
        raise DomainError(
            "BadRequest", "the access token is invalid; get one at /pact/auth/token", status=401
        )
    if found.expires_at <= timezone.now():
        raise DomainError("TokenExpired", "the access token has expired; get a new one", status=401)
    return found.client


# ---------------------------------------------------------------------------------------------
# Publishing footprints


def sync_enqueue(*, entries) -> None:
    """Called in the appending transaction: anchors and voids wait to be published."""
    rows = [SyncPending(entry_id=entry.seq) for entry in entries]
    SyncPending.objects.bulk_create(rows, ignore_conflicts=True)
    sync_on_commit()


def _identity(body: dict, *, pf_id: uuid.UUID, created, preceding: list[str]) -> dict:
    document = {"id": str(pf_id), "specVersion": body["specVersion"]}
    if preceding:
        document["precedingPfIds"] = preceding
    document |= {"created": format_time(created), "status": FootprintStatus.ACTIVE.value}
    return document | {key: value for key, value in body.items() if key != "specVersion"}


def _keys(footprint: ProductFootprint, facts: documents.FootprintFacts) -> list[FootprintKey]:
    domain = settings.PACT_URN_DOMAIN
    values = {
        "product": documents.product_ids(facts, domain),
        "company": documents.company_ids(facts, domain),
        "classification": documents.classifications(facts),
        "geography": documents.geographies(facts, settings.PACT_REGION),
    }
    return [
        FootprintKey(footprint=footprint, kind=kind, value=value.lower())
        for kind, found in values.items()
        for value in dict.fromkeys(found)
    ]


def _deprecate(footprint: ProductFootprint, now) -> None:
    footprint.status = FootprintStatus.DEPRECATED
    footprint.deprecated_at = now
    footprint.document = {**footprint.document, "status": FootprintStatus.DEPRECATED.value}
    footprint.save(update_fields=["status", "deprecated_at", "document"])


def _subject_lock(subject: Subject) -> None:
    """Lock a run's (or ingot lot's) footprints until the transaction ends (PostgreSQL; SQLite
    runs one writer at a time anyway): two workers never both make its next version."""
    if connection.vendor != "postgresql":
        return
    kind, key = subject
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(0x50 + (kind == "ingot")) << 48 | key])


def _publish_subject(subject: Subject, groups: list[Group]) -> list[ProductFootprint]:
    """Bring a subject's ProductFootprints up to date with its groups; the new ones. Called
    in a transaction."""
    _subject_lock(subject)
    kind, key = subject
    now = timezone.now()
    where = {"run_seq": key} if kind == "run" else {"lot_id": key}
    active = {
        pf.outbound: pf
        for pf in ProductFootprint.objects.select_for_update().filter(
            subject=kind, status=FootprintStatus.ACTIVE, **where
        )
    }
    created = []
    for group in groups:
        body = documents.product_footprint(
            group.facts,
            domain=settings.PACT_URN_DOMAIN,
            base_url=settings.PACT_PUBLIC_BASE_URL,
            region=settings.PACT_REGION,
        )
        # What the numbers depend on: not which footprint version is named as the sample to
        # verify (the anchor, its passport and evidence), which changes as parts move on.
        data = body["extensions"][0]["data"]
        numbers = {**body, "extensions": [{k: v for k, v in data.items() if k not in SAMPLE_FIELDS}]}
        digest = sha256_hex(canonical(numbers))
        previous = active.pop(group.outbound, None)
        if previous is not None and previous.content_digest == digest:
            footprint = previous
        else:
            pf_id = uuid.uuid4()
            preceding = [str(previous.id)] if previous is not None else []
            start, end = documents.validity(group.facts.reference_end)
            footprint = ProductFootprint.objects.create(
                id=pf_id,
                organisation_id=Organisation.objects.values_list("pk", flat=True).get(
                    slug=group.facts.owner_slug
                ),
                subject=kind,
                **where,
                outbound=group.outbound,
                content_digest=digest,
                document=_identity(body, pf_id=pf_id, created=now, preceding=preceding),
                created_at=now,
                valid_from=start,
                valid_to=end,
            )
            FootprintKey.objects.bulk_create(_keys(footprint, group.facts))
            if previous is not None:
                _deprecate(previous, now)
            created.append(footprint)
        FootprintLot.objects.bulk_create(
            [FootprintLot(footprint=footprint, lot_id=lot_id) for lot_id in group.lot_ids],
            ignore_conflicts=True,
        )
    for gone in active.values():  # its lots were voided, or left it for another group
        _deprecate(gone, now)
    return created


def footprints_sync() -> int:
    """Publish what every pending anchor or void changed; the number of new ProductFootprints.

    Each pending entry is claimed with a conditional update, so workers running this at once
    share the work, and is then done in one transaction: its subjects' footprints (each run or
    ingot lot locked, in order, while it is brought up to date), the PublishedEvents they
    cause, and the removal of the pending row. A subject whose roll-up is still running leaves
    the entry pending for the next run. Safe to run twice: an unchanged footprint stays as it is.
    """
    stale = timezone.now() - timedelta(minutes=10)
    published = 0
    for seq in list(SyncPending.objects.values_list("entry_id", flat=True).order_by("entry_id")):
        claimed = (
            SyncPending.objects.filter(entry_id=seq)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
            .update(claimed_at=timezone.now())
        )
        if not claimed:
            continue
        subjects = sorted(subjects_of_entry(Entry.objects.get(seq=seq)))
        facts = {subject: footprint_facts(subject) for subject in subjects}
        if any(groups is None for groups in facts.values()):
            SyncPending.objects.filter(entry_id=seq).update(claimed_at=None)
            continue
        with transaction.atomic():
            created = [pf for subject in subjects for pf in _publish_subject(subject, facts[subject])]
            published_enqueue(footprints=created)
            SyncPending.objects.filter(entry_id=seq).delete()
        published += len(created)
    return published


# ---------------------------------------------------------------------------------------------
# Events out


def cloud_event(event_type: str, data: dict) -> dict:
    """A CloudEvent 1.0 from remelt's PACT host."""
    return {
        "type": event_type,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"{settings.PACT_PUBLIC_BASE_URL}/pact/3/events",
        "time": format_time(timezone.now()),
        "data": data,
    }


def published_enqueue(*, footprints: list[ProductFootprint]) -> list[EventDelivery]:
    """A PublishedEvent of the new footprints to each client that registered a host and may
    see some of them (written in the caller's transaction, sent once it commits)."""
    if not footprints:
        return []
    ids = [pf.pk for pf in footprints]
    deliveries = []
    receivers = (
        PactClient.objects.filter(revoked_at__isnull=True)
        .exclude(events_base_url="")
        .select_related("organisation")
    )
    for client in receivers:
        seen = list(
            visible_footprints(client_viewer(client), ProductFootprint.objects.filter(pk__in=ids))
            .order_by("number")
            .values_list("id", flat=True)
        )
        if seen:
            body = cloud_event(PUBLISHED, {"pfIds": [str(pf_id) for pf_id in seen]})
            deliveries.append(EventDelivery.objects.create(client=client, type=PUBLISHED, body=body))
    if deliveries:
        deliveries_on_commit()
    return deliveries


def backoff(attempts: int) -> timedelta:
    """Exponential back-off: 1 minute, 2, 4, … capped at 6 hours between attempts."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _due(model, now):
    """The rows of an outbox whose attempt is due and that no worker holds."""
    return model.objects.filter(abandoned_at__isnull=True, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def deliveries_send() -> int:
    """Attempt every delivery that is due (up to 500 a run); the number delivered."""
    due = _due(EventDelivery, timezone.now()).filter(delivered_at__isnull=True).order_by("next_attempt_at")
    return sum(
        delivery_attempt(delivery_id=pk) == "delivered" for pk in list(due.values_list("pk", flat=True)[:500])
    )


def delivery_attempt(*, delivery_id: int) -> str:
    """Try to send one event; 'delivered', 'retry', 'abandoned' or 'skipped'.

    The delivery is claimed with a conditional update (so one worker sends it at a time) for
    two minutes, longer than a send can take. Safe to run twice: a delivered or abandoned one
    is skipped; if a worker dies after sending but before recording, the receiver gets the
    same event (same CloudEvent id) again, which PACT receivers must accept.
    """
    now = timezone.now()
    claimed = (
        _due(EventDelivery, now)
        .filter(pk=delivery_id, delivered_at__isnull=True)
        .update(claimed_until=now + timedelta(minutes=2))
    )
    if not claimed:
        return "skipped"
    delivery = EventDelivery.objects.select_related("client").get(pk=delivery_id)
    try:
        if not delivery.client.is_active or not delivery.client.receives_events:
            raise PeerError("the client was revoked or no longer registers a host")
        peer_send_event(client_peer(delivery.client), delivery.body)
    except (PeerError, DomainError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        attempts = delivery.attempts + 1
        later = timezone.now() + backoff(attempts)
        give_up = later > delivery.created_at + timedelta(hours=settings.PACT_EVENT_RETRY_HOURS)
        EventDelivery.objects.filter(pk=delivery_id).update(
            attempts=attempts,
            last_error=reason[:2000],
            next_attempt_at=later,
            claimed_until=None,
            abandoned_at=timezone.now() if give_up else None,
        )
        log.warning(
            "PACT event %s to %s failed (attempt %s): %s", delivery_id, delivery.client, attempts, reason
        )
        return "abandoned" if give_up else "retry"
    EventDelivery.objects.filter(pk=delivery_id).update(
        delivered_at=timezone.now(), attempts=F("attempts") + 1, claimed_until=None, last_error=""
    )
    return "delivered"


# ---------------------------------------------------------------------------------------------
# Events in


def _same_host(source: str, base_url: str) -> bool:
    """Does an event's `source` (a URI reference such as //host/3/events) name the client's host?"""
    netloc = urlsplit(source if "//" in source else f"//{source}").netloc.lower()
    return bool(netloc) and netloc == urlsplit(base_url).netloc.lower()


def event_accept(*, client: PactClient, event: dict) -> InboundEvent:
    """Take a checked CloudEvent from a client (answered 200): a request is queued for an
    answer, a supplier's PublishedEvent for the import of its footprints. The same event
    (same source and id) again is accepted and changes nothing."""
    if event["type"] == REQUEST_CREATED:
        if not client.receives_events:
            raise DomainError(
                "BadRequest",
                "this client has registered no events endpoint for the answer; ask remelt's staff to add "
                "your PACT host, or use ListFootprints",
                field="source",
            )
        if not _same_host(event["source"], client.events_base_url):
            raise DomainError(
                "BadRequest",
                f"source {event['source']!r} is not the host registered for this client "
                f"({urlsplit(client.events_base_url).netloc})",
                field="source",
            )
    elif event["type"] in (REQUEST_FULFILLED, REQUEST_REJECTED):
        raise DomainError(
            "BadRequest",
            f"data.requestEventId: remelt sent no request {event['data']['requestEventId']!r}",
            field="data.requestEventId",
        )
    try:
        with transaction.atomic():
            inbound = InboundEvent.objects.create(
                client=client, event_id=event["id"], source=event["source"], type=event["type"], body=event
            )
    except IntegrityError:
        return InboundEvent.objects.get(client=client, source=event["source"], event_id=event["id"])
    if event["type"] == REQUEST_CREATED:
        answers_on_commit()
    elif event["type"] == PUBLISHED:
        # A supplier's host announces footprints to the organisations it supplies.
        hosts = SupplierHost.objects.filter(inbound_client=client)
        PendingImport.objects.bulk_create(
            [
                PendingImport(host=host, pf_id=uuid.UUID(pf_id))
                for host in hosts
                for pf_id in event["data"]["pfIds"]
            ],
            ignore_conflicts=True,
        )
        if hosts:
            imports_on_commit()
    return inbound


def requests_answer() -> int:
    """Answer every accepted request not answered yet; the number answered."""
    pending = InboundEvent.objects.filter(type=REQUEST_CREATED, answered_at__isnull=True).order_by("pk")
    return sum(
        request_answer(inbound_id=pk) is not None for pk in list(pending.values_list("pk", flat=True)[:500])
    )


def request_answer(*, inbound_id: int) -> EventDelivery | None:
    """Answer a RequestCreatedEvent once: RequestFulfilledEvent with the footprints the client
    may see that match its criteria (as ListFootprints would list them, up to PACT_LIST_MAX),
    or RequestRejectedEvent (NotFound) if none does. Safe to run twice: the conditional update
    that marks the request answered and the delivery are one transaction."""
    with transaction.atomic():
        if not InboundEvent.objects.filter(pk=inbound_id, answered_at__isnull=True).update(
            answered_at=timezone.now()
        ):
            return None
        inbound = InboundEvent.objects.select_related("client__organisation").get(pk=inbound_id)
        criteria = request_criteria(inbound.body["data"])
        found = list(
            matching(visible_footprints(client_viewer(inbound.client)), criteria).order_by("number")[
                : settings.PACT_LIST_MAX
            ]
        )
        if found:
            body = cloud_event(
                REQUEST_FULFILLED, {"requestEventId": inbound.event_id, "pfs": [pf.document for pf in found]}
            )
        else:
            body = cloud_event(
                REQUEST_REJECTED,
                {
                    "requestEventId": inbound.event_id,
                    "error": {"code": "NotFound", "message": "No footprint you may see matches the request."},
                },
            )
        delivery = EventDelivery.objects.create(client=inbound.client, type=body["type"], body=body)
        deliveries_on_commit()
    return delivery


# ---------------------------------------------------------------------------------------------
# remelt as a PACT recipient: suppliers' hosts and their footprints


def supplier_host_create(
    *,
    organisation: Organisation,
    name: str,
    base_url: str,
    client_id: str,
    client_secret: str,
    auth_base_url: str = "",
    inbound_client: PactClient | None = None,
) -> SupplierHost:
    """Keep a supplier's PACT host and the credentials it issued to the organisation (the
    secret encrypted); `inbound_client` is the remelt client that host sends its events with."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("invalid", "a supplier host needs a name of 1 to 100 characters", field="name")
    if SupplierHost.objects.filter(organisation=organisation, name=name).exists():
        raise DomainError("duplicate", f"a supplier host {name!r} exists already", field="name", status=409)
    if not client_id or not client_secret:
        raise DomainError(
            "invalid", "the client credentials the supplier issued are needed", field="client_id"
        )
    if inbound_client is not None and inbound_client.organisation_id == organisation.pk:
        raise DomainError(
            "invalid",
            "the inbound client is one remelt issued to the supplier, not yours",
            field="inbound_client",
        )
    return SupplierHost.objects.create(
        organisation=organisation,
        name=name,
        base_url=url_check(base_url, "base_url"),
        auth_base_url=url_check(auth_base_url, "auth_base_url") if auth_base_url else "",
        client_id=client_id,
        client_secret=credential_seal(client_secret),
        inbound_client=inbound_client,
    )


def host_peer(host: SupplierHost) -> Peer:
    return Peer(
        base_url=host.base_url,
        auth_base_url=host.auth_base_url,
        client_id=host.client_id,
        client_secret=credential_open(host.client_secret),
    )


def _received_document(raw: bytes) -> dict:
    """The ProductFootprint in what was received: a bare document or GetFootprint's {"data": …}."""
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DomainError("invalid", f"not JSON: {exc}", field="document") from None
    if isinstance(parsed, dict) and set(parsed) == {"data"} and isinstance(parsed["data"], dict):
        return parsed["data"]
    return parsed


def footprint_import(
    *,
    organisation: Organisation,
    raw: bytes,
    actor: str,
    host: SupplierHost | None = None,
    expected_id: str | None = None,
) -> ImportedFootprint:
    """Keep a supplier's ProductFootprint exactly as received, once it conforms to PACT's data
    model: its bytes, their SHA-256, its per-kg value, and a `pact.footprint.imported` ledger
    entry naming them, in one transaction. The same bytes again return the first import."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DomainError(
            "too_large", f"a footprint document is at most {MAX_DOCUMENT_BYTES} bytes", status=413
        )
    document = _received_document(raw)
    try:
        product_footprint_check(document)
    except DomainError as exc:
        raise DomainError("invalid", exc.message, errors=exc.errors) from None
    if expected_id is not None and document["id"].lower() != expected_id.lower():
        raise DomainError("invalid", f"asked for footprint {expected_id}, got {document['id']}", field="id")
    digest = hashlib.sha256(raw).hexdigest()
    pf_id = uuid.UUID(document["id"])
    found = ImportedFootprint.objects.filter(organisation=organisation, pf_id=pf_id, sha256=digest).first()
    if found is not None:
        return found
    per_kg = cited_per_kg(document)
    with transaction.atomic():
        entry = entry_append(
            type=FOOTPRINT_IMPORTED,
            organisation=organisation,
            actor=actor,
            occurred_at=timezone.now(),
            data={
                "pf_id": str(pf_id),
                "sha256": digest,
                "per_kg_co2e": "" if per_kg is None else str(per_kg),
                "status": document["status"],
                "company": document["companyName"],
                "source": host.base_url if host is not None else "upload",
            },
        )
        return ImportedFootprint.objects.create(
            organisation=organisation,
            host=host,
            pf_id=pf_id,
            raw=raw,
            sha256=digest,
            per_kg_co2e="" if per_kg is None else str(per_kg),
            status=document["status"],
            entry=entry,
        )


def footprint_fetch(*, host: SupplierHost, pf_id: str, actor: str) -> ImportedFootprint:
    """Import footprint `pf_id` from the supplier's host (GetFootprint); PeerError if it cannot."""
    raw = peer_get_footprint(host_peer(host), pf_id)
    return footprint_import(
        organisation=host.organisation, raw=raw, actor=actor, host=host, expected_id=pf_id
    )


def imports_fetch() -> int:
    """Import every announced footprint whose attempt is due; the number imported.

    Each is claimed with a conditional update. A host that cannot be reached is tried again
    with back-off until PACT_EVENT_RETRY_HOURS have passed; a document that is not a PACT
    footprint is given up at once (trying again gives the same answer). Safe to run twice:
    the same bytes are imported once.
    """
    done = 0
    now = timezone.now()
    for pk in list(_due(PendingImport, now).filter(imported__isnull=True).values_list("pk", flat=True)[:500]):
        if (
            not _due(PendingImport, now)
            .filter(pk=pk, imported__isnull=True)
            .update(claimed_until=now + timedelta(minutes=2))
        ):
            continue
        pending = PendingImport.objects.select_related("host__organisation").get(pk=pk)
        try:
            imported = footprint_fetch(
                host=pending.host, pf_id=str(pending.pf_id), actor=f"pact-host:{pending.host_id}"
            )
        except (PeerError, DomainError) as exc:
            attempts = pending.attempts + 1
            later = timezone.now() + backoff(attempts)
            give_up = isinstance(exc, DomainError) or later > pending.created_at + timedelta(
                hours=settings.PACT_EVENT_RETRY_HOURS
            )
            PendingImport.objects.filter(pk=pk).update(
                attempts=attempts,
                next_attempt_at=later,
                claimed_until=None,
                last_error=(getattr(exc, "reason", None) or str(exc))[:2000],
                abandoned_at=timezone.now() if give_up else None,
            )
            log.warning("PACT import of %s from %s failed: %s", pending.pf_id, pending.host, exc)
            continue
        PendingImport.objects.filter(pk=pk).update(
            imported=imported, attempts=F("attempts") + 1, claimed_until=None, last_error=""
        )
        done += 1
    return done
