"""Bearer tokens issued by /pact/auth/token: the request's principal is the client's
organisation, acting as `pact:<client_id>`, seeing what the organisation may see."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.api.authentication import PartnerSystem
from accounts.principal import Principal
from ledger.errors import DomainError
from pact.services import access_token_authenticate, client_viewer


class TokenInvalid(exceptions.AuthenticationFailed):
    """401 with a PACT code: TokenExpired, or BadRequest for anything else."""


class PactTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <access token>`; without one, or with a bad one, a 401."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            raise TokenInvalid("an access token is needed: Authorization: Bearer <token>", code="BadRequest")
        if parts[0].lower() != b"bearer" or len(parts) != 2:
            raise TokenInvalid("give the access token as Authorization: Bearer <token>", code="BadRequest")
        try:
            client = access_token_authenticate(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            raise TokenInvalid("the access token is invalid", code="BadRequest") from None
        except DomainError as exc:
            raise TokenInvalid(exc.message, code=exc.code) from None
        principal = Principal(
            organisation=client.organisation, actor=f"pact:{client.client_id}", viewer=client_viewer(client)
        )
        request.pact_client = client
        return PartnerSystem(principal), principal

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="pact"'
