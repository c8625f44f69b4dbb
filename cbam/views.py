"""CBAM pages: a report version as a page, with its JSON and XLSX."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from cbam.models import CbamReport
from cbam.selectors import visible_reports
from ledger.visibility import viewer_of_user


@login_required
def report_page(request, pk: int):
    """One version of a period's communication; another viewer's report is a 404."""
    reports = visible_reports(viewer_of_user(request.user)).select_related(
        "period__installation", "factor_set"
    )
    report = get_object_or_404(reports, pk=pk)
    versions = CbamReport.objects.filter(period=report.period).order_by("-version")
    return render(
        request, "cbam/report.html", {"report": report, "document": report.document, "versions": versions}
    )
