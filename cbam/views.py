"""CBAM pages: a report version with its JSON and XLSX; a shipment with its PDF."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from cbam.documents import CjkFontMissing, languages_asked, shipment_pdf
from cbam.models import CbamReport
from cbam.selectors import shipment, visible_reports, visible_shipments
from ledger.visibility import viewer_of_user


@login_required
def report_page(request, pk: int):
    """One version of a period's communication; another viewer's report is a 404."""
    reports = visible_reports(viewer_of_user(request.user)).select_related(
        "period__installation", "factor_set"
    )
    report = get_object_or_404(reports, pk=pk)
    versions = CbamReport.objects.filter(period=report.period).order_by("-version")
    context = {
        "report": report,
        "document": report.document,
        "versions": versions,
        # ?lang=both: every label in Chinese and English, as the passport's bilingual print.
        "bilingual": request.GET.get("lang") == "both",
    }
    return render(request, "cbam/report.html", context)


def _visible_shipment(request, seq: int):
    transfers = visible_shipments(viewer_of_user(request.user)).select_related(
        "from_organisation", "to_organisation"
    )
    return shipment(get_object_or_404(transfers, pk=seq, voided=False))


@login_required
def shipment_page(request, seq: int):
    """A custody transfer's ingot lots as the importer declares them; others' transfers are a 404."""
    context = {"shipment": _visible_shipment(request, seq), "bilingual": request.GET.get("lang") == "both"}
    return render(request, "cbam/shipment.html", context)


@login_required
def shipment_document(request, seq: int):
    """The same as a PDF that the importer files: in the page's language, or `?lang=both`."""
    found = _visible_shipment(request, seq)
    url = request.build_absolute_uri(reverse("cbam-shipment", args=[seq]))
    languages = languages_asked(request.GET.get("lang"))
    try:
        document = shipment_pdf(found, url=url, languages=languages)
    except CjkFontMissing as missing:
        return HttpResponse(str(missing), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(document, content_type="application/pdf")
    suffix = "-".join(language.split("-")[0] for language in languages)
    response["Content-Disposition"] = f'attachment; filename="cbam-shipment-{seq}-{suffix}.pdf"'
    return response
