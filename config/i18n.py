"""The language of a request: a `?lang=` in the URL, else the switcher's choice, else the user's
own setting, else the browser's.

Django's LocaleMiddleware reads the switcher's cookie and then Accept-Language; this middleware,
after authentication, puts a signed-in user's saved language before the browser's, and a
`lang` query parameter (`?lang=zh-hans`, a link that opens a page in one language whoever
follows it) before everything. The switcher
(`set_language`) saves the choice to the user too, so it follows them to another browser. The API
(keys, not sessions) follows Accept-Language alone.
"""

from django.conf import settings
from django.utils import translation
from django.views.i18n import set_language as django_set_language


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        asked = request.GET.get("lang")
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if asked in dict(settings.LANGUAGES):
            translation.activate(asked)
        elif not chosen and user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def set_language(request):
    """Django's set_language (POST `language`, `next`), saving the choice to a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and user.language != language
    ):
        user.language = language
        user.save(update_fields=["language"])
    return response
