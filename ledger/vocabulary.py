"""What the material record checks but does not own, registered by the apps that own it.

The names it accepts for alloying materials and transport modes come from the app that prices
them (the emission-factor sets of `passports`); the installations that melts happen at come
from the app that keeps their register (`cbam`). Each registers when it is ready, so the
ledger imports nothing of them.
"""

from collections.abc import Callable

from ledger.errors import DomainError

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


# -- installations ----------------------------------------------------------------------------


class Installations:
    """The installations (an organisation's sites, with their furnaces) that the rules ask about.

    An app that keeps a register of installations subclasses it, once for posting (its tables,
    read under the ledger head lock) and once for replaying the ledger (built in memory from the
    entries in order), and handles the entries that register and amend them. This base is the
    record without such an app: no installation anywhere, and every furnace a free name.
    """

    def handle(self, entry_type: str, ctx, data: dict) -> dict:
        """Check an installation event of `ctx.org` and apply it; its normalised payload."""
        raise DomainError("unknown_type", f"unknown event type {entry_type!r}", field="type")

    def furnace_site(self, org: str, furnace: str, where: str) -> str | None:
        """The code of `org`'s installation that has `furnace`, or None while `org` has none.

        Refuses (DomainError on `where`) a furnace that is not one of `org`'s installations'
        once it has installations, and one that belongs to another organisation's.
        """
        return None

    def site_of(self, org: str, furnace: str, seq: int) -> str | None:
        """The installation a melt of `org` at `furnace`, recorded as entry `seq`, happened at."""
        return None

    def flush(self) -> None:
        """Write what `handle` changed (posting only), after the entries exist."""


_installation_types: tuple[str, ...] = ()
_installations: tuple[Callable[[], Installations], Callable[[], Installations]] | None = None


def installations_register(
    *,
    entry_types: tuple[str, ...],
    posting: Callable[[], Installations],
    replaying: Callable[[], Installations],
) -> None:
    """Name the app's installation entry types and how to make its state for posting and replaying."""
    global _installation_types, _installations
    _installation_types, _installations = entry_types, (posting, replaying)


def installation_types() -> tuple[str, ...]:
    """The entry types that register and amend installations (none without such an app)."""
    return _installation_types


def installations(*, replay: bool) -> Installations:
    """A fresh installations state: the app's, or the base without any installation."""
    if _installations is None:
        return Installations()
    return _installations[1 if replay else 0]()


# -- the furnaces a melt form offers --------------------------------------------------------

# organisation ids -> for each of them that has registered installations, its furnaces as
# (code, label), possibly none yet
RegisteredFurnaces = Callable[[list[int]], dict[int, list[tuple[str, str]]]]
_registered_furnaces: RegisteredFurnaces | None = None


def registered_furnaces_register(furnaces: RegisteredFurnaces) -> None:
    """Name where the record forms read the furnaces of the organisations' installations."""
    global _registered_furnaces
    _registered_furnaces = furnaces


def registered_furnaces(organisation_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The furnaces of those organisations that have registered installations (none without an
    app that keeps installations): a melt of theirs must name one of them."""
    if _registered_furnaces is None:
        return {}
    return _registered_furnaces(organisation_ids)


# -- links from the auditor's lot page to what other apps keep about a lot ----------------------

LotLinks = Callable[[object, object], list[tuple[str, str]]]  # (lot, viewer) → [(label, url)]
_lot_links: list[LotLinks] = []


def lot_links_register(links: LotLinks) -> None:
    """Add links to the auditor's page of a lot (e.g. its CBAM report); the app decides what the
    viewer may follow."""
    if links not in _lot_links:
        _lot_links.append(links)


def lot_links(lot, viewer) -> list[tuple[str, str]]:
    return [link for links in _lot_links for link in links(lot, viewer)]
