"""Who makes a request, whatever the credentials: one principal per authenticated request.

Every API authentication class returns `(user, principal)`, so DRF puts the principal in
`request.auth`; the viewsets, the throttles and the services read the organisation, the actor
string and the viewer from it and never ask which kind of credential was used. A new kind of
credential (an OAuth2 client, a witness) adds a constructor here, not a branch elsewhere.
"""

from dataclasses import dataclass

from accounts.models import ApiKey, Organisation, User
from ledger.visibility import Viewer, viewer_of_user


@dataclass(frozen=True)
class Principal:
    """The caller: its organisation (None for a superuser without one), the actor string the
    ledger records for it (`apikey:<prefix>`, `user:<username>`, …; unique per credential, so
    it also keys the request throttle), and what it may see."""

    organisation: Organisation | None
    actor: str
    viewer: Viewer

    @classmethod
    def of_api_key(cls, api_key: ApiKey) -> "Principal":
        """A partner system calling with one of its organisation's keys."""
        organisation = api_key.organisation
        return cls(
            organisation=organisation,
            actor=f"apikey:{api_key.prefix}",
            viewer=Viewer(organisation_id=organisation.pk, sees_everything=organisation.sees_everything),
        )

    @classmethod
    def of_user(cls, user: User) -> "Principal":
        """A person signed in (staff using the API from the admin's session)."""
        return cls(organisation=user.organisation, actor=f"user:{user.username}", viewer=viewer_of_user(user))


def principal_of(request) -> Principal:
    """The principal of an authenticated DRF request (set by every authentication class)."""
    principal = request.auth
    if not isinstance(principal, Principal):  # a programming error: a class that breaks the contract
        raise TypeError(f"authentication returned {type(principal).__name__}, not a Principal")
    return principal
