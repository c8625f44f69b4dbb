"""The names the material record accepts for alloying materials and transport modes.

The ledger checks them but does not own them: the app that prices them (the emission-factor
sets of `passports`) registers where they come from when it is ready, so the ledger imports
nothing of it.
"""

from collections.abc import Callable

Keys = tuple[set[str], set[str]]  # (materials, transport modes)

_current: Callable[[], Keys] | None = None
_historic: Callable[[], Keys] | None = None


def vocabulary_register(*, current: Callable[[], Keys], historic: Callable[[], Keys]) -> None:
    """Name the source of the keys: `current` for new events, `historic` (every key there ever
    was) for replaying the ledger."""
    global _current, _historic
    _current, _historic = current, historic


def current_keys() -> Keys:
    """The materials and modes a new event may name."""
    return _source(_current)()


def historic_keys() -> Keys:
    """Every material and mode any entry of the ledger may name."""
    return _source(_historic)()


def _source(source: Callable[[], Keys] | None) -> Callable[[], Keys]:
    if source is None:
        raise RuntimeError("no app registered the ledger's vocabulary (is `passports` installed?)")
    return source
