"""Reading a secret for a command without putting it on the command line (process lists)."""

from pathlib import Path

from django.core.management.base import CommandError


def read_secret(path: str | None, value: str | None) -> str:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
    if value:
        return value
    raise CommandError("give the secret with --client-secret-file (or --client-secret)")
