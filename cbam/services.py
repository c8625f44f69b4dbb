"""CBAM writes: installations are ledger entries, recorded through the ledger's own service."""

from datetime import datetime

from django.utils import timezone

from accounts.models import Organisation
from cbam.rules import INSTALLATION_AMENDED, INSTALLATION_REGISTERED
from ledger.services import EventInput, Recorded, events_record


def installation_register(
    *, organisation: Organisation, actor: str, data: dict, occurred_at: datetime | None = None
) -> Recorded:
    """Register an installation of `organisation` (an `installation.registered` entry)."""
    event = EventInput(INSTALLATION_REGISTERED, occurred_at or timezone.now(), data)
    return events_record(organisation=organisation, actor=actor, events=[event])[0]


def installation_amend(
    *, organisation: Organisation, actor: str, data: dict, occurred_at: datetime | None = None
) -> Recorded:
    """Correct an installation's facts or add furnaces and casting lines (`installation.amended`)."""
    event = EventInput(INSTALLATION_AMENDED, occurred_at or timezone.now(), data)
    return events_record(organisation=organisation, actor=actor, events=[event])[0]
