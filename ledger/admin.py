"""The ledger in the admin: lots and entries to read, forms to record events, a verify button.

Nothing recorded is added, changed or deleted here: the ModelAdmins are view only, and staff
record events (corrections included, as lot.amended and entry.voided) through the forms of
`ledger.forms`, which call `events_record` like the API does.
"""

import base64
import json
from collections import defaultdict
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Role
from ledger import events
from ledger.checkpoints import signer_health
from ledger.display import display_kg
from ledger.forms import RECORD_FORMS, EventForm, LotAmendForm, lot_label
from ledger.models import (
    Consumption,
    Entry,
    Lot,
    LotKind,
    Process,
    ScrapCategory,
    SignedCheckpoint,
    Transfer,
    TransferItem,
)
from ledger.projection import projection_drift
from ledger.quantities import parse_mass
from ledger.selectors import chain_verify
from ledger.services import Recorded, role_error

RECORD_PERMISSION = "ledger.add_entry"  # the auth permission "add entry" means: may record events


def can_record(user) -> bool:
    """Whether a user may record events through the admin forms."""
    return user.is_active and user.is_staff and user.has_perm(RECORD_PERMISSION)


def recordable_organisations(user, entry_type: str | None = None) -> QuerySet[Organisation]:
    """Whom a user may record for: operator staff (and superusers) for anyone, others for their
    own; for `entry_type`, only those with a role that may post it (ledger.shapes)."""
    organisation = user.organisation
    if user.is_superuser or (organisation is not None and organisation.has_role(Role.OPERATOR)):
        organisations = Organisation.objects.all()
    elif organisation is None:
        return Organisation.objects.none()
    else:
        organisations = Organisation.objects.filter(pk=organisation.pk)
    if entry_type is None:
        return organisations
    allowed = [org.pk for org in organisations if role_error(org, entry_type) is None]
    return organisations.filter(pk__in=allowed)


