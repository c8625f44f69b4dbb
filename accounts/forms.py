"""Sign-in forms (the admin's and the site's) that throttle failed attempts."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts import throttle


class ThrottledLogin:
    """Checks the failure counters before the password is: a throttled attempt never runs the
    hasher. Sets `request.login_retry_after` (seconds) for `login_throttled` to answer 429."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password"):
            counters = throttle.login_counters(self.request, username)
            over = throttle.throttled(self.request, counters)
            if over:
                wait = max(over.values())
                self.request.login_retry_after = wait
                raise forms.ValidationError(
                    "Too many failed sign-ins from your address or for this username. "
                    f"Try again in {_duration(wait)}.",
                    code="throttled",
                )
            try:
                return super().clean()
            except forms.ValidationError as error:
                if any(e.code == "invalid_login" for e in error.error_list):
                    throttle.failure_record(self.request, counters)
                raise
        return super().clean()


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    if not minutes:
        return f"{seconds} s"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


class ThrottledAuthenticationForm(ThrottledLogin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLogin, AdminAuthenticationForm):
    pass


def login_throttled(view):
    """Wrap a login view: a throttled attempt answers 429 with Retry-After (the page says why)."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        wait = getattr(request, "login_retry_after", None)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return wrapped
