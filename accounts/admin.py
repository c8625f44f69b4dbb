from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import ApiKey, Organisation, Role, User
from accounts.services import api_key_issue, api_key_revoke


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "role_names", "gs1_company_prefix", "created_at"]
    search_fields = ["slug", "name", "gs1_company_prefix"]

    @admin.display(description=gettext_lazy("roles"))
    def role_names(self, organisation: Organisation) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(role, role)) for role in organisation.roles)


ACTIONS = {
    "add": gettext_lazy("Can add %(model)s"),
    "change": gettext_lazy("Can change %(model)s"),
    "delete": gettext_lazy("Can delete %(model)s"),
    "view": gettext_lazy("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as Django shows it (app | model | what it allows), in the page's language:
    Django stores the names of its default permissions in English, when it migrates."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    action = permission.codename.removesuffix(f"_{model._meta.model_name}")
    name = ACTIONS[action] % {"model": model._meta.verbose_name} if action in ACTIONS else permission.name
    return f"{apps.get_app_config(content_type.app_label).verbose_name} | {model._meta.verbose_name} | {name}"


class PermissionLabels:
    """The permission pickers of the user and group pages label permissions in the page's language."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.related_model is Permission and field is not None:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class RemeltGroupAdmin(PermissionLabels, GroupAdmin):
    pass


@admin.register(User)
class RemeltUserAdmin(PermissionLabels, UserAdmin):
    list_display = ["username", "organisation", "is_staff", "is_active"]
    list_filter = ["organisation", "is_staff", "is_active"]
    fieldsets = UserAdmin.fieldsets + (
        (gettext_lazy("Organisation"), {"fields": ["organisation", "language"]}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((gettext_lazy("Organisation"), {"fields": ["organisation"]}),)


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
        messages.warning(
            request,
            _("API key issued. Copy it now, it is not shown again: %(token)s") % {"token": issued.token},
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        count = queryset.count()
        messages.success(
            request, ngettext("revoked %(count)s key", "revoked %(count)s keys", count) % {"count": count}
        )
