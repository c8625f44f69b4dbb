"""Top-level URL routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts.forms import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm, login_throttled
from config.health import healthz
from config.i18n import set_language
from passports.views import home

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", home, name="home"),
    path("admin/login/", login_throttled(admin.site.login)),  # before admin.site.urls, which has it too
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path(
        "accounts/login/",
        login_throttled(auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("passports/", include("passports.urls")),
    path("audit/", include("ledger.urls")),
    path("cbam/", include("cbam.urls")),
    path("api/v1/ledger/", include("ledger.api.proof_urls")),
    path("api/v1/", include("passports.api.urls")),
    path("api/v1/", include("pact.api.partner_urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/v1/", include("epcis.api.urls")),
    path("api/v1/", include("cbam.api.urls")),
    path("api/", include("config.api.urls")),
    path("pact/", include("pact.api.urls")),
]
