"""Installations in the admin: read only, registered and amended through the ledger's event forms."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cbam.forms import INSTALLATION_FORMS
from cbam.models import CbamFactorSet, Installation, InstallationUnit
from ledger.admin import RecordedAdmin, RecordingAdmin, can_record


class UnitInline(admin.TabularInline):
    model = InstallationUnit
    fields = ("code", "kind", "name", "registered_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Installation)
class InstallationAdmin(RecordingAdmin):
    list_display = ("code", "name", "organisation", "country", "unlocode", "registry_id")
    list_filter = ("country",)
    search_fields = ("code", "name", "organisation__slug", "units__code")
    readonly_fields = (
        "code",
        "organisation",
        "name",
        "address",
        "country",
        "unlocode",
        "latitude",
        "longitude",
        "registry_id",
        "registered_by",
        "amended_by",
    )
    inlines = [UnitInline]

    def get_urls(self):
        record = path(
            "record/<slug:kind>/",
            self.admin_site.admin_view(self.record_view),
            name="cbam_installation_record",
        )
        return [record, *super().get_urls()]

    def _record_links(self, request, installation: Installation | None = None) -> list[tuple[str, str]]:
        if not can_record(request.user):
            return []
        links = [
            (reverse("admin:cbam_installation_record", args=["register"]), _("Register an installation"))
        ]
        if installation is not None:
            url = reverse("admin:cbam_installation_record", args=["amend"])
            query = f"?installation={installation.code}&organisation={installation.organisation_id}"
            links.append((url + query, _("Amend this installation")))
        return links

    def changelist_view(self, request, extra_context=None):
        context = {"record_links": self._record_links(request)}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        installation = self.get_object(request, unquote(object_id))
        context = {"lot_actions": self._record_links(request, installation)[1:]} if installation else {}
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def record_view(self, request, kind: str):
        """Register or amend an installation through events_record, like every event form."""
        form_class = INSTALLATION_FORMS.get(kind)
        if form_class is None:
            raise Http404(f"no installation form {kind!r}")
        return self.record_page(request, form_class)

    def recorded(self, request, form, recorded):
        code = recorded.entry.data.get("code") or recorded.entry.data.get("installation")
        self.message_user(
            request,
            _("Recorded entry #%(seq)s (%(type)s) for installation %(code)s.")
            % {"seq": recorded.entry.seq, "type": recorded.entry.type, "code": code},
            messages.SUCCESS,
        )
        installation = Installation.objects.get(code=code)
        return redirect(reverse("admin:cbam_installation_change", args=[installation.pk]))


@admin.register(CbamFactorSet)
class CbamFactorSetAdmin(RecordedAdmin):
    list_display = ("version", "active", "created_at")
    readonly_fields = ("version", "active", "created_at", "document")
