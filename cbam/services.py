"""CBAM writes: installations are ledger entries, recorded through the ledger's own service;
reports are computed from the ledger and anchored in it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from remelt_verify import cbam as method
from remelt_verify.canonical import canonical, sha256_hex

from accounts.models import Organisation
from cbam.models import CbamFactorSet, CbamReport, Installation, ReportPeriod
from cbam.rules import INSTALLATION_AMENDED, INSTALLATION_REGISTERED
from cbam.selectors import report_entries
from cbam.shapes import AMENDMENT_BODY
from ledger.errors import DomainError, fields_summary
from ledger.models import LedgerHead
from ledger.services import SYSTEM_ACTOR, EventInput, Recorded, entry_append, events_record, roles_check
from ledger.shapes import shape_errors


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


def installation_amendment_post(
    *, organisation: Organisation, actor: str, installation: str, amendment: object
) -> Recorded:
    """Amend `installation` with an amendment as the API takes it: the data of an
    `installation.amended` entry without `installation`, which the URL names (naming it in the
    body is a field error at `data.installation`)."""
    roles_check(organisation, [INSTALLATION_AMENDED])
    errors = shape_errors(AMENDMENT_BODY, amendment)
    if errors:
        raise DomainError("invalid", fields_summary(errors), errors=errors)
    return installation_amend(
        organisation=organisation, actor=actor, data={**amendment, "installation": installation}
    )


def report_request(*, organisation: Organisation, installation: str, start, end) -> ReportPeriod:
    """Keep the report of `organisation`'s installation over [start, end) current, from now on.

    The period is the operator's reporting period, a calendar year by default: any other is
    chosen here explicitly. The report is computed by the task once this commits.
    """
    site = Installation.objects.filter(code=installation, organisation=organisation).first()
    if site is None:
        raise DomainError("unknown_installation", f"no installation {installation!r}", field="installation")
    for name, moment in (("start", start), ("end", end)):
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            raise DomainError("invalid", "a time with its offset, e.g. 2026-10-01T00:00:00Z", field=name)
    if not start < end:
        raise DomainError("empty_period", "the period must end after it starts (start < end)", field="end")
    with transaction.atomic():
        period, created = ReportPeriod.objects.get_or_create(installation=site, start=start, end=end)
        if not created:
            ReportPeriod.objects.filter(pk=period.pk).update(pending=True)
        reports_enqueue()
    return period


def reports_enqueue() -> None:
    """Ask for the report task once the caller's transaction commits (once per transaction)."""
    connection = transaction.get_connection()
    if not any(func is _start_reports for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(_start_reports)


def _start_reports() -> None:
    from cbam.tasks import REPORTS

    REPORTS.request()


def reports_compute() -> list[CbamReport]:
    """Compute every pending period; the new versions made. Safe to run twice: each period is
    claimed by a conditional update, and a version is written under its period's row lock."""
    made = []
    for period_id in list(ReportPeriod.objects.filter(pending=True).values_list("pk", flat=True)):
        if ReportPeriod.objects.filter(pk=period_id, pending=True).update(pending=False) != 1:
            continue  # another worker claimed it
        report = report_compute(
            ReportPeriod.objects.select_related("installation__organisation").get(pk=period_id)
        )
        if report is not None:
            made.append(report)
    return made


def report_compute(period: ReportPeriod) -> CbamReport | None:
    """Compute the period's report from the ledger; a new version if its figures changed."""
    installation = period.installation
    factor_set = CbamFactorSet.current()
    upto = LedgerHead.objects.values_list("seq", flat=True).get(pk=1)
    entries = report_entries(installation, period.start, period.end, upto=upto)
    read = [
        method.LedgerEntry(
            e.seq, e.type, e.organisation.slug if e.organisation else None, e.occurred_at, e.data
        )
        for e in entries
    ]
    sites, processes = method.record_of(read)
    factors = factor_set.factors()
    result = method.compute(
        installation=installation.code, t0=period.start, t1=period.end, processes=processes, factors=factors
    )
    seqs = [entry.seq for entry in entries]
    document = method.report_document(
        site=sites[installation.code],
        operator={"id": installation.organisation.slug, "name": installation.organisation.name},
        t0=period.start,
        t1=period.end,
        result=result,
        processes=processes,
        factors=factors,
        factor_set_digest=sha256_hex(canonical(factor_set.document)),
        entries={
            "first": min(seqs, default=None),
            "last": max(seqs, default=None),
            "count": len(seqs),
            "digest": method.entries_digest((entry.seq, entry.hash) for entry in entries),
        },
    )
    with transaction.atomic():
        ReportPeriod.objects.select_for_update().get(pk=period.pk)  # one version at a time per period
        current = period.reports.filter(superseded_at=None).first()
        if current is not None and _figures(current.document) == _figures(document):
            return None
        version = current.version + 1 if current else 1
        digest = method.report_digest(document)
        entries_meta = document["entries"]
        anchor = entry_append(
            type=method.REPORT_COMPUTED,
            organisation=None,
            actor=SYSTEM_ACTOR,
            occurred_at=timezone.now(),
            data={
                "installation": installation.code,
                "period": document["period"],
                "version": version,
                "method": method.METHOD_VERSION,
                "factor_set": factor_set.version,
                "ledger_seq": upto,
                "entries": entries_meta,
                "report": digest,
            },
        )
        now = timezone.now()
        if current is not None:
            CbamReport.objects.filter(pk=current.pk).update(superseded_at=now)
        return CbamReport.objects.create(
            period=period,
            version=version,
            document=document,
            digest=digest,
            factor_set=factor_set,
            ledger_seq=upto,
            entries_first=entries_meta["first"],
            entries_last=entries_meta["last"],
            entries_count=entries_meta["count"],
            entries_digest=entries_meta["digest"],
            anchor=anchor,
            computed_at=now,
        )


def _figures(document: dict) -> dict:
    """What a new version must differ in: everything but the list of entries it was read from."""
    return {key: value for key, value in document.items() if key != "entries"}
