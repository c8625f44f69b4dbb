from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from accounts.models import ApiKey, Organisation, User
from accounts.services import api_key_issue, api_key_revoke


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "roles", "gs1_company_prefix", "created_at"]
    search_fields = ["slug", "name", "gs1_company_prefix"]


@admin.register(User)
class RemeltUserAdmin(UserAdmin):
    list_display = ["username", "organisation", "is_staff", "is_active"]
    list_filter = ["organisation", "is_staff", "is_active"]
    fieldsets = UserAdmin.fieldsets + (("Organisation", {"fields": ["organisation"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Organisation", {"fields": ["organisation"]}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued with a name; the token appears once, in the confirmation message."""

    list_display = ["prefix", "organisation", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation", "revoked_at"]
    fields = ["organisation", "name"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        issued = api_key_issue(organisation=obj.organisation, name=obj.name, created_by=request.user)
        obj.pk = issued.api_key.pk
        messages.warning(request, f"API key issued. Copy it now, it is not shown again: {issued.token}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"revoked {queryset.count()} key(s)")
