"""Which reports an appended entry may change: their periods are marked pending in the same
transaction, and the report task is asked for once it commits (beat is the backstop)."""

from django.db.models import Q

from cbam.models import ReportPeriod
from cbam.rules import INSTALLATION_TYPES
from cbam.services import reports_enqueue
from ledger.events import ENTRY_VOIDED, INGOTS_CAST, LOT_AMENDED, MELT_RECORDED

# A melt or cast changes the periods of its poster's installations that hold its time; an
# amendment or a void may reach any installation that used the lots (internal scrap of another
# organisation), and is rare, so it marks every period. A period recomputed to the same figures
# gets no new version.
TIMED = (MELT_RECORDED, INGOTS_CAST)
ANYWHERE = (LOT_AMENDED, ENTRY_VOIDED)


def entries_appended_receiver(sender, *, entries, **_kwargs) -> None:
    changed = Q(pk__in=[])
    for entry in entries:
        if entry.type in TIMED:
            changed |= Q(
                installation__organisation_id=entry.organisation_id,
                start__lte=entry.occurred_at,
                end__gt=entry.occurred_at,
            )
        elif entry.type in INSTALLATION_TYPES:
            changed |= Q(installation__organisation_id=entry.organisation_id)
        elif entry.type in ANYWHERE:
            changed = Q()
            break
    if changed == Q(pk__in=[]):
        return
    if ReportPeriod.objects.filter(changed).filter(pending=False).update(pending=True):
        reports_enqueue()
