"""What the staff desk (the admin's index page) shows: the day's receipts, melts and runs, the
stock with mass left by age, the footprints waiting for a roll-up, and the last signed
checkpoint with what the witnesses hold of it. Reads only."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.events import INGOTS_CAST, MELT_RECORDED, PARTS_PRODUCED, SCRAP_RECEIVED
from ledger.models import Entry, Lot, LotKind, Process, SignedCheckpoint
from passports.models import PendingRollup
from witness.models import WitnessState

# The making steps a shift records, as the desk names them, and which outputs it counts.
STEPS = [
    (SCRAP_RECEIVED, _("Scrap receipts"), _("kg received")),
    (MELT_RECORDED, _("Melts"), _("kg tapped")),
    (INGOTS_CAST, _("Ingot casts"), _("kg cast")),
    (PARTS_PRODUCED, _("Part runs"), _("wheels made")),
]
# desk_summary's starts
PERIODS = [("today", _("Today")), ("week", _("Last 7 days")), ("month", _("Last 30 days"))]
# Stock ages, in days since the lot was made: [low, high) and the label.
AGES = [
    (0, 7, _("under 7 days")),
    (7, 30, _("7–30 days")),
    (30, 90, _("30–90 days")),
    (90, None, _("90 days or more")),
]
STOCK_KINDS = [LotKind.SCRAP, LotKind.MELT, LotKind.INGOT]  # wheels are products, not stock
OLDEST = 10


@dataclass
class StepActivity:
    """One kind of making step over the desk's periods: the count of entries and their output."""

    type: str
    label: str
    unit: str
    cells: list[tuple[int, int]] = field(default_factory=list)  # per period: (entries, grams or wheels)


@dataclass
class StockAge:
    """Lots of one kind with mass left, in one age band."""

    kind: str
    label: str
    by_age: list[tuple[int, int]]  # (lots, grams left) per AGES band
    lots: int
    grams: int


@dataclass
class Witnessed:
    """What one configured witness holds of our log."""

    state: WitnessState
    cosigned_last: bool  # it holds the last checkpoint's size: it cosigned it (or a later one)


@dataclass
class Desk:
    """Everything the staff desk shows, as of `now`."""

    now: datetime
    today: datetime  # the start of the day (the site's time zone)
    activity: list[StepActivity]
    last_activity: datetime | None  # the business time of the latest making entry
    stock: list[StockAge]
    oldest: list[Lot]
    pending: int  # entries waiting for a roll-up
    pending_since: datetime | None
    checkpoint: SignedCheckpoint | None
    ledger_size: int
    witnesses: list[Witnessed]
    ages: list[str] = field(default_factory=lambda: [label for _low, _high, label in AGES])
    periods: list[tuple[str, str]] = field(default_factory=lambda: PERIODS)

    @property
    def unsigned(self) -> int:
        """Entries appended since the last checkpoint (all of them without one)."""
        return self.ledger_size - (self.checkpoint.size if self.checkpoint else 0)


def desk_summary(*, now: datetime | None = None) -> Desk:
    """The staff desk as of `now` (default: the present)."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {"today": today, "week": now - timedelta(days=7), "month": now - timedelta(days=30)}
    checkpoint = SignedCheckpoint.objects.order_by("-size").first()
    backlog = PendingRollup.objects.aggregate(count=Count("pk"), oldest=Min("created_at"))
    last = Process.objects.filter(voided=False).order_by("-occurred_at").values_list("occurred_at", flat=True)
    return Desk(
        now=now,
        today=today,
        activity=_activity(starts, now),
        last_activity=last.first(),
        stock=_stock(now),
        oldest=list(
            Lot.objects.filter(kind__in=STOCK_KINDS, voided=False, remaining_g__gt=0)
            .select_related("owner")
            .order_by("occurred_at", "pk")[:OLDEST]
        ),
        pending=backlog["count"],
        pending_since=backlog["oldest"],
        checkpoint=checkpoint,
        ledger_size=Entry.objects.count(),
        witnesses=_witnesses(checkpoint),
    )


def _activity(starts: dict[str, datetime], now: datetime) -> list[StepActivity]:
    """Entries of each making step by period, and what they made, in a query per step."""
    rows = []
    for entry_type, label, unit in STEPS:
        step = StepActivity(entry_type, label, unit)
        processes = Process.objects.filter(type=entry_type, voided=False, occurred_at__lte=now)
        wheels = entry_type == PARTS_PRODUCED
        made = Q(outputs__kind=LotKind.PART) if wheels else Q(outputs__kind__in=STOCK_KINDS)
        aggregates = {}
        for period, start in starts.items():
            within = Q(occurred_at__gte=start)
            aggregates[f"{period}_n"] = Count("pk", filter=within, distinct=True)
            output = within & made
            aggregates[f"{period}_out"] = (
                Count("outputs", filter=output) if wheels else Sum("outputs__mass_g", filter=output)
            )
        totals = processes.aggregate(**aggregates)
        step.cells = [(totals[f"{period}_n"], totals[f"{period}_out"] or 0) for period in starts]
        rows.append(step)
    return rows


def _stock(now: datetime) -> list[StockAge]:
    """Lots with mass left by kind and age band, in one query."""
    aggregates = {}
    for index, (low, high, _label) in enumerate(AGES):
        band = Q(occurred_at__lte=now - timedelta(days=low))
        if high is not None:
            band &= Q(occurred_at__gt=now - timedelta(days=high))
        aggregates[f"n{index}"] = Count("pk", filter=band)
        aggregates[f"g{index}"] = Sum("remaining_g", filter=band)
    rows = (
        Lot.objects.filter(kind__in=STOCK_KINDS, voided=False, remaining_g__gt=0)
        .values("kind")
        .annotate(**aggregates, lots=Count("pk"), grams=Sum("remaining_g"))
    )
    by_kind = {row["kind"]: row for row in rows}
    stock = []
    for kind in STOCK_KINDS:
        row = by_kind.get(kind)
        bands = [(row[f"n{i}"], row[f"g{i}"] or 0) if row else (0, 0) for i in range(len(AGES))]
        stock.append(StockAge(kind, kind.label, bands, row["lots"] if row else 0, row["grams"] if row else 0))
    return stock


def _witnesses(checkpoint: SignedCheckpoint | None) -> list[Witnessed]:
    size = checkpoint.size if checkpoint else None
    return [
        Witnessed(state, size is not None and state.cosigned_size >= size)
        for state in WitnessState.objects.all()
    ]
