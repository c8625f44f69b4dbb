"""The one domain error type: a code, a message and the fields it is about."""


class DomainError(Exception):
    """A rule of the material record was broken; nothing was written.

    `code` is a stable machine name (e.g. `overdrawn`, `not_owner`), `errors` maps a field
    path (e.g. `data.inputs[0].mass_kg`) to its messages, and `status` is the HTTP status
    the API answers with.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.errors = dict(errors or {})
        if field is not None:
            self.errors.setdefault(field, []).append(message)

    def for_item(self, index: int) -> "DomainError":
        """The same error about item `index` of a batch: field paths become `[index].path`."""
        errors = {f"[{index}].{name}": msgs for name, msgs in self.errors.items()}
        return DomainError(self.code, f"item {index}: {self.message}", errors=errors, status=self.status)

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, errors={self.errors!r})"


def fields_summary(errors: dict[str, list[str]], non_field: str = "non_field_errors") -> str:
    """One line for many field errors: the first, and how many more fields have some."""
    if not errors:
        return "The request is invalid."
    name, messages = next(iter(errors.items()))
    more = len(errors) - 1
    first = f"{name}: {messages[0]}" if name != non_field else messages[0]
    return first + (f" (and {more} more field{'s' * (more > 1)})" if more else "")