class RecordedAdmin(admin.ModelAdmin):
    """View only: what the ledger recorded is corrected by new entries, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordingAdmin(RecordedAdmin):
    """A view-only admin whose pages also record events, each through an EventForm and
    events_record. Subclasses give `_record_links(request)` (the other forms, linked at the top)
    and `recorded()` (the answer once an event is recorded), and may add to the page's
    context with `record_context(form)`."""

    def record_page(self, request, form_class: type[EventForm]):
        """The page of one record form: every error of a submit at once, nothing written."""
        if not can_record(request.user):
            raise PermissionDenied
        organisations = recordable_organisations(request.user, form_class.event_type)
        if not organisations.exists():
            raise PermissionDenied
        if request.method == "POST":
            form = form_class(request.POST, organisations=organisations)
            recorded = form.submit(actor=f"user:{request.user.get_username()}")
            if recorded is not None:
                return self.recorded(request, form, recorded)
        else:
            initial = _initial(request, form_class, organisations)
            form = form_class(organisations=organisations, initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": form_class.title,
            "form": form,
            "media": self.media + form.media + RECORD_MEDIA,
            "record_links": self._record_links(request),
            **self.record_context(form),
        }
        return TemplateResponse(request, "admin/ledger/lot/record.html", context)

    def _record_links(self, request) -> list[tuple[str, str]]:
        raise NotImplementedError(f"{type(self).__name__} must link its record forms")

    def recorded(self, request, form: EventForm, recorded: Recorded):
        raise NotImplementedError(f"{type(self).__name__} must answer a recorded event")

    def record_context(self, form: EventForm) -> dict:
        return {}


def _initial(request, form_class: type[EventForm], organisations) -> dict:
    """Fields filled in from the query string (links from a lot page). The organisation is
    chosen on purpose: it is filled in only when the user may record for one alone."""
    initial = {name: request.GET[name] for name in form_class.base_fields if name in request.GET}
    if "organisation" not in initial and organisations.count() == 1:
        initial["organisation"] = organisations.get().pk
    return initial


def _record_url(kind: str, **params) -> str:
    url = reverse("admin:ledger_lot_record", args=[kind])
    return f"{url}?{urlencode(params)}" if params else url


def _lot_url(lot_id: int) -> str:
    return reverse("admin:ledger_lot_change", args=[lot_id])


def _entry_url(seq: int) -> str:
    return reverse("admin:ledger_entry_change", args=[seq])


def _payloads(queryset: QuerySet[Entry]):
    for seq, payload in queryset.values_list("seq", "payload").iterator(chunk_size=500):
        yield seq, json.loads(bytes(payload))


def lot_history(lot: Lot) -> dict:
    """What the lot page shows beyond the lot's own fields: its inputs, outputs and entries."""
    making = lot.made_by
    inputs = [
        {"lot": c.lot, "mass_kg": display_kg(c.mass_g)}
        for c in Consumption.objects.filter(process_id=making.pk).select_related("lot").order_by("pk")
    ]
    consumptions = list(lot.consumptions.select_related("process").order_by("process_id"))
    made_from = defaultdict(list)
    for output in Lot.objects.filter(made_by_id__in=[c.process_id for c in consumptions]).order_by("pk"):
        made_from[output.made_by_id].append(output)
    outputs = [
        {
            "seq": c.process_id,
            "type": c.process.type,
            "mass_kg": display_kg(c.mass_g),
            "lots": made_from[c.process_id],
            "voided": c.process.voided,
        }
        for c in consumptions
    ]

    # Why each entry concerns the lot, by seq.
    roles: dict[int, list[str]] = defaultdict(list)
    roles[making.pk].append(gettext("made it (voided)") if making.voided else gettext("made it"))
    for c in consumptions:
        took = gettext("took %(kg)s kg (voided)") if c.process.voided else gettext("took %(kg)s kg")
        roles[c.process_id].append(took % {"kg": display_kg(c.mass_g)})
    items = lot.transfers.select_related("transfer__to_organisation").order_by("transfer_id")
    for item in items:
        moved = (
            gettext("moved %(kg)s kg to %(to)s (voided)")
            if item.transfer.voided
            else gettext("moved %(kg)s kg to %(to)s")
        )
        roles[item.transfer_id].append(
            moved % {"kg": display_kg(item.mass_g), "to": item.transfer.to_organisation.slug}
        )
    # Amendments and voids name the lot or entry only in their payloads; both are rare, and
    # come after the making entry (amendments from the maker only), which bounds the scan.
    amendments = Entry.objects.filter(
        type=events.LOT_AMENDED, organisation_id=making.organisation_id, seq__gt=making.pk
    )
    for seq, payload in _payloads(amendments):
        if payload.get("lot") == lot.code:
            roles[seq].append(gettext("amended it: %(reason)s") % {"reason": payload.get("reason", "")})
    referenced = set(roles)
    for seq, payload in _payloads(Entry.objects.filter(type=events.ENTRY_VOIDED, seq__gt=making.pk)):
        if payload.get("seq") in referenced:
            roles[seq].append(
                gettext("voided entry #%(seq)s: %(reason)s")
                % {"seq": payload["seq"], "reason": payload.get("reason", "")}
            )
    entries = Entry.objects.filter(seq__in=roles).select_related("organisation").order_by("seq")
    return {
        "lot_inputs": inputs,
        "lot_outputs": outputs,
        "lot_entries": [{"entry": entry, "roles": roles[entry.seq]} for entry in entries],
    }


# Rows added in the page: the admin's own inline formset script (inlines.js) on the record
# forms' tabular formsets.
RECORD_MEDIA = forms.Media(
    js=["admin/js/vendor/jquery/jquery.min.js", "admin/js/jquery.init.js", "admin/js/inlines.js"]
)


class LotPickView(AutocompleteJsonView):
    """What a lot picker of the record forms finds: the admin's autocomplete view (paging,
    search through LotAdmin.search_fields), for lots with mass left that the organisation on
    the form holds (`?organisation=<id>`, one the user may record for), of the kinds the step
    takes (`?kinds=scrap,melt`), oldest first, named with their holder and kg left."""

    def process_request(self, request):
        model_admin = self.admin_site.get_model_admin(Lot)
        return request.GET.get("term", ""), model_admin, None, "code"

    def has_perm(self, request, obj=None):
        return can_record(request.user)

    def get_queryset(self):
        lots = Lot.objects.filter(voided=False, remaining_g__gt=0).select_related("owner")
        organisations = recordable_organisations(self.request.user)
        chosen = self.request.GET.get("organisation", "")
        if chosen.isdigit() and organisations.filter(pk=chosen).exists():
            lots = lots.filter(owner_id=chosen)
        else:
            lots = lots.filter(owner__in=organisations)
        kinds = [kind for kind in self.request.GET.get("kinds", "").split(",") if kind in LotKind.values]
        if kinds:
            lots = lots.filter(kind__in=kinds)
        lots, _duplicates = self.model_admin.get_search_results(self.request, lots, self.term)
        return lots.order_by("occurred_at", "code")

    def serialize_result(self, obj, to_field_name):
        return {"id": obj.code, "text": lot_label(obj)}


