"""PACT in the admin: clients (issued with their secret shown once, revoked, their events host
registered), suppliers' hosts, and read-only lists of what was published, sent and imported."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ledger.errors import DomainError
from pact.models import (
    EventDelivery,
    ImportedFootprint,
    InboundEvent,
    PactClient,
    ProductFootprint,
    SupplierHost,
)
from pact.services import (
    pact_client_create,
    pact_client_register_events,
    pact_client_revoke,
    supplier_host_create,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _url_field(model, name: str, *, required: bool = True) -> forms.URLField:
    """An https-by-default URL field with the model field's own (translated) label and help."""
    field = model._meta.get_field(name)
    return forms.URLField(
        required=required, assume_scheme="https", label=field.verbose_name, help_text=field.help_text
    )


class PactClientForm(forms.ModelForm):
    events_base_url = _url_field(PactClient, "events_base_url", required=False)
    events_auth_base_url = _url_field(PactClient, "events_auth_base_url", required=False)
    events_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("Events client secret"),
        help_text=gettext_lazy(
            "the secret that host issued to remelt; stored encrypted (leave empty to keep it)"
        ),
    )

    class Meta:
        model = PactClient
        fields = ["organisation", "name", "events_base_url", "events_auth_base_url", "events_client_id"]


@admin.register(PactClient)
class PactClientAdmin(admin.ModelAdmin):
    """Issued with a name; the secret appears once, in the confirmation message."""

    form = PactClientForm
    list_display = ["client_id", "organisation", "name", "events_base_url", "last_used_at", "revoked_at"]
    list_filter = ["organisation", "revoked_at"]
    readonly_fields = ["client_id", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name"]
        return [
            "client_id",
            "organisation",
            "name",
            "events_base_url",
            "events_auth_base_url",
            "events_client_id",
            "events_secret",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "organisation", "name"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            issued = pact_client_create(organisation=obj.organisation, name=obj.name, created_by=request.user)
            obj.pk = issued.client.pk
            messages.warning(
                request,
                _(
                    "PACT client issued. client_id: %(client_id)s — copy the secret now, it is not "
                    "shown again: %(secret)s"
                )
                % {"client_id": issued.client.client_id, "secret": issued.client_secret},
            )
            return
        stored = PactClient.objects.get(pk=obj.pk)
        secret = form.cleaned_data.get("events_secret") or ""
        try:
            if obj.events_base_url and not secret and stored.events_client_secret:
                # The same secret as before: only the addresses or the id change.
                PactClient.objects.filter(pk=obj.pk).update(
                    events_base_url=obj.events_base_url,
                    events_auth_base_url=obj.events_auth_base_url,
                    events_client_id=obj.events_client_id,
                )
            else:
                pact_client_register_events(
                    client=stored,
                    base_url=obj.events_base_url,
                    auth_base_url=obj.events_auth_base_url,
                    client_id=obj.events_client_id,
                    client_secret=secret,
                )
        except DomainError as exc:
            messages.error(request, _("not saved: %(message)s") % {"message": exc.message})

    @admin.action(description=gettext_lazy("Revoke the selected clients"))
    def revoke(self, request, queryset):
        for client in queryset:
            pact_client_revoke(client=client)
        count = queryset.count()
        messages.success(
            request,
            ngettext("revoked %(count)s client", "revoked %(count)s clients", count) % {"count": count},
        )


class SupplierHostForm(forms.ModelForm):
    base_url = _url_field(SupplierHost, "base_url")
    auth_base_url = _url_field(SupplierHost, "auth_base_url", required=False)
    secret = forms.CharField(
        widget=forms.PasswordInput,
        label=gettext_lazy("Client secret"),
        help_text=gettext_lazy("stored encrypted"),
    )

    class Meta:
        model = SupplierHost
        fields = ["organisation", "name", "base_url", "auth_base_url", "client_id", "inbound_client"]


@admin.register(SupplierHost)
class SupplierHostAdmin(admin.ModelAdmin):
    form = SupplierHostForm
    list_display = ["name", "organisation", "base_url", "inbound_client", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            host = supplier_host_create(
                organisation=obj.organisation,
                name=obj.name,
                base_url=obj.base_url,
                auth_base_url=obj.auth_base_url,
                client_id=obj.client_id,
                client_secret=form.cleaned_data["secret"],
                inbound_client=obj.inbound_client,
            )
        except DomainError as exc:
            messages.error(request, _("not saved: %(message)s") % {"message": exc.message})
            return
        obj.pk = host.pk


@admin.register(ProductFootprint)
class ProductFootprintAdmin(ReadOnlyAdmin):
    list_display = ["id", "subject", "run_seq", "lot", "outbound", "status", "created_at"]
    list_filter = ["subject", "status"]
    search_fields = ["id"]


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "type",
        "client",
        "created_at",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "abandoned_at",
    ]
    list_filter = ["type", "delivered_at", "abandoned_at"]


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ["type", "event_id", "client", "source", "received_at", "answered_at"]
    list_filter = ["type"]


@admin.register(ImportedFootprint)
class ImportedFootprintAdmin(ReadOnlyAdmin):
    list_display = ["pf_id", "organisation", "host", "per_kg_co2e", "status", "imported_at", "entry"]
    exclude = ["raw"]
