"""Weighbridge imports in the admin: upload an export (its "Add" page), read what each import
recorded. Imports are never changed or deleted: their receipts are corrected in the ledger."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ledger.admin import can_record, recordable_organisations
from ledger.errors import DomainError
from weighbridge.models import ImportedTicket, ReceiptImport
from weighbridge.rules import MAX_ROWS, OPTIONAL, REQUIRED
from weighbridge.services import receipts_import


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=None,
        label=_("Organisation"),
        empty_label=_("— choose —"),
        help_text=_("The receiving organisation: it holds the new lots."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=format_lazy(
            _("The weighbridge export, .csv (UTF-8) or .xlsx, up to {rows} tickets."), rows=f"{MAX_ROWS:,}"
        ),
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        initial=settings.TIME_ZONE,
        help_text=_("The time zone of the file's times that carry none, e.g. Asia/Shanghai."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.get().pk

    def clean_timezone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.cleaned_data["timezone"].strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError("an IANA time zone name such as Asia/Shanghai or UTC") from None


class TicketInline(admin.TabularInline):
    model = ImportedTicket
    fields = ["row", "ticket", "lot", "entry_link"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("lot"))
    def lot(self, ticket: ImportedTicket) -> str:
        url = reverse("admin:ledger_lot_changelist") + f"?q={ticket.lot_code}"
        return format_html('<a href="{}">{}</a>', url, ticket.lot_code)

    @admin.display(description=_("entry"))
    def entry_link(self, ticket: ImportedTicket) -> str:
        url = reverse("admin:ledger_entry_change", args=[ticket.entry_id])
        return format_html('<a href="{}">#{}</a>', url, ticket.entry_id)


@admin.register(ReceiptImport)
class ReceiptImportAdmin(admin.ModelAdmin):
    list_display = ["imported_at", "organisation", "file_name", "recorded", "skipped", "entries", "actor"]
    list_filter = ["organisation"]
    search_fields = ["file_name", "tickets__ticket", "tickets__lot_code"]
    fields = ["organisation", "file_name", "sha256", "actor", "imported_at", "recorded", "skipped", "entries"]
    readonly_fields = fields
    inlines = [TicketInline]

    def has_add_permission(self, request):
        return can_record(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("entries"))
    def entries(self, done: ReceiptImport) -> str:
        if done.first_seq is None:
            return "—"
        if done.last_seq == done.first_seq:
            return f"#{done.first_seq}"
        return f"#{done.first_seq}–#{done.last_seq}"

    def add_view(self, request, form_url="", extra_context=None):
        """The upload page: every error of a refused file at once, by row and column."""
        if not can_record(request.user):
            raise PermissionDenied
        organisations = recordable_organisations(request.user)
        refused = None
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES, organisations=organisations)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    done = receipts_import(
                        organisation=form.cleaned_data["organisation"],
                        actor=f"user:{request.user.get_username()}",
                        file_name=upload.name,
                        content=upload.read(),
                        zone=form.cleaned_data["timezone"],
                    )
                except DomainError as error:
                    if "file" in error.errors:
                        form.add_error("file", error.errors.pop("file"))
                    refused = {"message": error.message, "rows": _row_errors(error.errors)}
                else:
                    messages.success(request, _imported(upload.name, done, self.entries(done)))
                    return redirect("admin:weighbridge_receiptimport_change", done.pk)
        else:
            form = ImportForm(organisations=organisations)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import a weighbridge export"),
            "form": form,
            "refused": refused,
            "required": REQUIRED,
            "optional": OPTIONAL,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/weighbridge/receiptimport/import.html", context)


def _imported(file_name: str, done: ReceiptImport, entries: str) -> str:
    """The success message of an import, in the page's language: what was recorded, as which
    entries, and how many tickets recorded before were skipped."""
    values = {
        "file": file_name,
        "count": done.recorded,
        "organisation": done.organisation,
        "entries": entries,
    }
    if done.first_seq:
        message = ngettext(
            "Imported %(file)s: %(count)s scrap receipt recorded for %(organisation)s as entry %(entries)s.",
            "Imported %(file)s: %(count)s scrap receipts recorded for %(organisation)s "
            "as entries %(entries)s.",
            done.recorded,
        )
    else:
        message = ngettext(
            "Imported %(file)s: %(count)s scrap receipt recorded for %(organisation)s.",
            "Imported %(file)s: %(count)s scrap receipts recorded for %(organisation)s.",
            done.recorded,
        )
    message %= values
    if done.skipped:
        skipped = ngettext(
            " %(count)s ticket recorded before was skipped.",
            " %(count)s tickets recorded before were skipped.",
            done.skipped,
        )
        message += skipped % {"count": done.skipped}  # a second sentence, its space in the msgid
    return message


def _row_errors(errors: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """`rows[5].net_kg` → ("5", "net_kg", message), in row order."""
    rows = []
    for key, key_messages in errors.items():
        row, _, column = key.removeprefix("rows[").partition("]")
        for message in key_messages:
            rows.append((row, column.removeprefix("."), message))
    return sorted(rows, key=lambda item: (int(item[0]) if item[0].isdigit() else 0, item[1]))