@admin.register(Lot)
class LotAdmin(RecordingAdmin):
    """Lots as the ledger projected them; the record forms hang off this admin."""

    # Few, narrow columns: the list fits 1440 px beside the admin's sidebar and the filters.
    list_display = ["code", "kind", "holder", "mass_kg", "remaining_kg", "details", "made_at", "voided"]
    list_filter = ["kind", "owner", "alloy", "category", "voided"]
    search_fields = ["code", "grade", "supplier", "supplier_name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["owner", "made_by"]
    show_full_result_count = False  # a count of every lot is slow on a big table and says little
    # A lot's page shows the facts of its kind: a melt its furnace, energy and additions, not
    # the (empty) fields of a scrap receipt.
    IDENTITY = ["code", "kind", "owner", "mass_kg", "remaining_kg", "occurred_at", "voided", "making_entry"]
    FACTS = {
        LotKind.SCRAP: (
            _("Scrap"),
            [
                "category",
                "grade",
                "supplier",
                "supplier_name",
                "supplier_confirmed",
                "origin",
                "transport",
                "documents",
            ],
        ),
        LotKind.MELT: (_("Heat"), ["furnace", "additions", "energy", "dross"]),
        LotKind.INGOT: (_("Cast"), ["alloy", "chemistry_shares", "energy"]),
        LotKind.PART: (_("Wheel hub"), ["part_number", "energy"]),
    }
    readonly_fields = [
        "mass_kg",
        "remaining_kg",
        "making_entry",
        "furnace",
        "additions",
        "energy",
        "dross",
        "transport",
        "documents",
        "chemistry_shares",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.IDENTITY})]
        title, facts = self.FACTS[obj.kind]
        if obj.kind == LotKind.SCRAP and obj.category == ScrapCategory.INTERNAL:  # home scrap from a part run
            facts = ["category", "grade"]
        return [(None, {"fields": self.IDENTITY}), (title, {"fields": facts})]

    @staticmethod
    def _fact(lot: Lot, key: str):
        return lot.made_by.facts.get(key)

    @admin.display(description=_("furnace"))
    def furnace(self, lot: Lot) -> str:
        return self._fact(lot, "furnace") or "—"

    @admin.display(description=_("alloying additions"))
    def additions(self, lot: Lot) -> str:
        additions = self._fact(lot, "additions") or []
        return (
            ", ".join(
                f"{item['material']} {display_kg(parse_mass(item['mass_kg'], ''))} kg" for item in additions
            )
            or "—"
        )

    @admin.display(description=_("energy of the step"))
    def energy(self, lot: Lot) -> str:
        energy = self._fact(lot, "energy") or {}
        values = {"kwh": energy.get("electricity_kwh", "0"), "m3": energy.get("natural_gas_m3", "0")}
        return gettext("{kwh} kWh electricity, {m3} m³ natural gas").format(**values)

    @admin.display(description=_("dross kg"))
    def dross(self, lot: Lot) -> str:
        dross = self._fact(lot, "dross_kg")
        return display_kg(parse_mass(dross, "", allow_zero=True)) if dross else "—"

    @admin.display(description=_("transport to the receiver"))
    def transport(self, lot: Lot) -> str:
        transport = self._fact(lot, "transport")
        if not transport:
            return "—"
        return gettext("{km} km by {mode}").format(km=transport["distance_km"], mode=transport["mode"])

    @admin.display(description=_("documents"))
    def documents(self, lot: Lot) -> str:
        return ", ".join(self._fact(lot, "documents") or []) or "—"

    @admin.display(description=_("chemistry (%)"))
    def chemistry_shares(self, lot: Lot) -> str:
        return ", ".join(f"{element} {share}" for element, share in lot.chemistry.items()) or "—"

    @admin.display(description=_("mass kg"), ordering="mass_g")
    def mass_kg(self, lot: Lot) -> str:
        return display_kg(lot.mass_g)

    @admin.display(description=_("kg left"), ordering="remaining_g")
    def remaining_kg(self, lot: Lot) -> str:
        return display_kg(lot.remaining_g)

    @admin.display(description=_("holder"), ordering="owner__slug")
    def holder(self, lot: Lot) -> str:
        return format_html('<span title="{}">{}</span>', lot.owner.name, lot.owner.slug)

    @admin.display(description=_("details"))
    def details(self, lot: Lot) -> str:
        """What the lot is, in a few words: scrap's category and grade, a melt's furnace, an
        ingot lot's alloy, a wheel's part number."""
        if lot.kind == LotKind.SCRAP:
            return " · ".join(filter(None, [str(lot.get_category_display()), lot.grade]))
        if lot.kind == LotKind.MELT:
            return lot.made_by.facts.get("furnace", "")
        return lot.alloy if lot.kind == LotKind.INGOT else lot.part_number

    @admin.display(description=_("made at"), ordering="occurred_at")
    def made_at(self, lot: Lot) -> str:
        moment = timezone.localtime(lot.occurred_at)
        return format_html("{}<br>{}", date_format(moment, "Y-m-d"), date_format(moment, "H:i"))

    @admin.display(description=_("made by entry"))
    def making_entry(self, lot: Lot) -> str:
        process = lot.made_by
        return format_html(
            '<a href="{}">#{} {}</a>{}',
            _entry_url(process.pk),
            process.pk,
            process.type,
            gettext(" (voided)") if process.voided else "",
        )

    def get_urls(self):
        record = path(
            "record/<slug:kind>/", self.admin_site.admin_view(self.record_view), name="ledger_lot_record"
        )
        pick = path(
            "pick/",
            self.admin_site.admin_view(LotPickView.as_view(admin_site=self.admin_site)),
            name="ledger_lot_pick",
        )
        # Before the default patterns, whose `<path:object_id>/` would take `record/…` too.
        return [record, pick, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        context = {"record_links": self._record_links(request)}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        lot = self.get_object(request, unquote(object_id))
        if lot is not None and self.has_view_permission(request, lot):
            context.update(lot_history(lot))
            context["lot_actions"] = self._lot_actions(request, lot)
        return super().change_view(request, object_id, form_url, context)

    def _record_links(self, request) -> list[tuple[str, str]]:
        if not can_record(request.user):
            return []
        return [
            (_record_url(kind), form_class.title)
            for kind, form_class in RECORD_FORMS.items()
            if recordable_organisations(request.user, form_class.event_type).exists()
        ]

    def _lot_actions(self, request, lot: Lot) -> list[tuple[str, str]]:
        if not can_record(request.user) or lot.voided:
            return []
        maker, owner = lot.made_by.organisation_id, lot.owner_id
        actions = [(_record_url("amend", lot=lot.code, organisation=maker), gettext("Amend this lot"))]
        if lot.remaining_g:
            actions.append(
                (
                    _record_url("transfer", lots=lot.code, organisation=owner),
                    gettext("Transfer custody of this lot"),
                )
            )
        actions.append(
            (
                _record_url("void", seq=lot.made_by_id, organisation=maker),
                gettext("Void entry #%(seq)s") % {"seq": lot.made_by_id},
            )
        )
        return actions

    # -- recording events ------------------------------------------------------------------

    def record_view(self, request, kind: str):
        """A form that records one event of `kind` (see ledger.forms.RECORD_FORMS)."""
        form_class = RECORD_FORMS.get(kind)
        if form_class is None:
            raise Http404(f"no event form {kind!r}")
        return self.record_page(request, form_class)

    def record_context(self, form: EventForm) -> dict:
        return {"amendable": form.amendable()} if isinstance(form, LotAmendForm) else {}

    def recorded(self, request, form: EventForm, recorded: Recorded):
        entry = recorded.entry
        facts = {"seq": entry.seq, "type": entry.type, "organisation": form.cleaned_data["organisation"]}
        if recorded.lots:
            facts["lots"] = ", ".join(recorded.lots[:10])
            if len(recorded.lots) > 10:
                facts["more"] = len(recorded.lots) - 10
                message = gettext(
                    "Recorded entry #%(seq)s (%(type)s) for %(organisation)s: %(lots)s and %(more)s more."
                )
            else:
                message = gettext("Recorded entry #%(seq)s (%(type)s) for %(organisation)s: %(lots)s.")
        else:
            message = gettext("Recorded entry #%(seq)s (%(type)s) for %(organisation)s.")
        self.message_user(request, message % facts, messages.SUCCESS)
        code = form.lot_to_show(recorded)
        lot = Lot.objects.filter(code=code).first() if code else None
        return redirect(_lot_url(lot.pk) if lot else _entry_url(entry.seq))


@admin.register(Entry)
class EntryAdmin(RecordedAdmin):
    """The chain, read only, with a button that re-verifies it and the tables projected from it."""

    list_display = ["seq", "type", "organisation", "actor", "occurred_at", "short_hash"]
    list_filter = ["type", "organisation"]
    search_fields = ["^hash", "type", "actor"]
    ordering = ["-seq"]
    list_select_related = ["organisation"]
    show_full_result_count = False
    fields = [
        "seq",
        "type",
        "organisation",
        "actor",
        "occurred_at",
        "recorded_at",
        "prev_hash",
        "hash",
        "payload_sha256",
        "payload_json",
        "lots_made",
        "lots_consumed",
        "lots_moved",
    ]
    readonly_fields = ["payload_json", "lots_made", "lots_consumed", "lots_moved"]

    @admin.display(description=_("hash"))
    def short_hash(self, entry: Entry) -> str:
        return f"{entry.hash[:12]}…"

    @admin.display(description=_("payload"))
    def payload_json(self, entry: Entry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.data, indent=2, ensure_ascii=False))

    @admin.display(description=_("lots made"))
    def lots_made(self, entry: Entry) -> str:
        lots = Lot.objects.filter(made_by_id=entry.seq).order_by("pk")
        return _lot_links((lot, display_kg(lot.mass_g)) for lot in lots)

    @admin.display(description=_("lots consumed"))
    def lots_consumed(self, entry: Entry) -> str:
        consumptions = Consumption.objects.filter(process_id=entry.seq).select_related("lot").order_by("pk")
        return _lot_links((c.lot, display_kg(c.mass_g)) for c in consumptions)

    @admin.display(description=_("lots moved"))
    def lots_moved(self, entry: Entry) -> str:
        items = TransferItem.objects.filter(transfer_id=entry.seq).select_related("lot").order_by("pk")
        return _lot_links((item.lot, display_kg(item.mass_g)) for item in items)

    def get_urls(self):
        verify = path("verify/", self.admin_site.admin_view(self.verify_view), name="ledger_entry_verify")
        return [verify, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        entry = self.get_object(request, unquote(object_id))
        if entry is not None and can_record(request.user) and _voidable(entry):
            context["void_url"] = _record_url("void", seq=entry.seq, organisation=entry.organisation_id)
        return super().change_view(request, object_id, form_url, context)

    def verify_view(self, request):
        """Re-hash the chain, then replay it against the tables; report OK or the first problem."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = chain_verify()
        if not report.ok:
            self.message_user(
                request,
                gettext("Ledger NOT OK: %(problem)s") % {"problem": report.problem},
                messages.ERROR,
            )
        elif (drift := projection_drift()) is not None:
            self.message_user(
                request,
                gettext("Ledger chain OK, tables NOT OK: %(drift)s") % {"drift": drift},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                gettext(
                    "Ledger OK: %(count)s entries, head %(head)s; the lots and processes "
                    "match a replay of the ledger."
                )
                % {"count": report.count, "head": report.head_hash},
                messages.SUCCESS,
            )
        return redirect("admin:ledger_entry_changelist")


def _voidable(entry: Entry) -> bool:
    if entry.type in events.MAKING_TYPES:
        return Process.objects.filter(pk=entry.seq, voided=False).exists()
    if entry.type == events.CUSTODY_TRANSFERRED:
        return Transfer.objects.filter(pk=entry.seq, voided=False).exists()
    return False


def _lot_links(lots_and_masses) -> str:
    return (
        format_html_join(
            ", ",
            '<a href="{}">{}</a> ({} kg)',
            ((_lot_url(lot.pk), lot.code, kg) for lot, kg in lots_and_masses),
        )
        or "—"
    )


@admin.register(SignedCheckpoint)
class SignedCheckpointAdmin(RecordedAdmin):
    """The checkpoints signed so far, read only, under what the signer says of itself: its last
    refusal, if it refuses to sign (its state file, outside the database, is the authority)."""

    list_display = ["size", "created_at", "root_base64"]
    fields = ["size", "created_at", "root_base64", "note"]
    readonly_fields = fields
    ordering = ["-size"]
    show_full_result_count = False

    @admin.display(description=_("root"))
    def root_base64(self, checkpoint: SignedCheckpoint) -> str:
        return base64.b64encode(bytes(checkpoint.root)).decode("ascii")

    def changelist_view(self, request, extra_context=None):
        health = signer_health()
        level = messages.INFO if health.ok else messages.ERROR
        messages.add_message(
            request, level, gettext("Checkpoint signer: %(detail)s") % {"detail": health.detail}
        )
        return super().changelist_view(request, extra_context)
