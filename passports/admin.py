"""Emission-factor sets in the admin, read only: a set is immutable once a footprint used it."""

from django.contrib import admin

from passports.models import EmissionFactor, EmissionFactorSet


class EmissionFactorInline(admin.TabularInline):
    """The factors of a set, with their units and sources."""

    model = EmissionFactor
    fields = ["key", "kind", "value", "unit", "source", "is_estimate"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmissionFactorSet)
class EmissionFactorSetAdmin(admin.ModelAdmin):
    """Factor sets are loaded by migrations; the admin shows them so staff can cite a version."""

    list_display = ["version", "active", "created_at", "description"]
    list_filter = ["active"]
    fields = ["version", "active", "created_at", "description"]
    inlines = [EmissionFactorInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
