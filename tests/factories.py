"""Ledger test helpers: append plain entries without the material-flow rules."""

from django.utils import timezone

from ledger.services import SYSTEM_ACTOR, Draft, entries_append


def notes(count: int, *, organisation=None, payload=None) -> list:
    """Append `count` `test.note` entries, each payload numbered."""
    drafts = [
        Draft(
            type="test.note",
            organisation=organisation,
            actor=SYSTEM_ACTOR,
            occurred_at=timezone.now(),
            data=payload(i) if payload else {"n": i, "mass_kg": f"{i}.250"},
        )
        for i in range(count)
    ]
    return entries_append(drafts=drafts)
