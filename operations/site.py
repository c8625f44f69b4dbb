"""The admin site: remelt's name in its header, "View site" to the home page, and the staff
desk on its index page. `RemeltAdminConfig` takes the place of django.contrib.admin in
INSTALLED_APPS, so `admin.site` (where every app registers its ModelAdmins) is this site."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class RemeltAdminSite(admin.AdminSite):
    site_header = _("remelt administration")
    site_title = _("remelt admin")
    index_title = _("Staff desk")
    site_url = "/"
    index_template = "operations/desk.html"

    def index(self, request, extra_context=None):
        """The app list, with the staff desk above it (operations.selectors.desk_summary)."""
        from operations.selectors import desk_summary  # its models load after the admin's config

        return super().index(request, {"desk": desk_summary(), **(extra_context or {})})


class RemeltAdminConfig(AdminConfig):
    """Django's admin with remelt's site."""

    default_site = "operations.site.RemeltAdminSite"
