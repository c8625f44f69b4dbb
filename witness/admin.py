"""The witnesses as our submissions found them: what each cosigned last, and its last refusal."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from witness.models import WitnessState


@admin.register(WitnessState)
class WitnessStateAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "url",
        "cosigned_size",
        "cosigned_at",
        "failing",
        "problem_status",
        "problem",
        "problem_at",
    )
    readonly_fields = [field.name for field in WitnessState._meta.fields]

    @admin.display(boolean=True, description=_("refusing"))
    def failing(self, state: WitnessState) -> bool:
        return state.failing

    def has_add_permission(self, request) -> bool:
        return False  # witnesses are configured (LEDGER_WITNESSES); rows record what they answered

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
