"""The one domain error type: a code, a message and the fields it is about.

Messages are written with gettext and named placeholders (`_("no lot %(code)s") % {...}`), so
they are in the language active when the rule is broken: a request's (Accept-Language on the
API, the page's language in the admin), English elsewhere. Codes and field paths never change
with the language.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


class DomainError(Exception):
    """A rule of the material record was broken; nothing was written.

    `code` is a stable machine name (e.g. `overdrawn`, `not_owner`), `errors` maps a field
    path (e.g. `data.inputs[0].mass_kg`) to its messages, and `status` is the HTTP status
    the API answers with. `bare` is the message without the batch item it is about.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
        status: int = 400,
        bare: str | None = None,
    ) -> None:
        message = str(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.bare = message if bare is None else str(bare)
        self.status = status
        self.errors = {name: [str(text) for text in texts] for name, texts in (errors or {}).items()}
        if field is not None:
            self.errors.setdefault(field, []).append(message)

    def for_item(self, index: int) -> "DomainError":
        """The same error about item `index` of a batch: field paths become `[index].path`."""
        errors = {f"[{index}].{name}": msgs for name, msgs in self.errors.items()}
        message = _("item %(index)s: %(message)s") % {"index": index, "message": self.bare}
        return DomainError(self.code, message, errors=errors, status=self.status, bare=self.bare)

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, errors={self.errors!r})"


def quoted(value: object) -> str:
    """A value a message names, in the quotes of the active language: 'SCR-A' in English,
    “SCR-A” in Chinese. Characters that cannot be shown are escaped as repr() does; a value
    that is not text (a number, a list from JSON) is its repr(), without quotes."""
    if not isinstance(value, str):
        return repr(value)
    text = value if value.isprintable() else repr(value)[1:-1]
    return pgettext("a value named in a message", "'%(value)s'") % {"value": text}


def fields_summary(errors: dict[str, list[str]], non_field: str = "non_field_errors") -> str:
    """One line for many field errors: the first, and how many more fields have some."""
    if not errors:
        return _("The request is invalid.")
    name, messages = next(iter(errors.items()))
    more = len(errors) - 1
    first = f"{name}: {messages[0]}" if name != non_field else str(messages[0])
    if not more:
        return first
    return first + ngettext(" (and %(count)s more field)", " (and %(count)s more fields)", more) % {
        "count": more
    }
